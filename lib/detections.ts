/**
 * Real-time detection (control AIAM-3.07) as data: the catalog of detection
 * rules (id, severity, the control it serves) and the concrete EventBridge
 * event patterns each rule deploys for an environment. The constructs, the
 * docs and the assessor read the catalog; the tests run every pattern against
 * real-shaped CloudTrail records with moto's EventBridge matcher.
 *
 * Pure: no cdktf. Context values (account id, ARNs, bucket name) may be
 * Terraform references or tokens, so patterns are built by concatenation
 * only and never parse them.
 */
import { AUDIT_STORE_ACTIONS, AUDIT_TAMPER_ACTIONS } from './boundary';
import { AwsLimits } from './limits';
import { agentRoleName, agentRolePath } from './naming';
import { Severity } from './severity';

export { Severity } from './severity';

/** One agent, as the detection rules see it. */
export interface DetectionAgent {
  /** The agent name (for example `research`); its role is `agent-<name>-<env>`. */
  readonly name: string;
  /** The agent role ARN, with its `/agents/<env>/` path. */
  readonly roleArn: string;
  /** IAM ARNs of the principals declared to assume the agent (roles, users). */
  readonly declaredPrincipalArns: string[];
  /** Regions the agent may act in; no region rule without them. */
  readonly allowedRegions?: string[];
}

/** What the detection rules of one environment watch. */
export interface DetectionContext {
  readonly partition: string;
  readonly accountId: string;
  readonly environment: string;
  /** Name of the audit trail's bucket; no bucket rule without it. */
  readonly auditBucketName?: string;
  /** ARN of the audit trail's KMS key; no key rule without it. */
  readonly auditKeyArn?: string;
  readonly agents: DetectionAgent[];
  /** Stage 4: roles people use when the broker is down; their AssumeRole of an agent raises DET-3.15. */
  readonly breakGlassRoleArns?: string[];
  /**
   * Longest event pattern EventBridge accepts in the account, characters once Terraform resolves
   * references (the account id counts 12, other references `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE`).
   * @default EVENT_PATTERN_MAX (2048, the default quota)
   */
  readonly maxPatternSize?: number;
}

/** One rule of the detection catalog. */
export interface DetectionRule {
  /** Stable identifier, for example `DET-3.01`. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The maturity control the rule serves. */
  readonly controlId: string;
  /**
   * The rule judges per-agent facts (declared principals, allowed regions): agents that share
   * the same facts share one pattern, and a group covering every agent matches on the agents'
   * path, so the number of rules grows with distinct facts, not with agents.
   */
  readonly perAgent: boolean;
  /** What the rule catches, and its known blind spots. */
  readonly description: string;
  /** Not required by the stage check (for example it needs GuardDuty enabled). */
  readonly optional?: boolean;
  /**
   * The rule matches read-only management events (AssumeRole, Get*, List*, Describe*), which
   * EventBridge delivers only to rules in state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
   */
  readonly readOnlyEvents: boolean;
  /**
   * The events come from a global service (IAM, Organizations, Account), which delivers them to
   * EventBridge only in the partition's home region (us-east-1 in `aws`); the rule must live there.
   */
  readonly globalService: boolean;
  /**
   * Delivered to people and the SIEM only, never to the revoker or the risk scorer: the rule
   * watches people or the library's own control plane (no agent to charge), or an attempt that
   * must not be turned against its target (a denied AssumeRole names the victim, not the caller).
   */
  readonly notifyOnly?: boolean;
  /**
   * The rule runs in the stack's region only and sees only calls made there. Stated so that the
   * catalog, the README and the assessor say what the rule cannot see.
   */
  readonly homeRegionOnly?: boolean;
}

/** An EventBridge event pattern (JSON object). */
export type EventPattern = Record<string, unknown>;

