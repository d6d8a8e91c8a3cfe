/**
 * Real-time detection (control AIAM-3.07) as data: the catalog of detection rules (id, severity,
 * the control it serves) and the concrete EventBridge event patterns each rule deploys for an
 * environment. The constructs, the docs and the assessor read the catalog; the tests run every
 * pattern against real-shaped CloudTrail records with moto's EventBridge matcher.
 *
 * One file per concern: `catalog.ts` (the rules as data), `cloudtrail-events.ts` (event names,
 * error codes, sources), `event-patterns.ts` (the one pattern builder and shared filters),
 * `rule-patterns.ts` (each rule's pattern), `detection-patterns.ts` (an environment's patterns),
 * `pattern-size.ts` (EventBridge's size quota), `rule-names.ts`, `metric-filter.ts`.
 *
 * Pure: no cdktf. Context values (account id, ARNs, bucket name) may be Terraform references or
 * tokens, so patterns are built by concatenation only and never parse them.
 */
export { Severity } from '../severity';
export type { DetectionAgent, DetectionContext } from './context';
export { DETECTION_RULES, RULE_STATE_WITH_READ_ONLY_EVENTS } from './catalog';
export type { DetectionRule } from './catalog';
export {
  AUDIT_KEY_EVENT_NAMES, AWS_SOURCE_PREFIX, CLOUDTRAIL_DETAIL_TYPE, CONTROL_PLANE_WRITE_PREFIXES, DENIAL_ERROR_CODE_PREFIXES,
  DENIAL_ERROR_CODES, denialErrorCodeFilter, GLOBAL_EVENT_SOURCES, GUARDDUTY_DETAIL_TYPE, IAM_WRITE_EVENT_PREFIXES,
  TOKEN_AGE_POLICY_EVENT_NAMES,
} from './cloudtrail-events';
export { agentRoleArnPrefix, libraryFunctionRoleArn } from './event-patterns';
export type { EventPattern } from './event-patterns';
export { detectionPatterns } from './detection-patterns';
export type { DetectionPattern } from './detection-patterns';
export { EVENT_PATTERN_MAX, eventPatternSize } from './pattern-size';
export { detectionRuleNamePrefix, RULE_NAME_MAX, ruleName } from './rule-names';
export { deniedCallsMetricFilterPattern } from './metric-filter';
export { rulesWithoutPattern } from './rule-patterns';
