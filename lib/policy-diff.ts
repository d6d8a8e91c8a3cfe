/**
 * Policy diff: what changes for each agent between two synthesized configurations (base and
 * head), and whether the change widens what the agent can do.
 *
 * Widening: a grant (action on a resource under its conditions) that no base grant covers (a new
 * action or resource, a wildcard that covers more, a condition removed), a removed Deny, a new
 * trust principal or trust action, a dropped source-identity requirement or other trust condition,
 * a removed permissions boundary, a longer session or TTL, a removed token-age policy, a new IAM
 * user or access key, a new agent, and any detection rule, delivery target or revocation wiring
 * removed or disabled. Wildcards are compared through the AWS service reference (`expandAction`):
 * `s3:Get*` replacing `s3:GetObject` widens; `s3:GetObject` replacing `s3:Get*` does not.
 *
 * Pure: reads `TerraformEnvironment`s from lib/assess.
 */
import { Statement } from './policy';
import { grantsAssume, requiresSourceIdentity } from './delegation';
import { actionCovers, conditionEntries, covered, foldCondition, globToRegExp, GrantTuple, resourceCovers, setDiff, statementTuples } from './policy-cover';
import { TOKEN_AGE_SID } from './token-age';
import { DETECTION_RULES } from './detections';
import { DetectionWiring, TerraformAgent, TerraformEnvironment } from './assess';

export { actionCovers, resourceCovers };

/** What a change is about. */
export type ChangeCategory =
  | 'agent' | 'action' | 'resource' | 'condition' | 'grant' | 'deny' | 'trust' | 'source-identity'
  | 'boundary' | 'session' | 'token-age' | 'detection' | 'revocation' | 'identity' | 'audit';

/** One change. */
export interface PolicyChange {
  readonly category: ChangeCategory;
  readonly change: 'added' | 'removed' | 'changed';
  /** What changed, readable on its own: `s3:GetObject`, `principal AWS arn:...`, `max_session_duration 3600 -> 43200`. */
  readonly subject: string;
  /** The change lets the agent (or anyone acting as it) do more, or be watched less. */
  readonly widening: boolean;
}

/** Changes of one agent. */
export interface AgentDiff {
  readonly agent: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly changes: PolicyChange[];
}

/** Changes of one environment. */
export interface StackDiff {
  readonly stack: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly agents: AgentDiff[];
  /** Environment-wide changes (detections, revocation path, IAM users, audit trail). */
  readonly changes: PolicyChange[];
}

/** The diff of two synthesized configurations. */
export interface PlanDiff {
  readonly stacks: StackDiff[];
  /** Whether any change widens. */
  readonly widening: boolean;
}

function allowTuples(a: TerraformAgent): GrantTuple[] {
  return statementTuples(a.facts.policies.flatMap((d) => d.Statement));
}


// ---------------------------------------------------------------------------------------------
// Per-agent diff

function isTokenAge(s: Statement): boolean {
  return s.Sid === TOKEN_AGE_SID || (s.Effect === 'Deny' && Object.keys(s.Condition?.DateLessThan ?? {}).some((k) => k.toLowerCase() === 'aws:tokenissuetime'));
}

function denyKey(s: Statement): string {
  const what = s.Action ? s.Action.join(', ') : `not ${(s.NotAction ?? []).join(', ')}`;
  const on = s.Resource ? s.Resource.join(', ') : `not ${(s.NotResource ?? []).join(', ')}`;
  const cond = conditionEntries(s);
  return `Deny ${what} on ${on}${cond.length > 0 ? ` when ${cond.join('; ')}` : ''}${s.Sid ? ` (${s.Sid})` : ''}`;
}

