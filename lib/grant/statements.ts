/**
 * Grants written out as IAM identity-policy statements: resources as IAM must see them (secret
 * ARN suffixes), conditions as a condition block, acknowledged wildcards marked.
 */
import { isUnresolved } from '../private/token';
import { splitArn } from '../iam-reference';
import { ConditionBlock, Statement } from '../policy';
import { Grant, GrantCondition } from './grant';

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
