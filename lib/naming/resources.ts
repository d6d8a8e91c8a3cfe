/**
 * Names of the library's own resources: functions, tables, topics, queues, rules, alarms, the
 * trail, its log group and key alias. Every one starts with `agent-iam`, so the boundary, the
 * detections and the audit trail's key policy can name all of them with one glob.
 */

/** The first word of every name the library gives its own resources. */
export const LIBRARY_NAME_PREFIX = 'agent-iam';

/** The IAM path of the library's own roles (its functions' execution roles, the trail's delivery role). */
export const LIBRARY_ROLE_PATH = `/${LIBRARY_NAME_PREFIX}/`;

/** EventBridge rule names are at most 64 characters. */
export const RULE_NAME_MAX = 64;

/** `agent-iam-<kind>-<env>`: how functions, tables, topics, queues and library roles are named. */
function kindName(kind: string, environment: string): string {
  return `${LIBRARY_NAME_PREFIX}-${kind}-${environment}`;
}

/** `agent-iam-<env>-<name>`: how rules, metric filters and environment alarms are named. */
function environmentName(environment: string, name: string): string {
  return `${LIBRARY_NAME_PREFIX}-${environment}-${name}`;
}

/**
 * The glob of every function, table, topic and queue name of an environment: `agent-iam-*-<env>`.
 * Prefix or suffix `*` as the matching context needs.
 */
export function libraryResourceNamePattern(environment: string): string {
  return kindName('*', environment);
}

/** The glob of every rule name of an environment: `agent-iam-<env>-*`. */
export function libraryRuleNamePattern(environment: string): string {
  return environmentName(environment, '*');
}

/** The revoker's function name (what the kill switch, the risk Lambda and the broker invoke): `agent-iam-revoker-<env>`. */
export function revokerFunctionName(environment: string): string {
  return kindName('revoker', environment);
}

/** The risk scorer's function name: `agent-iam-risk-<env>`. */
export function riskFunctionName(environment: string): string {
  return kindName('risk', environment);
}

/** The credential broker's function name: `agent-iam-broker-<env>`. */
export function brokerFunctionName(environment: string): string {
  return kindName('broker', environment);
}

/** The token-age function's name: `agent-iam-token-age-<env>`. */
export function tokenAgeFunctionName(environment: string): string {
  return kindName('token-age', environment);
}

/** The revocation ledger's table name: `agent-iam-revocations-<env>`. */
export function ledgerTableName(environment: string): string {
  return kindName('revocations', environment);
}

/** The risk table's name: `agent-iam-risk-<env>` (a table; the function of the same name is another resource type). */
export function riskTableName(environment: string): string {
  return kindName('risk', environment);
}

/** The SNS topic detections and alarms notify: `agent-iam-detections-<env>`. */
export function detectionTopicName(environment: string): string {
  return kindName('detections', environment);
}

/** The SQS queue a SIEM consumes (new trail log files): `agent-iam-siem-<env>`. */
export function siemQueueName(environment: string): string {
  return kindName('siem', environment);
}

/** The SIEM queue's dead-letter queue: `agent-iam-siem-dlq-<env>`. */
export function siemDeadLetterQueueName(environment: string): string {
  return kindName('siem-dlq', environment);
}

/** The role CloudTrail assumes to deliver into its log group: `agent-iam-trail-logs-<env>`. */
export function trailLogsRoleName(environment: string): string {
  return kindName('trail-logs', environment);
}

/** The alias of the audit trail's KMS key: `alias/agent-iam-audit-<env>`. */
export function auditKeyAliasName(environment: string): string {
  return `alias/${kindName('audit', environment)}`;
}

/** The name prefix of the audit trail's S3 bucket (Terraform adds a unique suffix): `agent-audit-<env>-`. */
export function auditBucketPrefix(environment: string): string {
  return `agent-audit-${environment}-`;
}

/** The CloudTrail trail of an environment: `agent-iam-<env>`. */
export function trailName(environment: string): string {
  return `${LIBRARY_NAME_PREFIX}-${environment}`;
}

/** The CloudWatch Logs group the trail delivers to: `/agent-iam/<env>/cloudtrail`. */
export function trailLogGroupName(environment: string): string {
  return `/${LIBRARY_NAME_PREFIX}/${environment}/cloudtrail`;
}

/** The log group Lambda writes a function's logs to: `/aws/lambda/<function>` (a function-name glob gives a glob). */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** The dead-letter queue of a library function: `<function>-dlq`. */
export function functionDeadLetterQueueName(functionName: string): string {
  return `${functionName}-dlq`;
}

/** The schedule rule of the token-age function: `agent-iam-<env>-token-age-tick`. */
export function tokenAgeScheduleRuleName(environment: string): string {
  return environmentName(environment, 'token-age-tick');
}

/** The metric filter counting denied agent calls in the trail's log group: `agent-iam-<env>-denied-calls`. */
export function deniedCallsMetricFilterName(environment: string): string {
  return environmentName(environment, 'denied-calls');
}

/** The alarm on bursts of denied agent calls: `agent-iam-<env>-denied-calls-burst`. */
export function deniedCallsAlarmName(environment: string): string {
  return environmentName(environment, 'denied-calls-burst');
}

/** FNV-1a, 32 bits: a short stable suffix for names that must be cut. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const RULE_NAME_CHARACTERS = /[^.\-_A-Za-z0-9]/g;

/** The prefix of every detection rule name of an environment (`agent-iam-<env>-det-`), for source-ARN conditions. */
export function detectionRuleNamePrefix(environment: string): string {
  return environmentName(environment, 'det-').replace(RULE_NAME_CHARACTERS, '-');
}

/**
 * The EventBridge rule name of a detection pattern: `agent-iam-<env>-<name>`, characters outside
 * `[.\-_A-Za-z0-9]` replaced by `-`, cut to 64 characters with a hash of the full name when longer.
 */
export function detectionRuleName(environment: string, name: string): string {
  const full = environmentName(environment, name).replace(RULE_NAME_CHARACTERS, '-');
  if (full.length <= RULE_NAME_MAX) return full;
  const hash = shortHash(full);
  return `${full.slice(0, RULE_NAME_MAX - hash.length - 1)}-${hash}`;
}

/** Names of the Terraform outputs an AgentIamStack declares (the assessor reads the registry's back). */
export const STACK_OUTPUTS = {
  /** Machine-readable registry of the agents (stage 3+): `{ <agent>: AgentRegistryEntry }`. */
  registry: 'agent_registry',
  /** `{ <agent>: <role ARN> }`. */
  roleArns: 'agent_role_arns',
  /** The credential broker's function URL (stage 4). */
  brokerUrl: 'broker_url',
  /** The revoker's function name (stage 4; the kill switch invokes it). */
  revokerFunction: 'revoker_function',
} as const;
