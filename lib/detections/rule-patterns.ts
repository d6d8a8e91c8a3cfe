/**
 * The event pattern of each rule of the catalog, keyed by rule id, in three kinds: rules on the
 * environment (one pattern), rules on per-agent facts (one pattern per group of agents sharing
 * the facts) and rules that must list agents by role name. `rulesWithoutPattern` is the
 * catalog's self-check.
 */
import { AUDIT_STORE_ACTIONS, AUDIT_TAMPER_ACTIONS } from '../boundary';
import { agentRolePath, libraryResourceNamePattern, libraryRuleNamePattern, TOKEN_AGE_POLICY_NAME_PATTERN, tokenAgeFunctionName } from '../naming';
import { DETECTION_RULES } from './catalog';
import {
  AUDIT_KEY_EVENT_NAMES, CONTROL_PLANE_WRITE_PREFIXES, denialErrorCodeFilter, GLOBAL_EVENT_SOURCES, GUARDDUTY_DETAIL_TYPE,
  IAM_WRITE_EVENT_PREFIXES, TOKEN_AGE_POLICY_EVENT_NAMES,
} from './cloudtrail-events';
import { DetectionAgent, DetectionContext } from './context';
import {
  agentRoleArnPrefix, assumeRoleCalls, byAnyAgent, cloudTrail, EventPattern, eventNamesOf, eventPattern, libraryFunctionRoleArn,
  notAnyOf, serviceCalls, sessionIssuedBy,
} from './event-patterns';

type StackPattern = (ctx: DetectionContext) => EventPattern | undefined;
/**
 * A pattern on per-agent facts for one group of agents: `roles` matches the agents' role ARNs
 * (their path prefix when the group is every agent, else their ARNs), `facts` is what the group
 * shares. Undefined when the facts give nothing to judge.
 */
type GroupPattern = (ctx: DetectionContext, facts: string[], roles: unknown[]) => EventPattern | undefined;

/** How a rule on per-agent facts groups agents: the facts they must share, or undefined to leave an agent out. */
type FactsOf = (agent: DetectionAgent) => string[] | undefined;

/** Rules on the environment: one pattern each, or none when the context lacks what the rule watches. */
export const STACK_PATTERNS: Record<string, StackPattern> = {
  'DET-3.01': (ctx) => cloudTrail({
    userIdentity: byAnyAgent(ctx),
    errorCode: denialErrorCodeFilter(),
  }),
  'DET-3.02': (ctx) => serviceCalls('iam', {
    eventName: IAM_WRITE_EVENT_PREFIXES.map((p) => ({ prefix: p })),
    userIdentity: byAnyAgent(ctx),
  }),
  'DET-3.03': (ctx) => assumeRoleCalls({
    userIdentity: byAnyAgent(ctx),
    requestParameters: { roleArn: [{ 'anything-but': { prefix: agentRoleArnPrefix(ctx) } }] },
  }),
  'DET-3.04': (ctx) => cloudTrail({
    eventSource: ['organizations.amazonaws.com', 'account.amazonaws.com'],
    userIdentity: byAnyAgent(ctx),
  }, ['aws.organizations', 'aws.account']),
  'DET-3.05': (ctx) => {
    const services = ['cloudtrail', 'logs', 'events', 'guardduty', 'config'];
    return cloudTrail({
      userIdentity: byAnyAgent(ctx),
      $or: services
        .map((s) => ({ eventSource: [`${s}.amazonaws.com`], eventName: eventNamesOf(s, AUDIT_TAMPER_ACTIONS) }))
        .filter((branch) => branch.eventName.length > 0),
    }, services.map((s) => `aws.${s}`));
  },
  'DET-3.06': (ctx) => (ctx.auditBucketName === undefined ? undefined : serviceCalls('s3', {
    // s3:Put* and friends; CloudTrail names some calls differently from the action (PutBucketLifecycle), prefixes catch both.
    eventName: AUDIT_STORE_ACTIONS.map((a) => ({ prefix: a.replace(/^s3:/, '').replace(/\*$/, '') })),
    userIdentity: byAnyAgent(ctx),
    requestParameters: { bucketName: [ctx.auditBucketName] },
  })),
  'DET-3.07': (ctx) => (ctx.auditKeyArn === undefined ? undefined : serviceCalls('kms', {
    eventName: AUDIT_KEY_EVENT_NAMES,
    userIdentity: byAnyAgent(ctx),
    $or: [
      { requestParameters: { keyId: [ctx.auditKeyArn] } },
      { resources: { ARN: [ctx.auditKeyArn] } },
    ],
  })),
  'DET-3.08': (ctx) => assumeRoleCalls({
    // Successful assumptions only: a denied attempt names its victim, not its author.
    errorCode: [{ exists: false }],
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }], sourceIdentity: [{ exists: false }] },
    userIdentity: { sessionContext: { sourceIdentity: [{ exists: false }] } },
  }),
  'DET-3.12': (ctx) => assumeRoleCalls({
    errorCode: denialErrorCodeFilter(),
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }] },
  }),
  'DET-3.13': (ctx) => {
    const env = ctx.environment;
    // Function, table and topic names are `agent-iam-<kind>-<env>`; rule names `agent-iam-<env>-<name>`.
    const named = [{ wildcard: `*${libraryResourceNamePattern(env)}` }];
    const ruleNamed = [{ wildcard: `*${libraryRuleNamePattern(env)}` }];
    const writes = CONTROL_PLANE_WRITE_PREFIXES.map((p) => ({ prefix: p }));
    return cloudTrail({
      eventName: writes,
      $or: [
        { eventSource: ['lambda.amazonaws.com'], requestParameters: { functionName: named } },
        { eventSource: ['events.amazonaws.com'], requestParameters: { name: ruleNamed } },
        { eventSource: ['events.amazonaws.com'], requestParameters: { rule: ruleNamed } },
        { eventSource: ['dynamodb.amazonaws.com'], requestParameters: { tableName: named } },
        { eventSource: ['dynamodb.amazonaws.com'], requestParameters: { resourceArn: named } },
        { eventSource: ['sns.amazonaws.com'], requestParameters: { topicArn: named } },
        { eventSource: ['sns.amazonaws.com'], requestParameters: { subscriptionArn: [{ wildcard: `*${libraryResourceNamePattern(env)}:*` }] } },
      ],
    }, ['aws.lambda', 'aws.events', 'aws.dynamodb', 'aws.sns']);
  },
  'DET-3.14': (ctx) => serviceCalls('iam', {
    eventName: TOKEN_AGE_POLICY_EVENT_NAMES,
    requestParameters: { policyArn: [{ wildcard: `*:policy${agentRolePath(ctx.environment)}${TOKEN_AGE_POLICY_NAME_PATTERN}` }] },
    $or: [
      { userIdentity: sessionIssuedBy([{ 'anything-but': [libraryFunctionRoleArn(ctx.partition, ctx.accountId, tokenAgeFunctionName(ctx.environment))] }]) },
      { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
    ],
  }),
  'DET-3.15': (ctx) => (!ctx.breakGlassRoleArns || ctx.breakGlassRoleArns.length === 0 ? undefined : assumeRoleCalls({
    requestParameters: { roleArn: [{ prefix: agentRoleArnPrefix(ctx) }] },
    userIdentity: sessionIssuedBy([...ctx.breakGlassRoleArns]),
  })),
};