function grantChanges(base: TerraformAgent | undefined, head: TerraformAgent): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const bt = base ? allowTuples(base) : [];
  const ht = allowTuples(head);
  const uncovered = ht.filter((t) => !covered(t, bt));
  const explained = new Set<GrantTuple>();
  const lower = (s: string) => s.toLowerCase();

  for (const action of setDiff(ht.map((t) => t.action), bt.map((t) => t.action), lower)) {
    const widening = uncovered.filter((t) => lower(t.action) === lower(action));
    widening.forEach((t) => explained.add(t));
    changes.push({ category: 'action', change: 'added', subject: action, widening: widening.length > 0 });
  }
  for (const action of setDiff(bt.map((t) => t.action), ht.map((t) => t.action), lower)) {
    changes.push({ category: 'action', change: 'removed', subject: action, widening: false });
  }
  for (const resource of setDiff(ht.map((t) => t.resource), bt.map((t) => t.resource))) {
    const widening = uncovered.filter((t) => t.resource === resource);
    widening.forEach((t) => explained.add(t));
    changes.push({ category: 'resource', change: 'added', subject: resource, widening: widening.length > 0 });
  }
  for (const resource of setDiff(bt.map((t) => t.resource), ht.map((t) => t.resource))) {
    changes.push({ category: 'resource', change: 'removed', subject: resource, widening: false });
  }
  const baseConds = new Set(bt.flatMap((t) => t.conditions));
  const headConds = new Set(ht.flatMap((t) => t.conditions));
  for (const c of setDiff(headConds, baseConds, foldCondition)) changes.push({ category: 'condition', change: 'added', subject: c, widening: false });
  for (const c of setDiff(baseConds, headConds, foldCondition)) {
    // The removal widens when a grant it used to constrain is now uncovered.
    const widening = uncovered.filter((t) => bt.some((b) => lower(b.action) === lower(t.action) && b.resource === t.resource && b.folded.includes(foldCondition(c))));
    widening.forEach((t) => explained.add(t));
    changes.push({ category: 'condition', change: 'removed', subject: c, widening: widening.length > 0 });
  }
  // Grants that widen without a new action, resource or removed condition (a pair recombined, a condition loosened).
  for (const t of uncovered.filter((x) => !explained.has(x))) {
    changes.push({ category: 'grant', change: 'added', subject: `${t.action} on ${t.resource}${t.conditions.length > 0 ? ` when ${t.conditions.join('; ')}` : ''}`, widening: true });
  }

  const denies = (a: TerraformAgent | undefined) => (a?.facts.policies ?? []).flatMap((d) => d.Statement).filter((s) => s.Effect === 'Deny' && !isTokenAge(s)).map(denyKey);
  for (const d of setDiff(denies(head), denies(base))) changes.push({ category: 'deny', change: 'added', subject: d, widening: false });
  for (const d of setDiff(denies(base), denies(head))) changes.push({ category: 'deny', change: 'removed', subject: d, widening: true });
  return changes;
}

function principalsOf(s: Statement): string[] {
  return Object.entries(s.Principal ?? {}).flatMap(([kind, ids]) => ids.map((id) => `${kind} ${id}`));
}

function trustChanges(base: TerraformAgent | undefined, head: TerraformAgent): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const allows = (a: TerraformAgent | undefined) => (a?.facts.trustPolicy.Statement ?? []).filter((s) => s.Effect === 'Allow');
  const bs = allows(base);
  const hs = allows(head);
  const headPrincipals = new Set(hs.flatMap(principalsOf));
  const basePrincipals = new Set(bs.flatMap(principalsOf));
  for (const p of [...headPrincipals].sort()) {
    const before = bs.filter((s) => principalsOf(s).includes(p));
    const now = hs.filter((s) => principalsOf(s).includes(p));
    if (before.length === 0) {
      changes.push({ category: 'trust', change: 'added', subject: `principal ${p} may assume the agent`, widening: true });
      continue;
    }
    // Any statement that lets the principal in without a source identity drops the requirement
    // (whether or not it can still set one: sessions would no longer name whom they act for).
    if (before.filter(grantsAssume).some(requiresSourceIdentity) && now.filter(grantsAssume).some((s) => !requiresSourceIdentity(s))) {
      changes.push({ category: 'source-identity', change: 'removed', subject: `${p} may assume the agent without sts:SourceIdentity`, widening: true });
    }
    for (const w of sourceIdentityWidening(before, now)) changes.push({ category: 'source-identity', change: 'changed', subject: `${p}: ${w}`, widening: true });
    const sourceIdentity = (c: string) => / sts:sourceidentity = /i.test(c);
    const beforeConds = new Set(before.flatMap(conditionEntries).filter((c) => !sourceIdentity(c)));
    const nowConds = new Set(now.flatMap(conditionEntries));
    for (const c of setDiff(beforeConds, nowConds, foldCondition)) changes.push({ category: 'trust', change: 'removed', subject: `condition ${c} for ${p}`, widening: true });
    for (const c of setDiff(nowConds, beforeConds, foldCondition).filter((x) => !sourceIdentity(x))) {
      changes.push({ category: 'trust', change: 'added', subject: `condition ${c} for ${p}`, widening: false });
    }
    const beforeActions = before.flatMap((s) => s.Action ?? []);
    for (const x of setDiff(now.flatMap((s) => s.Action ?? []), beforeActions)) {
      changes.push({ category: 'trust', change: 'added', subject: `${p} may also ${x}`, widening: true });
    }
  }
  for (const p of setDiff(basePrincipals, headPrincipals)) changes.push({ category: 'trust', change: 'removed', subject: `principal ${p}`, widening: false });
  return changes;
}

