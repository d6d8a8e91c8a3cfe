/**
 * Per-task session-policy templates: downscoped subsets of an agent's grants
 * that a broker passes to AssumeRole for one task. A template must stay within
 * the agent's grants and within STS's 2,048-character session-policy limit.
 */
import { agentProblem } from './errors';
import { Grant, grantStatements, validateGrants } from './grant';
import { AwsLimits } from './limits';
import { mergeStatements, policyDoc, PolicyDoc, policySize, Statement } from './policy';

/** A named session-policy template of an agent. */
export interface SessionPolicyTemplate {
  /** Template name, for example `read-ticket` (lower-case letters, digits, hyphens). */
  readonly name: string;
  /** The subset of the agent's grants a task of this kind needs. */
  readonly permissions: Grant[];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

const globCache = new Map<string, RegExp>();

function covers(pattern: string, value: string): boolean {
  if (pattern === value) return true;
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === value.toLowerCase();
  let re = globCache.get(pattern);
  if (!re) {
    re = globToRegExp(pattern);
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/** Action/resource pairs of a statement that no agent statement covers (ignoring conditions, which may only narrow). */
function uncovered(s: Statement, agent: Statement[]): string[] {
  const out: string[] = [];
  for (const a of s.Action ?? []) {
    for (const r of s.Resource ?? []) {
      const ok = agent.some((g) => g.Effect === 'Allow' && (g.Action ?? []).some((ga) => covers(ga, a)) && (g.Resource ?? []).some((gr) => covers(gr, r)));
      if (!ok) out.push(`${a} on ${r}`);
    }
  }
  return out;
}

/** The document of a template. */
export function sessionPolicyDocument(t: SessionPolicyTemplate): PolicyDoc {
  return policyDoc(mergeStatements(grantStatements(t.permissions)));
}

/** Problems with an agent's templates: names, subset of the agent's grants, size. */
export function validateSessionPolicies(agent: string, templates: SessionPolicyTemplate[], agentStatements: Statement[], partition?: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  templates.forEach((t, i) => {
    const field = `sessionPolicies[${i}]`;
    // A template is a policy too: its actions, ARNs and conditions mean what IAM reads.
    if (partition) problems.push(...validateGrants(agent, t.permissions ?? [], partition, `${field}.permissions`));
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(t.name ?? '')) {
      problems.push(agentProblem(agent, `${field}.name`, `"${t.name}" must be 1-40 lower-case letters, digits and hyphens, starting with a letter`));
    }
    if (seen.has(t.name)) problems.push(agentProblem(agent, `${field}.name`, `"${t.name}" is used twice; template names must be unique per agent`));
    seen.add(t.name);
    const doc = sessionPolicyDocument(t);
    if (doc.Statement.length === 0) {
      problems.push(agentProblem(agent, `${field}.permissions`, 'is empty; a session policy with no statement denies everything'));
    }
    for (const s of doc.Statement) {
      const missing = uncovered(s, agentStatements);
      if (missing.length > 0) {
        problems.push(agentProblem(agent, `${field}.permissions`, `template "${t.name}" grants ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}, outside the agent's own grants; a session policy can only narrow them, so take these from the agent's permissions`));
      }
    }
    const size = policySize(doc);
    if (size > AwsLimits.SESSION_POLICY_MAX) {
      problems.push(agentProblem(agent, `${field}`, `template "${t.name}" is ${size} characters; STS accepts session policies of at most ${AwsLimits.SESSION_POLICY_MAX}. Split the task kind or narrow its resources`));
    }
  });
  return problems;
}
