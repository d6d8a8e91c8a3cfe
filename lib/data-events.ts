/**
 * Which resources the audit trail records data events for, derived from what
 * agents are granted, and the advanced event selectors that record them within
 * CloudTrail's quota. CloudTrail's advanced event selectors match ARNs
 * literally (`StartsWith`, `Equals`): they expand neither IAM wildcards nor IAM
 * policy variables, so a prefix stops before the first of them
 * (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
 * Terraform references (cdktf tokens) are kept verbatim: Terraform interpolates
 * them at apply, so `${aws_s3_bucket.b.arn}/published/` is a literal prefix by then.
 *
 * Selectors are ORed (an event is logged when it matches any selector) and the
 * field selectors of one selector are ANDed, so `Equals` and `StartsWith` values
 * on `resources.ARN` go in separate selectors.
 */
import { ACCOUNT_QUOTAS } from './limits';
import { formatArn } from './naming';
import { isUnresolved } from './private/token';
import { splitTokens, TOKEN_OPEN } from './token-encoding';

/** CloudTrail's quota: values across all conditions of all advanced event selectors of a trail (not adjustable). */
export const ADVANCED_SELECTOR_VALUES_MAX: number = ACCOUNT_QUOTAS.find((q) => q.key === 'cloudTrailSelectorValues')!.defaultValue;

/** A data-event resource type the trail records for agents' grants. */
export type DataEventResourceType = 'AWS::S3::Object' | 'AWS::DynamoDB::Table';

/** One `resources.ARN` condition value of a data-event selector. */
export interface DataEventTarget {
  /** `resources.type` of the selector. */
  readonly type: DataEventResourceType;
  /** `Equals` for one exact ARN, `StartsWith` for a prefix. */
  readonly operator: 'Equals' | 'StartsWith';
  /** The value, with Terraform references kept verbatim. */
  readonly value: string;
}

/** Where a granted resource stands: the value that covers it, nothing to cover, or why it cannot be covered. */
export interface DataEventCover {
  /** The selector value covering the resource, when it names S3 objects or a DynamoDB table. */
  readonly target?: DataEventTarget;
  /** Why a resource granted S3 or DynamoDB actions cannot be covered (a synth problem), with the fix. */
  readonly problem?: string;
}

/** Placeholders for tokens while the ARN shape is read: no ARN separator, no wildcard, no `$`. */
const OPEN = '\u0001', CLOSE = '\u0002';

/** The resource with each token replaced by a placeholder, and the way back. */
function mask(resource: string): { masked: string; unmask: (s: string) => string } {
  const tokens: string[] = [];
  const masked = splitTokens(resource, isUnresolved(resource)).map((p) => (p.token ? `${OPEN}${tokens.push(p.text) - 1}${CLOSE}` : p.text)).join('');
  const unmask = (s: string) => s.replace(/\u0001(\d+)\u0002/g, (_, i) => tokens[Number(i)]);
  return { masked, unmask };
}

/** The literal start of a masked string: up to the first IAM wildcard (`*`, `?`) or policy variable (`${aws:...}`). */
function literalStart(s: string): string {
  return /^[^*?$]*/.exec(s)![0];
}

function s3Masked(masked: string): string | undefined {
  const m = /^arn:([^:]+):s3:::([^/]+)\/(.*)$/.exec(masked);
  if (!m) return undefined;
  // A bucket named by a wildcard or a variable: the prefix stops inside the bucket name (wider, never narrower).
  const bucketLiteral = literalStart(m[2]);
  if (bucketLiteral !== m[2]) return formatArn({ partition: m[1], service: 's3', resource: bucketLiteral });
  return formatArn({ partition: m[1], service: 's3', resource: `${m[2]}/${literalStart(m[3])}` });
}

/**
 * The `resources.ARN` StartsWith value that covers the S3 objects a granted
 * resource names, or undefined when it names no objects.
 *
 * @param resource a granted resource ARN (`arn:aws:s3:::bucket/reports/*`,
 *   `arn:aws:s3:::bucket/home/${aws:PrincipalTag/on-behalf-of}/*`, `${TfToken[TOKEN.1]}/published/*`)
 * @returns `arn:<partition>:s3:::bucket/reports/`, `arn:<partition>:s3:::bucket/home/`; for a
 *   bucket named by a wildcard or variable (`arn:aws:s3:::corpus-*&#47;*`), the literal start of
 *   its name (`arn:aws:s3:::corpus-`); Terraform references are kept verbatim
 *   (`${TfToken[TOKEN.1]}/published/`); a resource that is wholly a reference followed by
 *   `/...` is read as a bucket ARN (the caller checks that the statement is S3's alone)
 */