function sessionChanges(base: TerraformAgent, head: TerraformAgent): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const b = base.maxSessionDuration ?? 3600;
  const h = head.maxSessionDuration ?? 3600;
  if (b !== h) changes.push({ category: 'session', change: 'changed', subject: `max_session_duration ${b} s -> ${h} s`, widening: h > b });
  if (base.sessionTtl !== head.sessionTtl) {
    const widening = head.sessionTtl === undefined || (base.sessionTtl !== undefined && head.sessionTtl > base.sessionTtl);
    changes.push({ category: 'session', change: head.sessionTtl === undefined ? 'removed' : 'changed', subject: `session TTL (agent:session-ttl) ${base.sessionTtl ?? 'unset'} -> ${head.sessionTtl ?? 'unset'}`, widening: base.sessionTtl !== undefined && widening });
  }
  if (base.tokenAge && !head.tokenAge) changes.push({ category: 'token-age', change: 'removed', subject: 'token-age policy (sessions older than the TTL are no longer denied)', widening: true });
  if (!base.tokenAge && head.tokenAge) changes.push({ category: 'token-age', change: 'added', subject: 'token-age policy', widening: false });
  if (base.facts.permissionsBoundary && !head.facts.permissionsBoundary) {
    changes.push({ category: 'boundary', change: 'removed', subject: `permissions boundary ${base.facts.permissionsBoundary}`, widening: true });
  } else if (!base.facts.permissionsBoundary && head.facts.permissionsBoundary) {
    changes.push({ category: 'boundary', change: 'added', subject: `permissions boundary ${head.facts.permissionsBoundary}`, widening: false });
  } else if (base.facts.permissionsBoundary !== head.facts.permissionsBoundary) {
    changes.push({ category: 'boundary', change: 'changed', subject: `permissions boundary ${base.facts.permissionsBoundary} -> ${head.facts.permissionsBoundary}`, widening: boundaryWidens(base, head).length > 0 || !head.boundary?.doc });
  }
  if (base.facts.permissionsBoundary && head.facts.permissionsBoundary && base.facts.permissionsBoundary === head.facts.permissionsBoundary) {
    for (const w of boundaryWidens(base, head)) changes.push({ category: 'boundary', change: 'changed', subject: `permissions boundary ${head.boundary?.name ?? head.facts.permissionsBoundary} ${w}`, widening: true });
  }
  return changes;
}

/**
 * How the boundary's document lets the agent do more than before: an Allow no base Allow covers,
 * or a Deny removed. Empty when either document is not in the configuration.
 */
function boundaryWidens(base: TerraformAgent, head: TerraformAgent): string[] {
  const b = base.boundary?.doc;
  const h = head.boundary?.doc;
  if (!b || !h) return [];
  const bt = statementTuples(b.Statement);
  const out = statementTuples(h.Statement).filter((t) => !covered(t, bt))
    .map((t) => `now allows ${t.action} on ${t.resource}${t.conditions.length > 0 ? ` when ${t.conditions.join('; ')}` : ''}`);
  const denies = (d: typeof b) => d.Statement.filter((s) => s.Effect === 'Deny').map(denyKey);
  for (const d of setDiff(denies(b), denies(h))) out.push(`no longer has ${d}`);
  return out;
}

/** Patterns of the non-negated sts:SourceIdentity conditions of statements, with whether they are globs. */
function sourceIdentityPatterns(statements: Statement[]): { like: boolean; value: string }[] {
  const out: { like: boolean; value: string }[] = [];
  for (const s of statements) {
    for (const [op, keys] of Object.entries(s.Condition ?? {})) {
      if (/Not|IfExists|Null|^ForAllValues:/i.test(op)) continue;
      for (const [k, vals] of Object.entries(keys)) {
        if (k.toLowerCase() === 'sts:sourceidentity') out.push(...vals.map((value) => ({ like: /Like$/i.test(op), value })));
      }
    }
  }
  return out;
}

/**
 * Source-identity patterns of `now` that no pattern of `before` covers (`svc-*` widened to `*`,
 * StringEquals `alice` loosened to StringLike `a*`): each lets sessions name whom they act for
 * more freely. Empty when `before` required no source identity (the drop is reported elsewhere).
 */
