/**
 * AgentAuditTrail: the SIEM foundation. A multi-region CloudTrail trail with
 * log file validation, encrypted with a customer-managed KMS key, delivering
 * into a hardened S3 bucket and a CloudWatch Logs group, with S3 event
 * notifications on an encrypted SQS queue (the ingestion path of Splunk,
 * Sentinel and Elastic S3 inputs).
 */
import { Construct } from 'constructs';
import { Annotations, Lazy } from '../lib/private/cdk';
import { ADVANCED_SELECTOR_VALUES_MAX, AdvancedEventSelector, DataEventTarget, fitDataEventSelectors, FittedSelectors } from '../lib/data-events';
import { Cloudtrail, CloudwatchLogGroup, IamRole, IamRolePolicy, KmsKey, KmsAlias, S3Bucket, S3BucketLifecycleConfiguration, S3BucketNotification, S3BucketOwnershipControls, S3BucketPolicy, S3BucketPublicAccessBlock, S3BucketServerSideEncryptionConfigurationA, S3BucketVersioningA, SqsQueue, SqsQueuePolicy } from './aws';
import { policyDoc, policyJson } from '../lib/policy';
import { markLibraryOwned } from './terraform-literals';
import {
  accountRootArn, AGENT_TAGS, auditBucketPrefix, auditKeyAliasName, cloudTrailArn, eventRuleArn, lambdaLogGroupName, LIBRARY_ROLE_PATH,
  libraryResourceNamePattern, libraryRuleNamePattern, logGroupArn, siemDeadLetterQueueName, siemQueueName, trailLogGroupName, trailLogsRoleName,
  trailName as trailNameOf,
} from '../lib/naming';

/** Properties of an AgentAuditTrail. */
export interface AgentAuditTrailProps {
  /** Environment name, used in resource names. */
  readonly environment: string;
  /** AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...). */
  readonly partition: string;
  /** Home region of the trail. */
  readonly region: string;
  /** Account id (usually a reference to aws_caller_identity). */
  readonly accountId: string;
  /**
   * Days CloudWatch Logs keeps trail events (at least 365).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Days the bucket keeps log files before they expire.
   * @default 2557 (seven years)
   */
  readonly objectRetentionDays?: number;
  /**
   * Days after which log files move to S3 Glacier Flexible Retrieval.
   * @default 90
   */
  readonly archiveAfterDays?: number;
  /**
   * IAM principals of the SIEM that read the queue and the log files (they get
   * sqs:ReceiveMessage, s3:GetObject and kms:Decrypt through S3/SQS only).
   * @default - none; grant your SIEM's role later
   */
  readonly siemReaderArns?: string[];
  /**
   * Let `terraform destroy` delete a bucket that still holds logs. Only for
   * throw-away environments.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * Let the environment's EventBridge detection rules deliver to the SIEM queue, and
   * EventBridge, CloudWatch alarms and the library's Lambdas use the key (stage 3+).
   * @default false
   */
  readonly realTimeDetection?: boolean;
}

/** The audit trail of one environment. */
export class AgentAuditTrail extends Construct {
  /** The trail. */
  public readonly trail: Cloudtrail;
  /** The log bucket. */
  public readonly bucket: S3Bucket;
  /** The customer-managed key encrypting trail, bucket, log group and queue. */
  public readonly key: KmsKey;
  /** The CloudWatch Logs group receiving trail events. */
  public readonly logGroup: CloudwatchLogGroup;
  /** The SIEM ingestion queue (S3 event notifications for new log files). */
  public readonly siemQueue: SqsQueue;
  /** Dead-letter queue of the SIEM queue. */
  public readonly siemDeadLetterQueue: SqsQueue;
  /** The trail's ARN, computed from its name so that policies can name it before it exists. */
  public readonly trailArn: string;

  private readonly environment: string;
  private readonly dataEventTargets = new Map<string, DataEventTarget>();
  private fitted?: { size: number; result: FittedSelectors };
  /** The fitted selectors a widening warning was given for (one warning per fit, however often synth validates). */
  private warned?: FittedSelectors;

