/**
 * Real-time detection: every event pattern of the catalog, run by moto's EventBridge matcher
 * (test/support/match_events.py) against real-shaped CloudTrail records and GuardDuty findings:
 * the call the rule exists for must match, its near misses must not.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import {
  AUDIT_KEY_EVENT_NAMES, CLOUDTRAIL_DETAIL_TYPE, DENIAL_ERROR_CODES, DETECTION_RULES, DetectionContext, EVENT_PATTERN_MAX, EventPattern,
  RULE_NAME_MAX, Severity, DetectionPattern, deniedCallsMetricFilterPattern, detectionPatterns, detectionRuleNamePrefix,
  eventPatternSize, ruleName, rulesWithoutPattern,
} from '../lib/detections';
import { REVOKING_SEVERITIES } from '../lib/revocation';
import { ControlCatalog } from '../lib/maturity';
import { venvBin } from './support/engine';

const ACCOUNT = '111122223333';
const role = (name: string, p = '/') => `arn:aws:iam::${ACCOUNT}:role${p}${name}`;
const RESEARCH = role('agent-research-dev', '/agents/dev/');
const TRIAGE = role('agent-support-triage-dev', '/agents/dev/');
const RESEARCH_RUNTIME = role('research-runtime');
const ORCHESTRATOR = role('agent-orchestrator-dev'); // named like an agent, but not one: no /agents/dev/ path
const ADMIN = role('platform-admin');
const BREAK_GLASS = role('break-glass-oncall');
const TOKEN_AGE_FN_ROLE = role('agent-iam-token-age-dev', '/agent-iam/');
const AUDIT_BUCKET = `agent-audit-dev-${ACCOUNT}`;
const AUDIT_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0`;
const OTHER_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a`;

const CTX: DetectionContext = {
  partition: 'aws', accountId: ACCOUNT, environment: 'dev', auditBucketName: AUDIT_BUCKET, auditKeyArn: AUDIT_KEY,
  agents: [
    { name: 'research', roleArn: RESEARCH, declaredPrincipalArns: [RESEARCH_RUNTIME], allowedRegions: ['us-east-1', 'eu-west-1'] },
    { name: 'support-triage', roleArn: TRIAGE, declaredPrincipalArns: [ORCHESTRATOR], allowedRegions: ['eu-west-1'] },
  ],
  breakGlassRoleArns: [BREAK_GLASS],
};

// ---------------------------------------------------------------------------------------------
// Real-shaped records, after the CloudTrail record and EventBridge envelope AWS documents.

let serial = 0;
const uuid = () => `6f1c2a9e-${(++serial).toString(16).padStart(4, '0')}-4b1f-9f4e-5a2b8c7d9e10`;
const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
const roleId = (arn: string) => `AROA${Buffer.from(roleName(arn)).toString('hex').toUpperCase().slice(0, 17)}`;

/** userIdentity of a call made with a session of `roleArn`. */
function session(roleArn: string, sessionName: string, sourceIdentity?: string): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `${roleId(roleArn)}:${sessionName}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName(roleArn)}/${sessionName}`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAQRSTUVWXY2EXAMPLE',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId(roleArn), arn: roleArn, accountId: ACCOUNT, userName: roleName(roleArn) },
      webIdFederationData: {},
      attributes: { creationDate: '2026-03-14T09:12:07Z', mfaAuthenticated: 'false' },
      ...(sourceIdentity ? { sourceIdentity } : {}),
    },
  };
}
const agent = (roleArn: string) => session(roleArn, 'task-42', 'alice@example.com');
const iamUser = (name: string) => ({
  type: 'IAMUser', principalId: 'AIDAJQABLZS4A3QDU576Q', arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT,
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: name,
});

interface Call {
  readonly caller: Record<string, unknown>;
  readonly service: string;
  readonly eventName: string;
  readonly region?: string;
  readonly requestParameters?: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
  /** AccessDenied, Client.UnauthorizedOperation, ...; omitted for a successful call. */
  readonly errorCode?: string;
  readonly readOnly?: boolean;
  readonly resources?: Record<string, unknown>[];
}

/** The EventBridge event of one CloudTrail management event. */
function cloudTrailEvent(c: Call): EventPattern {
  const region = c.region ?? 'eu-west-1';
  const requestID = uuid();
  return {
    'version': '0',
    'id': uuid(),
    'detail-type': CLOUDTRAIL_DETAIL_TYPE,
    'source': `aws.${c.service}`,
    'account': ACCOUNT,
    'time': '2026-03-14T09:26:53Z',
    'region': region,
    'resources': [],
    'detail': {
      eventVersion: '1.09',
      userIdentity: c.caller,
      eventTime: '2026-03-14T09:26:53Z',
      eventSource: `${c.service}.amazonaws.com`,
      eventName: c.eventName,
      awsRegion: region,
      sourceIPAddress: '203.0.113.24',
      userAgent: `aws-sdk-js/3.654.0 ua/2.1 os/linux#5.10.226 lang/js md/nodejs#20.17.0 api/${c.service}#3.654.0`,
      ...(c.errorCode ? {
        errorCode: c.errorCode,
        errorMessage: `User: ${c.caller.arn} is not authorized to perform: ${c.service}:${c.eventName} because no permissions boundary allows the ${c.service}:${c.eventName} action`,
      } : {}),
      requestParameters: c.requestParameters ?? null,
      responseElements: c.errorCode ? null : (c.responseElements ?? null),
      requestID,
      eventID: uuid(),
      readOnly: c.readOnly ?? false,
      ...(c.resources ? { resources: c.resources } : {}),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
      tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${c.service}.${region}.amazonaws.com` },
    },
  };
}

/** An sts:AssumeRole record as CloudTrail writes it. */
function assumeRole(caller: Record<string, unknown>, roleArn: string, opts: { sourceIdentity?: string; errorCode?: string; region?: string } = {}): EventPattern {
  return cloudTrailEvent({
    caller, service: 'sts', eventName: 'AssumeRole', readOnly: true, region: opts.region, errorCode: opts.errorCode,
    requestParameters: {
      roleArn, roleSessionName: 'task-42', durationSeconds: 900,
      ...(opts.sourceIdentity ? { sourceIdentity: opts.sourceIdentity } : {}),
    },
    responseElements: {
      credentials: { accessKeyId: 'ASIAQRSTUVWXY3EXAMPLE', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: 'Mar 14, 2026, 9:41:53 AM' },
      assumedRoleUser: { assumedRoleId: `${roleId(roleArn)}:task-42`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName(roleArn)}/task-42` },
      ...(opts.sourceIdentity ? { sourceIdentity: opts.sourceIdentity } : {}),
    },
    resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: roleArn }],
  });
}