function sourceIdentityWidening(before: Statement[], now: Statement[]): string[] {
  const b = sourceIdentityPatterns(before);
  if (b.length === 0) return [];
  const n = sourceIdentityPatterns(now);
  const coveredBy = (o: { like: boolean; value: string }, i: { like: boolean; value: string }) => (o.like
    ? globToRegExp(o.value).test(i.value)
    : !(i.like && /[*?]/.test(i.value)) && o.value === i.value);
  return n.filter((x) => !b.some((o) => coveredBy(o, x)))
    .map((x) => `sts:SourceIdentity ${x.like ? 'pattern' : 'value'} "${x.value}" admits more than ${b.map((o) => `"${o.value}"`).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Detections and revocation

/** A rule's key: its catalog id and, for rules on per-agent facts, the agent judged (rules group agents sharing facts). */
function ruleKey(d: DetectionWiring, agent: string | undefined): string {
  return agent !== undefined ? `${d.ruleId} (${agent})` : d.ruleId;
}

function detectionChanges(base: DetectionWiring[], head: DetectionWiring[], allAgentsBase: number, allAgentsHead: number, agent?: string): PolicyChange[] {
  // Per-agent rules (by the detection catalog; otherwise rules that watch one of several agents).
  const perAgent = (d: DetectionWiring, n: number) => DETECTION_RULES.find((r) => r.id === d.ruleId)?.perAgent ?? (d.agents.length === 1 && n > 1);
  const pick = (list: DetectionWiring[], n: number) => list.filter((d) => (agent === undefined ? !perAgent(d, n) : perAgent(d, n) && d.agents.includes(agent)));
  const b = new Map(pick(base, allAgentsBase).map((d) => [ruleKey(d, agent), d]));
  const h = new Map(pick(head, allAgentsHead).map((d) => [ruleKey(d, agent), d]));
  const changes: PolicyChange[] = [];
  for (const [k, d] of b) {
    const now = h.get(k);
    if (!now) {
      changes.push({ category: 'detection', change: 'removed', subject: `detection ${k} (${d.ruleName})`, widening: true });
      if (d.targets.some((t) => t.kind === 'revoker')) changes.push({ category: 'revocation', change: 'removed', subject: `${k} no longer reaches the revoker`, widening: true });
      continue;
    }
    if (d.enabled && !now.enabled) changes.push({ category: 'detection', change: 'changed', subject: `detection ${k} disabled`, widening: true });
    for (const t of d.targets) {
      if (now.targets.some((x) => x.targetId === t.targetId && x.arn === t.arn)) continue;
      const replaced = now.targets.some((x) => x.targetId === t.targetId);
      changes.push({
        category: t.kind === 'revoker' || t.kind === 'risk' ? 'revocation' : 'detection',
        change: replaced ? 'changed' : 'removed',
        subject: `${k} ${replaced ? 'delivers elsewhere than' : 'no longer delivers to'} ${t.targetId} (${t.arn})`,
        widening: true,
      });
    }
  }
  for (const [k, d] of h) if (!b.has(k)) changes.push({ category: 'detection', change: 'added', subject: `detection ${k} (${d.ruleName})`, widening: false });
  return changes;
}

const TRAIL_FIELDS: [string, string][] = [
  ['multiRegion', 'multi-region trail'], ['logFileValidation', 'log file validation'], ['kmsEncrypted', 'trail KMS encryption'],
  ['bucketVersioned', 'audit bucket versioning'], ['bucketKmsEncrypted', 'audit bucket KMS encryption'],
  ['bucketPublicAccessBlocked', 'audit bucket public access block'], ['bucketOwnerEnforced', 'audit bucket owner enforced'],
  ['bucketTlsOnly', 'audit bucket TLS-only policy'], ['siemQueueEncrypted', 'encrypted SIEM queue'], ['cloudWatchLogs', 'CloudWatch Logs stream'],
];

function stackChanges(base: TerraformEnvironment, head: TerraformEnvironment): PolicyChange[] {
  const changes: PolicyChange[] = [];
  for (const u of setDiff(head.facts.iamUsers, base.facts.iamUsers)) changes.push({ category: 'identity', change: 'added', subject: `IAM user ${u}`, widening: true });
  for (const k of setDiff(head.facts.accessKeys, base.facts.accessKeys)) changes.push({ category: 'identity', change: 'added', subject: `access key ${k}`, widening: true });
  for (const u of setDiff(base.facts.iamUsers, head.facts.iamUsers)) changes.push({ category: 'identity', change: 'removed', subject: `IAM user ${u}`, widening: false });
  for (const k of setDiff(base.facts.accessKeys, head.facts.accessKeys)) changes.push({ category: 'identity', change: 'removed', subject: `access key ${k}`, widening: false });
  for (const [field, label] of TRAIL_FIELDS) {
    const had = base.facts.trails.some((t) => (t as any)[field]);
    const has = head.facts.trails.some((t) => (t as any)[field]);
    if (had && !has) changes.push({ category: 'audit', change: 'removed', subject: label, widening: true });
  }
  if (base.facts.trails.length > 0 && head.facts.trails.length === 0) changes.push({ category: 'audit', change: 'removed', subject: 'CloudTrail trail', widening: true });
  changes.push(...detectionChanges(base.detections, head.detections, base.agents.length, head.agents.length));
  if (base.revokerAddress && !head.revokerAddress) changes.push({ category: 'revocation', change: 'removed', subject: `revoker ${base.revokerAddress}`, widening: true });
  if (base.brokerAddress && !head.brokerAddress) changes.push({ category: 'revocation', change: 'removed', subject: `credential broker ${base.brokerAddress}`, widening: true });
  const bk = base.facts.revocation;
  const hk = head.facts.revocation;
  if (bk && hk) {
    if (bk.killSwitch && !hk.killSwitch) changes.push({ category: 'revocation', change: 'removed', subject: 'kill switch (revoker can no longer run)', widening: true });
    for (const a of setDiff(hk.revokerActions, bk.revokerActions)) changes.push({ category: 'revocation', change: 'added', subject: `revoker may ${a}`, widening: true });
  }
  return changes;
}

function agentKey(a: TerraformAgent): string {
  return a.facts.agent;
}

function diffAgent(base: TerraformAgent | undefined, head: TerraformAgent | undefined, benv: TerraformEnvironment | undefined, henv: TerraformEnvironment | undefined): AgentDiff {
  const agent = (head ?? base)!.facts.agent;
  if (!head) {
    return { agent, status: 'removed', changes: [{ category: 'agent', change: 'removed', subject: `${base!.kind === 'iam-user' ? 'IAM user' : 'role'} ${base!.facts.roleName}`, widening: false }] };
  }
  const changes: PolicyChange[] = [];
  if (!base) changes.push({ category: 'agent', change: 'added', subject: `${head.kind === 'iam-user' ? 'IAM user' : 'role'} ${head.facts.roleName}`, widening: true });
  changes.push(...grantChanges(base, head));
  changes.push(...trustChanges(base, head));
  if (base) {
    changes.push(...sessionChanges(base, head));
    if (benv && henv) changes.push(...detectionChanges(benv.detections, henv.detections, benv.agents.length, henv.agents.length, agent));
  }
  return { agent, status: base ? (changes.length > 0 ? 'changed' : 'unchanged') : 'added', changes };
}

/** Pairs environments by stack name (a single environment on each side is paired whatever its name). */
function pairStacks(base: TerraformEnvironment[], head: TerraformEnvironment[]): [string, TerraformEnvironment | undefined, TerraformEnvironment | undefined][] {
  if (base.length === 1 && head.length === 1) {
    const name = base[0].stack === head[0].stack ? head[0].stack : `${base[0].stack} -> ${head[0].stack}`;
    return [[name, base[0], head[0]]];
  }
  const names = [...new Set([...base.map((e) => e.stack), ...head.map((e) => e.stack)])].sort();
  return names.map((n) => [n, base.find((e) => e.stack === n), head.find((e) => e.stack === n)]);
}

/** The per-agent and per-environment changes from `base` to `head`. */
export function diffEnvironments(base: TerraformEnvironment[], head: TerraformEnvironment[]): PlanDiff {
  const stacks: StackDiff[] = [];
  for (const [name, b, h] of pairStacks(base, head)) {
    const bAgents = new Map((b?.agents ?? []).map((a) => [agentKey(a), a]));
    const hAgents = new Map((h?.agents ?? []).map((a) => [agentKey(a), a]));
    const keys = [...new Set([...bAgents.keys(), ...hAgents.keys()])].sort();
    const agents = keys.map((k) => diffAgent(bAgents.get(k), hAgents.get(k), b, h));
    const changes = b && h ? stackChanges(b, h) : [];
    if (b && !h) changes.push({ category: 'agent', change: 'removed', subject: `environment ${name}`, widening: false });
    if (!b && h) changes.push({ category: 'agent', change: 'added', subject: `environment ${name}`, widening: true });
    const changed = changes.length > 0 || agents.some((a) => a.status !== 'unchanged');
    stacks.push({ stack: name, status: !b ? 'added' : !h ? 'removed' : changed ? 'changed' : 'unchanged', agents, changes });
  }
  const widening = stacks.some((s) => s.changes.some((c) => c.widening) || s.agents.some((a) => a.changes.some((c) => c.widening)));
  return { stacks, widening };
}
