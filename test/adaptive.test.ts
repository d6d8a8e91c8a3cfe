/**
 * Stage 4 (Adaptive), proved on the example prod stack: only the broker and
 * break-glass roles assume agents, detections reach the revoker and the risk
 * scorer, and the revoker cannot become an escalation path.
 */
import { App, Testing } from '../lib/private/cdk';
import { DynamodbTable, LambdaFunctionUrl } from '../constructs/aws';
import { buildExampleApp } from '../bin/fleet';
import { DETECTION_RULES } from '../lib/detections';
import { MaturityStage } from '../lib/maturity';
import { REVOCATION_POLICY_NAME, REVOKING_SEVERITIES, revocationPolicy } from '../lib/revocation';
import { agentPolicies, AgentPolicies, ACCOUNT, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';

let out: string;
let tf: any;
let resolved: any;
const agents: Record<string, AgentPolicies> = {};
const BROKER_ROLE = `arn:aws:iam::${ACCOUNT}:role/agent-iam/agent-iam-broker-prod`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/agent-break-glass-prod`;
const REVOKER_ROLE = `arn:aws:iam::${ACCOUNT}:role/agent-iam/agent-iam-revoker-prod`;

beforeAll(() => {
  const prod = buildExampleApp(Testing.app() as App).find((s) => s.environment === 'prod')!;
  expect(prod.stage).toBe(MaturityStage.ADAPTIVE);
  out = Testing.synth(prod, true);
  tf = JSON.parse(out);
  resolved = resolveRefs(tf);
  for (const a of ['support-triage', 'research', 'release']) agents[a] = agentPolicies(resolved, `agent-${a}-prod`);
});

const revokerPolicy = () => JSON.parse(Object.values(resolved.resource.aws_iam_role_policy as Record<string, any>)
  .find((p) => /InlinePoliciesOfAgentRolesOnly/.test(p.policy)).policy);

describe('credentials only through the broker', () => {
  const assume = (agent: string, principal: string) => decide({
    principal, action: 'sts:AssumeRole', resource: agents[agent].roleArn, resourcePolicy: agents[agent].trust,
    identityPolicies: [{ name: 'c', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] } }],
    context: { 'sts:SourceIdentity': 'alice@example.com', 'aws:RequestTag/task-id': 't-1', 'aws:RequestTag/on-behalf-of': 'alice', 'aws:TagKeys': ['task-id', 'on-behalf-of', 'risk-level'] } as any,
  });

  test.each(['support-triage', 'research', 'release'])('%s: the broker and the break-glass role may assume it; its former callers may not', async (agent) => {
    expect(await assume(agent, BROKER_ROLE)).toBe('Allowed');
    expect(await assume(agent, BREAK_GLASS)).toBe('Allowed');
    expect(await assume(agent, `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-prod`)).toBe('ImplicitlyDenied');
  });

  test('the broker sits behind an IAM-authenticated function URL, and the registry names each agent\'s callers', () => {
    expect(out).toHaveResourceWithProperties(LambdaFunctionUrl, { authorization_type: 'AWS_IAM' });
    expect(tf.output.agent_registry.value.research.callers).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-prod`, `arn:aws:iam::${ACCOUNT}:role/research-runtime-prod`,
    ]);
  });
});

