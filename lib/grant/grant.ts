/**
 * Grants: what an agent may do. A grant is one or more identity-policy statements (actions,
 * resources, optional conditions), built directly or by a static factory for a common agent tool.
 */
import { isUnresolved } from '../private/token';
import { splitArn } from '../iam-reference';
import { inferenceProfileRegions } from '../regions';
import { foundationModelArn } from '../naming';

/** One condition of a grant, in the shape of Terraform's aws_iam_policy_document. */
export interface GrantCondition {
  /** Condition operator, for example `StringEquals` or `ForAllValues:StringLike`. */
  readonly test: string;
  /** Condition key, for example `s3:prefix` or `aws:SourceVpce`. */
  readonly variable: string;
  /**
   * Values; the condition holds when any value matches (IAM reads one value list as OR).
   * Two conditions with the same operator and key are rejected: IAM cannot AND them.
   */
  readonly values: string[];
}

/** A grant written out: actions on resources, optionally under conditions. */
export interface GrantProps {
  /** IAM actions (`service:Action`); exact names, or patterns such as `s3:Get*`. */
  readonly actions: string[];
  /** Resource ARNs (or unresolved references to resources in the stack). "*" only for actions AWS cannot scope. */
  readonly resources: string[];
  /**
   * Conditions, all of which must hold.
   * @default - none
   */
  readonly conditions?: GrantCondition[];
  /**
   * Acknowledges a "*" or "service:*" action, with a reason a reviewer accepts.
   * Without it such actions fail synth.
   * @default - wildcard actions are rejected
   */
  readonly wildcardReason?: string;
}

/**
 * What an agent may do: one or more statements. Use `Grant.allow` for any
 * actions, or a helper for a common agent tool.
 */
export class Grant {
  /** A grant of the given actions on the given resources. */
  public static allow(props: GrantProps): Grant {
    return new Grant([props]);
  }

  /**
   * Read objects under a prefix of an S3 bucket, and list that prefix. An empty prefix (or "/")
   * means the whole bucket: every object, and listing without a prefix condition.
   */
  public static readS3Prefix(bucketArn: string, prefix: string): Grant {
    const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (p === '') {
      return new Grant([
        { actions: ['s3:GetObject'], resources: [`${bucketArn}/*`] },
        { actions: ['s3:ListBucket'], resources: [bucketArn] },
      ]);
    }
    return new Grant([
      { actions: ['s3:GetObject'], resources: [`${bucketArn}/${p}/*`] },
      {
        actions: ['s3:ListBucket'], resources: [bucketArn],
        conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [`${p}/*`, p] }],
      },
    ]);
  }

  /**
   * Read objects under `<prefix>/<on-behalf-of>/` only: each session reads the
   * folder of the person it acts for (ABAC with the session tag `on-behalf-of`).
   */
  public static readS3PrefixOnBehalfOf(bucketArn: string, prefix: string): Grant {
    const p = prefix.replace(/^\/+|\/+$/g, '');
    const own = `${p}/\${aws:PrincipalTag/on-behalf-of}`;
    return new Grant([
      { actions: ['s3:GetObject'], resources: [`${bucketArn}/${own}/*`] },
      {
        actions: ['s3:ListBucket'], resources: [bucketArn],
        conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [`${own}/*`] }],
      },
    ]);
  }

  /** Read items of a DynamoDB table and its indexes. */
  public static readDynamoItems(tableArn: string): Grant {
    return new Grant([{
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
      resources: [tableArn, `${tableArn}/index/*`],
    }]);
  }

  /** Read and write items of a DynamoDB table (no table management, no scans). */
  public static readWriteDynamoItems(tableArn: string): Grant {
    return new Grant([{
      actions: [
        'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable',
        'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
      ],
      resources: [tableArn, `${tableArn}/index/*`],
    }]);
  }

  /**
   * Invoke one Bedrock model (foundation model, inference profile or provisioned model ARN).
   *
   * A cross-region (system-defined) inference profile (`.../inference-profile/us.anthropic...`,
   * `eu.`, `apac.`, `global.` ...) routes each request to the foundation model in one of its
   * destination regions, and IAM checks that routed request too: the grant covers the profile,
   * and the foundation model in each destination region only when called through this profile
   * (`bedrock:InferenceProfileArn`). The agent's region context admits those regions for that
   * statement only.
   */
  public static invokeBedrockModel(modelArn: string): Grant {
    const actions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
    const profile = crossRegionProfile(modelArn);
    if (!profile) return new Grant([{ actions, resources: [modelArn] }]);
    return new Grant([
      { actions, resources: [modelArn] },
      {
        actions,
        resources: profile.regions.map((r) => foundationModelArn(profile.partition, r, profile.model)),
        conditions: [{ test: 'StringEquals', variable: 'bedrock:InferenceProfileArn', values: [modelArn] }],
      },
    ]);
  }

  /**
   * Read one Secrets Manager secret. When the secret is encrypted with a
   * customer-managed key, pass it to allow kms:Decrypt through Secrets Manager only.
   * An ARN without the 6-character suffix Secrets Manager appends (`...:secret:db-creds`)
   * is granted as `...:secret:db-creds-??????` (see `secretArnPattern`).
   */
  public static readSecret(secretArn: string, kmsKeyArn?: string): Grant {
    const statements: GrantProps[] = [{ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secretArn] }];
    if (kmsKeyArn) {
      statements.push({
        actions: ['kms:Decrypt'], resources: [kmsKeyArn],
        conditions: [{ test: 'StringLike', variable: 'kms:ViaService', values: ['secretsmanager.*.amazonaws.com'] }],
      });
    }
    return new Grant(statements);
  }

  /** Send messages to one SQS queue. */
  public static sendToQueue(queueArn: string): Grant {
    return new Grant([{ actions: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], resources: [queueArn] }]);
  }

  /** The statements of this grant. */
  public readonly statements: GrantProps[];

  private constructor(statements: GrantProps[]) {
    this.statements = statements;
  }
}

/** A cross-region inference profile ARN's partition, model id and destination regions, or undefined. */
function crossRegionProfile(arn: string): { partition: string; model: string; regions: readonly string[] } | undefined {
  if (isUnresolved(arn)) return undefined;
  const f = splitArn(arn);
  if (f.length < 6 || f[2] !== 'bedrock' || !f[5].startsWith('inference-profile/')) return undefined;
  const id = f[5].slice('inference-profile/'.length);
  const regions = inferenceProfileRegions(id);
  return regions ? { partition: f[1], model: id.slice(id.indexOf('.') + 1), regions } : undefined;
}
