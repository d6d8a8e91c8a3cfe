/**
 * The plan role of the PR workflow's optional `terraform plan` (examples/github-actions/plan-role.ts):
 * its trust, written with this library, accepts one anchored GitHub subject and nothing else, and
 * its guardrails keep ReadOnlyAccess to configuration (proved with the IAM simulator).
 */
import { App, Testing } from '../lib/private/cdk';
import { PLAN_ENVIRONMENT, planRoleGuardrails, PlanRoleStack, PlanRoleStackProps } from '../examples/github-actions/plan-role';
import { GITHUB_ACTIONS_ISSUER, unanchoredSubject } from '../lib/delegation';
import { decide } from './support/simulator';
import { ACCOUNT } from './support/stacks';

const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${GITHUB_ACTIONS_ISSUER}`;

function synthRole(props: Partial<PlanRoleStackProps> = {}): any {
  const app = new App({ outdir: Testing.app().outdir });
  const stack = new PlanRoleStack(app, 'plan', { repository: 'acme/agents', region: 'us-east-1', oidcProviderArn: PROVIDER, ...props });
  const json = JSON.parse(Testing.synth(stack));
  return Object.values(json.resource.aws_iam_role)[0];
}

test('the trust accepts exactly one anchored subject: this repository\'s agent-iam-plan environment', () => {
  const trust = JSON.parse(synthRole().assume_role_policy);
  expect(trust.Statement).toEqual([{
    Sid: 'WebIdentity0',
    Effect: 'Allow',
    Principal: { Federated: [PROVIDER] },
    Action: ['sts:AssumeRoleWithWebIdentity'],
    Condition: {
      StringEquals: { [`${GITHUB_ACTIONS_ISSUER}:aud`]: ['sts.amazonaws.com'] },
      StringLike: { [`${GITHUB_ACTIONS_ISSUER}:sub`]: [`repo:acme/agents:environment:${PLAN_ENVIRONMENT}`] },
    },
  }]);
  const sub = trust.Statement[0].Condition.StringLike[`${GITHUB_ACTIONS_ISSUER}:sub`][0];
  expect(sub).not.toMatch(/[*?]/);
  expect(unanchoredSubject(GITHUB_ACTIONS_ISSUER, sub)).toBeUndefined();
});

test.each([
  ['acme/*', 'not anchored to one repository'],
  ['*', 'not anchored to one repository'],
  ['acme/agents*', 'not anchored to one repository'],
])('a repository written as %s is a synth error that says why', (repository, why) => {
  expect(() => synthRole({ repository })).toThrow(why);
});

describe('the guardrails keep ReadOnlyAccess to configuration', () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/agent-iam-pr-plan`;
  // ReadOnlyAccess is AWS-managed; an Allow of every action stands in for it (it grants no more).
  const readOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const guardrails = planRoleGuardrails('aws', ACCOUNT, { bucket: 'acme-tf-state', keyPrefix: 'cdktf-agent-iam' });
  const ask = (action: string, resource: string, context: Record<string, string> = {}, resourcePolicy?: unknown) => decide({
    principal: role, action, resource, context, resourcePolicy,
    identityPolicies: [{ name: 'read-only', policy: readOnly }, { name: 'deny-data-reads', policy: guardrails }],
  });

  test.each([
    ['iam:GetRole', `arn:aws:iam::${ACCOUNT}:role/agents/prod/support-triage`],
    ['s3:GetObject', 'arn:aws:s3:::acme-tf-state/cdktf-agent-iam/prod/terraform.tfstate'],
    ['ssm:GetParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/agent-iam/prod/agents/release`],
    ['dynamodb:DescribeTable', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/agent-iam-prod-ledger`],
  ])('the plan can still read %s on %s', async (action, resource) => {
    expect(await ask(action, resource)).toBe('Allowed');
  });

  test('decryption is allowed through S3 and SSM only', async () => {
    const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    // The default key policy: the account's IAM policies decide.
    const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] };
    expect(await ask('kms:Decrypt', key, { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' }, keyPolicy)).toBe('Allowed');
    expect(await ask('kms:Decrypt', key, { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, keyPolicy)).toBe('Allowed');
    expect(await ask('kms:Decrypt', key, { 'kms:ViaService': 'lambda.us-east-1.amazonaws.com' }, keyPolicy)).toBe('ExplicitlyDenied');
    expect(await ask('kms:Decrypt', key, {}, keyPolicy)).toBe('ExplicitlyDenied');
  });

  test.each([
    ['s3:GetObject', 'arn:aws:s3:::acme-customer-data/exports/all.csv'],
    ['s3:GetObject', 'arn:aws:s3:::acme-tf-state/other-project/terraform.tfstate'],
    ['dynamodb:Scan', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-prod`],
    ['dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-prod`],
    ['sqs:ReceiveMessage', `arn:aws:sqs:us-east-1:${ACCOUNT}:support-replies-prod`],
    ['logs:GetLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/agent-iam/prod/cloudtrail:log-stream:x`],
    ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-password-AbCdEf`],
    ['ssm:GetParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod/db-password`],
  ])('a pull request cannot use the plan to read %s on %s', async (action, resource) => {
    expect(await ask(action, resource)).toBe('ExplicitlyDenied');
  });

  test('without a state bucket no object can be read at all', async () => {
    const noState = planRoleGuardrails('aws', ACCOUNT);
    expect(await decide({
      principal: role, action: 's3:GetObject', resource: 'arn:aws:s3:::acme-tf-state/cdktf-agent-iam/prod/terraform.tfstate',
      identityPolicies: [{ name: 'read-only', policy: readOnly }, { name: 'deny-data-reads', policy: noState }],
    })).toBe('ExplicitlyDenied');
  });
});