/** A rule made concrete for an environment (and, for per-agent rules, one group of agents sharing the facts judged). */
export interface DetectionPattern {
  readonly rule: DetectionRule;
  /**
   * For rules on per-agent facts: the agents this pattern judges, sorted (every agent when the
   * pattern matches on the agents' path).
   */
  readonly agents?: string[];
  /** Short unique name within the environment, always starting `det-` (for example `det-3.09`, `det-3.10-1a2b3c4d-2`); see `ruleName`. */
  readonly name: string;
  readonly pattern: EventPattern;
}

/** `detail-type` of every CloudTrail event on EventBridge. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** `detail-type` of GuardDuty findings on EventBridge. */
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
/** The rule state that also delivers read-only management events. */
export const RULE_STATE_WITH_READ_ONLY_EVENTS = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
/** Longest EventBridge rule name. */
export const RULE_NAME_MAX = 64;
/** Longest event pattern EventBridge accepts by default (a quota increase allows 4096). */
export const EVENT_PATTERN_MAX = 2048;

/**
 * CloudTrail `errorCode` values of an authorization failure, across services: IAM, STS, S3 and
 * most JSON services say `AccessDenied` or `AccessDeniedException` (the prefix covers both and
 * `AccessDeniedFault`), SNS `AuthorizationError`, EC2 `Client.UnauthorizedOperation` or
 * `UnauthorizedOperation`, Cognito `NotAuthorizedException`, API Gateway and others
 * `ForbiddenException` or `UnauthorizedException`, KMS grants `AccessDeniedException`.
 */
export const DENIAL_ERROR_CODE_PREFIXES = ['AccessDenied'];
/** Exact denial error codes beside the `AccessDenied` prefix; see DENIAL_ERROR_CODE_PREFIXES. */
export const DENIAL_ERROR_CODES = [
  'AuthorizationError', 'AuthorizationErrorException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation',
  'UnauthorizedAccess', 'UnauthorizedException', 'Client.UnauthorizedAccess', 'NotAuthorized', 'NotAuthorizedException',
  'Forbidden', 'ForbiddenException', 'InsufficientPrivilegesException', 'AuthorizationFailure', 'AccessForbidden',
];

/** An EventBridge filter matching any denial error code. */
export function denialErrorCodeFilter(): unknown[] {
  return [...DENIAL_ERROR_CODE_PREFIXES.map((p) => ({ prefix: p })), ...DENIAL_ERROR_CODES];
}

/**
 * Every pattern requires `source` to start with `aws.`: PutEvents refuses that prefix to
 * anyone but AWS services, so a custom event on the default bus cannot trigger a rule.
 */
export const AWS_SOURCE_PREFIX = 'aws.';

/** Lambda, EventBridge, DynamoDB and SNS writes that change how a control-plane resource behaves (CloudTrail names; Lambda's carry API-version suffixes). */
export const CONTROL_PLANE_WRITE_PREFIXES = ['Add', 'Create', 'Delete', 'Disable', 'Enable', 'Publish', 'Put', 'Remove', 'Restore', 'Set', 'Subscribe', 'Tag', 'Unsubscribe', 'Untag', 'Update'];

/** IAM calls that change what a token-age policy says or whether it applies. */
export const TOKEN_AGE_POLICY_EVENT_NAMES = [
  'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion', 'DeletePolicy', 'DetachRolePolicy',
];

/** The control every detection rule serves. */
const CONTROL = 'AIAM-3.07';

/**
 * Services whose CloudTrail records carry the partition's home region as `awsRegion`, whatever
 * region the caller works in; the region rule ignores them.
 */
export const GLOBAL_EVENT_SOURCES = [
  'iam.amazonaws.com', 'organizations.amazonaws.com', 'account.amazonaws.com', 'cloudfront.amazonaws.com',
  'route53.amazonaws.com', 'support.amazonaws.com', 'health.amazonaws.com',
];

