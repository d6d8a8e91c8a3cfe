/**
 * Grants: what an agent may do. A grant is one or more identity-policy
 * statements (actions, resources, optional conditions), built directly or by a
 * helper for a common agent tool. Validation against the AWS service reference
 * happens at synth time (see `validateGrants`).
 */
import { isUnresolved } from './private/token';
import { agentProblem } from './errors';
import { ConditionBlock, Statement } from './policy';
import { inferenceProfileRegions } from './regions';
import {
  ActionInfo, actionResourceTypes, conditionKeyAppliesTo, conditionKeyExists, expandAction, isMultivaluedKey, resourceArnTemplates,
  resourceTypesOfArn, serviceExists, splitArn, suggestAction,
} from './iam-reference';

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
        resources: profile.regions.map((r) => `arn:${profile.partition}:bedrock:${r}::foundation-model/${profile.model}`),
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

/** The IAM statements of a list of grants (not merged). Acknowledged wildcards get a marker Sid. */
export function grantStatements(grants: Grant[]): Statement[] {
  const out: Statement[] = [];
  for (const g of grants) {
    for (const s of g.statements) {
      const st: Statement = { Effect: 'Allow', Action: [...(s.actions ?? [])], Resource: (s.resources ?? []).map(secretArnPattern) };
      const c = conditionBlock(s.conditions);
      if (c) st.Condition = c;
      if (s.wildcardReason && (s.actions ?? []).some(isWildcardAction)) st.Sid = 'AcknowledgedWildcard';
      out.push(st);
    }
  }
  return out;
}

/**
 * A Secrets Manager secret ARN as IAM must see it. Secrets Manager appends a hyphen and six
 * random characters to every secret's ARN, so `...:secret:db-creds` matches no secret; like
 * aws-cdk's partial ARNs it becomes `...:secret:db-creds-??????`. An ARN that already ends
 * in `-` and six letters or digits, or in a wildcard, is kept. Other ARNs pass unchanged.
 */
export function secretArnPattern(arn: string): string {
  if (isUnresolved(arn)) return arn;
  const f = splitArn(arn);
  if (f.length < 6 || f[0] !== 'arn' || f[2] !== 'secretsmanager' || !f[5].startsWith('secret:')) return arn;
  const name = f[5].slice('secret:'.length);
  if (name === '' || /-[A-Za-z0-9]{6}$|-\?{6}$|[*]$/.test(name)) return arn;
  return `${arn}-??????`;
}