const secretValue = (caller: Record<string, unknown>, errorCode?: string) => cloudTrailEvent({
  caller, service: 'secretsmanager', eventName: 'GetSecretValue', readOnly: true, errorCode,
  requestParameters: { secretId: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:support/zendesk-token-AbC123` },
});
const describeTable = (caller: Record<string, unknown>, region: string) => cloudTrailEvent({
  caller, service: 'dynamodb', eventName: 'DescribeTable', readOnly: true, region, requestParameters: { tableName: 'tickets' },
});
const attachRolePolicy = (caller: Record<string, unknown>) => cloudTrailEvent({
  caller, service: 'iam', eventName: 'AttachRolePolicy', region: 'us-east-1', errorCode: 'AccessDenied',
  requestParameters: { roleName: roleName(RESEARCH), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
});
const getRole = (caller: Record<string, unknown>) => cloudTrailEvent({
  caller, service: 'iam', eventName: 'GetRole', region: 'us-east-1', readOnly: true, requestParameters: { roleName: roleName(RESEARCH) },
});
const listAccounts = (caller: Record<string, unknown>) => cloudTrailEvent({
  caller, service: 'organizations', eventName: 'ListAccounts', region: 'us-east-1', readOnly: true, errorCode: 'AccessDeniedException',
});
const trailCall = (caller: Record<string, unknown>, eventName: string, readOnly = false) => cloudTrailEvent({
  caller, service: 'cloudtrail', eventName, readOnly, errorCode: readOnly ? undefined : 'AccessDenied',
  requestParameters: { name: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/agent-audit-dev` },
});
const bucketCall = (caller: Record<string, unknown>, eventName: string, bucketName: string) => cloudTrailEvent({
  caller, service: 's3', eventName, errorCode: 'AccessDenied',
  requestParameters: { bucketName, Host: `${bucketName}.s3.eu-west-1.amazonaws.com`, [eventName === 'PutBucketPolicy' ? 'policy' : 'lifecycle']: '' },
  resources: [{ accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucketName}` }],
});
const scheduleKeyDeletion = (caller: Record<string, unknown>, keyArn: string) => cloudTrailEvent({
  caller, service: 'kms', eventName: 'ScheduleKeyDeletion', errorCode: 'AccessDeniedException',
  requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
  resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: keyArn }],
});

/** A GuardDuty finding on EventBridge whose access key belongs to a session of `roleArn`. */
function guardDutyFinding(roleArn: string): EventPattern {
  return {
    'version': '0', 'id': uuid(), 'detail-type': 'GuardDuty Finding', 'source': 'aws.guardduty', 'account': ACCOUNT,
    'time': '2026-03-14T09:40:11Z', 'region': 'eu-west-1', 'resources': [],
    'detail': {
      schemaVersion: '2.0', accountId: ACCOUNT, region: 'eu-west-1', partition: 'aws', id: '7ec6d1ab4fdc28e3f1a0example',
      arn: `arn:aws:guardduty:eu-west-1:${ACCOUNT}:detector/12c9example/finding/7ec6d1ab4fdc28e3f1a0example`,
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      resource: {
        resourceType: 'AccessKey',
        accessKeyDetails: { accessKeyId: 'ASIAQRSTUVWXY2EXAMPLE', principalId: `${roleId(roleArn)}:task-42`, userName: roleName(roleArn), userType: 'AssumedRole' },
      },
      service: {
        serviceName: 'guardduty', detectorId: '12c9example', action: { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'ListBuckets', serviceName: 's3.amazonaws.com', callerType: 'Remote IP' } },
        eventFirstSeen: '2026-03-14T09:31:02Z', eventLastSeen: '2026-03-14T09:35:40Z', archived: false, count: 1,
      },
      severity: 8, createdAt: '2026-03-14T09:40:11.031Z', updatedAt: '2026-03-14T09:40:11.031Z',
      title: `Credentials for instance role ${roleName(roleArn)} used from external IP address.`,
      description: `Credentials created exclusively for an EC2 instance using role ${roleName(roleArn)} have been used from external IP address 198.51.100.7.`,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The cases: for each concrete pattern, the events that must match and the near misses.

interface Expectations { readonly match: [string, EventPattern][]; readonly miss: [string, EventPattern][] }

const EXPECTATIONS: Record<string, Expectations> = {
  'det-3.01': {
    match: [
      ['secretsmanager:GetSecretValue by an agent, AccessDenied', secretValue(agent(RESEARCH), 'AccessDenied')],
      ['sns:Publish by an agent, AuthorizationError (SNS\'s word for a denial)', cloudTrailEvent({
        caller: agent(RESEARCH), service: 'sns', eventName: 'Publish', errorCode: 'AuthorizationError',
        requestParameters: { topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:payments` },
      })],
      ['cognito-idp:AdminGetUser by an agent, NotAuthorizedException', cloudTrailEvent({
        caller: agent(RESEARCH), service: 'cognito-idp', eventName: 'AdminGetUser', readOnly: true, errorCode: 'NotAuthorizedException',
      })],
      ['sts:AssumeRole of a peer agent by an agent, denied (charged to the caller)', assumeRole(agent(TRIAGE), RESEARCH, { errorCode: 'AccessDenied' })],
      ['ec2:DescribeInstances by an agent, Client.UnauthorizedOperation', cloudTrailEvent({
        caller: agent(TRIAGE), service: 'ec2', eventName: 'DescribeInstances', readOnly: true, errorCode: 'Client.UnauthorizedOperation',
        requestParameters: { instancesSet: {}, filterSet: {} },
      })],
      ['organizations:ListAccounts by an agent, AccessDeniedException', listAccounts(agent(RESEARCH))],
    ],
    miss: [
      ['the same call by an agent, successful', secretValue(agent(RESEARCH))],
      ['the same denial for a non-agent role', secretValue(session(RESEARCH_RUNTIME, 'runtime-7'), 'AccessDenied')],
      ['a throttled call by an agent', secretValue(agent(RESEARCH), 'ThrottlingException')],
      ['a custom event forged on the default bus with the same detail', { ...secretValue(agent(RESEARCH), 'AccessDenied'), source: 'attacker.forged' }],
    ],
  },
  'det-3.02': {
    match: [['iam:AttachRolePolicy AdministratorAccess by an agent', attachRolePolicy(agent(RESEARCH))]],
    miss: [
      ['iam:GetRole by an agent (a read)', getRole(agent(RESEARCH))],
      ['iam:AttachRolePolicy by a non-agent admin role', attachRolePolicy(session(ADMIN, 'jdoe'))],
    ],
  },
  'det-3.03': {
    match: [['an agent assuming OrganizationAccountAccessRole', assumeRole(agent(RESEARCH), role('OrganizationAccountAccessRole'), { errorCode: 'AccessDenied' })]],
    miss: [
      ['an agent chaining into another agent role', assumeRole(agent(RESEARCH), TRIAGE)],
      ['a non-agent role assuming a non-agent role', assumeRole(session(ORCHESTRATOR, 'run-9'), ADMIN)],
    ],
  },
  'det-3.04': {
    match: [['organizations:ListAccounts by an agent', listAccounts(agent(TRIAGE))]],
    miss: [['organizations:ListAccounts by a non-agent admin role', listAccounts(session(ADMIN, 'jdoe'))]],
  },
  'det-3.05': {
    match: [
      ['cloudtrail:StopLogging by an agent', trailCall(agent(RESEARCH), 'StopLogging')],
      ['events:DisableRule by an agent', cloudTrailEvent({
        caller: agent(TRIAGE), service: 'events', eventName: 'DisableRule', errorCode: 'AccessDeniedException',
        requestParameters: { name: 'agent-iam-dev-det-3.05', eventBusName: 'default' },
      })],
    ],
    miss: [
      ['cloudtrail:StopLogging by a non-agent admin role', trailCall(session(ADMIN, 'jdoe'), 'StopLogging')],
      ['cloudtrail:LookupEvents by an agent (a read)', trailCall(agent(RESEARCH), 'LookupEvents', true)],
    ],
  },
  'det-3.06': {
    match: [
      ['s3:PutBucketPolicy on the audit bucket by an agent', bucketCall(agent(RESEARCH), 'PutBucketPolicy', AUDIT_BUCKET)],
      ['s3 PutBucketLifecycle on the audit bucket by an agent', bucketCall(agent(TRIAGE), 'PutBucketLifecycle', AUDIT_BUCKET)],
    ],
    miss: [
      ['s3:PutBucketPolicy on another bucket by an agent', bucketCall(agent(RESEARCH), 'PutBucketPolicy', 'research-scratch-dev')],
      ['s3:PutBucketPolicy on the audit bucket by a non-agent admin role', bucketCall(session(ADMIN, 'jdoe'), 'PutBucketPolicy', AUDIT_BUCKET)],
    ],
  },
  'det-3.07': {
    match: [['kms:ScheduleKeyDeletion of the audit key (by ARN) by an agent', scheduleKeyDeletion(agent(RESEARCH), AUDIT_KEY)]],
    miss: [
      ['kms:ScheduleKeyDeletion of another key by an agent', scheduleKeyDeletion(agent(RESEARCH), OTHER_KEY)],
      ['kms:ScheduleKeyDeletion of the audit key by a non-agent admin role', scheduleKeyDeletion(session(ADMIN, 'jdoe'), AUDIT_KEY)],
    ],
  },
  'det-3.08': {
    match: [
      ['the orchestrator assuming an agent without a source identity (trust changed out of band)', assumeRole(session(ORCHESTRATOR, 'run-9'), TRIAGE)],
      ['an IAM user assuming an agent without a source identity', assumeRole(iamUser('ci-bot'), RESEARCH)],
    ],
    miss: [
      ['a denied attempt without a source identity (anyone can make one: it must not revoke its target)', assumeRole(session(ORCHESTRATOR, 'run-9'), TRIAGE, { errorCode: 'AccessDenied' })],
      ['the orchestrator assuming an agent with a source identity', assumeRole(session(ORCHESTRATOR, 'run-9'), TRIAGE, { sourceIdentity: 'alice@example.com' })],
      ['a session that already carries a source identity chaining into an agent', assumeRole(agent(RESEARCH), TRIAGE)],
      ['the orchestrator assuming a non-agent role without a source identity', assumeRole(session(ORCHESTRATOR, 'run-9'), ADMIN)],
    ],
  },
  'det-3.09 research': {
    match: [
      ['an undeclared role assuming the research agent', assumeRole(session(role('ci-deployer'), 'gha-311'), RESEARCH, { sourceIdentity: 'alice@example.com' })],
      ['an IAM user assuming the research agent', assumeRole(iamUser('ci-bot'), RESEARCH, { sourceIdentity: 'ci-bot' })],
    ],
    miss: [
      ['an undeclared role trying and failing to assume it', assumeRole(session(role('ci-deployer'), 'gha-311'), RESEARCH, { sourceIdentity: 'alice@example.com', errorCode: 'AccessDenied' })],
      ['a peer agent trying and failing to assume it', assumeRole(agent(TRIAGE), RESEARCH, { errorCode: 'AccessDenied' })],
      // The caller is recorded as the session ARN (arn:aws:sts::...:assumed-role/research-runtime/runtime-7),
      // never as the declared role ARN; only sessionIssuer.arn names the declared role.
      ['its declared runtime role assuming it', assumeRole(session(RESEARCH_RUNTIME, 'runtime-7'), RESEARCH, { sourceIdentity: 'alice@example.com' })],
      ['an undeclared role assuming another agent', assumeRole(session(role('ci-deployer'), 'gha-311'), TRIAGE, { sourceIdentity: 'alice@example.com' })],
    ],
  },
  'det-3.09 support-triage': {
    match: [['the research runtime (declared for research only) assuming support-triage', assumeRole(session(RESEARCH_RUNTIME, 'runtime-7'), TRIAGE, { sourceIdentity: 'alice@example.com' })]],
    miss: [['its declared orchestrator assuming it', assumeRole(session(ORCHESTRATOR, 'run-9'), TRIAGE, { sourceIdentity: 'alice@example.com' })]],
  },
  'det-3.10 research': {
    match: [['dynamodb:DescribeTable by research in us-west-2', describeTable(agent(RESEARCH), 'us-west-2')]],
    miss: [
      ['the same call in an allowed region', describeTable(agent(RESEARCH), 'eu-west-1')],
      ['the same call by a non-agent role in us-west-2', describeTable(session(ADMIN, 'jdoe'), 'us-west-2')],
      ['a custom event forged with the same detail', { ...describeTable(agent(RESEARCH), 'us-west-2'), source: 'my.app' }],
    ],
  },
  'det-3.10 support-triage': {
    match: [['dynamodb:DescribeTable by support-triage in us-east-1', describeTable(agent(TRIAGE), 'us-east-1')]],
    miss: [
      ['the same call in eu-west-1', describeTable(agent(TRIAGE), 'eu-west-1')],
      ['iam:GetRole, a global service always recorded in us-east-1', getRole(agent(TRIAGE))],
      ['research (allowed us-east-1) in us-east-1', describeTable(agent(RESEARCH), 'us-east-1')],
    ],
  },
  'det-3.12': {
    match: [
      ['a developer role failing to assume the research agent', assumeRole(session(role('developer'), 'jdoe'), RESEARCH, { sourceIdentity: 'jdoe', errorCode: 'AccessDenied' })],
      ['a peer agent failing to assume the research agent', assumeRole(agent(TRIAGE), RESEARCH, { errorCode: 'AccessDenied' })],
    ],
    miss: [
      ['a successful assumption by the broker', assumeRole(session(RESEARCH_RUNTIME, 'runtime-7'), RESEARCH, { sourceIdentity: 'alice@example.com' })],
      ['a denied assumption of a non-agent role', assumeRole(session(role('developer'), 'jdoe'), ADMIN, { errorCode: 'AccessDenied' })],
    ],
  },
  'det-3.13': {
    match: [
      ['the revoker set to concurrency 0', cloudTrailEvent({
        caller: session(role('developer'), 'jdoe'), service: 'lambda', eventName: 'PutFunctionConcurrency20171031',
        requestParameters: { functionName: 'agent-iam-revoker-dev', reservedConcurrentExecutions: 0 },
      })],
      ['the token-age Lambda\'s code replaced (by ARN)', cloudTrailEvent({
        caller: session(role('developer'), 'jdoe'), service: 'lambda', eventName: 'UpdateFunctionCode20150331v2',
        requestParameters: { functionName: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:agent-iam-token-age-dev`, publish: false },
      })],
      ['the token-age schedule disabled', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'events', eventName: 'DisableRule', requestParameters: { name: 'agent-iam-dev-token-age-tick' },
      })],
      ['the revoker target removed from a detection rule', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'events', eventName: 'RemoveTargets', requestParameters: { rule: 'agent-iam-dev-det-3.02', ids: ['revoker'] },
      })],
      ['the risk table\'s resource policy deleted', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'dynamodb', eventName: 'DeleteResourcePolicy',
        requestParameters: { resourceArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/agent-iam-risk-dev` },
      })],
      ['the people topic unsubscribed', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'sns', eventName: 'Unsubscribe',
        requestParameters: { subscriptionArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:agent-iam-detections-dev:7c1f0e2a-1b2c-4d5e-8f90-0a1b2c3d4e5f` },
      })],
    ],
    miss: [
      ['the same change to a function of another environment', cloudTrailEvent({
        caller: session(role('developer'), 'jdoe'), service: 'lambda', eventName: 'PutFunctionConcurrency20171031',
        requestParameters: { functionName: 'agent-iam-revoker-prod', reservedConcurrentExecutions: 0 },
      })],
      ['a read of the revoker\'s configuration', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'lambda', eventName: 'GetFunctionConfiguration20150331v2', readOnly: true,
        requestParameters: { functionName: 'agent-iam-revoker-dev' },
      })],
      ['a custom event forged with the same detail', { ...cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'events', eventName: 'DisableRule', requestParameters: { name: 'agent-iam-dev-token-age-tick' },
      }), source: 'aws-like.events' }],
    ],
  },
  'det-3.14': {
    match: [
      ['a developer writing a new default version of a token-age policy', cloudTrailEvent({
        caller: session(role('developer'), 'jdoe'), service: 'iam', eventName: 'CreatePolicyVersion', region: 'us-east-1',
        requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/agents/dev/agent-token-age-900s-dev`, setAsDefault: true },
      })],
      ['a token-age policy detached from an agent role', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'iam', eventName: 'DetachRolePolicy', region: 'us-east-1',
        requestParameters: { roleName: 'agent-research-dev', policyArn: `arn:aws:iam::${ACCOUNT}:policy/agents/dev/agent-token-age-900s-dev` },
      })],
    ],
    miss: [
      ['the token-age Lambda\'s own tick', cloudTrailEvent({
        caller: session(TOKEN_AGE_FN_ROLE, 'agent-iam-token-age-dev'), service: 'iam', eventName: 'CreatePolicyVersion', region: 'us-east-1',
        requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/agents/dev/agent-token-age-900s-dev`, setAsDefault: true },
      })],
      ['a version of another policy', cloudTrailEvent({
        caller: session(ADMIN, 'jdoe'), service: 'iam', eventName: 'CreatePolicyVersion', region: 'us-east-1',
        requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/team/analytics-read`, setAsDefault: true },
      })],
    ],
  },
  'det-3.15': {
    match: [
      ['the break-glass role assuming an agent', assumeRole(session(BREAK_GLASS, 'oncall-jdoe', 'jdoe'), RESEARCH, { sourceIdentity: 'jdoe' })],
      ['the break-glass role failing to assume an agent', assumeRole(session(BREAK_GLASS, 'oncall-jdoe'), RESEARCH, { errorCode: 'AccessDenied' })],
    ],
    miss: [['the broker assuming an agent', assumeRole(session(RESEARCH_RUNTIME, 'runtime-7'), RESEARCH, { sourceIdentity: 'alice@example.com' })]],
  },
  'det-3.11': {
    match: [['a credential-exfiltration finding on the research agent role', guardDutyFinding(RESEARCH)]],
    miss: [['the same finding on agent-orchestrator-dev, a non-agent role named like one', guardDutyFinding(ORCHESTRATOR)]],
  },
};

