/**
 * Benchmark baseline: a plain cdktf app declaring the same resources, of the
 * same kinds and similar sizes, as the Foundation AgentIamStack makes for N
 * agents (audit trail, boundary, one role and one inline policy per agent,
 * the role-ARN output), with literal policies and no library logic.
 *   node -r ts-node/register/transpile-only bench/plain-app.ts <agents> <outdir>
 */
import { App, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { Cloudtrail } from '@cdktf/provider-aws/lib/cloudtrail';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { parseChildArgs, report, since } from './report';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const ENV = 'bench';

function buildStack(app: App, n: number): number {
  const stack = new TerraformStack(app, ENV);
  let resources = 0;
  const count = <T>(r: T): T => { resources++; return r; };

  new LocalBackend(stack, { path: `terraform.${ENV}.tfstate` });
  new AwsProvider(stack, 'aws', {
    region: REGION,
    defaultTags: [{ tags: { 'agent-iam:environment': ENV, 'agent-iam:managed-by': 'cdktf-agent-iam' } }],
  });
  const acct = new DataAwsCallerIdentity(stack, 'current').accountId;
  const trailArn = `arn:aws:cloudtrail:${REGION}:${acct}:trail/agent-iam-${ENV}`;
  const logGroupName = `/agent-iam/${ENV}/cloudtrail`;

  // Audit trail.
  const key = count(new KmsKey(stack, 'key', {
    description: `Encrypts the agent audit trail of ${ENV}: CloudTrail logs, their CloudWatch Logs group and the SIEM queue`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: `{"Version":"2012-10-17","Statement":[{"Sid":"AccountAdministersKey","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::${acct}:root"]},"Action":["kms:*"],"Resource":["*"]},{"Sid":"CloudTrailEncryptsLogs","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"]},"Action":["kms:GenerateDataKey*"],"Resource":["*"],"Condition":{"StringEquals":{"aws:SourceArn":["${trailArn}"]},"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":["arn:aws:cloudtrail:*:${acct}:trail/*"]}}},{"Sid":"CloudTrailDescribesKey","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"]},"Action":["kms:DescribeKey"],"Resource":["*"],"Condition":{"StringEquals":{"aws:SourceArn":["${trailArn}"]}}},{"Sid":"CloudWatchLogsEncryptsTrailGroup","Effect":"Allow","Principal":{"Service":["logs.${REGION}.amazonaws.com"]},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":["*"],"Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":["arn:aws:logs:${REGION}:${acct}:log-group:${logGroupName}"]}}},{"Sid":"S3NotifiesEncryptedQueue","Effect":"Allow","Principal":{"Service":["s3.amazonaws.com"]},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":["*"],"Condition":{"StringEquals":{"aws:SourceAccount":["${acct}"]}}}]}`,
    tags: { 'agent:environment': ENV },
  }));
  count(new KmsAlias(stack, 'key-alias', { name: `alias/agent-iam-audit-${ENV}`, targetKeyId: key.keyId }));
  const bucket = count(new S3Bucket(stack, 'bucket', {
    bucketPrefix: `agent-audit-${ENV}-`, forceDestroy: false,
    tags: { 'agent:environment': ENV, 'agent:purpose': 'agent audit trail' },
  }));
  const versioning = count(new S3BucketVersioningA(stack, 'bucket-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }));
  count(new S3BucketServerSideEncryptionConfigurationA(stack, 'bucket-encryption', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
  }));
  const publicAccess = count(new S3BucketPublicAccessBlock(stack, 'bucket-public-access', {
    bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
  }));
  count(new S3BucketOwnershipControls(stack, 'bucket-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }));
  count(new S3BucketLifecycleConfiguration(stack, 'bucket-lifecycle', {
    bucket: bucket.id, dependsOn: [versioning],
    rule: [{
      id: 'audit-retention', status: 'Enabled', filter: [{ prefix: '' }],
      transition: [{ days: 90, storageClass: 'GLACIER' }], expiration: [{ days: 2557 }],
      noncurrentVersionExpiration: [{ noncurrentDays: 90 }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
    }],
  }));
  const bucketPolicy = count(new S3BucketPolicy(stack, 'bucket-policy', {
    bucket: bucket.id, dependsOn: [publicAccess],
    policy: `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:*"],"Resource":["${bucket.arn}","${bucket.arn}/*"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}},{"Sid":"CloudTrailChecksAcl","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"]},"Action":["s3:GetBucketAcl"],"Resource":["${bucket.arn}"],"Condition":{"StringEquals":{"aws:SourceArn":["${trailArn}"]}}},{"Sid":"CloudTrailWritesLogs","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"]},"Action":["s3:PutObject"],"Resource":["${bucket.arn}/AWSLogs/${acct}/*"],"Condition":{"StringEquals":{"s3:x-amz-acl":["bucket-owner-full-control"],"aws:SourceArn":["${trailArn}"]}}}]}`,
  }));
  const logGroup = count(new CloudwatchLogGroup(stack, 'log-group', {
    name: logGroupName, retentionInDays: 365, kmsKeyId: key.arn, tags: { 'agent:environment': ENV },
  }));
  const logsRole = count(new IamRole(stack, 'logs-role', {
    name: `agent-iam-trail-logs-${ENV}`, path: '/agent-iam/', description: `CloudTrail delivery into ${logGroupName}`,
    assumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"]},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceArn":["${trailArn}"]}}}]}`,
  }));
  count(new IamRolePolicy(stack, 'logs-role-policy', {
    name: 'deliver-trail-events', role: logsRole.id,
    policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["${logGroup.arn}:log-stream:*"]}]}`,
  }));
  const dlq = count(new SqsQueue(stack, 'siem-dlq', { name: `agent-iam-siem-dlq-${ENV}`, kmsMasterKeyId: key.arn, messageRetentionSeconds: 1209600 }));
  const queue = count(new SqsQueue(stack, 'siem-queue', {
    name: `agent-iam-siem-${ENV}`, kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300,
    messageRetentionSeconds: 1209600, visibilityTimeoutSeconds: 300,
    redrivePolicy: `{"deadLetterTargetArn":"${dlq.arn}","maxReceiveCount":5}`,
    tags: { 'agent:environment': ENV },
  }));
  const queuePolicy = count(new SqsQueuePolicy(stack, 'siem-queue-policy', {
    queueUrl: queue.url,
    policy: `{"Version":"2012-10-17","Statement":[{"Sid":"S3AnnouncesNewLogFiles","Effect":"Allow","Principal":{"Service":["s3.amazonaws.com"]},"Action":["sqs:SendMessage"],"Resource":["${queue.arn}"],"Condition":{"ArnEquals":{"aws:SourceArn":["${bucket.arn}"]},"StringEquals":{"aws:SourceAccount":["${acct}"]}}},{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["sqs:*"],"Resource":["${queue.arn}"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}]}`,
  }));
  count(new S3BucketNotification(stack, 'bucket-notification', {
    bucket: bucket.id, dependsOn: [queuePolicy],
    queue: [{ id: 'siem-ingest', queueArn: queue.arn, events: ['s3:ObjectCreated:*'], filterPrefix: 'AWSLogs/' }],
  }));

  // Permissions boundary (the library's document, written out).
  const boundary = count(new IamPolicy(stack, 'boundary', {
    name: `agent-boundary-${ENV}`, path: `/agents/${ENV}/`,
    description: `Permissions boundary of every agent role in ${ENV}: caps IAM, audit, account and role-assumption actions`,
    policy: `{"Version":"2012-10-17","Statement":[{"Sid":"AllowServicesAgentsUse","Effect":"Allow","Action":["dynamodb:*","s3:*","sqs:*","sts:GetCallerIdentity"],"Resource":["*"]},{"Sid":"DenyIamWrites","Effect":"Deny","Action":["iam:Add*","iam:Attach*","iam:Change*","iam:Create*","iam:Deactivate*","iam:Delete*","iam:Detach*","iam:Enable*","iam:PassRole","iam:Put*","iam:Remove*","iam:Reset*","iam:Resync*","iam:Set*","iam:Tag*","iam:Untag*","iam:Update*","iam:Upload*"],"Resource":["*"]},{"Sid":"DenyAssumingNonAgentRoles","Effect":"Deny","Action":["sts:AssumeRole"],"NotResource":["arn:aws:iam::${acct}:role/agents/${ENV}/*"]},{"Sid":"DenyAuditTampering","Effect":"Deny","Action":["cloudtrail:DeleteTrail","cloudtrail:StopLogging","cloudtrail:UpdateTrail","cloudtrail:PutEventSelectors","cloudtrail:PutInsightSelectors","cloudtrail:DeleteEventDataStore","cloudtrail:UpdateEventDataStore","cloudtrail:StopEventDataStoreIngestion","cloudtrail:PutResourcePolicy","cloudtrail:DeleteResourcePolicy","cloudtrail:RemoveTags","logs:DeleteLogGroup","logs:DeleteLogStream","logs:PutRetentionPolicy","logs:DeleteRetentionPolicy","logs:DisassociateKmsKey","logs:AssociateKmsKey","logs:PutSubscriptionFilter","logs:DeleteSubscriptionFilter","logs:PutMetricFilter","logs:DeleteMetricFilter","logs:PutResourcePolicy","logs:DeleteResourcePolicy","logs:PutDataProtectionPolicy","logs:DeleteDataProtectionPolicy","logs:PutAccountPolicy","logs:DeleteAccountPolicy","events:DeleteRule","events:DisableRule","events:PutRule","events:PutTargets","events:RemoveTargets","events:DeleteEventBus","events:PutPermission","events:RemovePermission","events:UntagResource","guardduty:DeleteDetector","guardduty:UpdateDetector","guardduty:DisassociateFromMasterAccount","guardduty:DisassociateFromAdministratorAccount","guardduty:CreateFilter","guardduty:UpdateFilter","guardduty:ArchiveFindings","guardduty:CreateIPSet","guardduty:UpdateIPSet","config:DeleteConfigurationRecorder","config:StopConfigurationRecorder","config:DeleteDeliveryChannel"],"Resource":["*"]},{"Sid":"DenyAuditStoreWrites","Effect":"Deny","Action":["s3:Delete*","s3:Put*","s3:Replicate*","s3:Restore*","s3:Bypass*","s3:Create*","s3:Update*"],"Resource":["${bucket.arn}","${bucket.arn}/*"]},{"Sid":"DenyAuditKeyUse","Effect":"Deny","Action":["kms:*"],"Resource":["${key.arn}"]},{"Sid":"DenyAuditQueueUse","Effect":"Deny","Action":["sqs:*"],"Resource":["${queue.arn}","${dlq.arn}"]},{"Sid":"DenyOrganizationAndAccountChanges","Effect":"Deny","Action":["organizations:*","account:*"],"Resource":["*"]}]}`,
  }));

  // One role and one inline policy per agent.
  const roleArns: Record<string, string> = {};
  const s3Prefixes: string[] = [];
  const tables: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    const name = `agent-${id}`;
    const purpose = `Benchmark agent ${id} reads its table and bucket prefix and posts results to its queue`;
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t-${id}`;
    const role = count(new IamRole(stack, `role-${name}`, {
      name: `agent-${name}-${ENV}`,
      path: `/agents/${ENV}/`,
      description: `AI agent ${name}: ${purpose}`,
      assumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"AssumeWithSourceIdentity","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::${ACCOUNT}:role/orchestrator"]},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"],"Condition":{"StringLike":{"sts:SourceIdentity":["*"]}}}]}`,
      permissionsBoundary: boundary.arn,
      maxSessionDuration: 3600,
      forceDetachPolicies: true,
      tags: {
        'agent:id': name,
        'agent:owner': `team-${i % 25}@example.com`,
        'agent:purpose': purpose,
        'agent:environment': ENV,
        'agent:maturity-stage': '2-foundation',
        'agent:managed-by': 'cdktf-agent-iam',
        'agent:data-classification': 'internal',
      },
    }));
    count(new IamRolePolicy(stack, `grants-${name}`, {
      name: 'agent-grants',
      role: role.id,
      policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:BatchGetItem","dynamodb:ConditionCheckItem","dynamodb:DescribeTable","dynamodb:GetItem","dynamodb:Query"],"Resource":["${table}","${table}/index/*"]},{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::bucket-${id}/data/*"]},{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-${id}"],"Condition":{"StringLike":{"s3:prefix":["data","data/*"]}}},{"Effect":"Allow","Action":["sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:SendMessage"],"Resource":["arn:aws:sqs:${REGION}:${ACCOUNT}:q-${id}"]}]}`,
    }));
    roleArns[name] = role.arn;
    s3Prefixes.push(`arn:aws:s3:::bucket-${id}/data/`);
    tables.push(table);
  }

  count(new Cloudtrail(stack, 'trail', {
    name: `agent-iam-${ENV}`,
    s3BucketName: bucket.id,
    kmsKeyId: key.arn,
    isMultiRegionTrail: true,
    includeGlobalServiceEvents: true,
    enableLogFileValidation: true,
    enableLogging: true,
    cloudWatchLogsGroupArn: `${logGroup.arn}:*`,
    cloudWatchLogsRoleArn: logsRole.arn,
    advancedEventSelector: [
      { name: 'Management events', fieldSelector: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      {
        name: 'S3 object events of agent-granted prefixes',
        fieldSelector: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: s3Prefixes },
        ],
      },
      {
        name: 'DynamoDB item events of agent-granted tables',
        fieldSelector: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', equalTo: tables },
        ],
      },
    ],
    dependsOn: [bucketPolicy],
    tags: { 'agent:environment': ENV },
  }));

  new TerraformOutput(stack, 'agent_role_arns', { description: 'Role ARN of each agent', value: roleArns });
  return resources;
}

function main(): void {
  const { agents: n, outdir } = parseChildArgs(process.argv);
  const t0 = performance.now();
  const app = new App({ outdir });
  const resources = buildStack(app, n);
  const construct = since(t0);
  const t1 = performance.now();
  app.synth();
  const synth = since(t1);
  report({ construct, synth }, resources);
}

if (require.main === module) {
  main();
}
