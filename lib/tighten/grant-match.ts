/**
 * An agent's grants as synthesized, compiled for matching calls: the Allow statements of its
 * identity policies, with IAM's wildcards (`*`, `?`) and policy variables (`${aws:PrincipalTag/x}`,
 * one path segment) in actions and resources.
 */
import { Statement } from '../policy';

/** One Allow statement of an agent, ready to match calls against. */
export interface CompiledStatement {
  /** Position among the agent's Allow statements. */
  readonly index: number;
  readonly actions: string[];
  readonly resources: string[];
  /** Conditions as written (operator -> key -> values). */
  readonly condition?: Record<string, Record<string, string[]>>;
  /** NotAction or NotResource statements are shown but not judged. */
  readonly judged: boolean;
  readonly actionRes: RegExp[];
  readonly resourceRes: RegExp[];
  /** Resources that are Terraform references (known only after apply): they match any resource. */
  readonly unresolved: boolean[];
}

/** An IAM action pattern as a regular expression (case-insensitive). */
export function actionPattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether a resource value is a Terraform reference (`${aws_x.y.arn}`) rather than an ARN pattern. */
export function isTerraformReference(resource: string): boolean {
  return /\$\{(?!aws:|\*\}|\?\}|\$\})[a-z_][^}]*\}/.test(resource);
}

/** An IAM resource pattern as a regular expression: `*` any run, `?` one character, a policy variable one path segment. */
export function resourcePattern(pattern: string): RegExp {
  if (isTerraformReference(pattern)) return /^.*$/;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i);
      if (end > 0) {
        const name = pattern.slice(i + 2, end);
        out += name === '*' ? '\\*' : name === '?' ? '\\?' : name === '$' ? '\\$' : '[^/]+';
        i = end;
        continue;
      }
    }
    out += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Compiles the Allow statements of an agent's policies. */
export function compileStatements(statements: Statement[]): CompiledStatement[] {
  return statements.filter((s) => s.Effect === 'Allow').map((s, index) => {
    const actions = s.Action ?? s.NotAction ?? [];
    const resources = s.Resource ?? s.NotResource ?? [];
    return {
      index,
      actions,
      resources,
      condition: s.Condition,
      judged: !!s.Action && !!s.Resource,
      actionRes: actions.map(actionPattern),
      resourceRes: resources.map(resourcePattern),
      unresolved: resources.map(isTerraformReference),
    };
  });
}

/** Condition keys a CloudTrail record tells (lower-case key -> value), for `matchStatements`. */
export type RequestFacts = Record<string, string | undefined>;

/** The condition values a record tells: the S3 list prefix, the requested region, the VPC endpoint. */
export function requestFacts(r: { awsRegion?: string; requestParameters?: any; vpcEndpointId?: unknown }): RequestFacts {
  const prefix = r.requestParameters?.prefix;
  return {
    's3:prefix': typeof prefix === 'string' ? prefix : undefined,
    'aws:requestedregion': r.awsRegion,
    'aws:sourcevpce': typeof r.vpcEndpointId === 'string' ? r.vpcEndpointId : undefined,
  };
}

const STRING_TESTS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => resourcePattern(p).test(v),
};

/**
 * Whether a statement's conditions can hold for a call, judged only on the keys the record tells
 * (`facts`) under the string operators; any other condition is taken to hold (CloudTrail does not say).
 */
export function conditionsMayHold(condition: CompiledStatement['condition'], facts: RequestFacts | undefined): boolean {
  if (!condition || !facts) return true;
  for (const [op, byKey] of Object.entries(condition)) {
    const test = STRING_TESTS[op];
    if (!test) continue;
    for (const [key, values] of Object.entries(byKey)) {
      const value = facts[key.toLowerCase()];
      if (value === undefined) continue;
      if (!values.some((p) => test(p, value))) return false;
    }
  }
  return true;
}

/** A statement and the resources in it that a call matched. */
export interface StatementMatch {
  readonly statement: CompiledStatement;
  /** Indexes into statement.resources. */
  readonly resources: number[];
}

/**
 * The statements that allow `action` on `resource` (any resource of the statement when the record
 * names none) under conditions that may hold for `facts`. NotAction and NotResource statements
 * never match: they are not judged.
 */
export function matchStatements(statements: CompiledStatement[], action: string, resource: string | undefined, facts?: RequestFacts): StatementMatch[] {
  const out: StatementMatch[] = [];
  for (const s of statements) {
    if (!s.judged || !s.actionRes.some((re) => re.test(action)) || !conditionsMayHold(s.condition, facts)) continue;
    const resources: number[] = [];
    s.resourceRes.forEach((re, i) => {
      if (resource === undefined || re.test(resource)) resources.push(i);
    });
    if (resources.length > 0) out.push({ statement: s, resources });
  }
  return out;
}
