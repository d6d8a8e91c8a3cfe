/**
 * The one builder of EventBridge event patterns, and the filters the rules share: who called
 * (an agent session, a given session issuer) and which events (a service's CloudTrail calls, any
 * AWS service's). Every pattern has the shape `{ source, detail-type, detail }`, and `source`
 * always names AWS services (`aws.<service>` or the `aws.` prefix), which PutEvents refuses to
 * anyone else.
 *
 * Pure: values may be Terraform references; patterns are built by concatenation only.
 */
import { agentRoleArnPrefix as agentRoleArnPrefixOf, libraryFunctionRoleArn } from '../naming';
import { DetectionContext } from './context';
import { AWS_SOURCE_PREFIX, CLOUDTRAIL_DETAIL_TYPE } from './cloudtrail-events';

/** An EventBridge event pattern (JSON object). */
export type EventPattern = Record<string, unknown>;

/**
 * An event pattern: events of `detailType` from the given AWS sources (`aws.<service>`), or
 * from any AWS service when `sources` is omitted (never a custom source).
 */
export function eventPattern(detailType: string, detail: EventPattern, sources?: string[]): EventPattern {
  return { source: sources ?? [{ prefix: AWS_SOURCE_PREFIX }], 'detail-type': [detailType], detail };
}

/** CloudTrail events from the given sources (`aws.<service>`), or from any AWS service when omitted. */
export function cloudTrail(detail: EventPattern, sources?: string[]): EventPattern {
  return eventPattern(CLOUDTRAIL_DETAIL_TYPE, detail, sources);
}

/** CloudTrail calls of one service (`sts` -> source `aws.sts`, eventSource `sts.amazonaws.com`), `detail` added after. */
export function serviceCalls(service: string, detail: EventPattern): EventPattern {
  return cloudTrail({ eventSource: [`${service}.amazonaws.com`], ...detail }, [`aws.${service}`]);
}

/** `sts:AssumeRole` calls, `detail` added after the event source and name. */
export function assumeRoleCalls(detail: EventPattern): EventPattern {
  return serviceCalls('sts', { eventName: ['AssumeRole'], ...detail });
}

/** The ARN prefix of every agent role of the environment: `arn:<partition>:iam::<account>:role/agents/<env>/`. */
export function agentRoleArnPrefix(ctx: DetectionContext): string {
  return agentRoleArnPrefixOf(ctx.partition, ctx.accountId, ctx.environment);
}

/** A `userIdentity` filter: the caller is a role session whose issuer (the role) matches `arn`. */
export function sessionIssuedBy(arn: unknown[]): EventPattern {
  return { sessionContext: { sessionIssuer: { arn } } };
}

/** The caller is a session of an agent role of the environment. */
export function byAnyAgent(ctx: DetectionContext): EventPattern {
  return sessionIssuedBy([{ prefix: agentRoleArnPrefix(ctx) }]);
}

/** The library's role of a function: `arn:<p>:iam::<acct>:role/agent-iam/<function name>` (HardenedFunction; lib/naming). */
export { libraryFunctionRoleArn };

/** Event names of the boundary's denied actions of one service (`cloudtrail:StopLogging` -> `StopLogging`). */
export function eventNamesOf(service: string, actions: string[]): string[] {
  return actions.filter((a) => a.startsWith(`${service}:`)).map((a) => a.slice(service.length + 1));
}

/** `anything-but` a list, or "present at all" when the list is empty (EventBridge rejects empty arrays). */
export function notAnyOf(values: string[]): unknown[] {
  return values.length > 0 ? [{ 'anything-but': values }] : [{ exists: true }];
}