/** IAM API name prefixes of every call that creates, changes or removes an identity, policy or credential. */
export const IAM_WRITE_EVENT_PREFIXES = [
  'Add', 'Attach', 'Change', 'Create', 'Deactivate', 'Delete', 'Detach', 'Enable', 'Put', 'Remove', 'Reset',
  'Resync', 'Set', 'Tag', 'Untag', 'Update', 'Upload',
];

/** KMS calls that would destroy, disable or re-permission the audit key. */
export const AUDIT_KEY_EVENT_NAMES = [
  'ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'DisableKeyRotation', 'CreateGrant',
];

/** The catalog. */
export const DETECTION_RULES: DetectionRule[] = [
  {
    id: 'DET-3.01', title: 'Agent call denied', severity: Severity.MEDIUM, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'A call by an agent session failed with an authorization error (AccessDenied*, AuthorizationError, '
      + '(Client.)UnauthorizedOperation, NotAuthorizedException, ForbiddenException, ...; see DENIAL_ERROR_CODES). One '
      + 'denial is a hint (a grant missing, or an agent probing); bursts are alarmed by a metric filter on the trail log '
      + 'group. A denied AssumeRole by an agent is charged to the calling agent, never to the role it tried to assume.',
  },
  {
    id: 'DET-3.02', title: 'IAM write attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: true,
    description: 'An agent session called an IAM API that creates, changes or removes identities, policies, boundaries '
      + 'or credentials. The boundary denies all of them, so any attempt, failed or not, is privilege escalation.',
  },
  {
    id: 'DET-3.03', title: 'Agent assumed a role outside the agents path', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'An agent session called sts:AssumeRole on a role not under /agents/<env>/: an attempt to leave the '
      + 'boundary by role chaining.',
  },
  {
    id: 'DET-3.04', title: 'Organization or account call by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: true,
    description: 'An agent session called AWS Organizations or Account Management, reads included (reconnaissance); '
      + 'no agent has a reason to.',
  },
  {
    id: 'DET-3.05', title: 'Audit or detection tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session called one of the CloudTrail, CloudWatch Logs, EventBridge, GuardDuty or Config '
      + 'actions that the boundary denies as audit tampering (StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, '
      + 'DisableRule, DeleteDetector, ...).',
  },
  {
    id: 'DET-3.06', title: 'Audit bucket tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session called an S3 write (bucket policy, logging, lifecycle, deletion, ...) on the audit '
      + 'bucket. Object-level writes are seen only if the trail records S3 data events.',
  },
  {
    id: 'DET-3.07', title: 'Audit key tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session scheduled deletion of, disabled, re-permissioned or granted on the audit KMS key. '
      + 'The key is matched on requestParameters.keyId (when the caller passed the ARN) or on the record\'s resources '
      + '(when it passed the key id).',
  },
  {
    id: 'DET-3.08', title: 'Agent role assumed without a source identity', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'A successful sts:AssumeRole of a role under /agents/<env>/ with no SourceIdentity passed and none '
      + 'inherited from the caller\'s session: the session does not name whom the agent acts for. Trust policies deny it, '
      + 'so a match means a trust policy changed out of band. Denied attempts do not match (anyone can make one to get an '
      + 'agent revoked); DET-3.12 reports them to people.',
  },
  {
    id: 'DET-3.09', title: 'Agent role assumed by an undeclared principal', severity: Severity.HIGH, controlId: CONTROL, perAgent: true,
    readOnlyEvents: true, globalService: false,
    description: 'A successful sts:AssumeRole of the agent\'s role by a principal not declared for it: a role session '
      + 'whose sessionIssuer.arn (the caller\'s role ARN) is not declared, or an IAM user or root whose ARN is not. '
      + 'Cross-account callers are recorded as type AWSAccount without an ARN and are not judged here. Denied attempts '
      + 'do not match (they would let anyone get the agent revoked); DET-3.12 reports them to people.',
  },
  {
    id: 'DET-3.10', title: 'Agent acting outside its allowed regions', severity: Severity.HIGH, controlId: CONTROL, perAgent: true,
    readOnlyEvents: true, globalService: false, homeRegionOnly: true,
    description: 'A call by the agent\'s role in a region it is not allowed; global services, whose records always '
      + 'carry the home region, are ignored. LIMIT: EventBridge delivers an event only in the region of the call, and '
      + 'this rule is deployed in the stack\'s region only, so it sees calls made in the stack\'s region and nowhere '
      + 'else: it fires only when that region is not among the agent\'s allowed regions. Calls in other regions are '
      + 'denied by the agent\'s aws:RequestedRegion condition (IAM, not detection) and counted by the trail\'s '
      + 'denied-calls metric filter (multi-region trail); to see them in real time, forward every enabled region\'s '
      + 'CloudTrail events to this bus.',
  },
  {
    id: 'DET-3.11', title: 'GuardDuty finding on an agent role', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false, optional: true,
    description: 'A GuardDuty finding whose access key belongs to a session of an agent role (credential '
      + 'exfiltration, anomalous behaviour). Needs GuardDuty enabled in the account.',
  },
  {
    id: 'DET-3.12', title: 'Denied attempt to assume an agent role', severity: Severity.MEDIUM, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false, notifyOnly: true,
    description: 'sts:AssumeRole of a role under /agents/<env>/ failed with an authorization error. For people only: '
      + 'the record names the role someone tried to assume, not a wrongdoer, so it never raises that agent\'s risk or '
      + 'revokes it (a denial-of-service lever otherwise). When the caller is an agent session, DET-3.01 charges the '
      + 'caller\'s own agent.',
  },
  {
    id: 'DET-3.13', title: 'Change to the library\'s control plane', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false, notifyOnly: true,
    description: 'Any principal changed one of the environment\'s agent-iam-* Lambda functions (code, configuration, '
      + 'concurrency, permissions), EventBridge rules or their targets, DynamoDB tables (including resource policies and '
      + 'TTL) or the detections topic. Expected during a deploy (correlate with the pipeline); any other change can '
      + 'silently switch off revocation, token-age enforcement or detection.',
  },
  {
    id: 'DET-3.14', title: 'Token-age policy changed outside its Lambda', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: true, notifyOnly: true,
    description: 'A principal other than the environment\'s token-age Lambda created, deleted or set the default version '
      + 'of a token-age policy, deleted it or detached it from a role: a session-lifetime limit loosened or removed.',
  },
  {
    id: 'DET-3.15', title: 'Agent role assumed through break-glass', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false, notifyOnly: true, optional: true,
    description: 'A break-glass role (stage 4, adaptive.breakGlassRoleArns) called sts:AssumeRole on an agent role, '
      + 'successfully or not. People are told at once; nothing is revoked, since break-glass is how people act while '
      + 'the broker is down. Deployed when break-glass roles are declared.',
  },
];

