/**
 * AgentAuditTrail: the SIEM foundation, resource by resource.
 */
import { Testing } from '../lib/private/cdk';
import { Cloudtrail, CloudwatchLogGroup, KmsKey, S3Bucket, S3BucketNotification, S3BucketOwnershipControls, S3BucketPublicAccessBlock, S3BucketServerSideEncryptionConfigurationA, S3BucketVersioningA, S3BucketLifecycleConfiguration, SqsQueue } from '../constructs/aws';
import { Grant } from '../lib/grant';
import { agentProps, ACCOUNT, errorOf, newStack, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';

let out: string;
let tf: any;
let resolved: any;

beforeAll(() => {
  const stack = newStack();
  stack.addAgent(agentProps({
    permissions: [
      Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`),
      Grant.readS3Prefix('arn:aws:s3:::kb-bucket', 'articles'),
    ],
  }));
  out = Testing.synth(stack, true);
  tf = JSON.parse(out);
  resolved = resolveRefs(tf);
});

const one = (type: string) => Object.values(tf.resource[type] as Record<string, any>)[0];
/** A resource's policy with Terraform references resolved to plausible values. */
const policyOf = (type: string, attr = 'policy') => JSON.parse((Object.values(resolved.resource[type] as Record<string, any>)[0])[attr]);

describe('the trail', () => {
  test('is multi-region with log file validation, global events, KMS and CloudWatch Logs delivery', () => {
    expect(out).toHaveResourceWithProperties(Cloudtrail, {
      name: 'agent-iam-dev',
      is_multi_region_trail: true,
      enable_log_file_validation: true,
      include_global_service_events: true,
      enable_logging: true,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/),
      cloud_watch_logs_group_arn: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..+\.arn\}:\*$/),
    });
  });

  test('records management events and data events for what agents are granted', () => {
    const selectors = one('aws_cloudtrail').advanced_event_selector;
    expect(selectors[0].field_selector).toEqual([{ field: 'eventCategory', equals: ['Management'] }]);
    const fields = (name: string) => selectors.find((s: any) => s.name.startsWith(name)).field_selector;
    expect(fields('S3')).toContainEqual({ field: 'resources.ARN', starts_with: ['arn:aws:s3:::kb-bucket/articles/'] });
    expect(fields('DynamoDB')).toContainEqual({ field: 'resources.ARN', equals: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`] });
  });

  test('waits for the bucket policy that lets it write', () => {
    expect(one('aws_cloudtrail').depends_on[0]).toMatch(/^aws_s3_bucket_policy\./);
  });
});

describe('the key', () => {
  test('rotates and has a 30-day deletion window', () => {
    expect(out).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
  });

  test('lets CloudTrail use the key only for this trail', async () => {
    const policy = policyOf('aws_kms_key');
    const ask = (sourceArn: string) => decide({
      principal: 'cloudtrail.amazonaws.com', action: 'kms:DescribeKey', resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
      resourcePolicy: policy, context: { 'aws:SourceArn': sourceArn },
    });
    expect(await ask(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`)).toBe('Allowed');
    expect(await ask('arn:aws:cloudtrail:us-east-1:999988887777:trail/other')).toBe('ImplicitlyDenied');
  });

  // iam-simulate ignores kms:EncryptionContext:<key> keys whose name holds a colon, so the
  // encryption-context half of CloudTrail's grant is checked structurally.
  test('lets CloudTrail generate data keys only for this trail and for trails of this account', () => {
    const encrypt = policyOf('aws_kms_key').Statement.find((s: any) => s.Sid === 'CloudTrailEncryptsLogs');
    expect(encrypt.Action).toEqual(['kms:GenerateDataKey*']);
    expect(encrypt.Condition).toEqual({
      StringEquals: { 'aws:SourceArn': [`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`] },
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`] },
    });
  });
});

describe('the bucket', () => {
  test('is versioned, KMS-encrypted, owner-enforced and blocks all public access', () => {
    expect(out).toHaveResource(S3Bucket);
    expect(out).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
    expect(out).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: expect.stringMatching(/aws_kms_key/) }, bucket_key_enabled: true }],
    });
    expect(out).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(out).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  test('keeps logs under a lifecycle: archive, long retention, noncurrent versions expire', () => {
    expect(out).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ status: 'Enabled', expiration: [{ days: 2557 }], transition: [{ days: 90, storage_class: 'GLACIER' }] })],
    });
  });

  const bucketPolicy = () => policyOf('aws_s3_bucket_policy');
  const bucketArn = () => `arn:aws:s3:::agent-audit-dev-0123abcd`;

  test('refuses any request without TLS', async () => {
    const d = await decide({
      principal: `arn:aws:iam::${ACCOUNT}:role/admin`, action: 's3:GetObject', resource: `${bucketArn()}/AWSLogs/x`,
      identityPolicies: [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      resourcePolicy: bucketPolicy(), context: { 'aws:SecureTransport': 'false' },
    });
    expect(d).toBe('ExplicitlyDenied');
  });

  test('lets this trail, and no other, write log files', async () => {
    const ask = (sourceArn: string) => decide({
      principal: 'cloudtrail.amazonaws.com', action: 's3:PutObject', resource: `${bucketArn()}/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/f.json.gz`,
      resourcePolicy: bucketPolicy(), context: { 'aws:SourceArn': sourceArn, 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SecureTransport': 'true' },
    });
    expect(await ask(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`)).toBe('Allowed');
    expect(await ask(`arn:aws:cloudtrail:us-east-1:999988887777:trail/agent-iam-dev`)).toBe('ImplicitlyDenied');
  });
});

describe('CloudWatch Logs and the SIEM queue', () => {
  test('the log group is KMS-encrypted and keeps events at least 365 days', () => {
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/agent-iam/dev/cloudtrail', retention_in_days: 365, kms_key_id: expect.stringMatching(/aws_kms_key/) });
  });

  test('the SIEM queue is KMS-encrypted with a dead-letter queue and is notified of new log files', () => {
    expect(out).toHaveResourceWithProperties(SqsQueue, { name: 'agent-iam-siem-dev', kms_master_key_id: expect.stringMatching(/aws_kms_key/), redrive_policy: expect.stringContaining('deadLetterTargetArn') });
    expect(out).toHaveResourceWithProperties(SqsQueue, { name: 'agent-iam-siem-dlq-dev', kms_master_key_id: expect.stringMatching(/aws_kms_key/) });
    expect(out).toHaveResourceWithProperties(S3BucketNotification, {
      queue: [expect.objectContaining({ events: ['s3:ObjectCreated:*'], filter_prefix: 'AWSLogs/' })],
    });
  });

  test('only the audit bucket may send to the SIEM queue', async () => {
    const policy = policyOf('aws_sqs_queue_policy');
    const queue = `arn:aws:sqs:us-east-1:${ACCOUNT}:agent-iam-siem-dev`;
    const ask = (sourceArn: string) => decide({
      principal: 's3.amazonaws.com', action: 'sqs:SendMessage', resource: queue, resourcePolicy: policy,
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'true' },
    });
    expect(await ask('arn:aws:s3:::agent-audit-dev-0123abcd')).toBe('Allowed');
    expect(await ask('arn:aws:s3:::someone-elses-bucket')).toBe('ImplicitlyDenied');
  });

  test('a retention under 365 days is rejected', () => {
    expect(errorOf(() => newStack({ audit: { logRetentionDays: 30 } }))).toContain('stack "dev": audit.logRetentionDays: 30 days is below the 365 days');
  });
});
