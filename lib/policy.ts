/**
 * The IAM policy document model: statements, merging, size as IAM counts it,
 * and packing into inline and managed policies within IAM's quotas.
 */
import { AwsLimits } from './limits';
import { STRING_TOKENS } from './token-encoding';

/** Condition block: operator -> key -> values. */
export type ConditionBlock = Record<string, Record<string, string[]>>;

/** One IAM policy statement, in the shape IAM reads. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string[]>;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: ConditionBlock;
}

/** An IAM policy document. */
export interface PolicyDoc {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** A document from statements. */
export function policyDoc(statements: Statement[]): PolicyDoc {
  return { Version: '2012-10-17', Statement: statements };
}


/**
 * The size IAM counts for a policy: its JSON without whitespace. Unresolved
 * tokens (ARNs of resources in the same stack) count as
 * `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE` characters each.
 */
export function policySize(doc: PolicyDoc | Statement): number {
  const json = JSON.stringify(doc);
  let size = json.length;
  for (const m of json.match(STRING_TOKENS) || []) {
    size += AwsLimits.UNRESOLVED_TOKEN_ESTIMATE - m.length;
  }
  return size;
}

function uniqSorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

function canonicalCondition(c: ConditionBlock | undefined): string {
  if (!c) return '';
  const ops = Object.keys(c).sort();
  return JSON.stringify(ops.map((op) => [op, Object.keys(c[op]).sort().map((k) => [k, uniqSorted(c[op][k])])]));
}

function normalise(s: Statement): Statement {
  const out: Statement = { Effect: s.Effect };
  if (s.Sid) out.Sid = s.Sid;
  if (s.Principal) out.Principal = s.Principal;
  if (s.Action) out.Action = uniqSorted(s.Action);
  if (s.NotAction) out.NotAction = uniqSorted(s.NotAction);
  if (s.Resource) out.Resource = uniqSorted(s.Resource);
  if (s.NotResource) out.NotResource = uniqSorted(s.NotResource);
  if (s.Condition && Object.keys(s.Condition).length > 0) {
    const c: ConditionBlock = {};
    for (const op of Object.keys(s.Condition).sort()) {
      c[op] = {};
      for (const k of Object.keys(s.Condition[op]).sort()) {
        c[op][k] = uniqSorted(s.Condition[op][k]);
      }
    }
    out.Condition = c;
  }
  return out;
}

/**
 * Statements with the same key share one list of `field` (deduplicated, sorted once at the end:
 * linear in the statements, however many share a key).
 */
function mergeBy(statements: Statement[], keyOf: (s: Statement) => string, field: 'Action' | 'Resource'): Statement[] {
  const byKey = new Map<string, { s: Statement; items: Set<string> }>();
  for (const s of statements) {
    const k = keyOf(s);
    const prev = byKey.get(k);
    if (prev) {
      for (const x of s[field] ?? []) prev.items.add(x);
    } else {
      byKey.set(k, { s, items: new Set(s[field] ?? []) });
    }
  }
  return [...byKey.values()].map(({ s, items }) => ({ ...s, [field]: [...items].sort() }));
}

/**
 * Merges and deduplicates identity-policy statements (Action/Resource form,
 * no principals): statements with the same effect, conditions and resources
 * share one action list; then statements with the same effect, conditions and
 * actions share one resource list. Sids are kept apart (a statement with a Sid
 * only merges with statements carrying the same Sid). Output is deterministic.
 */
export function mergeStatements(statements: Statement[]): Statement[] {
  const base = (s: Statement) => `${s.Effect}|${s.Sid ?? ''}|${canonicalCondition(s.Condition)}`;
  let out = statements.map(normalise).filter((s) => (s.Action?.length ?? 0) > 0 && (s.Resource?.length ?? 0) > 0);
  out = mergeBy(out, (s) => `${base(s)}|R:${(s.Resource ?? []).join(',')}`, 'Action');
  out = mergeBy(out, (s) => `${base(s)}|A:${(s.Action ?? []).join(',')}`, 'Resource');
  // A statement whose actions and resources are covered by another with the same effect/conditions is dropped.
  const sets = out.map((s) => ({ base: base(s), actions: new Set(s.Action), resources: new Set(s.Resource), n: s.Action!.length + s.Resource!.length }));
  out = out.filter((s, i) => !sets.some((o, j) => j !== i && o.base === sets[i].base && o.n > sets[i].n
    && s.Action!.every((a) => o.actions.has(a)) && s.Resource!.every((r) => o.resources.has(r))));
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** How an agent's statements are laid out over IAM policies. */
export interface PolicyLayout {
  /** Statements for the role's one inline policy (empty when all went to managed policies). */
  readonly inline: Statement[];
  /** Statements per customer-managed policy. */
  readonly managed: Statement[][];
  /** Total size of the statements as one document. */
  readonly totalSize: number;
}

/**
 * Lays statements out within IAM's quotas, using the role's inline policy and its managed policies
 * together: everything in the one inline policy while the total stays within `inlineBudget`;
 * beyond that, whole statements packed first-fit decreasing into the inline policy (up to
 * `inlineBudget`) and up to `managedSlots` customer-managed policies of
 * `AwsLimits.MANAGED_POLICY_MAX` characters each. A statement larger than one managed policy is
 * split by resources, then by actions. Returns a problem string instead when the statements
 * cannot fit: it states their total, the capacity, and whether they are simply too large or
 * only fail to pack (a statement cannot span two policies).
 */
export function layoutPolicies(statements: Statement[], managedSlots: number, inlineBudget: number = AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX): PolicyLayout | string {
  const totalSize = policySize(policyDoc(statements));
  if (statements.length === 0) {
    return { inline: [], managed: [], totalSize: 0 };
  }
  if (totalSize <= inlineBudget) {
    return { inline: statements, managed: [], totalSize };
  }
  const emptyDoc = policySize(policyDoc([]));
  const managedCapacity = AwsLimits.MANAGED_POLICY_MAX - emptyDoc;
  const inlineCapacity = Math.max(0, inlineBudget - emptyDoc);
  const pieces: Statement[] = [];
  for (const st of statements) {
    pieces.push(...splitStatement(st, managedCapacity));
  }
  // Each statement costs its size and a separating comma.
  const sized = pieces.map((s) => ({ s, size: policySize(s) + 1 })).sort((a, b) => b.size - a.size);
  const tooBig = sized.find((x) => x.size > Math.max(managedCapacity, inlineCapacity));
  if (tooBig) {
    return `one statement is ${tooBig.size} characters even with one resource and one action, over the ${AwsLimits.MANAGED_POLICY_MAX}-character managed-policy limit; shorten its conditions`;
  }
  const inline = { items: [] as Statement[], free: inlineCapacity };
  const managed: { items: Statement[]; free: number }[] = [];
  const needed = sized.reduce((n, x) => n + x.size, 0);
  const capacity = inlineCapacity + managedSlots * managedCapacity;
  for (const x of sized) {
    const bin = [inline, ...managed].find((b) => b.free >= x.size)
      ?? (managed.length < managedSlots && x.size <= managedCapacity ? (managed.push({ items: [], free: managedCapacity }), managed[managed.length - 1]) : undefined);
    if (!bin) {
      const why = needed > capacity
        ? `they are larger than that capacity by ${needed - capacity} characters`
        : `they would fit by size, but whole statements do not pack into the policies' remaining space (a statement cannot span two policies; ${capacity - needed} characters would be left over in fragments)`;
      return `permissions are ${needed} characters as IAM counts them (${pieces.length} statements); the role holds at most ${capacity}: `
        + `the inline policy's ${inlineCapacity} left of IAM's ${AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX} (after guardrails and reserves) `
        + `plus ${managedSlots} free managed policies of ${managedCapacity} (of IAM's ${AwsLimits.MANAGED_POLICIES_PER_ROLE} × ${AwsLimits.MANAGED_POLICY_MAX}, less each document's wrapper); ${why}. `
        + 'Narrow the grants (fewer resources, shared prefixes) or split the agent into smaller agents';
    }
    bin.items.push(x.s);
    bin.free -= x.size;
  }
  return { inline: inline.items, managed: managed.map((b) => b.items), totalSize };
}

/**
 * A policy as the JSON string IAM reads. Plain `JSON.stringify` (never
 * `jsonencode`, which scanners cannot read). IAM policy variables such as
 * `${aws:PrincipalTag/on-behalf-of}` stay as IAM writes them: the stack's
 * `TerraformLiterals` boundary escapes them for Terraform (`$${...}`), once.
 * cdktf tokens are left for cdktf to resolve.
 */
export function policyJson(doc: PolicyDoc): string {
  return JSON.stringify(doc);
}

/** Splits a statement into statements of at most `capacity` characters, by resources, then by actions. */
function splitStatement(st: Statement, capacity: number): Statement[] {
  if (policySize(st) + 1 <= capacity) return [st];
  for (const field of ['Resource', 'Action'] as const) {
    const list = st[field];
    if (list && list.length > 1) {
      const out: Statement[] = [];
      let current: string[] = [];
      for (const item of list) {
        const candidate = { ...st, [field]: [...current, item] };
        if (current.length > 0 && policySize(candidate) + 1 > capacity) {
          out.push({ ...st, [field]: current });
          current = [item];
        } else {
          current.push(item);
        }
      }
      out.push({ ...st, [field]: current });
      return out.flatMap((x) => splitStatement(x, capacity));
    }
  }
  return [st];
}
