/**
 * EventBridge rule names of detection patterns: `agent-iam-<env>-<name>`, within the 64
 * characters EventBridge allows, and the prefix every one of them shares (for source-ARN
 * conditions). Built in lib/naming (one owner per name); re-exported here for the catalog's users.
 */
export { detectionRuleName as ruleName, detectionRuleNamePrefix, RULE_NAME_MAX, shortHash } from '../naming';
