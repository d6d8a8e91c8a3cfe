/**
 * The permissions boundary: every action it names exists (a misspelt deny
 * would deny nothing); an agent handed `Allow *` still cannot write resource
 * policies, touch the library's control plane or act beyond what grants name.
 */
import { boundaryPolicy, IAM_WRITE_ACTIONS, AUDIT_TAMPER_ACTIONS, AUDIT_STORE_ACTIONS } from '../lib/boundary';
import { expandAction } from '../lib/iam-reference';
import { App, Testing } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { controlPlaneResources, RESOURCE_POLICY_WRITE_ACTIONS, scopedBoundary } from '../lib/boundary';
import { lookupAction } from '../lib/iam-reference';
import { agentPolicies, AgentPolicies, ACCOUNT, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';


const doc = boundaryPolicy({
  partition: 'aws', accountId: '111122223333', environment: 'dev', services: ['s3', 'DynamoDB', 's3'],
  auditBucketArn: 'arn:aws:s3:::audit', auditKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', auditQueueArns: ['arn:aws:sqs:us-east-1:111122223333:q'],
});

test.each([...IAM_WRITE_ACTIONS, ...AUDIT_TAMPER_ACTIONS, ...AUDIT_STORE_ACTIONS])('%s names at least one real action', (action) => {
  expect(expandAction(action).length).toBeGreaterThan(0);
});

test('IAM writes that would remove the boundary or grant more are among the denied', () => {
  const denied = IAM_WRITE_ACTIONS.flatMap(expandAction).map((a) => `iam:${a.name}`);
  for (const a of ['iam:DeleteRolePermissionsBoundary', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy', 'iam:AttachRolePolicy',
    'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:UpdateAssumeRolePolicy', 'iam:CreateAccessKey', 'iam:PassRole']) {
    expect(denied).toContain(a);
  }
});

test('allows only the services the agents are granted, deduplicated', () => {
  expect(doc.Statement[0]).toEqual({ Sid: 'AllowServicesAgentsUse', Effect: 'Allow', Action: ['dynamodb:*', 's3:*', 'sts:GetCallerIdentity'], Resource: ['*'] });
});

test('denies assuming any role outside the environment\'s agent path', () => {
  expect(doc.Statement.find((s) => s.Sid === 'DenyAssumingNonAgentRoles')).toEqual({
    Sid: 'DenyAssumingNonAgentRoles', Effect: 'Deny', Action: ['sts:AssumeRole'], NotResource: ['arn:aws:iam::111122223333:role/agents/dev/*'],
  });
});

// ---------------------------------------------------------------------------------------------
// An abused agent: handed `Allow *` by a mistake or an attacker, what can it still do?


test.each(RESOURCE_POLICY_WRITE_ACTIONS)('resource-policy write %s is a real action', (action) => {
  expect(lookupAction(action)).toBeDefined();
});

describe('an agent handed Allow * stays inside the boundary (simulated)', () => {
  let research: AgentPolicies;
  const ALLOW_ALL = [{ name: 'abused', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
  beforeAll(() => {
    const prod = buildExampleApp(Testing.app() as App).find((s) => s.environment === 'prod')!;
    research = agentPolicies(resolveRefs(JSON.parse(Testing.synth(prod, true))), 'agent-research-prod');
  });
  const asAbused = (action: string, resource: string) => decide({
    principal: research.roleArn, action, resource, identityPolicies: ALLOW_ALL, boundary: research.boundary,
    context: { 'aws:PrincipalArn': research.roleArn, 'aws:RequestedRegion': 'us-east-1' },
  });
  const R = 'us-east-1';

  test.each([
    ['s3:PutBucketPolicy', `arn:aws:s3:::research-corpus-${ACCOUNT}-prod`],
    ['s3:PutBucketAcl', 'arn:aws:s3:::any-bucket'],
    ['dynamodb:PutResourcePolicy', `arn:aws:dynamodb:${R}:${ACCOUNT}:table/research-notes-prod`],
    ['sqs:AddPermission', `arn:aws:sqs:${R}:${ACCOUNT}:jobs`],
    ['sqs:SetQueueAttributes', `arn:aws:sqs:${R}:${ACCOUNT}:jobs`],
    ['sns:AddPermission', `arn:aws:sns:${R}:${ACCOUNT}:alerts`],
    ['lambda:AddPermission', `arn:aws:lambda:${R}:${ACCOUNT}:function:research-tools`],
    ['kms:PutKeyPolicy', `arn:aws:kms:${R}:${ACCOUNT}:key/0b1c2d3e-4f50-4172-8394-a5b6c7d8e9f0`],
    ['secretsmanager:PutResourcePolicy', `arn:aws:secretsmanager:${R}:${ACCOUNT}:secret:prod/db-AbC123`],
  ])('cannot write a resource policy: %s on %s (persistence that outlives revocation)', async (action, resource) => {
    expect(await asAbused(action, resource)).toBe('ExplicitlyDenied');
  });

  test.each([
    ['lambda:PutFunctionConcurrency', `arn:aws:lambda:${R}:${ACCOUNT}:function:agent-iam-revoker-prod`],
    ['lambda:UpdateFunctionCode', `arn:aws:lambda:${R}:${ACCOUNT}:function:agent-iam-token-age-prod`],
    ['lambda:InvokeFunction', `arn:aws:lambda:${R}:${ACCOUNT}:function:agent-iam-revoker-prod`],
    ['events:DisableRule', `arn:aws:events:${R}:${ACCOUNT}:rule/agent-iam-prod-token-age-tick`],
    ['events:RemoveTargets', `arn:aws:events:${R}:${ACCOUNT}:rule/agent-iam-prod-det-3.02`],
    ['dynamodb:DeleteTable', `arn:aws:dynamodb:${R}:${ACCOUNT}:table/agent-iam-risk-prod`],
    ['dynamodb:PutItem', `arn:aws:dynamodb:${R}:${ACCOUNT}:table/agent-iam-revocations-prod`],
    ['sqs:PurgeQueue', `arn:aws:sqs:${R}:${ACCOUNT}:agent-iam-revoker-prod-dlq`],
    ['sns:Unsubscribe', `arn:aws:sns:${R}:${ACCOUNT}:agent-iam-detections-prod`],
    ['logs:DeleteLogStream', `arn:aws:logs:${R}:${ACCOUNT}:log-group:/aws/lambda/agent-iam-revoker-prod:log-stream:x`],
    ['cloudwatch:DeleteAlarms', `arn:aws:cloudwatch:${R}:${ACCOUNT}:alarm:agent-iam-revoker-prod-errors`],
    ['ssm:PutParameter', `arn:aws:ssm:${R}:${ACCOUNT}:parameter/agent-iam/prod/agents/research`],
  ])('cannot touch the library\'s control plane: %s on %s', async (action, resource) => {
    expect(await asAbused(action, resource)).toBe('ExplicitlyDenied');
  });

  test('cannot read a bucket or start a pipeline that no grant names; its own grants still work', async () => {
    expect(await asAbused('s3:GetObject', 'arn:aws:s3:::payroll-exports/2026/11.csv')).not.toBe('Allowed');
    expect(await asAbused('codepipeline:StartPipelineExecution', `arn:aws:codepipeline:${R}:${ACCOUNT}:payments-deploy`)).not.toBe('Allowed');
    expect(await asAbused('s3:GetObject', `arn:aws:s3:::research-corpus-${ACCOUNT}-prod/curated/paper.pdf`)).toBe('Allowed');
  });
});

describe('the boundary\'s allow is as narrow as fits one managed policy', () => {
  const base = {
    partition: 'aws', accountId: '111122223333', environment: 'dev', services: ['s3', 'dynamodb'],
    auditBucketArn: 'arn:aws:s3:::audit', auditKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', auditQueueArns: ['arn:aws:sqs:us-east-1:111122223333:q'],
  };
  const A = 'arn:aws:iam::111122223333:role/agents/dev/agent-a-dev';
  const B = 'arn:aws:iam::111122223333:role/agents/dev/agent-b-dev';
  const grantsA = [{ Effect: 'Allow' as const, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::a-data/*'] }];
  const grantsB = [{ Effect: 'Allow' as const, Action: ['dynamodb:PutItem'], Resource: ['arn:aws:dynamodb:us-east-1:111122223333:table/b'] }];

  test('small fleets: each agent only what its own grants name, so an abused agent cannot use a peer\'s grant', async () => {
    const { doc, scope } = scopedBoundary({ ...base, agents: [{ roleArn: A, statements: grantsA }, { roleArn: B, statements: grantsB }] });
    expect(scope).toBe('per-agent-resources');
    const ask = (principal: string, action: string, resource: string) => decide({
      principal, action, resource, boundary: doc, context: { 'aws:PrincipalArn': principal },
      identityPolicies: [{ name: 'abused', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    });
    expect(await ask(A, 's3:GetObject', 'arn:aws:s3:::a-data/x')).toBe('Allowed');
    expect(await ask(A, 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:111122223333:table/b')).toBe('ImplicitlyDenied');
    expect(await ask(B, 's3:GetObject', 'arn:aws:s3:::a-data/x')).toBe('ImplicitlyDenied');
    expect(await ask(B, 'dynamodb:PutItem', 'arn:aws:dynamodb:us-east-1:111122223333:table/b')).toBe('Allowed');
  });

  test('grants too many to name fall back to resources for all, then to services, always within one managed policy', () => {
    const many = (n: number, who: string) => Array.from({ length: n }, (_, i) => ({ Effect: 'Allow' as const, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${who}-bucket-with-a-long-name-${i}/*`] }));
    const mid = scopedBoundary({ ...base, agents: [{ roleArn: A, statements: many(20, 'a') }, { roleArn: B, statements: many(20, 'a') }] });
    expect(mid.scope).toBe('resources');
    const big = scopedBoundary({ ...base, agents: [{ roleArn: A, statements: many(200, 'a') }, { roleArn: B, statements: many(200, 'b') }] });
    expect(big.scope).toBe('services');
    for (const b of [mid, big]) expect(b.size).toBeLessThanOrEqual(6144);
  });

  test('the control plane is every agent-iam-* resource of the account, and the registry', () => {
    expect(controlPlaneResources('aws', '111122223333')).toEqual(['arn:aws:*:*:111122223333:*agent-iam-*', 'arn:aws:ssm:*:111122223333:parameter/agent-iam/*']);
  });
});
