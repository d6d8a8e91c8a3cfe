/**
 * Stage 3 (Enhanced), proved on the example staging stack: ephemeral
 * credentials, expiry, ABAC, context conditions, per-task sessions, the
 * registry, and the token-age and detection machinery as resources.
 */
import { App, Testing } from '../lib/private/cdk';
import { CloudwatchEventRule, CloudwatchLogGroup, CloudwatchMetricAlarm, LambdaFunction, LambdaInvocation, SnsTopic, SsmParameter } from '../constructs/aws';
import { buildExampleApp } from '../bin/fleet';
import { tokenAgePolicy } from '../lib/token-age';
import { DETECTION_RULES } from '../lib/detections';
import { MaturityStage } from '../lib/maturity';
import { agentPolicies, AgentPolicies, ACCOUNT, ORCHESTRATOR, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';

const ORCH = ORCHESTRATOR.replace('-dev', '-staging');
let out: string;
let tf: any;
let resolved: any;
const agents: Record<string, AgentPolicies> = {};
const NOW = new Date('2026-12-01T12:00:00Z');

beforeAll(() => {
  const stacks = buildExampleApp(Testing.app() as App);
  const staging = stacks.find((s) => s.environment === 'staging')!;
  expect(staging.stage).toBe(MaturityStage.ENHANCED);
  out = Testing.synth(staging, true);
  tf = JSON.parse(out);
  resolved = resolveRefs(tf);
  for (const a of ['support-triage', 'research', 'release']) agents[a] = agentPolicies(resolved, `agent-${a}-staging`);
});

/** The agent's identity policies plus the token-age policy as the Lambda writes it at `now`. */
function withTokenAge(a: AgentPolicies, ttl: number, now = NOW) {
  return [...a.identityPolicies, { name: 'token-age', policy: tokenAgePolicy(now, ttl) }];
}

function grantedRequests(a: AgentPolicies) {
  const reqs: { action: string; resource: string; context: Record<string, string> }[] = [];
  for (const p of a.identityPolicies) {
    for (const s of p.policy.Statement.filter((x: any) => x.Effect === 'Allow')) {
      const context: Record<string, string> = {};
      for (const keys of Object.values(s.Condition ?? {}) as Record<string, string[]>[]) {
        for (const [k, v] of Object.entries(keys)) context[k] = v[0].replace(/\*/g, 'sample').replace('${aws:PrincipalTag/on-behalf-of}', 'alice');
      }
      context['aws:PrincipalTag/on-behalf-of'] = 'alice';
      for (const action of s.Action) for (const r of s.Resource) {
        reqs.push({ action, resource: r.replace('${aws:PrincipalTag/on-behalf-of}', 'alice').replace(/\*/g, 'sample'), context });
      }
    }
  }
  return reqs;
}

const ask = (a: AgentPolicies, policies: any[], action: string, resource: string, context: Record<string, string>) =>
  decide({ principal: a.roleArn, action, resource, context, identityPolicies: policies, boundary: a.boundary });

describe('ephemeral credentials: the token-age policy', () => {
  test.each([['support-triage', 900], ['research', 1800], ['release', 900]] as const)(
    '%s: a session issued before now minus its TTL is denied every granted action; one issued after is allowed', async (name, ttl) => {
      const a = agents[name];
      const reqs = grantedRequests(a);
      expect(reqs.length).toBeGreaterThan(0);
      const policies = withTokenAge(a, ttl);
      const old = new Date(NOW.getTime() - (ttl + 60) * 1000).toISOString();
      const fresh = new Date(NOW.getTime() - (ttl - 60) * 1000).toISOString();
      for (const r of reqs) {
        const base = { ...r.context, 'aws:CurrentTime': NOW.toISOString() };
        expect(`${r.action} old -> ${await ask(a, policies, r.action, r.resource, { ...base, 'aws:TokenIssueTime': old })}`).toBe(`${r.action} old -> ExplicitlyDenied`);
        expect(`${r.action} fresh -> ${await ask(a, policies, r.action, r.resource, { ...base, 'aws:TokenIssueTime': fresh })}`).toBe(`${r.action} fresh -> Allowed`);
      }
    });

  test('every agent role has its TTL\'s token-age policy attached, one policy per distinct TTL', () => {
    const policies = Object.values(tf.resource.aws_iam_policy as Record<string, any>).filter((p) => p.name.startsWith('agent-token-age-'));
    expect(policies.map((p) => p.name).sort()).toEqual(['agent-token-age-1800s-staging', 'agent-token-age-900s-staging']);
    for (const p of policies) expect(p.lifecycle).toEqual({ ignore_changes: ['policy'] });
    const attachments = Object.values(tf.resource.aws_iam_role_policy_attachment as Record<string, any>)
      .filter((x) => /agent-token-age/.test(JSON.stringify(x)) || /token-age_policy/.test(x.policy_arn));
    expect(attachments).toHaveLength(3);
  });

  test('the role MaxSessionDuration stays at 3600 s', () => {
    for (const r of Object.values(tf.resource.aws_iam_role as Record<string, any>).filter((x) => x.path === '/agents/staging/')) {
      expect(r.max_session_duration).toBe(3600);
    }
  });
});

describe('the token-age Lambda', () => {
  test('switched off silently (schedule disabled, target removed, concurrency 0) it raises an alarm: missing ticks breach', () => {
    expect(out).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'agent-iam-token-age-staging-missing-ticks', metric_name: 'Invocations', namespace: 'AWS/Lambda',
      comparison_operator: 'LessThanThreshold', threshold: 1, evaluation_periods: 3, period: 60, treat_missing_data: 'breaching',
    });
    expect(out).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'agent-iam-token-age-staging-throttles', metric_name: 'Throttles', comparison_operator: 'GreaterThanThreshold', threshold: 0,
    });
  });

  test('is hardened: DLQ, reserved concurrency, tracing, encrypted environment, deterministic code hash', () => {
    expect(out).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'agent-iam-token-age-staging',
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      reserved_concurrent_executions: 1,
      tracing_config: { mode: 'Active' },
      dead_letter_config: { target_arn: expect.stringMatching(/aws_sqs_queue/) },
      kms_key_arn: expect.stringMatching(/aws_kms_key/),
      source_code_hash: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
      filename: expect.stringMatching(/^assets\/.*\.zip$/),
    });
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/lambda/agent-iam-token-age-staging', retention_in_days: 365, kms_key_id: expect.stringMatching(/aws_kms_key/),
    });
  });

  test('its role can only manage versions of the token-age policies', () => {
    const role = Object.values(resolved.resource.aws_iam_role_policy as Record<string, any>).find((p) => /ManageVersionsOfOwnPoliciesOnly/.test(p.policy));
    const doc = JSON.parse(role.policy);
    const iam = doc.Statement.find((s: any) => s.Sid === 'ManageVersionsOfOwnPoliciesOnly');
    expect(iam.Resource).toEqual([`arn:aws:iam::${ACCOUNT}:policy/agents/staging/agent-token-age-*`]);
    expect(doc.Statement.flatMap((s: any) => s.Action).filter((x: string) => x.startsWith('iam:')).sort())
      .toEqual(['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions']);
  });

  test('its role cannot touch agent roles, other policies or the boundary (simulated)', async () => {
    const role = Object.values(resolved.resource.aws_iam_role_policy as Record<string, any>).find((p) => /ManageVersionsOfOwnPoliciesOnly/.test(p.policy));
    const policies = [{ name: 'fn', policy: JSON.parse(role.policy) }];
    const principal = `arn:aws:iam::${ACCOUNT}:role/agent-iam/agent-iam-token-age-staging`;
    const d = (action: string, resource: string) => decide({ principal, action, resource, identityPolicies: policies });
    expect(await d('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/agents/staging/agent-token-age-900s-staging`)).toBe('Allowed');
    expect(await d('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/agents/staging/agent-boundary-staging`)).toBe('ImplicitlyDenied');
    expect(await d('iam:PutRolePolicy', agents.research.roleArn)).toBe('ImplicitlyDenied');
    expect(await d('iam:AttachRolePolicy', agents.research.roleArn)).toBe('ImplicitlyDenied');
  });

  test('runs every minute and once right after each deploy', () => {
    expect(out).toHaveResourceWithProperties(CloudwatchEventRule, { schedule_expression: 'rate(1 minute)' });
    expect(out).toHaveResource(LambdaInvocation);
  });
});

describe('agents as first-class identities', () => {
  test('an expired agent is denied everything, with no Lambda involved', async () => {
    const a = agents['support-triage'];
    const [r] = grantedRequests(a);
    const ctx = { ...r.context, 'aws:TokenIssueTime': '2027-07-01T11:59:00Z' };
    expect(await ask(a, a.identityPolicies, r.action, r.resource, { ...ctx, 'aws:CurrentTime': '2027-07-01T12:00:00Z' })).toBe('ExplicitlyDenied');
    expect(await ask(a, a.identityPolicies, r.action, r.resource, { ...ctx, 'aws:CurrentTime': '2027-06-29T12:00:00Z' })).toBe('Allowed');
  });

  test('the registry is published as encrypted SSM parameters and an output', () => {
    expect(out).toHaveResourceWithProperties(SsmParameter, { name: '/agent-iam/staging/agents/research', type: 'SecureString' });
    expect(out).toHaveResourceWithProperties(SsmParameter, { name: '/agent-iam/staging/agents/support-triage/session-policies/read-ticket' });
    const registry = tf.output.agent_registry.value;
    expect(Object.keys(registry).sort()).toEqual(['release', 'research', 'support-triage']);
    expect(registry.research).toEqual(expect.objectContaining({
      id: 'research', owner: 'ml-research@example.com', dataClassification: 'internal', stage: 3,
      sessionTtlSeconds: 1800, expiresAt: '2027-03-31', roleArn: expect.stringMatching(/aws_iam_role/),
    }));
    expect(registry.release.expiresAt).toBe('never');
  });
});

describe('fine-grained, contextual access', () => {
  const assume = (agent: string, context: Record<string, string>) => decide({
    principal: ORCH, action: 'sts:AssumeRole', resource: agents[agent].roleArn, resourcePolicy: agents[agent].trust,
    identityPolicies: [{ name: 'c', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] } }],
    context,
  });

  test('assuming an agent requires a source identity and the task-id and on-behalf-of session tags', async () => {
    const full = { 'sts:SourceIdentity': 'alice@example.com', 'aws:RequestTag/task-id': 't-42', 'aws:RequestTag/on-behalf-of': 'alice', 'aws:TagKeys': ['task-id', 'on-behalf-of'] } as any;
    expect(await assume('research', full)).toBe('Allowed');
    expect(await assume('research', { 'sts:SourceIdentity': 'alice@example.com' })).toBe('ImplicitlyDenied');
    const { ['aws:RequestTag/on-behalf-of']: _drop, ...noBehalf } = full;
    expect(await assume('research', { ...noBehalf, 'aws:TagKeys': ['task-id'] } as any)).toBe('ImplicitlyDenied');
    expect(await assume('research', { ...full, 'aws:RequestTag/admin': 'true', 'aws:TagKeys': ['task-id', 'on-behalf-of', 'admin'] } as any)).toBe('ImplicitlyDenied');
  });

  test('no service or OIDC principal assumes a stage-3 agent directly', () => {
    for (const a of Object.values(agents)) {
      for (const s of a.trust.Statement) expect(Object.keys(s.Principal)).toEqual(['AWS']);
    }
  });

  const research = () => agents.research;
  const ok = { 'aws:RequestedRegion': 'us-east-1', 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f60718', 'aws:PrincipalTag/on-behalf-of': 'alice' };
  const bucket = `arn:aws:s3:::research-corpus-${ACCOUNT}-staging`;

  test('a session reads the uploads of the person it acts for, and nobody else\'s', async () => {
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/uploads/alice/notes.pdf`, ok)).toBe('Allowed');
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/uploads/bob/notes.pdf`, ok)).toBe('ImplicitlyDenied');
    expect(await ask(research(), research().identityPolicies, 's3:ListBucket', bucket, { ...ok, 's3:prefix': 'uploads/alice/' })).toBe('Allowed');
    expect(await ask(research(), research().identityPolicies, 's3:ListBucket', bucket, { ...ok, 's3:prefix': 'uploads/bob/' })).toBe('ImplicitlyDenied');
  });

  test('a call from a disallowed region is denied', async () => {
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/curated/a.pdf`, { ...ok, 'aws:RequestedRegion': 'eu-west-1' })).toBe('ImplicitlyDenied');
  });

  test('a call from outside the agent\'s VPC endpoint is denied', async () => {
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/curated/a.pdf`, { ...ok, 'aws:SourceVpce': 'vpce-0ffffffffffffffff' })).toBe('ImplicitlyDenied');
    const { ['aws:SourceVpce']: _v, ...noVpce } = ok;
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/curated/a.pdf`, noVpce)).toBe('ImplicitlyDenied');
    expect(await ask(research(), research().identityPolicies, 's3:GetObject', `${bucket}/curated/a.pdf`, ok)).toBe('Allowed');
  });

  test('session-policy templates narrow the agent\'s grants (simulated as session policies)', async () => {
    const param = Object.values(tf.resource.aws_ssm_parameter as Record<string, any>).find((p) => p.name.endsWith('/session-policies/read-ticket'));
    const template = JSON.parse(param.value);
    const a = agents['support-triage'];
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-staging`;
    const d = (action: string) => decide({ principal: a.roleArn, action, resource: table, identityPolicies: a.identityPolicies, boundary: a.boundary, context: { 'aws:RequestedRegion': 'us-east-1' }, sessionPolicy: template });
    expect(await d('dynamodb:GetItem')).toBe('Allowed');
    expect(await d('dynamodb:BatchGetItem')).not.toBe('Allowed');
  });
});