export function s3ObjectDataEventPrefix(resource: string): string | undefined {
  const { masked, unmask } = mask(resource);
  const whole = /^(\u0001\d+\u0002)\/(.*)$/.exec(masked);
  const prefix = whole ? `${whole[1]}/${literalStart(whole[2])}` : s3Masked(masked);
  return prefix === undefined ? undefined : unmask(prefix);
}

/**
 * The DynamoDB table selector value of a granted resource: `Equals` the table ARN, or
 * `StartsWith` the literal start of a table ARN with a wildcard or variable in its region,
 * account or name (`arn:aws:dynamodb:us-east-1:111122223333:table/orders-*` ->
 * `arn:aws:dynamodb:us-east-1:111122223333:table/orders-`). Undefined for indexes and streams
 * (their events name the table) and for what is not a table ARN. A resource that is wholly a
 * Terraform reference is read as a table ARN (the caller checks that the statement is DynamoDB's alone).
 */
export function dynamoDbDataEventTarget(resource: string): DataEventTarget | undefined {
  const { masked, unmask } = mask(resource);
  const type = 'AWS::DynamoDB::Table' as const;
  if (/^\u0001\d+\u0002$/.test(masked)) return { type, operator: 'Equals', value: resource };
  const m = /^arn:[^:]+:dynamodb:[^:]+:[^:]+:table\/[^/]+$/.exec(masked);
  if (!m) return undefined;
  const literal = literalStart(masked);
  if (literal === masked) return { type, operator: 'Equals', value: resource };
  return { type, operator: 'StartsWith', value: unmask(literal) };
}

/** The table ARN whose item-level events cover a granted DynamoDB resource (an exact table ARN only), or undefined. */
export function dynamoDbDataEventTable(resource: string): string | undefined {
  const t = dynamoDbDataEventTarget(resource);
  return t?.operator === 'Equals' ? t.value : undefined;
}

/**
 * The data-event selector value covering one resource of a statement granting `actions`.
 * A resource that is wholly a Terraform reference (optionally followed by `/...`) is attributed
 * to S3 or DynamoDB only when every action of the statement is of that service; a statement
 * mixing services on such a reference cannot be covered (`problem`).
 */
export function dataEventCover(actions: readonly string[], resource: string): DataEventCover {
  const service = (a: string) => a.split(':')[0].toLowerCase();
  const s3 = actions.some((a) => service(a) === 's3');
  const ddb = actions.some((a) => service(a) === 'dynamodb');
  if (!s3 && !ddb) return {};
  const { masked } = mask(resource);
  if (/^\u0001\d+\u0002(\/.*)?$/.test(masked)) {
    const only = (svc: string) => actions.every((a) => service(a) === svc);
    if (only('s3')) {
      const value = s3ObjectDataEventPrefix(resource);
      return value === undefined ? {} : { target: { type: 'AWS::S3::Object', operator: 'StartsWith', value } };
    }
    if (only('dynamodb')) {
      const target = dynamoDbDataEventTarget(resource);
      return target ? { target } : {};
    }
    const services = [...new Set(actions.map(service))].sort().join(', ');
    return {
      problem: `its resource is a Terraform reference known only at apply, and its statement mixes services (${services}), so whether it names S3 objects `
        + 'or a DynamoDB table (and so which CloudTrail data events cover it) cannot be told at synth. '
        + 'Fix: grant the S3 or DynamoDB actions on this reference in a grant of their own, or name the resource by a literal ARN',
    };
  }
  if (s3 && /^arn:[^:]+:s3:[^:]*:[^:]*:accesspoint\/[^/]+\/object\//.test(masked)) {
    return {
      problem: 'it names objects through an S3 access point, whose data events the trail does not select (its selectors match object ARNs arn:<partition>:s3:::<bucket>/<key>). '
        + 'Fix: grant the objects by their bucket ARN (Grant.readS3Prefix(bucketArn, prefix)), or set audit.dataEvents: false and record the access point\'s data events in a trail of your own',
    };
  }
  if (s3 && /^arn:[^:]+:s3:/.test(masked)) {
    const value = s3ObjectDataEventPrefix(resource);
    return value === undefined ? {} : { target: { type: 'AWS::S3::Object', operator: 'StartsWith', value } };
  }
  if (ddb && /^arn:[^:]+:dynamodb:/.test(masked)) {
    const target = dynamoDbDataEventTarget(resource);
    return target ? { target } : {};
  }
  return {};
}

