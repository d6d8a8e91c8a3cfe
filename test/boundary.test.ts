/**
 * The permissions boundary: every action it names exists (a misspelt deny
 * would deny nothing), and it allows only the services agents are granted.
 */
import { boundaryPolicy, IAM_WRITE_ACTIONS, AUDIT_TAMPER_ACTIONS, AUDIT_STORE_ACTIONS } from '../lib/boundary';
import { expandAction } from '../lib/iam-reference';

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
