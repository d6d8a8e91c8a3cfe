/**
 * Policy sources: which identity policies an IAM role or user has (inline, attached customer
 * managed, AWS managed, defined elsewhere), each with its document when the configuration holds
 * it. Pure.
 */
import { PolicyDoc, Statement } from '../policy';
import { TerraformResource } from './config';
import { resolvePolicyValue } from './policy-document';
import { ResourceIndex } from './resource-index';
import { asArray, isObject } from './values';

/** A policy document as read, with where it came from. */
export interface PolicySource {
  /** Inline policy name, managed policy name or ARN. */
  readonly name: string;
  readonly kind: 'inline' | 'managed' | 'aws-managed' | 'external' | 'unreadable';
  /** Address of the resource holding the document, when it is in the configuration. */
  readonly address?: string;
  /** The document, or undefined when it is not in the configuration or cannot be read. */
  readonly doc?: PolicyDoc;
  /** Set for AWS-managed policies whose document is approximated by this module. */
  readonly approximated?: boolean;
}

/**
 * AWS-managed policies whose documents are approximated: AdministratorAccess is exactly Allow *
 * on *; the others by their main grant (the real documents add a few read actions elsewhere).
 */
const AWS_MANAGED: Record<string, Statement[]> = {
  AdministratorAccess: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
  PowerUserAccess: [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: ['*'] }],
  IAMFullAccess: [{ Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }],
  AmazonS3FullAccess: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }],
  AmazonDynamoDBFullAccess: [{ Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['*'] }],
  AmazonSQSFullAccess: [{ Effect: 'Allow', Action: ['sqs:*'], Resource: ['*'] }],
  AmazonSNSFullAccess: [{ Effect: 'Allow', Action: ['sns:*'], Resource: ['*'] }],
  AWSLambda_FullAccess: [{ Effect: 'Allow', Action: ['lambda:*'], Resource: ['*'] }],
  AmazonBedrockFullAccess: [{ Effect: 'Allow', Action: ['bedrock:*'], Resource: ['*'] }],
  AmazonEC2FullAccess: [{ Effect: 'Allow', Action: ['ec2:*'], Resource: ['*'] }],
  SecretsManagerReadWrite: [{ Effect: 'Allow', Action: ['secretsmanager:*'], Resource: ['*'] }],
};

/** The name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/job-function/X` -> `X`), or undefined. */
export function awsManagedPolicyName(arn: string): string | undefined {
  const m = /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? m[1] : undefined;
}

export function policyByArn(value: unknown, index: ResourceIndex, from: TerraformResource): PolicySource {
  const customer = index.resolve(value, ['aws_iam_policy'], from, ['name', 'name_prefix']);
  if (customer) {
    const doc = resolvePolicyValue(customer.values.policy, index, customer);
    return { name: String(customer.values.name ?? customer.name), kind: doc ? 'managed' : 'unreadable', address: customer.address, doc };
  }
  const data = index.resolve(value, ['data.aws_iam_policy'], from);
  const arn = String(data ? (data.values.arn ?? (data.values.name ? `arn:aws:iam::aws:policy/${data.values.name}` : '')) : value);
  const managed = awsManagedPolicyName(arn);
  if (managed) {
    const statements = AWS_MANAGED[managed];
    return statements
      ? { name: arn, kind: 'aws-managed', doc: { Version: '2012-10-17', Statement: statements }, approximated: managed !== 'AdministratorAccess' }
      : { name: arn, kind: 'aws-managed' };
  }
  return { name: arn, kind: 'external' };
}

/** Inline policies (`type` resources whose `attr` names `target`). */
function inlineOf(index: ResourceIndex, type: string, attr: string, target: TerraformResource): PolicySource[] {
  return (index.pointing(type, attr, target.type).get(target) ?? []).map((p) => {
    const doc = resolvePolicyValue(p.values.policy, index, p);
    return { name: String(p.values.name ?? p.name), kind: doc ? 'inline' : 'unreadable', address: p.address, doc } as PolicySource;
  });
}

/** Attached managed policies (`type` attachments whose `attr` names `target`). */
function attachedOf(index: ResourceIndex, type: string, attr: string, target: TerraformResource): PolicySource[] {
  return (index.pointing(type, attr, target.type).get(target) ?? []).map((p) => policyByArn(p.values.policy_arn, index, p));
}

/** Policies attached by the legacy exclusive `aws_iam_policy_attachment`. */
function legacyAttachments(index: ResourceIndex, attr: 'roles' | 'users' | 'groups', target: TerraformResource): PolicySource[] {
  return (index.pointing('aws_iam_policy_attachment', attr, target.type).get(target) ?? []).map((p) => policyByArn(p.values.policy_arn, index, p));
}

/** Every identity policy of an `aws_iam_role`: inline (both forms), attached, legacy and `managed_policy_arns`. */
export function rolePolicySources(r: TerraformResource, index: ResourceIndex): PolicySource[] {
  return [
    ...inlineOf(index, 'aws_iam_role_policy', 'role', r),
    ...asArray<any>(r.values.inline_policy).filter((p) => isObject(p) && p.policy !== undefined).map((p) => {
      const doc = resolvePolicyValue(p.policy, index, r);
      return { name: String(p.name ?? 'inline_policy'), kind: doc ? 'inline' : 'unreadable', address: r.address, doc } as PolicySource;
    }),
    ...attachedOf(index, 'aws_iam_role_policy_attachment', 'role', r),
    ...legacyAttachments(index, 'roles', r),
    ...asArray(r.values.managed_policy_arns).map((arn) => policyByArn(arn, index, r)),
  ];
}

/** Every identity policy of an `aws_iam_user`, its own and those of its groups. */
export function userPolicySources(u: TerraformResource, index: ResourceIndex): PolicySource[] {
  const groups = [
    ...(index.pointing('aws_iam_user_group_membership', 'user', 'aws_iam_user').get(u) ?? []).flatMap((m) => asArray(m.values.groups)),
    ...(index.pointing('aws_iam_group_membership', 'users', 'aws_iam_user').get(u) ?? []).map((m) => m.values.group),
  ].map((g) => index.resolve(g, ['aws_iam_group'], u, ['name'])).filter((g): g is TerraformResource => !!g);
  return [
    ...inlineOf(index, 'aws_iam_user_policy', 'user', u),
    ...attachedOf(index, 'aws_iam_user_policy_attachment', 'user', u),
    ...legacyAttachments(index, 'users', u),
    ...groups.flatMap((g) => [...inlineOf(index, 'aws_iam_group_policy', 'group', g), ...attachedOf(index, 'aws_iam_group_policy_attachment', 'group', g), ...legacyAttachments(index, 'groups', g)]),
  ];
}
