/**
 * Grants: what an agent may do. A grant is one or more identity-policy statements (actions,
 * resources, optional conditions), built directly or by a helper for a common agent tool.
 * Validation against the AWS service reference happens at synth time (see `validateGrants`).
 *
 * One file per concept: `grant.ts` (the `Grant` class and its props), `statements.ts` (grants as
 * IAM statements), `validate-grants.ts` (synth-time checks), `arn-shape.ts`, `condition-operators.ts`.
 */
export { Grant } from './grant';
export type { GrantCondition, GrantProps } from './grant';
export { conditionBlock, grantStatements, isWildcardAction, secretArnPattern } from './statements';
export { validateGrants } from './validate-grants';
export { arnShapeProblems } from './arn-shape';
export { isConditionOperator } from './condition-operators';
