/**
 * The AWS provider bindings this library uses, and the only module that imports them.
 *
 * Every construct imports provider resources from here, one deep path per resource (never the
 * provider's root, which would load all of its 1,500 resource modules). One source tree builds two
 * flavours: CDK for Terraform (`@cdktf/provider-aws`, this file as written) and CDK Terrain
 * (`@cdktn/provider-aws`): `npm run test:cdktn` (scripts/cdktn/test.sh) switches this module, the
 * cdktf module (lib/private/cdk.ts) and package.json, and runs the jest suite on the result.
 */
export const AWS_PROVIDER_PACKAGE: string = '@cdktf/provider-aws'; // typed `string`: the flavours differ in its value

/**
 * One provider module by its folder under lib/ (for example `s3-bucket-versioning`), for code that
 * finds resource classes by Terraform type (the benchmark's plain baseline app).
 */
export function awsProviderModule(dir: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`@cdktf/provider-aws/lib/${dir}`);
}

/** The provider bindings' package.json (its version and the Terraform provider version it binds). */
export function awsProviderPackageJson(): { readonly name: string; readonly version: string; readonly cdktf?: { readonly provider?: { readonly version?: string } } } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@cdktf/provider-aws/package.json');
}

export { Cloudtrail } from '@cdktf/provider-aws/lib/cloudtrail';
export { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
export { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
export { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
export { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
export { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
export { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
export { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
export { DynamodbResourcePolicy } from '@cdktf/provider-aws/lib/dynamodb-resource-policy';
export { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
export { GuarddutyDetector } from '@cdktf/provider-aws/lib/guardduty-detector';
export { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
export { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
export { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
export { IamRole } from '@cdktf/provider-aws/lib/iam-role';
export { IamUser } from '@cdktf/provider-aws/lib/iam-user';
export { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
export { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
export { LambdaFunctionUrl } from '@cdktf/provider-aws/lib/lambda-function-url';
export { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
export { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
export { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
export { AwsProvider } from '@cdktf/provider-aws/lib/provider';
export { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
export { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
export { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
export { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
export { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
export { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
export { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
export { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
export { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
export { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
export { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
export { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
export { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