/** The ARN prefix of every agent role of the environment: `arn:<partition>:iam::<account>:role/agents/<env>/`. */
export function agentRoleArnPrefix(ctx: DetectionContext): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role${agentRolePath(ctx.environment)}`;
}

/** The caller is a session of an agent role of the environment. */
function byAnyAgent(ctx: DetectionContext): EventPattern {
  return { sessionContext: { sessionIssuer: { arn: [{ prefix: agentRoleArnPrefix(ctx) }] } } };
}

function cloudTrail(sources: string[], detail: EventPattern): EventPattern {
  return { source: sources, 'detail-type': [CLOUDTRAIL_DETAIL_TYPE], detail };
}

/** A CloudTrail event from any AWS service (never a custom source). */
function anyAwsCloudTrail(detail: EventPattern): EventPattern {
  return { source: [{ prefix: AWS_SOURCE_PREFIX }], 'detail-type': [CLOUDTRAIL_DETAIL_TYPE], detail };
}

/** The library's role of a function: `arn:<p>:iam::<acct>:role/agent-iam/<function name>` (HardenedFunction). */
export function libraryFunctionRoleArn(partition: string, accountId: string, functionName: string): string {
  return `arn:${partition}:iam::${accountId}:role/agent-iam/${functionName}`;
}

/** Event names of the boundary's denied actions of one service (`cloudtrail:StopLogging` -> `StopLogging`). */
function eventNamesOf(service: string, actions: string[]): string[] {
  return actions.filter((a) => a.startsWith(`${service}:`)).map((a) => a.slice(service.length + 1));
}

/** `anything-but` a list, or "present at all" when the list is empty (EventBridge rejects empty arrays). */
function notAnyOf(values: string[]): unknown[] {
  return values.length > 0 ? [{ 'anything-but': values }] : [{ exists: true }];
}

type StackPattern = (ctx: DetectionContext) => EventPattern | undefined;
/**
 * A pattern on per-agent facts for one group of agents: `roles` matches the agents' role ARNs
 * (their path prefix when the group is every agent, else their ARNs), `facts` is what the group
 * shares. Undefined when the facts give nothing to judge.
 */
type GroupPattern = (ctx: DetectionContext, facts: string[], roles: unknown[]) => EventPattern | undefined;

/** How a rule on per-agent facts groups agents: the facts they must share, or undefined to leave an agent out. */
type FactsOf = (agent: DetectionAgent) => string[] | undefined;

const STACK_PATTERNS: Record<string, StackPattern> = {
  'DET-3.01': (ctx) => anyAwsCloudTrail({
    userIdentity: byAnyAgent(ctx),
    errorCode: denialErrorCodeFilter(),
  }),
  'DET-3.02': (ctx) => cloudTrail(['aws.iam'], {
    eventSource: ['iam.amazonaws.com'],
    eventName: IAM_WRITE_EVENT_PREFIXES.map((p) => ({ prefix: p })),
    userIdentity: byAnyAgent(ctx),
  }),
  'DET-3.03': (ctx) => cloudTrail(['aws.sts'], {
    eventSource: ['sts.amazonaws.com'],
    eventName: ['AssumeRole'],
    userIdentity: byAnyAgent(ctx),
    requestParameters: { roleArn: [{ 'anything-but': { prefix: agentRoleArnPrefix(ctx) } }] },
  }),
  'DET-3.04': (ctx) => cloudTrail(['aws.organizations', 'aws.account'], {
    eventSource: ['organizations.amazonaws.com', 'account.amazonaws.com'],
    userIdentity: byAnyAgent(ctx),
  }),
  'DET-3.05': (ctx) => {
    const services = ['cloudtrail', 'logs', 'events', 'guardduty', 'config'];
    return cloudTrail(services.map((s) => `aws.${s}`), {
      userIdentity: byAnyAgent(ctx),
      $or: services
        .map((s) => ({ eventSource: [`${s}.amazonaws.com`], eventName: eventNamesOf(s, AUDIT_TAMPER_ACTIONS) }))
        .filter((branch) => branch.eventName.length > 0),
    });
  },
  'DET-3.06': (ctx) => (ctx.auditBucketName === undefined ? undefined : cloudTrail(['aws.s3'], {
    eventSource: ['s3.amazonaws.com'],
    // s3:Put* and friends; CloudTrail names some calls differently from the action (PutBucketLifecycle), prefixes catch both.
    eventName: AUDIT_STORE_ACTIONS.map((a) => ({ prefix: a.replace(/^s3:/, '').replace(/\*$/, '') })),
    userIdentity: byAnyAgent(ctx),
    requestParameters: { bucketName: [ctx.auditBucketName] },
  })),
  'DET-3.07': (ctx) => (ctx.auditKeyArn === undefined ? undefined : cloudTrail(['aws.kms'], {
    eventSource: ['kms.amazonaws.com'],
    eventName: AUDIT_KEY_EVENT_NAMES,
    userIdentity: byAnyAgent(ctx),
    $or: [
      { requestParameters: { keyId: [ctx.auditKeyArn] } },
      { resources: { ARN: [ctx.auditKeyArn] } },
    ],
  })),
  'DET-3.08': (ctx) => cloudTrail(['aws.sts'], {
    eventSource: ['sts.amazonaws.com'],
    eventName: ['AssumeRole'],
    // Successful assumptions only: a denied attempt names its victim, not its author.
    errorCode: [{ exists: false }],
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }], sourceIdentity: [{ exists: false }] },
    userIdentity: { sessionContext: { sourceIdentity: [{ exists: false }] } },
  }),
  'DET-3.12': (ctx) => cloudTrail(['aws.sts'], {
    eventSource: ['sts.amazonaws.com'],
    eventName: ['AssumeRole'],
    errorCode: denialErrorCodeFilter(),
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }] },
  }),
  'DET-3.13': (ctx) => {
    const env = ctx.environment;
    // Function, table and topic names are `agent-iam-<kind>-<env>`; rule names `agent-iam-<env>-<name>`.
    const named = [{ wildcard: `*agent-iam-*-${env}` }];
    const ruleNamed = [{ wildcard: `*agent-iam-${env}-*` }];
    const writes = CONTROL_PLANE_WRITE_PREFIXES.map((p) => ({ prefix: p }));
    return cloudTrail(['aws.lambda', 'aws.events', 'aws.dynamodb', 'aws.sns'], {
      eventName: writes,
      $or: [
        { eventSource: ['lambda.amazonaws.com'], requestParameters: { functionName: named } },
        { eventSource: ['events.amazonaws.com'], requestParameters: { name: ruleNamed } },
        { eventSource: ['events.amazonaws.com'], requestParameters: { rule: ruleNamed } },
        { eventSource: ['dynamodb.amazonaws.com'], requestParameters: { tableName: named } },
        { eventSource: ['dynamodb.amazonaws.com'], requestParameters: { resourceArn: named } },
        { eventSource: ['sns.amazonaws.com'], requestParameters: { topicArn: named } },
        { eventSource: ['sns.amazonaws.com'], requestParameters: { subscriptionArn: [{ wildcard: `*agent-iam-*-${env}:*` }] } },
      ],
    });
  },
  'DET-3.14': (ctx) => cloudTrail(['aws.iam'], {
    eventSource: ['iam.amazonaws.com'],
    eventName: TOKEN_AGE_POLICY_EVENT_NAMES,
    requestParameters: { policyArn: [{ wildcard: `*:policy${agentRolePath(ctx.environment)}agent-token-age-*` }] },
    $or: [
      { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [libraryFunctionRoleArn(ctx.partition, ctx.accountId, `agent-iam-token-age-${ctx.environment}`)] }] } } } },
      { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
    ],
  }),
  'DET-3.15': (ctx) => (!ctx.breakGlassRoleArns || ctx.breakGlassRoleArns.length === 0 ? undefined : cloudTrail(['aws.sts'], {
    eventSource: ['sts.amazonaws.com'],
    eventName: ['AssumeRole'],
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }] },
    userIdentity: { sessionContext: { sessionIssuer: { arn: [...ctx.breakGlassRoleArns] } } },
  })),
};

const GROUP_PATTERNS: Record<string, { facts: FactsOf; pattern: GroupPattern }> = {
  'DET-3.09': {
    facts: (agent) => agent.declaredPrincipalArns,
    pattern: (_ctx, declared, roles) => cloudTrail(['aws.sts'], {
      eventSource: ['sts.amazonaws.com'],
      eventName: ['AssumeRole'],
      // Successful assumptions only: a denied attempt names its victim, not its author.
      errorCode: [{ exists: false }],
      requestParameters: { roleArn: roles },
      $or: [
        // A role session calling AssumeRole is recorded as the session (sts ARN, no path);
        // the role it belongs to, as declared in the trust policy, is the session issuer.
        { userIdentity: { sessionContext: { sessionIssuer: { arn: notAnyOf(declared) } } } },
        { userIdentity: { type: ['IAMUser', 'Root'], arn: notAnyOf(declared) } },
      ],
    }),
  },
  'DET-3.10': {
    facts: (agent) => (agent.allowedRegions && agent.allowedRegions.length > 0 ? agent.allowedRegions : undefined),
    pattern: (_ctx, regions, roles) => anyAwsCloudTrail({
      userIdentity: { sessionContext: { sessionIssuer: { arn: roles } } },
      awsRegion: [{ 'anything-but': regions }],
      eventSource: [{ 'anything-but': GLOBAL_EVENT_SOURCES }],
    }),
  },
};

/**
 * Rules that name agents where EventBridge offers no path to match on (GuardDuty findings carry
 * the role name only): the agents' names are listed, in as many patterns as the size limit needs.
 */
const NAMED_PATTERNS: Record<string, (ctx: DetectionContext, roleNames: string[]) => EventPattern> = {
  'DET-3.11': (_ctx, roleNames) => ({
    source: ['aws.guardduty'],
    'detail-type': [GUARDDUTY_DETAIL_TYPE],
    detail: { resource: { accessKeyDetails: { userType: ['AssumedRole'], userName: roleNames } } },
  }),
};

/**
 * The size EventBridge counts for a pattern once Terraform resolves it: the account id (often a
 * reference) counts 12 characters, any other unresolved reference or token
 * `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE`.
 */
export function eventPatternSize(pattern: EventPattern, ctx: Pick<DetectionContext, 'accountId'>): number {
  return resolvedSize(JSON.stringify(pattern), ctx);
}

function resolvedSize(json: string, ctx: Pick<DetectionContext, 'accountId'>): number {
  if (!/^\d{12}$/.test(ctx.accountId) && ctx.accountId.length > 0) json = json.split(ctx.accountId).join('000000000000');
  let size = json.length;
  for (const m of json.match(/\$\{[^}]*\}/g) ?? []) size += AwsLimits.UNRESOLVED_TOKEN_ESTIMATE - m.length;
  return size;
}

/**
 * Splits `items` into the fewest consecutive chunks whose pattern, built by `build`, stays within
 * `max` characters (a chunk of one item is kept even when over: the size check reports it).
 */
function chunkBySize(items: string[], build: (chunk: string[]) => EventPattern, ctx: DetectionContext, max: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = eventPatternSize(build([]), ctx);
  for (const item of items) {
    // One more list item: its JSON string and a comma.
    const grow = resolvedSize(JSON.stringify(item), ctx) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + grow > max) {
      chunks.push(current);
      current = [];
      size = eventPatternSize(build([]), ctx);
    }
    size += resolvedSize(JSON.stringify(item), ctx) + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function uniqSorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

/** The patterns of one rule on per-agent facts: one per group of agents sharing the facts, split to fit. */
function groupPatterns(ctx: DetectionContext, rule: DetectionRule, slug: string, max: number): DetectionPattern[] {
  const g = GROUP_PATTERNS[rule.id];
  const groups = new Map<string, { facts: string[]; agents: DetectionAgent[] }>();
  for (const agent of ctx.agents) {
    const raw = g.facts(agent);
    if (raw === undefined) continue;
    const facts = uniqSorted(raw);
    const key = JSON.stringify(facts);
    if (!groups.has(key)) groups.set(key, { facts, agents: [] });
    groups.get(key)!.agents.push(agent);
  }
  const out: DetectionPattern[] = [];
  for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const names = group.agents.map((a) => a.name).sort();
    if (group.agents.length === ctx.agents.length) {
      // Every agent shares the facts: match on the path, whatever the number of agents.
      const pattern = g.pattern(ctx, group.facts, [{ prefix: agentRoleArnPrefix(ctx) }]);
      if (pattern) out.push({ rule, agents: names, name: slug, pattern });
      continue;
    }
    const byArn = new Map(group.agents.map((a) => [a.roleArn, a.name]));
    const build = (arns: string[]) => g.pattern(ctx, group.facts, arns) ?? {};
    const chunks = chunkBySize([...byArn.keys()].sort(), build, ctx, max);
    chunks.forEach((arns, i) => {
      const pattern = g.pattern(ctx, group.facts, arns);
      const name = `${slug}-${shortHash(key)}${chunks.length > 1 ? `-${i + 1}` : ''}`;
      if (pattern) out.push({ rule, agents: arns.map((a) => byArn.get(a)!).sort(), name, pattern });
    });
  }
  return out;
}

function namedPatterns(ctx: DetectionContext, rule: DetectionRule, slug: string, max: number): DetectionPattern[] {
  if (ctx.agents.length === 0) return [];
  const build = NAMED_PATTERNS[rule.id];
  const byRole = new Map(ctx.agents.map((a) => [agentRoleName(a.name, ctx.environment), a.name]));
  const chunks = chunkBySize([...byRole.keys()].sort(), (names) => build(ctx, names), ctx, max);
  return chunks.map((roles, i) => ({
    rule, agents: roles.map((r) => byRole.get(r)!).sort(), name: chunks.length > 1 ? `${slug}-${i + 1}` : slug, pattern: build(ctx, roles),
  }));
}

/**
 * The concrete event patterns of an environment: one per environment-wide rule; for rules on
 * per-agent facts, one per group of agents sharing those facts (matching on the agents' path when
 * the group is every agent), each split into as few patterns as `maxPatternSize` allows.
 */
export function detectionPatterns(ctx: DetectionContext): DetectionPattern[] {
  const max = ctx.maxPatternSize ?? EVENT_PATTERN_MAX;
  const out: DetectionPattern[] = [];
  for (const rule of DETECTION_RULES) {
    const slug = rule.id.toLowerCase();
    if (GROUP_PATTERNS[rule.id]) {
      out.push(...groupPatterns(ctx, rule, slug, max));
    } else if (NAMED_PATTERNS[rule.id]) {
      out.push(...namedPatterns(ctx, rule, slug, max));
    } else {
      const pattern = STACK_PATTERNS[rule.id]?.(ctx);
      if (pattern) out.push({ rule, name: slug, pattern });
    }
  }
  return out;
}

/** The prefix of every detection rule name of an environment (`agent-iam-<env>-det-`), for source-ARN conditions. */
export function detectionRuleNamePrefix(environment: string): string {
  return `agent-iam-${environment}-det-`.replace(/[^.\-_A-Za-z0-9]/g, '-');
}

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

/** Rule ids that have no pattern builder (a catalog entry without a pattern is a defect). */
export function rulesWithoutPattern(): string[] {
  return DETECTION_RULES.filter((r) => !(r.perAgent ? GROUP_PATTERNS[r.id] : STACK_PATTERNS[r.id] ?? NAMED_PATTERNS[r.id])).map((r) => r.id);
}

/** FNV-1a, 32 bits: a short stable suffix for names that must be cut. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The EventBridge rule name of a detection pattern: `agent-iam-<env>-<name>`, characters outside
 * `[.\-_A-Za-z0-9]` replaced by `-`, cut to 64 characters with a hash of the full name when longer.
 */
export function ruleName(environment: string, name: string): string {
  const full = `agent-iam-${environment}-${name}`.replace(/[^.\-_A-Za-z0-9]/g, '-');
  if (full.length <= RULE_NAME_MAX) return full;
  const hash = shortHash(full);
  return `${full.slice(0, RULE_NAME_MAX - hash.length - 1)}-${hash}`;
}
