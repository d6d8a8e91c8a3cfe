/**
 * Which resources the audit trail records data events for, derived from what
 * agents are granted. CloudTrail's advanced event selectors match ARNs
 * literally (`StartsWith`, `Equals`): they expand neither IAM wildcards nor IAM
 * policy variables, so a prefix stops before the first of them
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
 */
import { formatArn } from './naming';

/**
 * The `resources.ARN` StartsWith value that covers the S3 objects a granted
 * resource names, or undefined when it names no objects.
 *
 * @param resource a granted resource ARN (`arn:aws:s3:::bucket/reports/*`,
 *   `arn:aws:s3:::bucket/home/${aws:PrincipalTag/on-behalf-of}/*`)
 * @returns `arn:<partition>:s3:::bucket/reports/`, `arn:<partition>:s3:::bucket/home/`; for a
 *   bucket named by a wildcard or variable (`arn:aws:s3:::corpus-*&#47;*`), the literal start of
 *   its name (`arn:aws:s3:::corpus-`)
 */
export function s3ObjectDataEventPrefix(resource: string): string | undefined {
  const m = /^arn:([a-z-]+):s3:::([^/]+)\/(.*)$/.exec(resource);
  if (!m) return undefined;
  // A bucket named by a wildcard or a variable: the prefix stops inside the bucket name (wider, never narrower).
  const bucketLiteral = /^[^*?$]*/.exec(m[2])![0];
  if (bucketLiteral !== m[2]) return formatArn({ partition: m[1], service: 's3', resource: bucketLiteral });
  const literal = /^[^*?$]*/.exec(m[3])![0];
  return formatArn({ partition: m[1], service: 's3', resource: `${m[2]}/${literal}` });
}

/** The table ARN whose item-level events cover a granted DynamoDB resource, or undefined. */
export function dynamoDbDataEventTable(resource: string): string | undefined {
  const m = /^(arn:[a-z-]+:dynamodb:[^:*?$]+:[^:*?$]+:table\/[^/*?$]+)$/.exec(resource);
  return m ? m[1] : undefined;
}