  constructor(scope: Construct, id: string, props: AgentAuditTrailProps) {
    super(scope, id);
    markLibraryOwned(this);
    const { environment: env, partition, region, accountId } = props;
    this.environment = env;
    const retention = props.logRetentionDays ?? 365;
    if (retention < 365) {
      throw new Error(`stack "${env}": audit.logRetentionDays: ${retention} days is below the 365 days a SIEM-grade audit store keeps; omit it or set 365 or more`);
    }
    const trailName = trailNameOf(env);
    const logGroupName = trailLogGroupName(env);
    this.trailArn = cloudTrailArn(partition, region, accountId, trailName);
    const root = accountRootArn(partition, accountId);
    const readers = props.siemReaderArns ?? [];

    this.key = new KmsKey(this, 'key', {
      description: `Encrypts the agent audit trail of ${env}: CloudTrail logs, their CloudWatch Logs group and the SIEM queue`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyJson(policyDoc([
        { Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: [root] }, Action: ['kms:*'], Resource: ['*'] },
        {
          Sid: 'CloudTrailEncryptsLogs', Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com'] },
          Action: ['kms:GenerateDataKey*'], Resource: ['*'],
          Condition: {
            StringEquals: { 'aws:SourceArn': [this.trailArn] },
            StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': [cloudTrailArn(partition, '*', accountId, '*')] },
          },
        },
        {
          Sid: 'CloudTrailDescribesKey', Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com'] },
          Action: ['kms:DescribeKey'], Resource: ['*'], Condition: { StringEquals: { 'aws:SourceArn': [this.trailArn] } },
        },
        {
          Sid: 'CloudWatchLogsEncryptsTrailGroup', Effect: 'Allow', Principal: { Service: [`logs.${region}.amazonaws.com`] },
          // No kms:Describe*: DescribeKey carries no encryption context, so under this condition it could never be allowed.
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: ['*'],
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': [
                logGroupArn(partition, region, accountId, logGroupName),
                logGroupArn(partition, region, accountId, lambdaLogGroupName(libraryResourceNamePattern(env))),
              ],
            },
          },
        },
        ...(props.realTimeDetection ? [{
          Sid: 'DetectionsUseKey', Effect: 'Allow' as const, Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: ['*'], Condition: { StringEquals: { 'aws:SourceAccount': [accountId] } },
        }] : []),
        {
          Sid: 'S3NotifiesEncryptedQueue', Effect: 'Allow', Principal: { Service: ['s3.amazonaws.com'] },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: ['*'], Condition: { StringEquals: { 'aws:SourceAccount': [accountId] } },
        },
        ...(readers.length > 0 ? [{
          Sid: 'SiemReadsThroughS3SqsAndSsm', Effect: 'Allow' as const, Principal: { AWS: readers },
          Action: ['kms:Decrypt'], Resource: ['*'],
          Condition: { StringEquals: { 'kms:ViaService': [`s3.${region}.amazonaws.com`, `sqs.${region}.amazonaws.com`, `ssm.${region}.amazonaws.com`] } },
        }] : []),
      ])),
      tags: { [AGENT_TAGS.environment]: env },
    });
    new KmsAlias(this, 'key-alias', { name: auditKeyAliasName(env), targetKeyId: this.key.keyId });

    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: auditBucketPrefix(env),
      forceDestroy: props.forceDestroy ?? false,
      tags: { [AGENT_TAGS.environment]: env, [AGENT_TAGS.purpose]: 'agent audit trail' },
    });
    const versioning = new S3BucketVersioningA(this, 'bucket-versioning', {
      bucket: this.bucket.id, versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'bucket-encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'bucket-public-access', {
      bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'bucket-ownership', {
      bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketLifecycleConfiguration(this, 'bucket-lifecycle', {
      bucket: this.bucket.id,
      dependsOn: [versioning],
      rule: [{
        id: 'audit-retention', status: 'Enabled', filter: [{ prefix: '' }],
        transition: [{ days: props.archiveAfterDays ?? 90, storageClass: 'GLACIER' }],
        expiration: [{ days: props.objectRetentionDays ?? 2557 }],
        noncurrentVersionExpiration: [{ noncurrentDays: 90 }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      }],
    });
    const bucketPolicy = new S3BucketPolicy(this, 'bucket-policy', {
      bucket: this.bucket.id,
      dependsOn: [publicAccess],
      policy: policyJson(policyDoc([
        {
          Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: { AWS: ['*'] }, Action: ['s3:*'],
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`], Condition: { Bool: { 'aws:SecureTransport': ['false'] } },
        },
        {
          Sid: 'CloudTrailChecksAcl', Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com'] },
          Action: ['s3:GetBucketAcl'], Resource: [this.bucket.arn], Condition: { StringEquals: { 'aws:SourceArn': [this.trailArn] } },
        },
        {
          Sid: 'CloudTrailWritesLogs', Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com'] },
          Action: ['s3:PutObject'], Resource: [`${this.bucket.arn}/AWSLogs/${accountId}/*`],
          Condition: { StringEquals: { 's3:x-amz-acl': ['bucket-owner-full-control'], 'aws:SourceArn': [this.trailArn] } },
        },
        ...(readers.length > 0 ? [{
          Sid: 'SiemReadsLogs', Effect: 'Allow' as const, Principal: { AWS: readers },
          Action: ['s3:GetObject'], Resource: [`${this.bucket.arn}/AWSLogs/*`],
        }] : []),
      ])),
    });


    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: logGroupName, retentionInDays: retention, kmsKeyId: this.key.arn,
      tags: { [AGENT_TAGS.environment]: env },
    });
    const logsRole = new IamRole(this, 'logs-role', {
      name: trailLogsRoleName(env),
      path: LIBRARY_ROLE_PATH,
      description: `CloudTrail delivery into ${logGroupName}`,
      assumeRolePolicy: policyJson(policyDoc([{
        Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com'] }, Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'aws:SourceArn': [this.trailArn] } },
      }])),
    });
    new IamRolePolicy(this, 'logs-role-policy', {
      name: 'deliver-trail-events', role: logsRole.id,
      policy: policyJson(policyDoc([{
        Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${this.logGroup.arn}:log-stream:*`],
      }])),
    });

    this.siemDeadLetterQueue = new SqsQueue(this, 'siem-dlq', {
      name: siemDeadLetterQueueName(env), kmsMasterKeyId: this.key.arn, messageRetentionSeconds: 1209600,
    });
    this.siemQueue = new SqsQueue(this, 'siem-queue', {
      name: siemQueueName(env),
      kmsMasterKeyId: this.key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 1209600,
      visibilityTimeoutSeconds: 300,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.siemDeadLetterQueue.arn, maxReceiveCount: 5 }),
      tags: { [AGENT_TAGS.environment]: env },
    });
    const queuePolicy = new SqsQueuePolicy(this, 'siem-queue-policy', {
      queueUrl: this.siemQueue.url,
      policy: policyJson(policyDoc([
        {
          Sid: 'S3AnnouncesNewLogFiles', Effect: 'Allow', Principal: { Service: ['s3.amazonaws.com'] },
          Action: ['sqs:SendMessage'], Resource: [this.siemQueue.arn],
          Condition: { ArnEquals: { 'aws:SourceArn': [this.bucket.arn] }, StringEquals: { 'aws:SourceAccount': [accountId] } },
        },
        {
          Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: { AWS: ['*'] }, Action: ['sqs:*'],
          Resource: [this.siemQueue.arn], Condition: { Bool: { 'aws:SecureTransport': ['false'] } },
        },
        ...(props.realTimeDetection ? [{
          Sid: 'DetectionRulesDeliver', Effect: 'Allow' as const, Principal: { Service: ['events.amazonaws.com'] },
          Action: ['sqs:SendMessage'], Resource: [this.siemQueue.arn],
          Condition: { ArnLike: { 'aws:SourceArn': [eventRuleArn(partition, region, accountId, libraryRuleNamePattern(env))] } },
        }] : []),
        ...(readers.length > 0 ? [{
          Sid: 'SiemConsumes', Effect: 'Allow' as const, Principal: { AWS: readers },
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          Resource: [this.siemQueue.arn],
        }] : []),
      ])),
    });
    new S3BucketNotification(this, 'bucket-notification', {
      bucket: this.bucket.id,
      dependsOn: [queuePolicy],
      queue: [{ id: 'siem-ingest', queueArn: this.siemQueue.arn, events: ['s3:ObjectCreated:*'], filterPrefix: 'AWSLogs/' }],
    });

    this.trail = new Cloudtrail(this, 'trail', {
      name: trailName,
      s3BucketName: this.bucket.id,
      kmsKeyId: this.key.arn,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      cloudWatchLogsGroupArn: `${this.logGroup.arn}:*`,
      cloudWatchLogsRoleArn: logsRole.arn,
      advancedEventSelector: Lazy.anyValue({ produce: () => this.eventSelectors() }),
      dependsOn: [bucketPolicy],
      tags: { [AGENT_TAGS.environment]: env },
    });
    this.node.addValidation({ validate: () => this.warnIfWidened() });
  }

  /**
   * Record S3 data events for objects under an ARN prefix
   * (`arn:aws:s3:::bucket/prefix/`; Terraform references are kept verbatim).
   */
  public addS3DataEvents(objectArnPrefix: string): void {
    this._addDataEvents({ type: 'AWS::S3::Object', operator: 'StartsWith', value: objectArnPrefix });
  }

  /** Record DynamoDB data events for a table ARN. */
  public addDynamoDbDataEvents(tableArn: string): void {
    this._addDataEvents({ type: 'AWS::DynamoDB::Table', operator: 'Equals', value: tableArn });
  }

  /**
   * Record data events for one selector value (an S3 object prefix, a table ARN or a table ARN
   * prefix), as the stack derives them from the agents' grants.
   * @internal
   */
  public _addDataEvents(target: DataEventTarget): void {
    this.dataEventTargets.set(`${target.type} ${target.operator} ${target.value}`, target);
  }

  /**
   * The trail's advanced event selectors, within CloudTrail's quota of 500 values across all of
   * them (widened, never narrowed, when the exact ones would be over; see `fitDataEventSelectors`).
   * @internal
   */
  public get _advancedEventSelectors(): AdvancedEventSelector[] {
    return this.fit().selectors;
  }

  private fit(): FittedSelectors {
    const size = this.dataEventTargets.size;
    if (this.fitted?.size !== size) this.fitted = { size, result: fitDataEventSelectors([...this.dataEventTargets.values()]) };
    return this.fitted.result;
  }

  /** The synth warning when the selectors were widened to fit CloudTrail's quota. */
  private warnIfWidened(): string[] {
    const fitted = this.fit();
    const { widened, requested, values } = fitted;
    if (widened && this.warned !== fitted) {
      this.warned = fitted;
      const fmt = (n: number) => n.toLocaleString('en-US');
      Annotations.of(this).addWarning(`stack "${this.environment}": audit trail: data events of what agents are granted need ${fmt(requested)} selector values, `
        + `over CloudTrail's ${ADVANCED_SELECTOR_VALUES_MAX} values across all advanced event selectors of a trail (cannot be raised); `
        + `coverage was widened to fit (${fmt(values)} values): ${widened.join('; ')}. The trail records (and bills) data events of resources no agent is granted. `
        + 'To keep it exact, split the agents over environments (one trail each) or grant fewer distinct buckets, prefixes and tables');
    }
    return [];
  }

  private eventSelectors(): any[] {
    return this._advancedEventSelectors;
  }
}
