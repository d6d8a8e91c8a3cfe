/**
 * Grants: what an agent may do. A grant is one or more identity-policy
 * statements (actions, resources, optional conditions), built directly or by a
 * helper for a common agent tool. Validation against the AWS service reference
 * happens at synth time (see `validateGrants`).
 */
import { Token } from 'cdktf';
import { agentProblem } from './errors';
import { ConditionBlock, Statement } from './policy';
import {
  ActionInfo, arnMatchesTemplate, conditionKeyExists, expandAction, resourceArnTemplates, serviceExists, suggestAction,
} from './iam-reference';

/** One condition of a grant, in the shape of Terraform's aws_iam_policy_document. */
export interface GrantCondition {
  /** Condition operator, for example `StringEquals` or `ForAllValues:StringLike`. */
  readonly test: string;
  /** Condition key, for example `s3:prefix` or `aws:SourceVpce`. */
  readonly variable: string;
  /** Values; the condition holds when any value matches. */
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

const CONDITION_OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);

/** Whether a condition operator (with IfExists and set prefixes) is one IAM knows. */
export function isConditionOperator(op: string): boolean {
  const m = /^(ForAllValues:|ForAnyValue:)?(.+?)(IfExists)?$/.exec(op);
  return !!m && CONDITION_OPERATORS.has(m[2]) && !(m[2] === 'Null' && m[3]);
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

  /** Read objects under a prefix of an S3 bucket, and list that prefix. */
  public static readS3Prefix(bucketArn: string, prefix: string): Grant {
    const p = prefix.replace(/^\/+|\/+$/g, '');
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

  /** Invoke one Bedrock model (foundation model, inference profile or provisioned model ARN). */
  public static invokeBedrockModel(modelArn: string): Grant {
    return new Grant([{ actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resources: [modelArn] }]);
  }

  /**
   * Read one Secrets Manager secret. When the secret is encrypted with a
   * customer-managed key, pass it to allow kms:Decrypt through Secrets Manager only.
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

/** The IAM statements of a list of grants (not merged). Acknowledged wildcards get a marker Sid. */
export function grantStatements(grants: Grant[]): Statement[] {
  const out: Statement[] = [];
  for (const g of grants) {
    for (const s of g.statements) {
      const st: Statement = { Effect: 'Allow', Action: [...(s.actions ?? [])], Resource: [...(s.resources ?? [])] };
      const c = conditionBlock(s.conditions);
      if (c) st.Condition = c;
      if (s.wildcardReason && (s.actions ?? []).some(isWildcardAction)) st.Sid = 'AcknowledgedWildcard';
      out.push(st);
    }
  }
  return out;
}

/** Conditions as an IAM condition block (values of a repeated operator/key are combined). */
export function conditionBlock(conditions: GrantCondition[] | undefined): ConditionBlock | undefined {
  if (!conditions || conditions.length === 0) return undefined;
  const c: ConditionBlock = {};
  for (const x of conditions) {
    c[x.test] = c[x.test] ?? {};
    c[x.test][x.variable] = [...(c[x.test][x.variable] ?? []), ...x.values];
  }
  return c;
}

/** `*`, or a whole-service wildcard such as `s3:*`. */
export function isWildcardAction(action: string): boolean {
  return action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
}

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']);

/** Problems with one ARN's shape (not with its fit to an action). */
export function arnShapeProblems(arn: string, partition: string): string[] {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') {
    return [`"${arn}" is not an ARN; expected arn:${partition}:<service>:<region>:<account>:<resource>`];
  }
  const [, p, service, region, account] = parts;
  const problems: string[] = [];
  if (!PARTITIONS.has(p)) {
    problems.push(`"${arn}" has unknown partition "${p}"; this stack's partition is "${partition}"`);
  } else if (p !== partition) {
    problems.push(`"${arn}" is in partition "${p}" but this stack deploys to partition "${partition}"; use arn:${partition}:...`);
  }
  if (!serviceExists(service)) {
    problems.push(`"${arn}" names unknown service "${service}"`);
  }
  if (region !== '' && region !== '*' && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region) && !region.includes('${')) {
    problems.push(`"${arn}" has malformed region "${region}"`);
  }
  if (account !== '' && account !== '*' && account !== 'aws' && !/^\d{12}$/.test(account) && !account.includes('${')) {
    problems.push(`"${arn}" has malformed account "${account}"; expected 12 digits`);
  }
  if (parts.slice(5).join(':') === '') {
    problems.push(`"${arn}" has an empty resource part`);
  }
  return problems;
}