/** Advanced event selectors in the Terraform shape of `aws_cloudtrail.advanced_event_selector`. */
export interface AdvancedEventSelector {
  readonly name: string;
  readonly field_selector: { readonly field: string; readonly [operator: string]: string | readonly string[] }[];
}

/** Values across all conditions of all selectors, as CloudTrail counts them against its 500-value quota. */
export function selectorValueCount(selectors: readonly AdvancedEventSelector[]): number {
  let n = 0;
  for (const s of selectors) {
    for (const f of s.field_selector ?? []) {
      for (const [k, v] of Object.entries(f)) if (k !== 'field' && Array.isArray(v)) n += v.length;
    }
  }
  return n;
}

/** The selectors of a trail and, when they were widened to fit CloudTrail's quota, what was widened and why. */
export interface FittedSelectors {
  readonly selectors: AdvancedEventSelector[];
  /** Values the selectors hold (at most the limit). */
  readonly values: number;
  /** Values the exact selectors would have held. */
  readonly requested: number;
  /** What was widened, when the exact selectors were over the limit. */
  readonly widened?: string[];
}

interface TypeValues { all: boolean; equals: string[]; startsWith: string[] }

/** Drops duplicates and values covered by a shorter StartsWith of the same type (same coverage, fewer values). */
function prune(v: TypeValues): TypeValues {
  if (v.all) return { all: true, equals: [], startsWith: [] };
  const starts = [...new Set(v.startsWith)].sort();
  const kept: string[] = [];
  for (const s of starts) if (!kept.some((k) => s.startsWith(k))) kept.push(s);
  const equals = [...new Set(v.equals)].sort().filter((e) => !kept.some((k) => e.startsWith(k)));
  return { all: false, equals, startsWith: kept };
}

function selectorsOf(s3: TypeValues, ddb: TypeValues): AdvancedEventSelector[] {
  const data = (type: string) => [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: [type] }];
  const out: AdvancedEventSelector[] = [{ name: 'Management events', field_selector: [{ field: 'eventCategory', equals: ['Management'] }] }];
  if (s3.all) out.push({ name: 'S3 object events of all buckets (widened to fit CloudTrail\'s selector quota)', field_selector: data('AWS::S3::Object') });
  if (s3.startsWith.length > 0) {
    out.push({ name: 'S3 object events of agent-granted prefixes', field_selector: [...data('AWS::S3::Object'), { field: 'resources.ARN', starts_with: s3.startsWith }] });
  }
  if (ddb.all) out.push({ name: 'DynamoDB item events of all tables (widened to fit CloudTrail\'s selector quota)', field_selector: data('AWS::DynamoDB::Table') });
  if (ddb.equals.length > 0) {
    out.push({ name: 'DynamoDB item events of agent-granted tables', field_selector: [...data('AWS::DynamoDB::Table'), { field: 'resources.ARN', equals: ddb.equals }] });
  }
  if (ddb.startsWith.length > 0) {
    out.push({ name: 'DynamoDB item events of agent-granted table name prefixes', field_selector: [...data('AWS::DynamoDB::Table'), { field: 'resources.ARN', starts_with: ddb.startsWith }] });
  }
  return out;
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** A prefix that does not end inside a Terraform reference (`${TfToken[...]}`); it stops before it instead. */
function tokenSafePrefix(s: string, length: number): string {
  const p = s.slice(0, length);
  const open = p.lastIndexOf(TOKEN_OPEN);
  return open >= 0 && p.indexOf(']}', open) < 0 ? p.slice(0, open) : p;
}

/**
 * Merges runs of sorted values sharing at least `threshold` leading characters into one
 * StartsWith of their shared start. A shared start shorter than the type's ARN head
 * (`arn:<partition>:s3:::`, `arn:<partition>:dynamodb:`) drops the ARN condition of the type.
 */
function mergeShared(v: TypeValues, threshold: number, head: RegExp): TypeValues {
  if (v.all) return v;
  const items = [...v.equals.map((value) => ({ value, equals: true })), ...v.startsWith.map((value) => ({ value, equals: false }))]
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const equals: string[] = [], startsWith: string[] = [];
  for (let i = 0; i < items.length;) {
    let j = i + 1, shared = items[i].value.length;
    while (j < items.length) {
      const l = commonPrefixLength(items[j - 1].value, items[j].value);
      if (l < threshold) break;
      shared = Math.min(shared, l, items[j].value.length);
      j++;
    }
    if (j === i + 1) {
      (items[i].equals ? equals : startsWith).push(items[i].value);
    } else {
      const prefix = tokenSafePrefix(items[i].value, shared);
      if (!head.test(prefix)) return { all: true, equals: [], startsWith: [] };
      startsWith.push(prefix);
    }
    i = j;
  }
  return prune({ all: false, equals, startsWith });
}

