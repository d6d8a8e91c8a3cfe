/**
 * AgentIdentity: the role, its trust, boundary, tags and policies, as
 * resources in the synthesized Terraform.
 */
import { Testing } from '../lib/private/cdk';
import { IamRole, IamRolePolicy, IamPolicy, IamRolePolicyAttachment } from '../constructs/aws';
import { Grant } from '../lib/grant';
import { AwsLimits } from '../lib/limits';
import { agentPolicies, agentProps, ACCOUNT, newStack, ORCHESTRATOR, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';

const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`;

function synthOne(overrides = {}) {
  const stack = newStack();
  const agent = stack.addAgent(agentProps({ permissions: [Grant.readDynamoItems(TABLE)], ...overrides }));
  return { stack, agent, out: Testing.synth(stack, true) };
}

describe('the role', () => {
  test('is named agent-<name>-<env> under /agents/<env>/ with the stack boundary and a one-hour maximum session', () => {
    const { out } = synthOne();
    expect(out).toHaveResourceWithProperties(IamRole, {
      name: 'agent-triage-dev',
      path: '/agents/dev/',
      max_session_duration: 3600,
      permissions_boundary: '${aws_iam_policy.boundary.arn}',
    });
  });

  test('is tagged with agent id, owner, purpose, environment, stage and managed-by', () => {
    const { out } = synthOne({ dataClassification: 'confidential', expiresAt: '2027-06-30', tags: { 'cost-center': 'cc-42' } });
    expect(out).toHaveResourceWithProperties(IamRole, {
      tags: {
        'agent:id': 'triage',
        'agent:owner': 'support-platform@example.com',
        'agent:purpose': 'Triages support tickets',
        'agent:environment': 'dev',
        'agent:maturity-stage': '2-foundation',
        'agent:managed-by': 'cdktf-agent-iam',
        'agent:data-classification': 'confidential',
        'agent:expires-at': '2027-06-30',
        'agent:session-ttl': '900',
        'cost-center': 'cc-42',
      },
    });
  });

  test('takes a longer maximum session when asked, within IAM limits', () => {
    const { out } = synthOne({ maxSessionDuration: 43200, sessionTtl: 3600 });
    expect(out).toHaveResourceWithProperties(IamRole, { name: 'agent-triage-dev', max_session_duration: 43200 });
  });

  test('exposes its name, ARN reference and session settings', () => {
    const { agent } = synthOne();
    expect(agent.roleName).toBe('agent-triage-dev');
    expect(agent.roleArn).toMatch(/TfToken/);
    expect(agent.sessionTtl).toBe(AwsLimits.ASSUME_ROLE_DURATION_MIN);
    expect(agent.maxSessionDuration).toBe(3600);
  });
});

describe('trust', () => {
  const trustOf = (out: string) => {
    const role = Object.values(JSON.parse(out).resource.aws_iam_role as Record<string, any>).find((r) => r.name === 'agent-triage-dev');
    return JSON.parse(role.assume_role_policy);
  };

  test('AWS principals must pass a source identity, and may set it and tag the session, one statement per action', () => {
    const trust = trustOf(synthOne().out);
    expect(trust.Statement).toEqual([
      {
        Sid: 'AssumeWithSourceIdentity', Effect: 'Allow', Principal: { AWS: [ORCHESTRATOR] }, Action: ['sts:AssumeRole'],
        Condition: { StringLike: { 'sts:SourceIdentity': ['*'] } },
      },
      {
        Sid: 'AssumeWithSourceIdentitySet', Effect: 'Allow', Principal: { AWS: [ORCHESTRATOR] }, Action: ['sts:SetSourceIdentity'],
        Condition: { StringLike: { 'sts:SourceIdentity': ['*'] } },
      },
      {
        Sid: 'AssumeWithSourceIdentityTags', Effect: 'Allow', Principal: { AWS: [ORCHESTRATOR] }, Action: ['sts:TagSession'],
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['task-id', 'on-behalf-of', 'risk-level'] } },
      },
    ]);
  });

  test('a source identity pattern narrows who the agent may act for', () => {
    const trust = trustOf(synthOne({ delegation: { awsPrincipals: [ORCHESTRATOR], sourceIdentityPattern: 'user-*' } }).out);
    expect(trust.Statement[0].Condition).toEqual({ StringLike: { 'sts:SourceIdentity': ['user-*'] } });
  });

  test('ECS tasks carry the confused-deputy guard of this account and region', () => {
    const trust = trustOf(synthOne({ delegation: { services: [{ service: 'ecs-tasks.amazonaws.com' }] } }).out);
    expect(trust.Statement[0]).toEqual({
      Sid: 'ServiceAssume0', Effect: 'Allow', Principal: { Service: ['ecs-tasks.amazonaws.com'] }, Action: ['sts:AssumeRole'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': ['${data.aws_caller_identity.current.account_id}'] },
        ArnLike: { 'aws:SourceArn': ['arn:aws:ecs:us-east-1:${data.aws_caller_identity.current.account_id}:*'] },
      },
    });
  });

  test('a third party assumes only with its external id and a source identity', () => {
    const trust = trustOf(synthOne({ delegation: { thirdParties: [{ principal: 'arn:aws:iam::444455556666:role/vendor', externalId: 'vendor-7f3a' }] } }).out);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': ['vendor-7f3a'] },
      StringLike: { 'sts:SourceIdentity': ['*'] },
    });
  });

  test('an EKS service account is trusted by sub and aud, issuer taken from the provider ARN', () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123`;
    const trust = trustOf(synthOne({ delegation: { oidc: [{ providerArn: provider, subjects: ['system:serviceaccount:agents:triage'], audiences: ['sts.amazonaws.com'] }] } }).out);
    expect(trust.Statement[0]).toEqual({
      Sid: 'WebIdentity0', Effect: 'Allow', Principal: { Federated: [provider] }, Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: {
        StringEquals: { 'oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud': ['sts.amazonaws.com'] },
        StringLike: { 'oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub': ['system:serviceaccount:agents:triage'] },
      },
    });
  });

  test('an IdP that sends the source-identity claim must send it', () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.com`;
    const trust = trustOf(synthOne({ delegation: { oidc: [{ providerArn: provider, subjects: ['agent-runtime'], audiences: ['aws'], sendsSourceIdentity: true }] } }).out);
    expect(trust.Statement.map((s: any) => s.Action)).toEqual([['sts:AssumeRoleWithWebIdentity'], ['sts:SetSourceIdentity'], ['sts:TagSession']]);
    expect(trust.Statement[0].Condition.StringLike['sts:SourceIdentity']).toEqual(['*']);
    expect(trust.Statement[1].Condition).toEqual({ StringLike: { 'sts:SourceIdentity': ['*'] } });
  });
});

describe('service-delegated agents stay assumable by their service', () => {
  const cases: [string, Record<string, string>][] = [
    ['lambda.amazonaws.com', {}],
    ['ecs-tasks.amazonaws.com', { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': `arn:aws:ecs:us-east-1:${ACCOUNT}:task/cluster/abc` }],
    ['bedrock-agentcore.amazonaws.com', { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': `arn:aws:bedrock-agentcore:us-east-1:${ACCOUNT}:runtime/r-1` }],
  ];
  test.each(cases)('%s assumes the role it is declared for', async (service, context) => {
    const { out } = synthOne({ delegation: { services: [{ service }] } });
    const a = agentPolicies(resolveRefs(JSON.parse(out)), 'agent-triage-dev');
    expect(await decide({ principal: service, action: 'sts:AssumeRole', resource: a.roleArn, resourcePolicy: a.trust, context })).toBe('Allowed');
    expect(await decide({ principal: 'glue.amazonaws.com', action: 'sts:AssumeRole', resource: a.roleArn, resourcePolicy: a.trust, context })).toBe('ImplicitlyDenied');
  });

  test('a third party is denied without the external id and allowed with it', async () => {
    const vendor = 'arn:aws:iam::444455556666:role/vendor';
    const { out } = synthOne({ delegation: { thirdParties: [{ principal: vendor, externalId: 'vendor-7f3a' }] } });
    const a = agentPolicies(resolveRefs(JSON.parse(out)), 'agent-triage-dev');
    const callerPolicy = [{ name: 'c', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }];
    const ask = (context: Record<string, string>) => decide({ principal: vendor, action: 'sts:AssumeRole', resource: a.roleArn, resourcePolicy: a.trust, identityPolicies: callerPolicy, resourceAccount: ACCOUNT, context });
    expect(await ask({ 'sts:SourceIdentity': 'vendor-operator' })).toBe('ImplicitlyDenied');
    expect(await ask({ 'sts:ExternalId': 'wrong', 'sts:SourceIdentity': 'vendor-operator' })).toBe('ImplicitlyDenied');
    expect(await ask({ 'sts:ExternalId': 'vendor-7f3a', 'sts:SourceIdentity': 'vendor-operator' })).toBe('Allowed');
  });
});

describe('policies', () => {
  test('small grants go into one inline policy written as plain JSON', () => {
    const { out } = synthOne();
    expect(out).toHaveResourceWithProperties(IamRolePolicy, { name: 'agent-grants' });
    expect(out).not.toHaveResource(IamRolePolicyAttachment);
    const policy = Object.values(JSON.parse(out).resource.aws_iam_role_policy as Record<string, any>).find((p) => p.name === 'agent-grants');
    expect(() => JSON.parse(policy.policy)).not.toThrow();
    expect(policy.policy).not.toContain('jsonencode');
  });

  test('grants over the inline budget fill the inline policy and managed policies, each within its limit', () => {
    const grants = Array.from({ length: 240 }, (_, i) => Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets-archive-${i}`));
    const { out, agent } = synthOne({ permissions: grants });
    const inline = Object.values(JSON.parse(out).resource.aws_iam_role_policy as Record<string, any>).find((p) => p.name === 'agent-grants');
    expect(JSON.stringify(JSON.parse(inline.policy)).length).toBeLessThanOrEqual(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
    const attachments = Object.values(JSON.parse(out).resource.aws_iam_role_policy_attachment as Record<string, any>);
    expect(attachments.every((a) => /^\$\{aws_iam_role\.agent-triage_role_[A-F0-9]+\.name\}$/.test(a.role))).toBe(true);
    const managed = Object.values(JSON.parse(out).resource.aws_iam_policy as Record<string, any>).filter((p) => p.name.startsWith('agent-triage-dev-grants-'));
    expect(managed.length + 1).toBe(agent.policyCount);
    expect(attachments.length).toBe(managed.length);
    expect(managed.length).toBeGreaterThan(1);
    expect(managed.length).toBeLessThanOrEqual(AwsLimits.MANAGED_POLICIES_PER_ROLE);
    const resources = new Set<string>();
    for (const s of JSON.parse(inline.policy).Statement) s.Resource.forEach((r: string) => resources.add(r));
    for (const p of managed) {
      expect(JSON.stringify(JSON.parse(p.policy)).length).toBeLessThanOrEqual(AwsLimits.MANAGED_POLICY_MAX);
      for (const s of JSON.parse(p.policy).Statement) s.Resource.forEach((r: string) => resources.add(r));
    }
    // Every table and its indexes, none lost.
    expect(resources.size).toBe(480);
    expect(out).toHaveResourceWithProperties(IamPolicy, { path: '/agents/dev/' });
  });

  test('policy variables reach Terraform escaped, so IAM (not Terraform) interpolates them', () => {
    const { out } = synthOne({ permissions: [Grant.allow({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::user-files/${aws:PrincipalTag/on-behalf-of}/*'] })] });
    expect(out).toContain('arn:aws:s3:::user-files/$${aws:PrincipalTag/on-behalf-of}/*');
  });
});
