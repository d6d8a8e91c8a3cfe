/**
 * Every document the library writes means what AWS means: condition keys that apply to the
 * actions they sit on, ANDed conditions that stay ANDed, set operators only on multivalued
 * keys, resource types matched exactly, ARNs users do not know in full, policy variables.
 * Semantics through the IAM simulator; bad input asserted by message.
 */
import { App, Testing } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { Grant, grantStatements } from '../lib/grant';
import { applyContext } from '../lib/context';
import { AwsLimits } from '../lib/limits';
import { mergeStatements, policyDoc, policySize } from '../lib/policy';
import { quarantinePolicy, revocationPolicy, revokerInlineReserve } from '../lib/revocation';
import { MaturityStage } from '../lib/maturity';
import { ACCOUNT, agentPolicies, AgentPolicies, agentProps, errorOf, newStack, ORCHESTRATOR, RESPONDER, resolveRefs, synthError } from './support/stacks';
import { checkStage } from '../lib/stage-check';
import { decide } from './support/simulator';
import { parseTerraformJson, readEnvironment } from '../lib/assess';

const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`;
const BUCKET = 'arn:aws:s3:::corpus-bucket';

/** The example fleet's stacks, synthesized and resolved, by environment. */
function exampleAgents(environment: string): Record<string, AgentPolicies> {
  const stack = buildExampleApp(Testing.app() as App).find((s) => s.environment === environment)!;
  const tf = resolveRefs(JSON.parse(Testing.synth(stack, true)));
  return Object.fromEntries(['support-triage', 'research', 'release'].map((a) => [a, agentPolicies(tf, `agent-${a}-${environment}`)]));
}

const callerMayAssume = [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] } }];

function assume(agent: AgentPolicies, caller: string, action: string, context: Record<string, string | string[]>) {
  return decide({ principal: caller, action, resource: agent.roleArn, resourcePolicy: agent.trust, identityPolicies: callerMayAssume, context });
}

const TAGS = { 'aws:RequestTag/task-id': 't-42', 'aws:RequestTag/on-behalf-of': 'alice', 'aws:TagKeys': ['task-id', 'on-behalf-of'] };
const WITH_IDENTITY = { 'sts:SourceIdentity': 'alice@example.com', ...TAGS };

describe('1. trust: each condition key sits on an action it applies to', () => {
  describe.each([
    ['staging', MaturityStage.ENHANCED],
    ['prod', MaturityStage.ADAPTIVE],
  ])('%s (stage %s)', (environment) => {
    let agents: Record<string, AgentPolicies>;
    let caller: string;
    beforeAll(() => {
      agents = exampleAgents(environment);
      // Stage 4 trusts the broker; stage 3 the declared orchestrator.
      caller = agents['support-triage'].trust.Statement[0].Principal.AWS[0];
    });

    test('every declared caller may tag its per-task session with the required tags', async () => {
      for (const a of Object.values(agents)) {
        expect(await assume(a, caller, 'sts:TagSession', TAGS)).toBe('Allowed');
      }
    });
    test('a session without the required tags, or with a tag key outside the allowed ones, cannot be tagged', async () => {
      const a = agents['support-triage'];
      expect(await assume(a, caller, 'sts:TagSession', { 'aws:RequestTag/task-id': 't-42', 'aws:TagKeys': ['task-id'] })).toBe('ImplicitlyDenied');
      expect(await assume(a, caller, 'sts:TagSession', { ...TAGS, 'aws:RequestTag/admin': 'yes', 'aws:TagKeys': ['task-id', 'on-behalf-of', 'admin'] })).toBe('ImplicitlyDenied');
    });
    test('the caller may set the source identity, and may assume only with one and the tags', async () => {
      const a = agents.research;
      expect(await assume(a, caller, 'sts:SetSourceIdentity', { 'sts:SourceIdentity': 'alice@example.com' })).toBe('Allowed');
      expect(await assume(a, caller, 'sts:AssumeRole', WITH_IDENTITY)).toBe('Allowed');
      expect(await assume(a, caller, 'sts:AssumeRole', TAGS)).toBe('ImplicitlyDenied');
      expect(await assume(a, caller, 'sts:AssumeRole', { 'sts:SourceIdentity': 'alice@example.com' })).toBe('ImplicitlyDenied');
    });
    test('no trust statement carries a key the service reference does not list for its actions', () => {
      for (const a of Object.values(agents)) {
        for (const s of a.trust.Statement) {
          const keys = Object.values(s.Condition ?? {}).flatMap((k: any) => Object.keys(k));
          if (s.Action.includes('sts:TagSession')) expect(keys).not.toContain('sts:SourceIdentity');
          if (s.Action.includes('sts:SetSourceIdentity')) expect(keys.filter((k) => /^aws:(RequestTag|TagKeys)/.test(k))).toEqual([]);
        }
      }
    });
  });

  test('at stage 2 the orchestrator may still tag sessions (known keys only) and set the source identity', async () => {
    const a = exampleAgents('dev')['support-triage'];
    expect(await assume(a, ORCHESTRATOR, 'sts:TagSession', TAGS)).toBe('Allowed');
    expect(await assume(a, ORCHESTRATOR, 'sts:TagSession', { 'aws:RequestTag/admin': 'yes', 'aws:TagKeys': ['admin'] })).toBe('ImplicitlyDenied');
    expect(await assume(a, ORCHESTRATOR, 'sts:SetSourceIdentity', { 'sts:SourceIdentity': 'alice@example.com' })).toBe('Allowed');
    expect(await assume(a, ORCHESTRATOR, 'sts:AssumeRole', {})).toBe('ImplicitlyDenied');
  });
});

describe('1. grants: a condition key must apply to every action of its grant', () => {
  test('dynamodb:LeadingKeys on s3:GetObject is rejected, naming the action and the key', () => {
    const msg = synthError({ permissions: [Grant.allow({
      actions: ['s3:GetObject'], resources: [`${BUCKET}/*`],
      conditions: [{ test: 'ForAllValues:StringEquals', variable: 'dynamodb:LeadingKeys', values: ['alice'] }],
    })] });
    expect(msg).toContain('agent "triage": permissions[0].conditions[0]: condition key "dynamodb:LeadingKeys" does not apply to "s3:GetObject" (the AWS Service Authorization Reference lists it for neither the action nor its resource types), so the condition never restricts them. Use a key these actions support, or remove the condition');
  });
  test('s3:prefix on s3:GetObject is rejected (it applies to s3:ListBucket only)', () => {
    const msg = synthError({ permissions: [Grant.allow({
      actions: ['s3:GetObject'], resources: [`${BUCKET}/*`],
      conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['reports/*'] }],
    })] });
    expect(msg).toContain('permissions[0].conditions[0]: condition key "s3:prefix" does not apply to "s3:GetObject" (the AWS Service Authorization Reference lists it for neither the action nor its resource types), so the grant never allows them');
  });
  test('a key that applies to some actions of a grant only is rejected with the actions to split out', () => {
    const msg = synthError({ permissions: [Grant.allow({
      actions: ['s3:ListBucket', 's3:GetObject'], resources: [BUCKET, `${BUCKET}/*`],
      conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['reports/*'] }],
    })] });
    expect(msg).toContain('condition key "s3:prefix" does not apply to "s3:GetObject"');
    expect(msg).toContain('Put those actions in a grant of their own without this condition');
  });
  test('keys the reference lists for the action, for its resource type, or globally are accepted', () => {
    expect(synthError({ permissions: [
      Grant.allow({ actions: ['s3:ListBucket'], resources: [BUCKET], conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['reports/*'] }] }),
      Grant.allow({ actions: ['dynamodb:GetItem'], resources: [TABLE], conditions: [{ test: 'ForAllValues:StringEquals', variable: 'dynamodb:LeadingKeys', values: ['alice'] }] }),
      Grant.allow({ actions: ['s3:GetObject'], resources: [`${BUCKET}/*`], conditions: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['true'] }] }),
      Grant.allow({ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:q`], conditions: [{ test: 'StringEquals', variable: 'aws:ResourceTag/team', values: ['support'] }] }),
    ] })).toBe('');
  });
});

describe('2. ANDed conditions stay ANDed', () => {
  test('two conditions with one operator and key are rejected, with why, never merged into OR', () => {
    const msg = synthError({ permissions: [Grant.allow({
      actions: ['s3:ListBucket'], resources: [BUCKET],
      conditions: [
        { test: 'StringLike', variable: 's3:prefix', values: ['reports/*'] },
        { test: 'StringLike', variable: 's3:prefix', values: ['*/2026/*'] },
      ],
    })] });
    expect(msg).toContain('agent "triage": permissions[0].conditions[1]: repeats StringLike on "s3:prefix" (as conditions[0] does); IAM holds one value list per operator and key and reads it as OR, so the two conditions cannot both be required');
  });
  test('the same key under two operators stays two ANDed tests', () => {
    const [st] = grantStatements([Grant.allow({
      actions: ['s3:ListBucket'], resources: [BUCKET],
      conditions: [
        { test: 'StringLike', variable: 's3:prefix', values: ['reports/*'] },
        { test: 'StringNotLike', variable: 's3:prefix', values: ['reports/secret/*'] },
      ],
    })]);
    expect(st.Condition).toEqual({ StringLike: { 's3:prefix': ['reports/*'] }, StringNotLike: { 's3:prefix': ['reports/secret/*'] } });
  });
});

describe('3. set operators only on multivalued keys', () => {
  test.each([
    ['ForAllValues:StringEquals', 'aws:SourceIp'],
    ['ForAnyValue:StringLike', 'sts:SourceIdentity'],
    ['ForAllValues:StringEquals', 'aws:RequestedRegion'],
  ])('%s on single-valued %s is rejected', (test, variable) => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: [TABLE], conditions: [{ test, variable, values: ['x'] }] })] });
    expect(msg).toContain(`permissions[0].conditions[0]: ${test.split(':')[0]} on "${variable}", which holds one value: set operators are for multivalued keys (such as aws:TagKeys), and ForAllValues is true when the key is missing, opening the grant. Use "${test.split(':')[1]}"`);
  });
  test('set operators on multivalued keys are accepted', () => {
    expect(synthError({ permissions: [Grant.allow({
      actions: ['dynamodb:GetItem'], resources: [TABLE],
      conditions: [{ test: 'ForAnyValue:StringEquals', variable: 'aws:CalledVia', values: ['athena.amazonaws.com'] }],
    })] })).toBe('');
  });
});

describe('4. resource types are matched exactly', () => {
  test('s3:ListBucket on an object ARN is rejected (a bucket name is one segment)', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['s3:ListBucket'], resources: [`${BUCKET}/reports`] })] });
    expect(msg).toContain(`permissions[0].resources: "${BUCKET}/reports" is not a resource of any action in this grant; expected for example`);
    expect(msg).toContain('"arn:${Partition}:s3:::${BucketName}" (this ARN names resource type "s3:object", which these actions do not take)');
  });
  test('dynamodb:GetItem on an index ARN is rejected (an index is not a table)', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: [`${TABLE}/index/by-owner`] })] });
    expect(msg).toContain(`"${TABLE}/index/by-owner" is not a resource of any action in this grant; expected for example "arn:\${Partition}:dynamodb:\${Region}:\${Account}:table/\${TableName}" (this ARN names resource type "dynamodb:index"`);
  });
  test('object keys, role paths and log groups still span separators', () => {
    expect(synthError({ permissions: [
      Grant.allow({ actions: ['s3:GetObject'], resources: [`${BUCKET}/a/b/c.txt`] }),
      Grant.allow({ actions: ['dynamodb:Query'], resources: [`${TABLE}/index/by-owner`] }),
      Grant.allow({ actions: ['logs:PutLogEvents'], resources: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/agents/triage:log-stream:*`] }),
    ] })).toBe('');
  });
});

describe('6. policy variables and whole buckets', () => {
  test('a policy variable in an ARN field is accepted and reaches IAM as written (escaped for Terraform)', () => {
    const queue = `arn:aws:sqs:\${aws:RequestedRegion}:${ACCOUNT}:replies`;
    expect(synthError({ permissions: [Grant.allow({ actions: ['sqs:SendMessage'], resources: [queue] })] })).toBe('');
    const stack = newStack();
    stack.addAgent(agentProps({ permissions: [Grant.allow({ actions: ['sqs:SendMessage'], resources: [queue] })] }));
    const tf = JSON.parse(Testing.synth(stack, true));
    const policy = Object.values(tf.resource.aws_iam_role_policy as Record<string, any>).find((p) => p.name === 'agent-grants').policy;
    expect(JSON.parse(policy).Statement[0].Resource).toEqual([`arn:aws:sqs:$\${aws:RequestedRegion}:${ACCOUNT}:replies`]);
  });
  test('a policy variable in an object key still has to fit the action', () => {
    expect(synthError({ permissions: [Grant.allow({ actions: ['s3:ListBucket'], resources: [`${BUCKET}/\${aws:username}`] })] }))
      .toContain('is not a resource of any action in this grant');
  });

  test('readS3Prefix with an empty prefix reads and lists the whole bucket, never "bucket//*"', async () => {
    for (const prefix of ['', '/']) {
      const statements = grantStatements([Grant.readS3Prefix(BUCKET, prefix)]);
      expect(JSON.stringify(statements)).not.toContain('//');
      const policy = { Version: '2012-10-17', Statement: statements };
      const ask = (action: string, resource: string, context: Record<string, string> = {}) => decide({
        principal: `arn:aws:iam::${ACCOUNT}:role/agent`, action, resource, identityPolicies: [{ name: 'p', policy }], context,
      });
      expect(await ask('s3:GetObject', `${BUCKET}/reports/2026/q1.pdf`)).toBe('Allowed');
      expect(await ask('s3:ListBucket', BUCKET, { 's3:prefix': 'reports/' })).toBe('Allowed');
      expect(await ask('s3:ListBucket', BUCKET)).toBe('Allowed');
    }
    expect(synthError({ permissions: [Grant.readS3Prefix(BUCKET, '')] })).toBe('');
  });
});

describe('13. NotAction', () => {
  test('"!s3:DeleteObject" says NotAction is not supported instead of suggesting the action it negates', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['!s3:DeleteObject'], resources: [`${BUCKET}/*`] })] });
    expect(msg).toContain('agent "triage": permissions[0].actions: "!s3:DeleteObject" reads as NotAction ("every action except s3:DeleteObject"), which this library does not support');
    expect(msg).not.toContain('did you mean');
  });
});

describe('7. the inline budget leaves room for the stage-4 revoker', () => {
  // One grant of n object prefixes of equal length: the document grows one ARN at a time.
  const grantOf = (n: number) => Grant.allow({ actions: ['s3:GetObject'], resources: Array.from({ length: n }, (_, i) => `${BUCKET}/tenant-${String(i).padStart(4, '0')}/*`) });
  const build = (stage: MaturityStage, n: number) => {
    const stack = newStack({ stage, environment: 'prod' });
    const agent = stack.addAgent(agentProps({
      expiresAt: '2027-06-30', permissions: [grantOf(n)],
      sessionPolicies: [{ name: 'read', permissions: [Grant.allow({ actions: ['s3:GetObject'], resources: [`${BUCKET}/tenant-0000/*`] })] }],
    }));
    const tf = JSON.parse(Testing.synth(stack, true));
    const inlineDocs = Object.values(tf.resource.aws_iam_role_policy as Record<string, any>);
    return {
      agent,
      inline: inlineDocs.map((p) => p.name as string),
      // The agent's own inline policies (the stack's Lambda roles have theirs).
      inlineSize: inlineDocs.filter((p) => String(p.name).startsWith('agent-')).reduce((n, p) => n + JSON.stringify(JSON.parse(p.policy)).length, 0),
      // The expiry guardrail as synthesized (read from the emitted inline policy, as assess reads it).
      guardrails: policyDoc(inlineDocs.flatMap((p) => JSON.parse(p.policy).Statement).filter((st: any) => st.Sid === 'DenyAfterExpiry')),
    };
  };

  test('grants that fit inline today move to managed policies at stage 4, so the revoker\'s run-time policies always fit', () => {
    const reserve = revokerInlineReserve();
    expect(reserve).toBe(policySize(revocationPolicy('2026-12-31T23:59:59.999Z')) + policySize(quarantinePolicy()));
    const guardrails = policySize(build(MaturityStage.ENHANCED, 1).guardrails);
    // The grants as the agent writes them (merged, region context of stage 3+), for n prefixes.
    const grantsSize = (n: number) => policySize(policyDoc(applyContext(mergeStatements(grantStatements([grantOf(n)])), { allowedRegions: ['us-east-1'] })));
    let n = 1;
    while (grantsSize(n + 1) + guardrails <= AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX) n++;
    const total = grantsSize(n) + guardrails;
    // Just under 10,240: inline without the reserve, over it with the reserve.
    expect(total).toBeLessThanOrEqual(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
    expect(total + reserve).toBeGreaterThan(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
    // Stage 3 has no revoker: the grants stay inline.
    expect(build(MaturityStage.ENHANCED, n).inline).toContain('agent-grants');
    // Stage 4: some move to managed policies; what stays inline plus the revoker's two policies fits.
    const adaptive = build(MaturityStage.ADAPTIVE, n);
    expect(adaptive.agent.policyCount).toBeGreaterThan(build(MaturityStage.ENHANCED, n).agent.policyCount);
    expect(adaptive.inlineSize + reserve).toBeLessThanOrEqual(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
    expect(adaptive.agent.policyCount).toBeGreaterThan(0);
    expect(guardrails + reserve).toBeLessThanOrEqual(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
  });
});

describe('5. ARNs users do not know in full', () => {
  const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-creds`;
  const REAL_SECRET = `${SECRET}-a1B2c3`;
  const askWith = (statements: any[], action: string, resource: string, context: Record<string, string> = {}) => decide({
    principal: `arn:aws:iam::${ACCOUNT}:role/agent`, action, resource, context,
    identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: statements } }],
  });

  test('a secret ARN without the 6-character suffix is granted as name-?????? and matches the real secret', async () => {
    const statements = grantStatements([Grant.readSecret(SECRET)]);
    expect(statements[0].Resource).toEqual([`${SECRET}-??????`]);
    expect(await askWith(statements, 'secretsmanager:GetSecretValue', REAL_SECRET)).toBe('Allowed');
    // A secret whose name only starts the same is not matched.
    expect(await askWith(statements, 'secretsmanager:GetSecretValue', `${SECRET}-old-a1B2c3`)).toBe('ImplicitlyDenied');
    // Without the pattern, the grant would match no secret at all.
    expect(await askWith([{ ...statements[0], Resource: [SECRET] }], 'secretsmanager:GetSecretValue', REAL_SECRET)).toBe('ImplicitlyDenied');
  });
  test('a complete secret ARN is kept as written', () => {
    expect(grantStatements([Grant.readSecret(REAL_SECRET)])[0].Resource).toEqual([REAL_SECRET]);
    expect(synthError({ permissions: [Grant.readSecret(SECRET)] })).toBe('');
  });

  const PROFILE = `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0`;
  const model = (region: string) => `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0`;

  test('a cross-region inference profile grants the profile and the model in each destination region, through the profile only', async () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED, environment: 'staging' });
    stack.addAgent(agentProps({ expiresAt: '2027-06-30', permissions: [Grant.invokeBedrockModel(PROFILE)] }));
    const a = agentPolicies(resolveRefs(JSON.parse(Testing.synth(stack, true))), 'agent-triage-staging');
    const ask = (resource: string, region: string, profile?: string) => decide({
      principal: a.roleArn, action: 'bedrock:InvokeModel', resource, identityPolicies: a.identityPolicies, boundary: a.boundary,
      context: { 'aws:RequestedRegion': region, ...(profile ? { 'bedrock:InferenceProfileArn': profile } : {}) },
    });
    expect(await ask(PROFILE, 'us-east-1')).toBe('Allowed');
    // The routed request: the model in each destination region, while the region context admits it.
    for (const r of ['us-east-1', 'us-east-2', 'us-west-2']) expect(`${r} ${await ask(model(r), r, PROFILE)}`).toBe(`${r} Allowed`);
    // Not the model directly, not through another profile, not in another geography, and the profile itself only from the agent's region.
    expect(await ask(model('us-west-2'), 'us-west-2')).toBe('ImplicitlyDenied');
    expect(await ask(model('us-west-2'), 'us-west-2', PROFILE.replace('us.anthropic', 'us.meta'))).toBe('ImplicitlyDenied');
    expect(await ask(model('eu-west-1'), 'eu-west-1', PROFILE)).toBe('ImplicitlyDenied');
    expect(await ask(PROFILE, 'us-west-2')).toBe('ImplicitlyDenied');
  });

  test('a grant on a resource in a region the agent may not call is a synth warning at stage 3', () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED, environment: 'staging' });
    stack.addAgent(agentProps({ expiresAt: '2027-06-30', permissions: [Grant.sendToQueue(`arn:aws:sqs:eu-west-1:${ACCOUNT}:replies`), Grant.invokeBedrockModel(PROFILE)] }));
    Testing.synth(stack, true);
    const warnings = stack.node.findAll().flatMap((c: any) => c.node.metadata.filter((m: any) => m.type === '@cdktf/warn').map((m: any) => String(m.data)));
    expect(warnings).toEqual([
      `agent "triage": permissions: "arn:aws:sqs:eu-west-1:${ACCOUNT}:replies" is in eu-west-1, outside the agent's allowed regions (us-east-1); every call to it is denied by aws:RequestedRegion. Add "eu-west-1" to context.allowedRegions, or grant the resource in an allowed region`,
    ]);
  });
});

describe('10. service principals', () => {
  test('a misspelt service principal is rejected with the nearest known one', () => {
    expect(synthError({ delegation: { services: [{ service: 'ecs-task.amazonaws.com' }] } }))
      .toContain('agent "triage": delegation.services[0].service: "ecs-task.amazonaws.com" is not a service principal this library knows; did you mean "ecs-tasks.amazonaws.com"?');
  });
  test('EKS Pod Identity gets sts:TagSession beside sts:AssumeRole, as AWS requires, and may tag its sessions', async () => {
    const stack = newStack();
    stack.addAgent(agentProps({ delegation: { services: [{ service: 'pods.eks.amazonaws.com' }] } }));
    const a = agentPolicies(resolveRefs(JSON.parse(Testing.synth(stack, true))), 'agent-triage-dev');
    expect(a.trust.Statement).toEqual([{ Sid: 'ServiceAssume0', Effect: 'Allow', Principal: { Service: ['pods.eks.amazonaws.com'] }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]);
    const ask = (action: string) => decide({
      principal: 'pods.eks.amazonaws.com', action, resource: a.roleArn, resourcePolicy: a.trust,
      context: { 'aws:RequestTag/kubernetes-namespace': 'agents', 'aws:TagKeys': ['kubernetes-namespace'] },
    });
    expect(await ask('sts:AssumeRole')).toBe('Allowed');
    expect(await ask('sts:TagSession')).toBe('Allowed');
  });
});

describe('11. dates', () => {
  test.each(['2027-02-30', '2027-13-01', '2027-06-31'])('expiresAt %s, a day that does not exist, is rejected', (d) => {
    expect(synthError({ expiresAt: d })).toContain(`agent "triage": expiresAt: "${d}" is not a day on the calendar; write for example "2027-06-30" or "2027-06-30T00:00:00Z"`);
  });
  test('a date-time without a zone is rejected with the fix', () => {
    expect(synthError({ expiresAt: '2027-06-30T18:00:00' })).toContain('agent "triage": expiresAt: "2027-06-30T18:00:00" has no time zone; end it with "Z" (UTC) or an offset such as "+02:00"');
  });
  test('an ISO 8601 date-time with a zone is accepted and enforced as written', async () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED, environment: 'staging' });
    stack.addAgent(agentProps({ expiresAt: '2027-06-30T18:00:00+02:00', permissions: [Grant.readDynamoItems(TABLE)] }));
    const a = agentPolicies(resolveRefs(JSON.parse(Testing.synth(stack, true))), 'agent-triage-staging');
    const ask = (now: string) => decide({
      principal: a.roleArn, action: 'dynamodb:GetItem', resource: TABLE, identityPolicies: a.identityPolicies, boundary: a.boundary,
      context: { 'aws:RequestedRegion': 'us-east-1', 'aws:CurrentTime': now, 'aws:TokenIssueTime': now },
    });
    expect(await ask('2027-06-30T15:59:00Z')).toBe('Allowed');
    expect(await ask('2027-06-30T16:01:00Z')).toBe('ExplicitlyDenied');
  });
  test('a context window with a day that does not exist is rejected', () => {
    expect(synthError({ context: { notAfter: '2027-02-29T00:00:00Z' } })).toContain('agent "triage": context.notAfter: "2027-02-29T00:00:00Z" is not a day on the calendar');
  });
  test('the stage check says an expiry is recorded but not enforced, never "no expiry", for an agent that set one', () => {
    const stack = newStack();
    stack.addAgent(agentProps({ expiresAt: '2027-06-30' }));
    // The facts as `assess` and the synth-time check read them: from the emitted Terraform.
    const facts = readEnvironment(parseTerraformJson(JSON.parse(Testing.synth(stack)), 'dev', 'cdk.tf.json')).facts;
    expect(checkStage(facts, MaturityStage.ENHANCED).filter((f) => f.controlId === 'AIAM-3.01').map((f) => f.message)).toEqual([
      'expiry 2027-06-30 is recorded (tag agent:expires-at) but not enforced: no Deny on aws:CurrentTime after it (stage 3 writes one)',
    ]);
  });
});

describe('12. stage 4 never drops what the user declared', () => {
  const adaptive = (agent: Partial<Parameters<typeof agentProps>[0]>) => synthError(
    { expiresAt: '2027-06-30', sessionPolicies: [{ name: 'read', permissions: [Grant.readDynamoItems(TABLE)] }], permissions: [Grant.readDynamoItems(TABLE)], ...agent },
    { stage: MaturityStage.ADAPTIVE, environment: 'prod' },
  );
  test('a valid stage-4 agent synthesizes (the baseline)', () => {
    expect(adaptive({})).toBe('');
  });
  test('a third party at stage 4 is an error, not silently dropped', () => {
    expect(adaptive({ delegation: { awsPrincipals: [ORCHESTRATOR], thirdParties: [{ principal: 'arn:aws:iam::444455556666:role/vendor', externalId: 'vendor-7f3a' }] } }))
      .toContain('agent "triage": delegation.thirdParties[0]: at stage 4 (Adaptive) only the credential broker and break-glass roles may assume an agent, so "arn:aws:iam::444455556666:role/vendor" (and its external id) would be dropped from the trust policy');
  });
  test('a service principal at stage 4 is an error, not silently dropped', () => {
    expect(adaptive({ delegation: { services: [{ service: 'ecs-tasks.amazonaws.com' }] } }))
      .toContain('agent "triage": delegation.services[0]: at stage 4 (Adaptive) only the credential broker and break-glass roles may assume an agent, so "ecs-tasks.amazonaws.com" would be dropped');
  });
  test('an agent with no session-policy template is an error at stage 4 (the broker would refuse it forever)', () => {
    expect(adaptive({ sessionPolicies: [] })).toContain('agent "triage": sessionPolicies: is empty; at stage 4 the broker issues sessions only under a session-policy template');
  });
});

describe('9. the trust policy actually written is measured', () => {
  test('30 break-glass roles at stage 4 overflow the trust policy written on every agent', () => {
    const breakGlassRoleArns = Array.from({ length: 30 }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/break-glass-${String(i).padStart(2, '0')}`);
    const msg = synthError(
      { expiresAt: '2027-06-30', sessionPolicies: [{ name: 'read', permissions: [Grant.readDynamoItems(TABLE)] }], permissions: [Grant.readDynamoItems(TABLE)] },
      { stage: MaturityStage.ADAPTIVE, environment: 'prod', adaptive: { breakGlassRoleArns, responderRoleArns: [RESPONDER] } },
    );
    expect(msg).toMatch(/agent "triage": delegation: the trust policy written on the role \(the broker and 30 break-glass roles of stage 4\) is \d+ characters as IAM counts them; IAM allows 2048/);
  });
});

describe('8. the 50-tag limit counts the provider default_tags', () => {
  // 8 library tags + n own tags + 2 provider default_tags.
  const own = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`team:t${i}`, 'x']));
  test('40 own tags fit (8 + 40 + 2 = 50)', () => {
    expect(synthError({ tags: own(40) })).toBe('');
  });
  test('41 own tags do not (51 with default_tags), though the role alone would carry 49', () => {
    expect(synthError({ tags: own(41) })).toContain('agent "triage": tags: 51 tags (library tags and 2 provider default_tags included); IAM allows 50 per role. Remove 1 extra tags');
  });
});

describe('13. stack inputs are collected library messages', () => {
  test('a duplicate addAgent name is one message in the list, not a constructs stack trace', () => {
    const msg = errorOf(() => {
      const stack = newStack();
      stack.addAgent(agentProps({ name: 'twin' }));
      stack.addAgent(agentProps({ name: 'twin', owner: '' }));
      Testing.synth(stack, true);
    });
    expect(msg).toContain('stack "dev": agents: agent "twin" is declared 2 times; agent names must be unique in an environment');
    expect(msg).toContain('agent "twin": owner: is required');
    expect(msg).not.toContain('There is already a Construct');
  });
});

describe('session-policy templates are policies too', () => {
  test('ANDed conditions in a template are rejected like in a grant', () => {
    const prefix = Grant.allow({
      actions: ['s3:ListBucket'], resources: [BUCKET],
      conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['a/*'] }, { test: 'StringLike', variable: 's3:prefix', values: ['*/b/*'] }],
    });
    expect(synthError({ permissions: [Grant.allow({ actions: ['s3:ListBucket'], resources: [BUCKET] })], sessionPolicies: [{ name: 'list', permissions: [prefix] }] }))
      .toContain('agent "triage": sessionPolicies[0].permissions[0].conditions[1]: repeats StringLike on "s3:prefix"');
  });
});