// An agent declared with no principal ARNs (a service- or OIDC-only trust): any AssumeRole by a role session is undeclared.
const LONE_CTX: DetectionContext = {
  partition: 'aws', accountId: ACCOUNT, environment: 'dev',
  agents: [{ name: 'batch', roleArn: role('agent-batch-dev', '/agents/dev/'), declaredPrincipalArns: [] }],
};
const LONE_EXPECTATIONS: Record<string, Expectations> = {
  'det-3.09': {
    match: [['any role session assuming an agent with no declared principal ARNs', assumeRole(session(RESEARCH_RUNTIME, 'runtime-7'), role('agent-batch-dev', '/agents/dev/'), { sourceIdentity: 'alice@example.com' })]],
    miss: [['an AWS service assuming it (no principal ARN recorded)', assumeRole({ type: 'AWSService', invokedBy: 'ecs-tasks.amazonaws.com' }, role('agent-batch-dev', '/agents/dev/'))]],
  },
};

interface Case { readonly title: string; readonly pattern: EventPattern; readonly event: EventPattern; readonly expected: boolean }

/** A pattern's key in the expectations: its name, or for a rule on per-agent facts the rule and the agents it judges. */
function keyOf(p: DetectionPattern, ctx: DetectionContext): string {
  return p.rule.perAgent && p.agents && p.agents.length < ctx.agents.length ? `${p.rule.id.toLowerCase()} ${p.agents.join(',')}` : p.name;
}

