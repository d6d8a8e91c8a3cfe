/**
 * Audit trail facts: what a configuration's `aws_cloudtrail` and its bucket, log group and SIEM
 * queue guarantee (multi-region, validation, KMS, versioning, TLS-only, retention). Pure.
 */
import { TrailFacts } from '../stage-check';
import { TerraformResource } from './config';
import { resolvePolicyValue } from './policy-document';
import { parseRef, ResourceIndex } from './resource-index';
import { asArray, first, numberOf } from './values';

function bucketSatellite(index: ResourceIndex, type: string, bucket: TerraformResource | undefined, bucketName: unknown): TerraformResource[] {
  return index.ofType(type).filter((r) => (bucket && index.resolve(r.values.bucket, ['aws_s3_bucket'], r, ['bucket']) === bucket)
    || (typeof bucketName === 'string' && !parseRef(bucketName) && r.values.bucket === bucketName));
}

/** The audit facts of one trail. */
export function trailFacts(t: TerraformResource, index: ResourceIndex): TrailFacts {
  const v = t.values;
  const bucket = index.resolve(v.s3_bucket_name, ['aws_s3_bucket'], t, ['bucket']);
  const sat = (type: string) => bucketSatellite(index, type, bucket, v.s3_bucket_name);
  const versioned = sat('aws_s3_bucket_versioning').some((r) => first(r.values.versioning_configuration)?.status === 'Enabled')
    || first(bucket?.values.versioning)?.enabled === true;
  const sseRules = [
    ...sat('aws_s3_bucket_server_side_encryption_configuration').flatMap((r) => asArray<any>(r.values.rule)),
    ...asArray<any>(first(bucket?.values.server_side_encryption_configuration)?.rule),
  ];
  const kmsBucket = sseRules.some((rule) => /^aws:kms/.test(String(first(rule?.apply_server_side_encryption_by_default)?.sse_algorithm ?? '')));
  const pab = sat('aws_s3_bucket_public_access_block').some((r) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => r.values[k] === true))
    || index.ofType('aws_s3_account_public_access_block').some((r) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => r.values[k] === true));
  const owner = sat('aws_s3_bucket_ownership_controls').some((r) => first(r.values.rule)?.object_ownership === 'BucketOwnerEnforced');
  const policies = [...sat('aws_s3_bucket_policy').map((r) => resolvePolicyValue(r.values.policy, index, r)), bucket ? resolvePolicyValue(bucket.values.policy, index, bucket) : undefined];
  const tlsOnly = policies.some((d) => (d?.Statement ?? []).some((s) => s.Effect === 'Deny'
    && Object.entries(s.Condition?.Bool ?? {}).some(([k, vals]) => k.toLowerCase() === 'aws:securetransport' && vals.includes('false'))));
  const queues = sat('aws_s3_bucket_notification').flatMap((n) => asArray<any>(n.values.queue).map((q) => index.resolve(q?.queue_arn, ['aws_sqs_queue'], n, ['name'])));
  const siemQueueEncrypted = queues.some((q) => !!q && (!!q.values.kms_master_key_id || q.values.sqs_managed_sse_enabled === true));
  const logGroupArn = v.cloud_watch_logs_group_arn;
  const logGroup = index.resolve(logGroupArn, ['aws_cloudwatch_log_group'], t, ['name']);
  const retention = numberOf(logGroup?.values.retention_in_days);
  const cloudWatchLogs = typeof logGroupArn === 'string' && logGroupArn !== '' && !!v.cloud_watch_logs_role_arn
    && (retention === undefined || retention === 0 || retention >= 365)
    // A log group in the configuration must be encrypted with a customer-managed key (one defined elsewhere is not judged).
    && (!logGroup || (typeof logGroup.values.kms_key_id === 'string' && logGroup.values.kms_key_id !== ''));
  return {
    multiRegion: v.is_multi_region_trail === true,
    logFileValidation: v.enable_log_file_validation === true,
    kmsEncrypted: typeof v.kms_key_id === 'string' && v.kms_key_id !== '',
    bucketVersioned: versioned,
    bucketKmsEncrypted: kmsBucket,
    bucketPublicAccessBlocked: pab,
    bucketOwnerEnforced: owner,
    bucketTlsOnly: tlsOnly,
    siemQueueEncrypted,
    cloudWatchLogs,
  };
}