describe('real-time detection', () => {
  test('every required catalog rule is deployed, with people and SIEM targets', () => {
    const rules = Object.values(tf.resource.aws_cloudwatch_event_rule as Record<string, any>).filter((r) => r.event_pattern);
    const ids = new Set(rules.map((r) => r.tags['agent-iam:detection']));
    for (const r of DETECTION_RULES.filter((x) => !x.optional)) expect(ids).toContain(r.id);
    const targets = Object.values(tf.resource.aws_cloudwatch_event_target as Record<string, any>);
    for (const r of rules) {
      const mine = targets.filter((t) => t.rule.includes(Object.keys(tf.resource.aws_cloudwatch_event_rule).find((k) => tf.resource.aws_cloudwatch_event_rule[k] === r)!));
      expect(mine.map((t) => t.target_id).sort()).toEqual(['people', 'siem']);
    }
  });

  test('the people topic is KMS-encrypted and a burst of denied calls raises an alarm', () => {
    expect(out).toHaveResourceWithProperties(SnsTopic, { name: 'agent-iam-detections-staging', kms_master_key_id: expect.stringMatching(/aws_kms_key/) });
    const filter = Object.values(tf.resource.aws_cloudwatch_log_metric_filter as Record<string, any>)[0];
    expect(filter.pattern).toContain('AccessDenied');
    expect(filter.pattern).toContain('role/agents/staging/');
  });
});