function casesOf(ctx: DetectionContext, expectations: Record<string, Expectations>, only?: string[]): Case[] {
  const out: Case[] = [];
  for (const p of detectionPatterns(ctx).filter((x) => !only || only.includes(keyOf(x, ctx)))) {
    const e = expectations[keyOf(p, ctx)];
    if (!e) throw new Error(`pattern ${keyOf(p, ctx)} has no test events; add a must-match and a near miss`);
    for (const [title, event] of e.match) out.push({ title: `${p.name} (${p.rule.title}) matches ${title}`, pattern: p.pattern, event, expected: true });
    for (const [title, event] of e.miss) out.push({ title: `${p.name} (${p.rule.title}) ignores ${title}`, pattern: p.pattern, event, expected: false });
  }
  return out;
}

const CASES: Case[] = [...casesOf(CTX, EXPECTATIONS), ...casesOf(LONE_CTX, LONE_EXPECTATIONS, ['det-3.09'])];

/** moto's verdict for every case, in one run of the venv's python. */
function motoMatches(cases: Case[]): boolean[] {
  const run = spawnSync(venvBin('python'), [path.join(__dirname, 'support', 'match_events.py')], {
    input: JSON.stringify({ cases: cases.map((c) => ({ pattern: c.pattern, event: c.event })) }),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`match_events.py failed (${run.status}): ${run.stderr || run.error}`);
  const out = JSON.parse(run.stdout) as boolean[];
  if (out.length !== cases.length) throw new Error(`match_events.py answered ${out.length} of ${cases.length} cases`);
  return out;
}

describe('each detection pattern, judged by moto\'s EventBridge matcher', () => {
  let verdicts: boolean[];
  beforeAll(() => {
    verdicts = motoMatches(CASES);
  });

  test('every concrete pattern has test events', () => {
    expect(Object.keys(EXPECTATIONS).sort()).toEqual(detectionPatterns(CTX).map((p) => keyOf(p, CTX)).sort());
  });

  test.each(CASES.map((c, i) => [c.title, i] as const))('%s', (_title, i) => {
    expect(verdicts[i]).toBe(CASES[i]!.expected);
  });
});

describe('the detection catalog', () => {
  test('every rule has an id, a title, a severity, a known control and a description', () => {
    for (const r of DETECTION_RULES) {
      expect(r.id).toMatch(/^DET-3\.\d{2}$/);
      expect(r.title.length).toBeGreaterThan(10);
      expect(Object.values(Severity)).toContain(r.severity);
      expect(r.controlId).toBe('AIAM-3.07');
      expect(() => ControlCatalog.get(r.controlId)).not.toThrow();
      expect(r.description.length).toBeGreaterThan(40);
    }
    const ids = DETECTION_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rulesWithoutPattern()).toEqual([]);
  });

  test('only the GuardDuty and break-glass rules are optional', () => {
    expect(DETECTION_RULES.filter((r) => r.optional).map((r) => r.id)).toEqual(['DET-3.11', 'DET-3.15']);
  });

  test('every pattern requires an AWS source, so no custom event (PutEvents refuses aws.*) can trigger one', () => {
    for (const p of detectionPatterns(CTX)) {
      const source = p.pattern.source as unknown[];
      expect(Array.isArray(source)).toBe(true);
      for (const v of source) {
        if (typeof v === 'string') expect(v).toMatch(/^aws\./);
        else expect(v).toEqual({ prefix: 'aws.' });
      }
    }
  });

  test('the region rule states its home-region limit in the catalog', () => {
    const r = DETECTION_RULES.find((x) => x.id === 'DET-3.10')!;
    expect(r.homeRegionOnly).toBe(true);
    expect(r.description).toMatch(/LIMIT: .*stack's region only/);
  });

  test('every rule has at least one concrete pattern in an environment where it applies', () => {
    const names = detectionPatterns(CTX);
    for (const r of DETECTION_RULES) {
      const mine = names.filter((p) => p.rule.id === r.id);
      // The two agents declare different principals and regions: one group each.
      expect(mine.length).toBe(r.perAgent ? CTX.agents.length : 1);
      for (const p of mine) expect(p.agents?.length).toBe(r.perAgent ? 1 : r.id === 'DET-3.11' ? 2 : undefined);
    }
  });

  test('rules that need data they are not given are skipped, not emitted with empty filters', () => {
    const bare: DetectionContext = { partition: 'aws', accountId: ACCOUNT, environment: 'dev', agents: [{ name: 'research', roleArn: RESEARCH, declaredPrincipalArns: [RESEARCH_RUNTIME] }] };
    const ids = detectionPatterns(bare).map((p) => p.rule.id);
    expect(ids).not.toContain('DET-3.06'); // no audit bucket
    expect(ids).not.toContain('DET-3.07'); // no audit key
    expect(ids).not.toContain('DET-3.10'); // no allowed regions
    expect(ids).not.toContain('DET-3.15'); // no break-glass roles
    expect(detectionPatterns({ ...bare, agents: [] }).map((p) => p.rule.id))
      .toEqual(['DET-3.01', 'DET-3.02', 'DET-3.03', 'DET-3.04', 'DET-3.05', 'DET-3.08', 'DET-3.12', 'DET-3.13', 'DET-3.14']);
  });

  test('the audit key rule also matches the key by the record\'s resources, for callers that pass a key id (moto cannot match inside arrays of objects)', () => {
    const p = detectionPatterns(CTX).find((x) => x.rule.id === 'DET-3.07')!.pattern as { detail: { eventName: string[]; $or: unknown[] } };
    expect(p.detail.eventName).toEqual(AUDIT_KEY_EVENT_NAMES);
    expect(p.detail.$or).toContainEqual({ resources: { ARN: [AUDIT_KEY] } });
  });

  test('patterns fit EventBridge\'s default size and survive JSON.stringify', () => {
    for (const p of detectionPatterns(CTX)) {
      const json = JSON.stringify(p.pattern);
      expect(JSON.parse(json)).toEqual(p.pattern);
      expect(json.length).toBeLessThanOrEqual(EVENT_PATTERN_MAX);
    }
  });

  test('Terraform references and tokens pass into the patterns verbatim', () => {
    const refs: DetectionContext = {
      partition: '${data.aws_partition.current.partition}', accountId: '${data.aws_caller_identity.current.account_id}', environment: 'dev',
      auditBucketName: '${aws_s3_bucket.audit.bucket}', auditKeyArn: '${TfToken[TOKEN.42]}',
      agents: [
        { name: 'research', roleArn: '${aws_iam_role.agent_research.arn}', declaredPrincipalArns: ['${aws_iam_role.runtime.arn}'], allowedRegions: ['eu-west-1'] },
        { name: 'triage', roleArn: '${aws_iam_role.agent_triage.arn}', declaredPrincipalArns: [], allowedRegions: ['eu-west-1', 'us-east-1'] },
      ],
    };
    const json = JSON.stringify(detectionPatterns(refs).map((p) => p.pattern));
    for (const s of ['arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/agents/dev/',
      '${aws_s3_bucket.audit.bucket}', '${TfToken[TOKEN.42]}', '${aws_iam_role.agent_research.arn}', '${aws_iam_role.runtime.arn}']) {
      expect(json).toContain(JSON.stringify(s).slice(1, -1));
    }
  });

  test('the denied-calls metric filter watches every denial error code of agent sessions', () => {
    const f = deniedCallsMetricFilterPattern(CTX);
    expect(f).toContain('$.errorCode = "AccessDenied*"');
    for (const c of ['AuthorizationError', 'Client.UnauthorizedOperation', 'UnauthorizedOperation', 'NotAuthorizedException']) {
      expect(DENIAL_ERROR_CODES).toContain(c);
      expect(f).toContain(`$.errorCode = "${c}"`);
    }
    expect(f).toMatch(/&& \$\.userIdentity\.sessionContext\.sessionIssuer\.arn = "arn:aws:iam::111122223333:role\/agents\/dev\/\*" }$/);
    expect(f.length).toBeLessThanOrEqual(1024); // CloudWatch Logs' limit on a filter pattern
  });
});

