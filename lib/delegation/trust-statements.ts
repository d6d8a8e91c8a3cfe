/**
 * How a trust-policy statement reads, for the stage check, the graph and the diff: whether it lets
 * its principals assume the role, and whether it requires or can carry a source identity.
 */
import { Statement } from '../policy';

/** Whether a trust-policy statement lets its principals assume the role (an `sts:AssumeRole*` action). */
export function grantsAssume(s: Statement): boolean {
  return (s.Action ?? []).some((a) => /^(sts:AssumeRole.*|sts:\*|\*)$/i.test(a));
}

/**
 * Whether a trust-policy statement lets principals assume the role and can carry a source
 * identity (AWS principals; federation that sends the claim). Statements that only allow
 * `sts:TagSession` or `sts:SetSourceIdentity` are evaluated inside an assume call and do not count.
 */
export function canSetSourceIdentity(s: Statement): boolean {
  if (!grantsAssume(s)) return false;
  if (s.Principal?.AWS) return true;
  if (s.Principal?.Federated) return requiresSourceIdentity(s);
  return false;
}

/**
 * Whether a statement requires a source identity: a non-negated condition on sts:SourceIdentity.
 * `ForAllValues:` does not count: sts:SourceIdentity is single-valued, and ForAllValues is true
 * when the key is absent, so it admits sessions without a source identity.
 */
export function requiresSourceIdentity(s: Statement): boolean {
  const c = s.Condition ?? {};
  return Object.entries(c).some(([op, keys]) => !/Not|IfExists|Null|^ForAllValues:/i.test(op)
    && Object.keys(keys).some((k) => k.toLowerCase() === 'sts:sourceidentity'));
}
