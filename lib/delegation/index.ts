/**
 * Basic delegation: who may act as an agent, and on whose behalf. Builds the role's trust policy
 * and checks the declared principals.
 *
 * One file per concept: `agent-delegation.ts` (the declared shapes), `trust-policy.ts` (the
 * policy built from them), `validate-delegation.ts` (synth-time checks), `service-principals.ts`
 * (services and their confused-deputy guards), `oidc-subjects.ts`, `source-identity.ts`,
 * `account-root.ts`, and `trust-statements.ts` (how a trust statement reads).
 */
export type {
  AccountRootAcknowledgement, AgentDelegation, OidcDelegation, ServiceDelegation, ThirdPartyDelegation,
} from './agent-delegation';
export { mergeConditionBlocks, trustPolicy } from './trust-policy';
export type { TrustContext } from './trust-policy';
export { validateDelegation, validateTrustSize } from './validate-delegation';
export { KNOWN_SERVICE_PRINCIPALS } from './service-principals';
export { accountRootOf } from './account-root';
export { unmatchableSourceIdentityPattern } from './source-identity';
export { GITHUB_ACTIONS_ISSUER, unanchoredSubject } from './oidc-subjects';
export { canSetSourceIdentity, grantsAssume, requiresSourceIdentity } from './trust-statements';