describe('attacks on the detection path (moto\'s matcher)', () => {
  const all = detectionPatterns(CTX);
  const revoking = all.filter((p) => !p.rule.notifyOnly && REVOKING_SEVERITIES.includes(p.rule.severity));
  /** The names of the patterns each event matches, in one run of moto. */
  const matchingEach = (events: EventPattern[], patterns = all): string[][] => {
    const verdicts = motoMatches(events.flatMap((event) => patterns.map((p) => ({ title: p.name, pattern: p.pattern, event, expected: true }))));
    return events.map((_, e) => patterns.filter((_p, i) => verdicts[e * patterns.length + i]).map((p) => p.name));
  };
  const matching = (event: EventPattern, patterns = all) => matchingEach([event], patterns)[0]!;

  test('a failed AssumeRole on a victim agent matches no revoking rule (by a peer agent, a developer, an IAM user)', () => {
    const attempts = [agent(TRIAGE), session(role('developer'), 'jdoe'), iamUser('ci-bot')]
      .flatMap((caller) => ['AccessDenied', 'AccessDeniedException'].map((errorCode) => assumeRole(caller, RESEARCH, { errorCode })));
    expect(matchingEach(attempts, revoking)).toEqual(attempts.map(() => []));
  });

  test('people still hear of it: the failed attempt matches DET-3.12 (and DET-3.01 when the caller is an agent)', () => {
    expect(matching(assumeRole(session(role('developer'), 'jdoe'), RESEARCH, { errorCode: 'AccessDenied' }))).toEqual(['det-3.12']);
    expect(matching(assumeRole(agent(TRIAGE), RESEARCH, { errorCode: 'AccessDenied' })).sort()).toEqual(['det-3.01', 'det-3.12']);
  });

  test('an event with a custom source matches no rule, whatever its detail', () => {
    const events = [
      secretValue(agent(RESEARCH), 'AccessDenied'), describeTable(agent(RESEARCH), 'us-west-2'), attachRolePolicy(agent(RESEARCH)),
      assumeRole(session(role('ci-deployer'), 'gha-311'), RESEARCH, { sourceIdentity: 'x' }), guardDutyFinding(RESEARCH),
    ];
    for (const names of matchingEach(events)) expect(names.length).toBeGreaterThan(0); // the genuine events are detected
    const forged = events.flatMap((e) => ['custom.app', 'attacker', 'awsx.sts'].map((source) => ({ ...e, source })));
    expect(matchingEach(forged)).toEqual(forged.map(() => []));
  });

  test('SNS AuthorizationError and EC2 Client.UnauthorizedOperation are denials (DET-3.01)', () => {
    const sns = cloudTrailEvent({ caller: agent(RESEARCH), service: 'sns', eventName: 'Publish', errorCode: 'AuthorizationError' });
    const ec2 = cloudTrailEvent({ caller: agent(RESEARCH), service: 'ec2', eventName: 'RunInstances', errorCode: 'Client.UnauthorizedOperation' });
    expect(matching(sns)).toContain('det-3.01');
    expect(matching(ec2)).toContain('det-3.01');
  });

  test('break-glass and control-plane detections go to people only, never to the revoker', () => {
    for (const id of ['DET-3.12', 'DET-3.13', 'DET-3.14', 'DET-3.15']) {
      expect(DETECTION_RULES.find((r) => r.id === id)!.notifyOnly).toBe(true);
    }
    expect(DETECTION_RULES.find((r) => r.id === 'DET-3.15')!.severity).toBe(Severity.HIGH);
  });
});

