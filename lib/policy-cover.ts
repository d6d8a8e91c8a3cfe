/**
 * Grants as (action, resource, conditions) tuples, and when one grant covers another: wildcards
 * compared through the AWS service reference (`expandAction`), resources by glob, conditions by
 * inclusion (IAM compares condition keys case-insensitively). Pure; the diff's measure of widening.
 */
import { Statement } from './policy';
import { expandAction } from './iam-reference';

/** One allowed action on one resource under its conditions. */
export interface GrantTuple {
  readonly action: string;
  readonly resource: string;
  /** Condition entries (`op key = [values]`), as written. */
  readonly conditions: string[];
  /** The same, with keys folded to lower case (IAM compares keys case-insensitively). */
  readonly folded: string[];
}

/** A statement's conditions as sorted `op key = [values]` entries. */
export function conditionEntries(s: Statement): string[] {
  const out: string[] = [];
  for (const [op, keys] of Object.entries(s.Condition ?? {})) {
    for (const [k, vals] of Object.entries(keys)) out.push(`${op} ${k} = [${[...vals].sort().join(', ')}]`);
  }
  return out.sort();
}

/** A condition entry with its key folded to lower case (operators and values stay as written). */
export function foldCondition(entry: string): string {
  return entry.replace(/^(\S+) (\S+) =/, (_m, op: string, key: string) => `${op} ${key.toLowerCase()} =`);
}

/** The Allow tuples of statements (NotAction/NotResource kept as one opaque tuple each). */
export function statementTuples(statements: Statement[]): GrantTuple[] {
  const out: GrantTuple[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    const actions = s.Action ?? (s.NotAction ? [`NotAction[${[...s.NotAction].sort().join(', ')}]`] : []);
    const resources = s.Resource ?? (s.NotResource ? [`NotResource[${[...s.NotResource].sort().join(', ')}]`] : []);
    const conditions = conditionEntries(s);
    const folded = conditions.map(foldCondition);
    for (const action of actions) for (const resource of resources) out.push({ action, resource, conditions, folded });
  }
  return out;
}

/** An IAM glob (`*`, `?`) as a case-insensitive RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const expansionCache = new Map<string, Set<string>>();
function expansion(action: string): Set<string> {
  let set = expansionCache.get(action);
  if (!set) {
    set = new Set(expandAction(action).map((i) => `${i.service}:${i.name}`.toLowerCase()));
    expansionCache.set(action, set);
  }
  return set;
}

/** Whether the action pattern `outer` allows everything `inner` allows. */
export function actionCovers(outer: string, inner: string): boolean {
  if (outer.toLowerCase() === inner.toLowerCase() || outer === '*') return true;
  if (outer.startsWith('NotAction[') || inner.startsWith('NotAction[') || inner === '*') return false;
  if (!/[*?]/.test(outer)) return false;
  if (!/[*?]/.test(inner)) return globToRegExp(outer).test(inner);
  // Both wildcards: compare what each stands for in the service reference.
  const i = expansion(inner);
  const o = expansion(outer);
  if (i.size > 0 && o.size > 0) return [...i].every((x) => o.has(x));
  return globToRegExp(outer).test(inner.replace(/[*?]/g, ''));
}

/** Whether the resource pattern `outer` matches everything `inner` matches. */
export function resourceCovers(outer: string, inner: string): boolean {
  if (outer === inner || outer === '*') return true;
  if (outer.startsWith('NotResource[') || inner.startsWith('NotResource[')) return false;
  return /[*?]/.test(outer) && globToRegExp(outer).test(inner);
}

/** Whether some tuple of `base` allows everything `t` allows. */
export function covered(t: GrantTuple, base: GrantTuple[]): boolean {
  return base.some((b) => actionCovers(b.action, t.action) && resourceCovers(b.resource, t.resource)
    && b.folded.every((c) => t.folded.includes(c)));
}

/** Values of `a` not in `b` (compared after `fold`), sorted. */
export function setDiff(a: Iterable<string>, b: Iterable<string>, fold = (s: string) => s): string[] {
  const bs = new Set([...b].map(fold));
  return [...new Set(a)].filter((x) => !bs.has(fold(x))).sort();
}
