/**
 * What an OIDC (web identity) trust statement must pin: the audience (`<issuer>:aud`) and an
 * anchored subject (`<issuer>:sub`), both with a non-negated operator. Without a `sub` condition
 * every workload the identity provider issues tokens for may assume the role; for GitHub Actions
 * that is every repository on github.com (the public reports of 2023-2024).
 *
 * A subject is anchored when what it leaves open cannot reach another owner's workloads:
 * - GitHub Actions (`token.actions.githubusercontent.com`): `repo:<owner>/<repo>:` with owner and
 *   repository named (no `*` or `?` in them); `repo:org/*` or `repo:*` is not anchored;
 * - GitLab (`gitlab.com` and self-managed issuers with `project_path:`): `project_path:<group>/<project>:` named;
 * - EKS (`oidc.eks.<region>.amazonaws.com/id/...`): `system:serviceaccount:<namespace>:` named;
 * - any other issuer: no wildcard at all.
 *
 * Pure. Sources: AWS IAM User Guide, "Configuring a role for GitHub OIDC identity provider";
 * GitHub docs, "Configuring OpenID Connect in Amazon Web Services".
 */
import { Statement } from './policy';

const WILD = /[*?]/;

/**
 * Whether a trust statement lets a web-identity (OIDC) token assume the role: a Federated principal
 * and an action that grants `sts:AssumeRoleWithWebIdentity` (itself, `sts:AssumeRole*`, `sts:*`, `*`).
 * Statements that only allow `sts:TagSession` or `sts:SetSourceIdentity` are evaluated inside that
 * call and need no conditions of their own.
 */
export function isOidcStatement(s: Statement): boolean {
  if (s.Effect !== 'Allow' || !s.Principal?.Federated) return false;
  if ((s.Principal.Federated ?? []).some((p) => /saml-provider\//.test(p))) return false;
  return (s.Action ?? []).some((a) => /^(sts:AssumeRoleWithWebIdentity|sts:AssumeRole\*|sts:\*|\*)$/i.test(a));
}

/** Condition values of keys ending in `:<claim>` under non-negated operators, by issuer. */
function claimValues(s: Statement, claim: 'aud' | 'sub'): { issuer: string; op: string; value: string }[] {
  const out: { issuer: string; op: string; value: string }[] = [];
  for (const [op, keys] of Object.entries(s.Condition ?? {})) {
    if (/Not|IfExists|^Null$|^ForAllValues:/.test(op)) continue;
    for (const [k, vals] of Object.entries(keys)) {
      const i = k.toLowerCase().lastIndexOf(`:${claim}`);
      if (i > 0 && i === k.length - claim.length - 1) for (const v of vals) out.push({ issuer: k.slice(0, i), op, value: v });
    }
  }
  return out;
}

/** Why a subject value is not anchored for its issuer, or undefined when it is. */
export function subjectProblem(issuer: string, op: string, subject: string): string | undefined {
  const like = /Like$/.test(op);
  if (!like || !WILD.test(subject)) return subject.trim() === '' ? 'an empty subject' : undefined;
  if (/token\.actions\.githubusercontent\.com/.test(issuer)) {
    return /^repo:[^*?/:]+\/[^*?/:]+:/.test(subject) ? undefined : `"${subject}" does not name the owner and repository (write "repo:<owner>/<repo>:...")`;
  }
  if (/^system:serviceaccount:/.test(subject) || /oidc\.eks\./.test(issuer)) {
    return /^system:serviceaccount:[^*?:]+:/.test(subject) ? undefined : `"${subject}" does not name the namespace (write "system:serviceaccount:<namespace>:<service-account>")`;
  }
  if (/^project_path:/.test(subject) || /gitlab/.test(issuer)) {
    return /^project_path:[^*?:]+\/[^*?:]+:/.test(subject) ? undefined : `"${subject}" does not name the group and project (write "project_path:<group>/<project>:...")`;
  }
  return `"${subject}" has a wildcard; for ${issuer} name the subject exactly`;
}

/** Problems of one OIDC trust statement: audience not pinned, subject missing or not anchored. */
export function oidcTrustProblems(s: Statement): string[] {
  if (!isOidcStatement(s)) return [];
  const who = (s.Principal?.Federated ?? []).join(', ');
  const out: string[] = [];
  const aud = claimValues(s, 'aud');
  if (aud.length === 0 || aud.some((a) => WILD.test(a.value) && /Like$/.test(a.op))) {
    out.push(`web-identity trust for ${who} does not pin the audience (a StringEquals condition on <issuer>:aud, usually "sts.amazonaws.com")`);
  }
  const sub = claimValues(s, 'sub');
  if (sub.length === 0) {
    out.push(`web-identity trust for ${who} has no subject condition, so every workload the identity provider serves may assume the agent; add StringEquals or StringLike on <issuer>:sub`);
  }
  for (const v of sub) {
    const p = subjectProblem(v.issuer, v.op, v.value);
    if (p) out.push(`web-identity trust for ${who}: subject ${p}`);
  }
  return out;
}