describe('rule names', () => {
  const VALID = new RegExp(`^[.\\-_A-Za-z0-9]{1,${RULE_NAME_MAX}}$`);

  test('are unique and valid EventBridge names', () => {
    const names = detectionPatterns(CTX).map((p) => ruleName(CTX.environment, p.name));
    expect(names).toContain('agent-iam-dev-det-3.01');
    for (const n of names) expect(n).toMatch(VALID);
    for (const n of names) expect(n.startsWith(detectionRuleNamePrefix(CTX.environment))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  test('stay unique and within 64 characters for the longest agent and environment names', () => {
    const env = 'staging-eu-west1';
    const long = (suffix: string) => `customer-support-triage-escalations-${suffix}`; // role agent-<43>-<16> = 64 characters
    const ctx: DetectionContext = {
      ...CTX, environment: env,
      agents: ['tier1a', 'tier1b'].map((s) => ({ name: long(s), roleArn: role(`agent-${long(s)}-${env}`, `/agents/${env}/`), declaredPrincipalArns: [ORCHESTRATOR], allowedRegions: ['eu-west-1'] })),
    };
    const names = detectionPatterns(ctx).map((p) => ruleName(env, p.name));
    for (const n of names) expect(n).toMatch(VALID);
    expect(new Set(names).size).toBe(names.length);
    expect(ruleName(env, 'det-3.09-x/y z')).toBe(`agent-iam-${env}-det-3.09-x-y-z`);
  });
});

describe('detections at fleet scale: rules grow with distinct facts, not with agents', () => {
  const fleetAgent = (i: number, principal: string, regions: string[]) => {
    const name = `fleet-${String(i).padStart(4, '0')}`;
    return { name, roleArn: role(`agent-${name}-dev`, '/agents/dev/'), declaredPrincipalArns: [principal], allowedRegions: regions };
  };
  const RUNTIMES = [role('runtime-a'), role('runtime-b')];
  const REGION_SETS = [['eu-west-1'], ['eu-west-1', 'us-east-1']];
  // 150 agents in 2 principal groups and 2 region groups of 75: each group lists its role ARNs, split to fit.
  const MIXED: DetectionContext = {
    ...CTX, agents: Array.from({ length: 150 }, (_, i) => fleetAgent(i, RUNTIMES[i % 2], REGION_SETS[Math.floor(i / 75)])),
  };
  // 1000 agents sharing their facts (stage 4: only the broker may assume them): one rule per kind, on the path.
  const UNIFORM: DetectionContext = {
    ...CTX, agents: Array.from({ length: 1000 }, (_, i) => fleetAgent(i, RUNTIMES[0], ['eu-west-1'])),
  };

  test('every agent sharing the same facts: one pattern per kind, matching on the agents\' path', () => {
    const patterns = detectionPatterns(UNIFORM);
    expect(patterns.filter((p) => p.rule.perAgent).map((p) => p.name)).toEqual(['det-3.09', 'det-3.10']);
    // Only the optional GuardDuty rule lists role names (findings carry no path): about 70 a pattern.
    const required = (ctx: DetectionContext) => detectionPatterns(ctx).filter((p) => !p.rule.optional).length;
    expect(required(UNIFORM)).toBe(required({ ...UNIFORM, agents: UNIFORM.agents.slice(0, 1) }));
    expect(patterns.filter((p) => p.rule.optional).length).toBeLessThanOrEqual(Math.ceil(1000 / 60));
    for (const p of patterns.filter((x) => x.rule.perAgent)) expect(JSON.stringify(p.pattern)).toContain('"prefix":"arn:aws:iam::111122223333:role/agents/dev/"');
  });

  test('agents with different facts: one group per fact set, each pattern within EventBridge\'s size limit', () => {
    const patterns = detectionPatterns(MIXED).filter((p) => p.rule.perAgent);
    for (const id of ['DET-3.09', 'DET-3.10']) {
      const mine = patterns.filter((p) => p.rule.id === id);
      expect(mine.length).toBeGreaterThan(2); // 2 groups of 75, split
      expect(mine.length).toBeLessThan(12);
      expect(mine.flatMap((p) => p.agents!).sort()).toEqual(MIXED.agents.map((a) => a.name).sort());
    }
    for (const p of detectionPatterns(MIXED)) expect(eventPatternSize(p.pattern, MIXED)).toBeLessThanOrEqual(EVENT_PATTERN_MAX);
    const raised = detectionPatterns({ ...MIXED, maxPatternSize: 4096 }).filter((p) => p.rule.perAgent);
    expect(raised.length).toBeLessThan(patterns.length);
  });

  test('a reference as account id counts 12 characters, other references generously', () => {
    expect(eventPatternSize({ a: ['${TfToken[TOKEN.1]}'] }, { accountId: '${TfToken[TOKEN.1]}' })).toBe(JSON.stringify({ a: ['000000000000'] }).length);
    expect(eventPatternSize({ a: ['${aws_iam_role.x.arn}'] }, { accountId: ACCOUNT })).toBeGreaterThan(128);
  });

  describe('held-out semantics per agent, judged by moto', () => {
    interface FleetCase { readonly title: string; readonly event: EventPattern; readonly rule: string; readonly expected: boolean }
    const fleetCases = (ctx: DetectionContext, sample: number[]): FleetCase[] => sample.flatMap((i) => {
      const a = ctx.agents[i];
      const declared = a.declaredPrincipalArns[0];
      const other = declared === RUNTIMES[0] ? RUNTIMES[1] : role('ci-deployer');
      const outside = a.allowedRegions!.includes('us-east-1') ? 'ap-southeast-2' : 'us-east-1';
      return [
        { title: `${a.name}: assumed by its declared ${roleName(declared)}`, event: assumeRole(session(declared, 'run-1'), a.roleArn, { sourceIdentity: 'alice@example.com' }), rule: 'DET-3.09', expected: false },
        { title: `${a.name}: assumed by undeclared ${roleName(other)}`, event: assumeRole(session(other, 'run-1'), a.roleArn, { sourceIdentity: 'alice@example.com' }), rule: 'DET-3.09', expected: true },
        { title: `${a.name}: a call in allowed ${a.allowedRegions![0]}`, event: describeTable(agent(a.roleArn), a.allowedRegions![0]), rule: 'DET-3.10', expected: false },
        { title: `${a.name}: a call in ${outside}, not allowed`, event: describeTable(agent(a.roleArn), outside), rule: 'DET-3.10', expected: true },
      ];
    });
    const SAMPLE = [0, 1, 37, 74, 75, 76, 112, 149];
    const suites: [string, DetectionContext, number[]][] = [['mixed fleet of 150', MIXED, SAMPLE], ['uniform fleet of 1000', UNIFORM, [0, 499, 999]]];
    const all = suites.flatMap(([suite, ctx, sample]) => fleetCases(ctx, sample).map((c) => ({ ...c, suite, ctx })));
    let verdicts: boolean[][];
    beforeAll(() => {
      // Each event against every pattern of its rule: it must match at least one exactly when expected.
      const flat: Case[] = [];
      const index: number[][] = [];
      for (const c of all) {
        const mine = detectionPatterns(c.ctx).filter((p) => p.rule.id === c.rule);
        index.push(mine.map((p) => flat.push({ title: c.title, pattern: p.pattern, event: c.event, expected: c.expected }) - 1));
      }
      const out = motoMatches(flat);
      verdicts = index.map((ix) => ix.map((i) => out[i]));
    });
    test.each(all.map((c, i) => [`${c.suite}: ${c.rule} ${c.expected ? 'catches' : 'ignores'} ${c.title}`, i] as const))('%s', (_t, i) => {
      expect(verdicts[i].some((v) => v)).toBe(all[i].expected);
    });
  });
});