describe('detections outside us-east-1', () => {
  test('synth warns that IAM and Organizations events reach EventBridge only in us-east-1', () => {
    const { newStack, agentProps } = require('./support/stacks');
    const stack = newStack({ stage: MaturityStage.ENHANCED, region: 'eu-west-1' });
    stack.addAgent(agentProps({ expiresAt: '2030-01-01' }));
    Testing.synth(stack, true);
    const warnings = stack.node.findAll().flatMap((c: any) => c.node.metadata.filter((m: any) => m.type === '@cdktf/warn').map((m: any) => String(m.data)));
    expect(warnings.some((w: string) => w.startsWith('DET-3.02: events of global services (IAM, Organizations) reach EventBridge only in us-east-1'))).toBe(true);
    const inUsEast1 = newStack({ stage: MaturityStage.ENHANCED });
    inUsEast1.addAgent(agentProps({ expiresAt: '2030-01-01' }));
    Testing.synth(inUsEast1, true);
    expect(inUsEast1.node.findAll().flatMap((c: any) => c.node.metadata.filter((m: any) => m.type === '@cdktf/warn'))).toEqual([]);
  });
});

describe('GuardDuty findings (optional)', () => {
  test('the DET-3.11 rule names every agent role, even agents added after the stack', () => {
    const { newStack, agentProps } = require('./support/stacks');
    const stack = newStack({ stage: MaturityStage.ENHANCED, detection: { guardDutyFindings: true, enableGuardDuty: true } });
    stack.addAgent(agentProps({ name: 'one', expiresAt: '2030-01-01' }));
    stack.addAgent(agentProps({ name: 'two', expiresAt: '2030-01-01' }));
    const tf = JSON.parse(Testing.synth(stack, true));
    const rule = Object.values(tf.resource.aws_cloudwatch_event_rule as Record<string, any>).find((r) => r.tags?.['agent-iam:detection'] === 'DET-3.11');
    const text = JSON.stringify(JSON.parse(rule.event_pattern));
    expect(text).toContain('agent-one-dev');
    expect(text).toContain('agent-two-dev');
    expect(tf.resource.aws_guardduty_detector).toBeDefined();
  });
});