describe('loosening needs a responder, enforced by the tables\' resource policies (simulated)', () => {
  const RESPONDER = `arn:aws:iam::${ACCOUNT}:role/security/incident-responder-prod`;
  const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/developer`;
  const RISK_ROLE = `arn:aws:iam::${ACCOUNT}:role/agent-iam/agent-iam-risk-prod`;
  const ALL_DYNAMODB = [{ name: 'dev', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] } }];
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;
  const resourcePolicyOf = (name: string) => JSON.parse(Object.values(resolved.resource.aws_dynamodb_resource_policy as Record<string, any>)
    .find((p) => p.resource_arn === table(name))!.policy);
  // IAM sets aws:PrincipalArn to the role's ARN (with its path) for every session of the role.
  const write = (principal: string, name: string, action = 'dynamodb:PutItem') => decide({
    principal, action, resource: table(name), identityPolicies: ALL_DYNAMODB, resourcePolicy: resourcePolicyOf(name),
    context: { 'aws:PrincipalArn': principal },
  });

  test.each(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert'])(
    'a same-account developer role with dynamodb:* cannot %s an approval into the risk table or a restore request into the ledger', async (action) => {
      expect(await write(DEVELOPER, 'agent-iam-risk-prod', action)).toBe('ExplicitlyDenied');
      expect(await write(DEVELOPER, 'agent-iam-revocations-prod', action)).toBe('ExplicitlyDenied');
    });

  test('the broker (which only reads) and the agents cannot write either table', async () => {
    for (const t of ['agent-iam-risk-prod', 'agent-iam-revocations-prod']) {
      expect(await write(BROKER_ROLE, t)).toBe('ExplicitlyDenied');
      expect(await write(agents.research.roleArn, t)).toBe('ExplicitlyDenied');
    }
  });

  test('a responder writes approvals and restore requests; the risk Lambda writes scores; the revoker writes the ledger', async () => {
    expect(await write(RESPONDER, 'agent-iam-risk-prod')).toBe('Allowed');
    expect(await write(RESPONDER, 'agent-iam-revocations-prod')).toBe('Allowed');
    expect(await write(RISK_ROLE, 'agent-iam-risk-prod')).toBe('Allowed');
    expect(await write(REVOKER_ROLE, 'agent-iam-revocations-prod')).toBe('Allowed');
    expect(await write(RISK_ROLE, 'agent-iam-revocations-prod')).toBe('ExplicitlyDenied');
    expect(await write(REVOKER_ROLE, 'agent-iam-risk-prod')).toBe('ExplicitlyDenied');
  });

  test('reads stay with identity policies (the broker reads approvals)', async () => {
    expect(await decide({
      principal: BROKER_ROLE, action: 'dynamodb:Query', resource: table('agent-iam-risk-prod'), identityPolicies: ALL_DYNAMODB, resourcePolicy: resourcePolicyOf('agent-iam-risk-prod'),
      context: { 'aws:PrincipalArn': BROKER_ROLE },
    })).toBe('Allowed');
  });
});

describe('the revocation path cannot be switched off in silence', () => {
  test.each(['agent-iam-revoker-prod', 'agent-iam-risk-prod', 'agent-iam-broker-prod'])('%s alarms on throttles (concurrency 0 refuses every invocation)', (fn) => {
    const alarms = Object.values(tf.resource.aws_cloudwatch_metric_alarm as Record<string, any>);
    expect(alarms).toContainEqual(expect.objectContaining({ alarm_name: `${fn}-throttles`, metric_name: 'Throttles', threshold: 0, comparison_operator: 'GreaterThanThreshold' }));
  });

  test('changing the control plane (DET-3.13) and token-age policies (DET-3.14) is detected, for people', () => {
    const ids = Object.values(tf.resource.aws_cloudwatch_event_rule as Record<string, any>).map((r) => r.tags?.['agent-iam:detection']);
    expect(ids).toEqual(expect.arrayContaining(['DET-3.13', 'DET-3.14']));
  });
});

describe('people-only detections at stage 4', () => {
  test('break-glass AssumeRole raises DET-3.15 (high) to people and the SIEM, never to the revoker or the risk scorer', () => {
    const rules = tf.resource.aws_cloudwatch_event_rule as Record<string, any>;
    const [key, rule] = Object.entries(rules).find(([, r]) => r.tags?.['agent-iam:detection'] === 'DET-3.15')!;
    expect(rule.tags['agent-iam:severity']).toBe('high');
    expect(JSON.parse(rule.event_pattern).detail.userIdentity.sessionContext.sessionIssuer.arn).toEqual([BREAK_GLASS]);
    const targets = Object.values(tf.resource.aws_cloudwatch_event_target as Record<string, any>).filter((t) => t.rule.includes(`.${key}.`));
    expect(targets.map((t) => t.target_id).sort()).toEqual(['people', 'siem']);
  });
});

describe('the revocation path', () => {
  test('every high and critical detection reaches the revoker; every detection reaches the risk scorer; people-only ones reach neither', () => {
    const targets = Object.values(tf.resource.aws_cloudwatch_event_target as Record<string, any>);
    const rules = tf.resource.aws_cloudwatch_event_rule as Record<string, any>;
    const idOf = (t: any) => Object.entries(rules).find(([k]) => t.rule.includes(`.${k}.`))?.[1]?.tags?.['agent-iam:detection'];
    const revoked = new Set(targets.filter((t) => t.target_id === 'revoker').map(idOf));
    const scored = new Set(targets.filter((t) => t.target_id === 'risk').map(idOf));
    for (const r of DETECTION_RULES.filter((x) => !x.optional)) {
      if (r.notifyOnly) {
        expect(scored).not.toContain(r.id);
        expect(revoked).not.toContain(r.id);
        continue;
      }
      expect(scored).toContain(r.id);
      if (REVOKING_SEVERITIES.includes(r.severity)) expect(revoked).toContain(r.id); else expect(revoked).not.toContain(r.id);
    }
    const wrapped = targets.find((t) => t.target_id === 'revoker');
    expect(wrapped.input_transformer.input_template).toMatch(/^\{"kind":"detection","ruleId":"DET-3\.\d\d","severity":"(high|critical)","event":<aws\.events\.event>\}$/);
  });

  test('the ledger and risk table have point-in-time recovery, KMS encryption and deletion protection', () => {
    for (const name of ['agent-iam-revocations-prod', 'agent-iam-risk-prod']) {
      expect(out).toHaveResourceWithProperties(DynamodbTable, {
        name, point_in_time_recovery: { enabled: true }, deletion_protection_enabled: true,
        server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/aws_kms_key/) },
      });
    }
  });

  test('the revoker can write the revocation policy on agent roles', async () => {
    const d = await decide({ principal: REVOKER_ROLE, action: 'iam:PutRolePolicy', resource: agents.research.roleArn, identityPolicies: [{ name: 'r', policy: revokerPolicy() }] });
    expect(d).toBe('Allowed');
  });

  test.each([
    ['iam:UpdateAssumeRolePolicy', () => agents.research.roleArn],
    ['iam:AttachRolePolicy', () => agents.research.roleArn],
    ['iam:DeleteRolePermissionsBoundary', () => agents.research.roleArn],
    ['iam:PutRolePermissionsBoundary', () => agents.research.roleArn],
    ['iam:CreateRole', () => `arn:aws:iam::${ACCOUNT}:role/agents/prod/backdoor`],
    ['iam:PutRolePolicy', () => `arn:aws:iam::${ACCOUNT}:role/admin`],
    ['iam:PassRole', () => agents.research.roleArn],
    ['s3:GetObject', () => 'arn:aws:s3:::any-bucket/key'],
    ['sts:AssumeRole', () => agents.research.roleArn],
  ] as [string, () => string][])('the revoker cannot %s', async (action, resource) => {
    const d = await decide({ principal: REVOKER_ROLE, action, resource: resource(), identityPolicies: [{ name: 'r', policy: revokerPolicy() }] });
    expect(d).not.toBe('Allowed');
  });

  test('an agent handed Allow * by an abused revoker is still capped by the boundary', async () => {
    const a = agents.research;
    const abused = [...a.identityPolicies, { name: REVOCATION_POLICY_NAME, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
    const ask = (action: string, resource: string) => decide({ principal: a.roleArn, action, resource, identityPolicies: abused, boundary: a.boundary });
    expect(await ask('iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/backdoor`)).toBe('ExplicitlyDenied');
    expect(await ask('iam:UpdateAssumeRolePolicy', a.roleArn)).toBe('ExplicitlyDenied');
    expect(await ask('cloudtrail:StopLogging', `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-prod`)).toBe('ExplicitlyDenied');
    expect(await ask('organizations:LeaveOrganization', '*')).toBe('ExplicitlyDenied');
    // Services no agent of the stack is granted stay out of reach (the boundary allows only those in use).
    expect(await ask('ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`)).toBe('ImplicitlyDenied');
    expect(await ask('secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`)).toBe('ImplicitlyDenied');
  });

  test('a revocation written by the revoker denies a session issued before it for every granted action', async () => {
    const a = agents['support-triage'];
    const policies = [...a.identityPolicies, { name: REVOCATION_POLICY_NAME, policy: revocationPolicy('2026-12-01T12:00:00Z') }];
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-prod`;
    const ask = (issued: string) => decide({ principal: a.roleArn, action: 'dynamodb:GetItem', resource: table, identityPolicies: policies, boundary: a.boundary, context: { 'aws:RequestedRegion': 'us-east-1', 'aws:TokenIssueTime': issued } });
    expect(await ask('2026-12-01T11:59:00Z')).toBe('ExplicitlyDenied');
    expect(await ask('2026-12-01T12:01:00Z')).toBe('Allowed');
  });
});