/** The distinct lengths at which adjacent sorted values part, longest first: the merge thresholds of a type, narrowest merge first. */
function thresholds(v: TypeValues): number[] {
  const ls = new Set<number>();
  const values = [...v.equals, ...v.startsWith].sort();
  for (let i = 1; i < values.length; i++) ls.add(commonPrefixLength(values[i - 1], values[i]));
  return [...ls].sort((a, b) => b - a);
}

/**
 * The advanced event selectors of a trail: management events, and data events of the given
 * targets, within CloudTrail's `limit` of values across all selectors. Over the limit, coverage
 * is widened, never narrowed: S3 prefixes collapse to their buckets; then runs of values sharing
 * the longest literal starts merge into one StartsWith each (never cutting a Terraform
 * reference); where a shared start would be shorter than the type's ARN head, the type's ARN
 * condition is dropped (all its data events are logged).
 */
export function fitDataEventSelectors(targets: readonly DataEventTarget[], limit: number = ADVANCED_SELECTOR_VALUES_MAX): FittedSelectors {
  const pick = (type: DataEventResourceType, operator: DataEventTarget['operator']) =>
    targets.filter((t) => t.type === type && t.operator === operator).map((t) => t.value);
  let s3 = prune({ all: false, equals: [], startsWith: pick('AWS::S3::Object', 'StartsWith') });
  let ddb = prune({ all: false, equals: pick('AWS::DynamoDB::Table', 'Equals'), startsWith: pick('AWS::DynamoDB::Table', 'StartsWith') });
  const exact = selectorsOf(s3, ddb);
  const requested = selectorValueCount(exact);
  if (requested <= limit) return { selectors: exact, values: requested, requested };

  const widened: string[] = [];
  const prefixes = s3.startsWith.length;
  s3 = prune({ all: false, equals: [], startsWith: s3.startsWith.map((v) => { const i = v.indexOf('/'); return i >= 0 ? v.slice(0, i + 1) : v; }) });
  widened.push(`S3 object prefixes collapsed to their buckets (${prefixes} prefixes -> ${s3.startsWith.length} bucket${s3.startsWith.length === 1 ? '' : 's'})`);
  let selectors = selectorsOf(s3, ddb);
  if (selectorValueCount(selectors) > limit) {
    const s3Head = /^arn:[^:]+:s3:::/, ddbHead = /^arn:[^:]+:dynamodb:/;
    // Merge level by level, always in the type holding more values: both shrink in step, each as little as fits.
    const levels = { s3: thresholds(s3), ddb: thresholds(ddb) };
    const at = { s3: -1, ddb: -1 };
    let fitted = { s3, ddb };
    const size = (v: TypeValues) => v.equals.length + v.startsWith.length;
    while (selectorValueCount(selectorsOf(fitted.s3, fitted.ddb)) > limit) {
      const canS3 = at.s3 + 1 < levels.s3.length, canDdb = at.ddb + 1 < levels.ddb.length;
      if (!canS3 && !canDdb) break;
      if (canS3 && (!canDdb || size(fitted.s3) >= size(fitted.ddb))) {
        fitted = { ...fitted, s3: mergeShared(s3, levels.s3[++at.s3], s3Head) };
      } else {
        fitted = { ...fitted, ddb: mergeShared(ddb, levels.ddb[++at.ddb], ddbHead) };
      }
    }
    const before = s3.startsWith.length + ddb.equals.length + ddb.startsWith.length;
    s3 = fitted.s3; ddb = fitted.ddb;
    const shared = [...s3.startsWith, ...ddb.startsWith].length;
    if (!s3.all || !ddb.all) widened.push(`${before} bucket and table values merged into ${shared + ddb.equals.length} by their shared literal starts (StartsWith)`);
    if (s3.all) widened.push('all S3 object data events are logged (no ARN condition)');
    if (ddb.all) widened.push('all DynamoDB item data events are logged (no ARN condition)');
    selectors = selectorsOf(s3, ddb);
  }
  return { selectors, values: selectorValueCount(selectors), requested, widened };
}
