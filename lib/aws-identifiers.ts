/**
 * The patterns AWS (and the Terraform AWS provider, which validates the same
 * patterns at plan time) accepts for the identifiers the library derives:
 * names, statement ids, Sids, target ids. One table, read by the synth-time
 * check of every emitted resource and by the tests over every example stack.
 */

/** One identifier field of one Terraform resource type. */
export interface IdentifierRule {
  /** Terraform resource type, e.g. `aws_lambda_permission`. */
  readonly resourceType: string;
  /** Attribute as written in Terraform JSON (snake_case). */
  readonly attribute: string;
  /** The whole value must match. */
  readonly pattern: RegExp;
  /** What AWS allows, in words, for the message. */
  readonly allowed: string;
  /** Where the rule comes from. */
  readonly source: string;
}

const IAM_PATH = /^\/(?:[\x21-\x7e]+\/)?$/;
const IAM_REF = 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html';

function rule(resourceType: string, attribute: string, pattern: RegExp, allowed: string, source: string): IdentifierRule {
  return { resourceType, attribute, pattern, allowed, source };
}

/** Every identifier rule, by resource type and attribute. */
export const IDENTIFIER_RULES: readonly IdentifierRule[] = [
  rule('aws_iam_role', 'name', /^[\w+=,.@-]{1,64}$/, '1-64 of A-Z a-z 0-9 + = , . @ _ -', IAM_REF),
  rule('aws_iam_role', 'path', IAM_PATH, '"/" or "/path/" of printable ASCII, at most 512', IAM_REF),
  rule('aws_iam_policy', 'name', /^[\w+=,.@-]{1,128}$/, '1-128 of A-Z a-z 0-9 + = , . @ _ -', 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html'),
  rule('aws_iam_policy', 'path', IAM_PATH, '"/" or "/path/" of printable ASCII, at most 512', 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html'),
  rule('aws_iam_role_policy', 'name', /^[\w+=,.@-]{1,128}$/, '1-128 of A-Z a-z 0-9 + = , . @ _ -', 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html'),
  rule('aws_lambda_function', 'function_name', /^[a-zA-Z0-9_-]{1,64}$/, '1-64 of A-Z a-z 0-9 _ -', 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html'),
  rule('aws_lambda_permission', 'statement_id', /^[a-zA-Z0-9_-]{1,100}$/, '1-100 of A-Z a-z 0-9 _ - (the provider rejects anything else)', 'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html'),
  rule('aws_cloudwatch_event_rule', 'name', /^[.\-_A-Za-z0-9]{1,64}$/, '1-64 of A-Z a-z 0-9 . - _', 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html'),
  rule('aws_cloudwatch_event_target', 'target_id', /^[.\-_A-Za-z0-9]{1,64}$/, '1-64 of A-Z a-z 0-9 . - _', 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html'),
  rule('aws_sns_topic', 'name', /^(?=.{1,256}$)[A-Za-z0-9_-]+(\.fifo)?$/, '1-256 of A-Z a-z 0-9 _ - (a FIFO topic ends in .fifo)', 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html'),
  rule('aws_sqs_queue', 'name', /^(?=.{1,80}$)[A-Za-z0-9_-]+(\.fifo)?$/, '1-80 of A-Z a-z 0-9 _ -, the .fifo suffix included', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html'),
  rule('aws_cloudwatch_log_group', 'name', /^[.\-_/#A-Za-z0-9]{1,512}$/, '1-512 of A-Z a-z 0-9 . - _ / #', 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html'),
  rule('aws_cloudwatch_log_metric_filter', 'name', /^[^:*]{1,512}$/, '1-512 characters, no ":" or "*"', 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html'),
  rule('aws_cloudwatch_metric_alarm', 'alarm_name', /^[^\x00-\x1f]{1,255}$/, '1-255 printable characters', 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html'),
  rule('aws_dynamodb_table', 'name', /^[a-zA-Z0-9_.-]{3,255}$/, '3-255 of A-Z a-z 0-9 _ . -', 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html'),
  rule('aws_ssm_parameter', 'name', /^\/?[a-zA-Z0-9_.\-]+(\/[a-zA-Z0-9_.\-]+)*$/, 'A-Z a-z 0-9 _ . - in "/"-separated levels', 'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html'),
  rule('aws_kms_alias', 'name', /^alias\/(?!aws\/)[a-zA-Z0-9/_-]{1,250}$/, '"alias/" then 1-250 of A-Z a-z 0-9 / _ -, not "alias/aws/"', 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html'),
  rule('aws_s3_bucket', 'bucket', /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, '3-63 of a-z 0-9 . -, starting and ending with a letter or digit', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html'),
  rule('aws_cloudtrail', 'name', /^(?=.{3,128}$)[A-Za-z0-9](?:[._-]?[A-Za-z0-9])*$/, '3-128 of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit, no two of . _ - adjacent', 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html'),
];

/** Policy attributes whose statements' Sids IAM checks (identity and trust policies). */
const IAM_POLICY_ATTRIBUTES: Record<string, string[]> = {
  aws_iam_role: ['assume_role_policy'],
  aws_iam_policy: ['policy'],
  aws_iam_role_policy: ['policy'],
};
/** Resource policies: their services accept a wider Sid alphabet than IAM. */
const RESOURCE_POLICY_ATTRIBUTES: Record<string, string[]> = {
  aws_s3_bucket_policy: ['policy'],
  aws_sns_topic_policy: ['policy'],
  aws_sqs_queue_policy: ['policy'],
  aws_kms_key: ['policy'],
  aws_dynamodb_resource_policy: ['policy'],
};
const IAM_SID = /^[A-Za-z0-9]*$/;
const RESOURCE_SID = /^[A-Za-z0-9 _-]*$/;

/** The library does not judge a value Terraform computes (it holds a reference). */
function isComputed(value: string): boolean {
  return value.includes('${');
}

/**
 * The identifier problems of one resource's attributes.
 *
 * @param resourceType Terraform resource type
 * @param address where it is (`aws_lambda_permission.x`), for the message
 * @param attributes the resource's attributes as written in Terraform JSON
 * @returns one line per problem: the address, the field, the value, what AWS allows and the source
 */
export function identifierProblems(resourceType: string, address: string, attributes: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const r of IDENTIFIER_RULES) {
    if (r.resourceType !== resourceType) continue;
    const v = attributes[r.attribute];
    if (typeof v !== 'string' || isComputed(v)) continue;
    if (!r.pattern.test(v)) {
      problems.push(`${address}: ${r.attribute} "${v}" is not a valid AWS identifier: AWS allows ${r.allowed} (${r.source})`);
    }
  }
  for (const [table, sid] of [[IAM_POLICY_ATTRIBUTES, IAM_SID], [RESOURCE_POLICY_ATTRIBUTES, RESOURCE_SID]] as const) {
    for (const attr of table[resourceType] ?? []) {
      const v = attributes[attr];
      if (typeof v !== 'string') continue;
      let doc: any;
      try {
        doc = JSON.parse(v);
      } catch {
        continue;
      }
      for (const st of [].concat(doc?.Statement ?? [])) {
        const s = (st as { Sid?: unknown }).Sid;
        if (typeof s === 'string' && !sid.test(s)) {
          problems.push(`${address}: ${attr} has Sid "${s}"; ${sid === IAM_SID ? 'IAM allows only A-Z a-z 0-9 in a Sid' : 'allowed: A-Z a-z 0-9, space, _ and -'} (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)`);
        }
      }
    }
  }
  return problems;
}

/**
 * Every identifier problem of a synthesized stack (`cdk.tf.json`).
 *
 * @param terraform the parsed Terraform JSON of one stack
 */
export function stackIdentifierProblems(terraform: { resource?: Record<string, Record<string, Record<string, unknown>>> }): string[] {
  const problems: string[] = [];
  for (const [type, byName] of Object.entries(terraform.resource ?? {})) {
    for (const [name, attributes] of Object.entries(byName)) {
      problems.push(...identifierProblems(type, `${type}.${name}`, attributes));
    }
  }
  return problems;
}

/**
 * A Lambda permission's statement id derived from a library name: characters
 * AddPermission rejects (`.`, `:`, ...) become `-`, cut to 100.
 */
export function lambdaStatementId(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
}