/**
 * Problems with an agent's grants against the AWS service reference: unknown
 * actions (with the nearest name), unacknowledged wildcards, "*" resources
 * where resource-level permissions exist, malformed or mismatched ARNs,
 * unknown condition operators and keys.
 */
export function validateGrants(agent: string, grants: Grant[], partition: string): string[] {
  const problems: string[] = [];
  grants.forEach((grant, gi) => {
    grant.statements.forEach((s, si) => {
      const where = grant.statements.length > 1 ? `permissions[${gi}].statements[${si}]` : `permissions[${gi}]`;
      const actions = s.actions ?? [];
      const resources = s.resources ?? [];
      if (actions.length === 0) problems.push(agentProblem(agent, `${where}.actions`, 'is empty; name at least one action such as "s3:GetObject"'));
      if (resources.length === 0) problems.push(agentProblem(agent, `${where}.resources`, 'is empty; name the resource ARNs the actions apply to'));
      const infos: ActionInfo[] = [];
      let unknownScope = false;
      for (const a of actions) {
        if (Token.isUnresolved(a)) { unknownScope = true; continue; }
        if (isWildcardAction(a)) {
          unknownScope = true;
          if (!s.wildcardReason || s.wildcardReason.trim() === '') {
            problems.push(agentProblem(agent, `${where}.actions`,
              `"${a}" grants every ${a === '*' ? 'action of every service' : `action of ${a.split(':')[0]}`}, including those AWS adds later; name the actions the agent needs, or set wildcardReason to acknowledge it`));
          }
          continue;
        }
        const i = a.indexOf(':');
        if (i <= 0) {
          problems.push(agentProblem(agent, `${where}.actions`, `"${a}" is not an action; write "service:Action", for example "s3:GetObject"`));
          continue;
        }
        const expanded = expandAction(a);
        if (expanded.length === 0) {
          const hint = /[*?]/.test(a) ? '' : suggestAction(a);
          const service = a.slice(0, i);
          problems.push(agentProblem(agent, `${where}.actions`, !serviceExists(service)
            ? `service "${service}" of "${a}" does not exist${hint ? `; did you mean "${hint}"?` : ''}`
            : `action "${a}" does not exist${hint ? `; did you mean "${hint}"?` : `; see the ${service} actions in the AWS Service Authorization Reference`}`));
          continue;
        }
        infos.push(...expanded);
      }
      // Resources.
      const scoped = infos.filter((x) => x.resourceTypes.length > 0);
      for (const r of resources) {
        if (Token.isUnresolved(r)) continue;
        if (r === '*') {
          if (scoped.length > 0) {
            const names = [...new Set(scoped.map((x) => `${x.service}:${x.name}`))].slice(0, 5);
            problems.push(agentProblem(agent, `${where}.resources`,
              `"*" for ${names.map((n) => `"${n}"`).join(', ')}${scoped.length > 5 ? ' and others' : ''}, which support resource-level permissions; name the resource ARNs (put actions that AWS cannot scope in a grant of their own)`));
          }
          continue;
        }
        const shape = arnShapeProblems(r, partition);
        if (shape.length > 0) {
          problems.push(...shape.map((m) => agentProblem(agent, `${where}.resources`, m)));
          continue;
        }
        if (scoped.length > 0 && !unknownScope) {
          const templates = [...new Set(scoped.flatMap(resourceArnTemplates))];
          if (templates.length > 0 && !templates.some((t) => arnMatchesTemplate(r, t))) {
            problems.push(agentProblem(agent, `${where}.resources`,
              `"${r}" is not a resource of any action in this grant; expected for example ${templates.slice(0, 2).map((t) => `"${t}"`).join(' or ')}`));
          }
        }
      }
      // Conditions.
      const services = [...new Set(infos.map((x) => x.service))];
      for (const c of s.conditions ?? []) {
        if (!isConditionOperator(c.test)) {
          problems.push(agentProblem(agent, `${where}.conditions`, `operator "${c.test}" is not an IAM condition operator; for example "StringEquals", "StringLike", "ArnLike", "IpAddress"`));
        }
        if (!Token.isUnresolved(c.variable) && !conditionKeyExists(c.variable, services)) {
          problems.push(agentProblem(agent, `${where}.conditions`, `condition key "${c.variable}" does not exist globally or for ${services.join(', ') || 'these actions'}`));
        }
        if (!c.values || c.values.length === 0) {
          problems.push(agentProblem(agent, `${where}.conditions`, `"${c.variable}" has no values; give at least one`));
        }
      }
    });
  });
  return problems;
}