/** Rules on per-agent facts: what groups the agents, and the pattern of one group. */
export const GROUP_PATTERNS: Record<string, { facts: FactsOf; pattern: GroupPattern }> = {
  'DET-3.09': {
    facts: (agent) => agent.declaredPrincipalArns,
    pattern: (_ctx, declared, roles) => assumeRoleCalls({
      // Successful assumptions only: a denied attempt names its victim, not its author.
      errorCode: [{ exists: false }],
      requestParameters: { roleArn: roles },
      $or: [
        // A role session calling AssumeRole is recorded as the session (sts ARN, no path);
        // the role it belongs to, as declared in the trust policy, is the session issuer.
        { userIdentity: sessionIssuedBy(notAnyOf(declared)) },
        { userIdentity: { type: ['IAMUser', 'Root'], arn: notAnyOf(declared) } },
      ],
    }),
  },
  'DET-3.10': {
    facts: (agent) => (agent.allowedRegions && agent.allowedRegions.length > 0 ? agent.allowedRegions : undefined),
    pattern: (_ctx, regions, roles) => cloudTrail({
      userIdentity: sessionIssuedBy(roles),
      awsRegion: [{ 'anything-but': regions }],
      eventSource: [{ 'anything-but': GLOBAL_EVENT_SOURCES }],
    }),
  },
};

/**
 * Rules that name agents where EventBridge offers no path to match on (GuardDuty findings carry
 * the role name only): the agents' names are listed, in as many patterns as the size limit needs.
 */
export const NAMED_PATTERNS: Record<string, (ctx: DetectionContext, roleNames: string[]) => EventPattern> = {
  'DET-3.11': (_ctx, roleNames) => eventPattern(GUARDDUTY_DETAIL_TYPE,
    { resource: { accessKeyDetails: { userType: ['AssumedRole'], userName: roleNames } } },
    ['aws.guardduty']),
};

/** Rule ids that have no pattern builder (a catalog entry without a pattern is a defect). */
export function rulesWithoutPattern(): string[] {
  return DETECTION_RULES.filter((r) => !(r.perAgent ? GROUP_PATTERNS[r.id] : STACK_PATTERNS[r.id] ?? NAMED_PATTERNS[r.id])).map((r) => r.id);
}
