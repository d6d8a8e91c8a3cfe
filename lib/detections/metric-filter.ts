/**
 * The CloudWatch Logs side of DET-3.01: the metric filter that counts denied agent calls in the
 * trail's log group, so that bursts raise an alarm.
 */
import { DENIAL_ERROR_CODE_PREFIXES, DENIAL_ERROR_CODES } from './cloudtrail-events';
import { DetectionContext } from './context';
import { agentRoleArnPrefix } from './event-patterns';

/**
 * The CloudWatch Logs metric filter pattern for denied agent calls in the trail's log group
 * (the burst alarm of DET-3.01).
 */
export function deniedCallsMetricFilterPattern(ctx: DetectionContext): string {
  const codes = [
    ...DENIAL_ERROR_CODE_PREFIXES.map((p) => `$.errorCode = "${p}*"`),
    ...DENIAL_ERROR_CODES.map((c) => `$.errorCode = "${c}"`),
  ].join(' || ');
  return `{ (${codes}) && $.userIdentity.sessionContext.sessionIssuer.arn = "${agentRoleArnPrefix(ctx)}*" }`;
}