/**
 * Conditions as an IAM condition block. Values of a repeated operator/key would be one OR list
 * in IAM, so `validateGrants` rejects repeats; here they are combined only to keep the shape.
 */
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
  const parts = splitArn(arn);
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
  if (!serviceExists(service) && !service.includes('${')) {
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

/** Operators that hold when the key is missing, so a key IAM never sets makes them always true. */
function holdsWhenMissing(op: string): boolean {
  return /IfExists$/.test(op) || /Not/.test(op) || op === 'Null' || op.startsWith('ForAllValues:');
}

/**
 * Problems with an agent's grants against the AWS service reference: unknown
 * actions (with the nearest name), NotAction-style "!" actions, unacknowledged
 * wildcards, "*" resources where resource-level permissions exist, malformed
 * ARNs and ARNs of another resource type than the actions take, unknown
 * condition operators and keys, keys that do not apply to every action of the
 * grant, set operators on single-valued keys, and two conditions on one
 * operator and key (which IAM could only read as OR). `field` names the list
 * in messages (`permissions`, or `sessionPolicies[0].permissions`).
 */
export function validateGrants(agent: string, grants: Grant[], partition: string, field: string = 'permissions'): string[] {
  const problems: string[] = [];
  grants.forEach((grant, gi) => {
    grant.statements.forEach((s, si) => {
      const where = grant.statements.length > 1 ? `${field}[${gi}].statements[${si}]` : `${field}[${gi}]`;
      const actions = s.actions ?? [];
      const resources = s.resources ?? [];
      if (actions.length === 0) problems.push(agentProblem(agent, `${where}.actions`, 'is empty; name at least one action such as "s3:GetObject"'));
      if (resources.length === 0) problems.push(agentProblem(agent, `${where}.resources`, 'is empty; name the resource ARNs the actions apply to'));
      // The library escapes every string once for Terraform: text escaped by hand would reach IAM with a stray "$" or "%".
      const preEscaped = (v: string, f: string) => {
        const m = /(\$\$\{|%%\{)/.exec(v);
        if (m && !isUnresolved(v)) {
          problems.push(agentProblem(agent, f, `"${v}" contains "${m[1]}", Terraform's escape; write "${m[1].slice(1)}" as IAM reads it (for example "\${aws:username}"): the library escapes it for Terraform itself`));
        }
      };
      for (const r of resources) preEscaped(r, `${where}.resources`);
      (s.conditions ?? []).forEach((c, ci) => (c.values ?? []).forEach((v) => preEscaped(v, `${where}.conditions[${ci}]`)));
      const infos: ActionInfo[] = [];
      let unknownScope = false;
      for (const a of actions) {
        if (isUnresolved(a)) { unknownScope = true; continue; }
        if (a.startsWith('!')) {
          unknownScope = true;
          problems.push(agentProblem(agent, `${where}.actions`,
            `"${a}" reads as NotAction ("every action except ${a.slice(1)}"), which this library does not support: it grants every action AWS adds later. Name the actions the agent needs`));
          continue;
        }
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
      // Resources: each ARN must name a resource type one of the grant's actions takes.
      const scoped = infos.filter((x) => x.resourceTypes.length > 0);
      const takes = new Set(scoped.flatMap(actionResourceTypes));
      for (const r of resources) {
        if (isUnresolved(r)) continue;
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
        if (scoped.length > 0 && !unknownScope && !/TfToken\[/.test(r)) {
          const types = resourceTypesOfArn(secretArnPattern(r));
          if (!types.some((t) => takes.has(t))) {
            const templates = [...new Set(scoped.flatMap(resourceArnTemplates))];
            const named = types.length > 0 ? ` (this ARN names resource type ${types.map((t) => `"${t}"`).join(' or ')}, which these actions do not take)` : '';
            problems.push(agentProblem(agent, `${where}.resources`,
              `"${r}" is not a resource of any action in this grant; expected for example ${templates.slice(0, 2).map((t) => `"${t}"`).join(' or ')}${named}`));
          }
        }
      }
      // Conditions.
      const services = [...new Set(infos.map((x) => x.service))];
      const seen = new Map<string, number>();
      (s.conditions ?? []).forEach((c, ci) => {
        const cwhere = `${where}.conditions[${ci}]`;
        if (!isConditionOperator(c.test)) {
          problems.push(agentProblem(agent, cwhere, `operator "${c.test}" is not an IAM condition operator; for example "StringEquals", "StringLike", "ArnLike", "IpAddress"`));
        }
        if (!c.values || c.values.length === 0) {
          problems.push(agentProblem(agent, cwhere, `"${c.variable}" has no values; give at least one`));
        }
        if (isUnresolved(c.variable) || isUnresolved(c.test)) return;
        const pair = `${c.test}|${c.variable.toLowerCase()}`;
        const first = seen.get(pair);
        if (first !== undefined) {
          problems.push(agentProblem(agent, cwhere,
            `repeats ${c.test} on "${c.variable}" (as conditions[${first}] does); IAM holds one value list per operator and key and reads it as OR, so the two conditions cannot both be required. `
            + 'List the alternatives in one condition if either may match, or split the grant (a StringLike pattern can often express both)'));
        } else {
          seen.set(pair, ci);
        }
        if (!conditionKeyExists(c.variable, services)) {
          problems.push(agentProblem(agent, cwhere, `condition key "${c.variable}" does not exist globally or for ${services.join(', ') || 'these actions'}`));
          return;
        }
        if (/^(ForAllValues|ForAnyValue):/.test(c.test) && isMultivaluedKey(c.variable) === false) {
          problems.push(agentProblem(agent, cwhere,
            `${c.test.split(':')[0]} on "${c.variable}", which holds one value: set operators are for multivalued keys (such as aws:TagKeys), and ForAllValues is true when the key is missing, opening the grant. Use "${c.test.split(':').slice(1).join(':')}"`));
        }
        const unsupported = [...new Set(infos.filter((x) => !conditionKeyAppliesTo(c.variable, x)).map((x) => `${x.service}:${x.name}`))];
        if (unsupported.length > 0) {
          const effect = holdsWhenMissing(c.test)
            ? 'so the condition never restricts them'
            : 'so the grant never allows them';
          const none = unsupported.length === new Set(infos.map((x) => `${x.service}:${x.name}`)).size;
          problems.push(agentProblem(agent, cwhere,
            `condition key "${c.variable}" does not apply to ${unsupported.slice(0, 3).map((n) => `"${n}"`).join(', ')}${unsupported.length > 3 ? ` and ${unsupported.length - 3} more` : ''} `
            + `(the AWS Service Authorization Reference lists it for neither the action nor its resource types), ${effect}. `
            + (none ? 'Use a key these actions support, or remove the condition' : 'Put those actions in a grant of their own without this condition')));
        }
      });
    });
  });
  return problems;
}
