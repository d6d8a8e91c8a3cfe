/**
 * The stage check: pure functions that judge an environment against the
 * controls of the catalog. They read plain facts (roles, policies, trails as
 * Terraform would hold them), so the constructs' synth-time check and the
 * assessor of synthesized Terraform share one implementation.
 */
import { ControlCatalog, ControlScope, MaturityStage } from './maturity';
import { PolicyDoc, Statement } from './policy';
import { canSetSourceIdentity, grantsAssume, requiresSourceIdentity } from './delegation';
import { isWildcardAction } from './grant';
import { lookupAction, expandAction } from './iam-reference';
import { REQUIRED_SESSION_TAGS } from './session-tags';
import { DETECTION_RULES } from './detections';
import { REVOKER_FORBIDDEN_ACTIONS, REVOKING_SEVERITIES } from './revocation';
import { oidcTrustProblems } from './oidc-trust';
import { AGENT_TAGS } from './naming';

/** Detection rules a stage-3 environment must deploy (the optional ones excluded). */
const REQUIRED_DETECTIONS = DETECTION_RULES.filter((r) => !r.optional).map((r) => r.id);
/** Rules on per-agent facts (declared principals, regions): an environment without agents has nothing for them to match. */
const PER_AGENT_DETECTIONS = new Set(DETECTION_RULES.filter((r) => r.perAgent).map((r) => r.id));

/** Tag keys the library writes on every agent role (defined in lib/naming). */
export { AGENT_TAGS };


const roleNameCountsOf = new WeakMap<readonly AgentFacts[], Map<string, number>>();

/** How many agents use each role name, counted once per list of agents (linear, not quadratic, in fleet size). */
function roleNameCounts(all: readonly AgentFacts[]): Map<string, number> {
  let counts = roleNameCountsOf.get(all);
  if (!counts) {
    counts = new Map();
    for (const o of all) counts.set(o.roleName, (counts.get(o.roleName) ?? 0) + 1);
    roleNameCountsOf.set(all, counts);
  }
  return counts;
}

/** What is known about one agent identity. */
export interface AgentFacts {
  readonly agent: string;
  readonly roleName: string;
  readonly tags: Record<string, string>;
  readonly trustPolicy: PolicyDoc;
  readonly permissionsBoundary?: string;
  /** Identity policies (inline and managed) of the role. */
  readonly policies: PolicyDoc[];
}

/** What is known about the audit trail of an environment. */
export interface TrailFacts {
  readonly multiRegion: boolean;
  readonly logFileValidation: boolean;
  readonly kmsEncrypted: boolean;
  readonly bucketVersioned: boolean;
  readonly bucketKmsEncrypted: boolean;
  readonly bucketPublicAccessBlocked: boolean;
  readonly bucketOwnerEnforced: boolean;
  readonly bucketTlsOnly: boolean;
  readonly siemQueueEncrypted: boolean;
  readonly cloudWatchLogs: boolean;
}

/** What is known about one environment. */
export interface StackFacts {
  readonly stack: string;
  readonly stage: MaturityStage;
  readonly agents: AgentFacts[];
  /** Addresses of IAM users and access keys in the environment. */
  readonly iamUsers: string[];
  readonly accessKeys: string[];
  readonly trails: TrailFacts[];
  /** Whether an agent registry is published (SSM parameters and an output). */
  readonly registry?: boolean;
  /** Ids of the detection rules deployed for the agents. */
  readonly detectionRuleIds?: string[];
  /** Stage 4: the revocation path. */
  readonly revocation?: RevocationFacts;
  /** Stage 4: principals allowed to assume agent roles (the broker's role and break-glass roles). */
  readonly brokerPrincipals?: string[];
  /** Stage 4: whether detections feed a risk score that the broker reads. */
  readonly riskScoring?: boolean;
}

/** What is known about the revocation path of an environment (stage 4). */
export interface RevocationFacts {
  /** Detection rule ids whose events reach the revoker. */
  readonly wiredRuleIds: string[];
  /** Whether a manual kill switch (a direct invocation path) exists. */
  readonly killSwitch: boolean;
  readonly ledgerPointInTimeRecovery: boolean;
  readonly ledgerKmsEncrypted: boolean;
  readonly notifies: boolean;
  /** IAM actions the revoker's role is allowed. */
  readonly revokerActions: string[];
}

/**
 * What a finding is about, for readers that word or group findings (never match their text).
 * `problem` is every finding without a more specific kind.
 */
export type FindingKind = 'problem' | 'no-principal' | 'wildcard-principal' | 'web-identity' | 'not-action' | 'not-resource';

/** A failed control. */
export interface Finding {
  readonly controlId: string;
  /** The agent, or undefined for stack-level controls. */
  readonly agent?: string;
  readonly kind: FindingKind;
  readonly message: string;
}

/** A check's result: a message, or a message with its kind. */
type Problem = string | { readonly kind: FindingKind; readonly message: string };

function statements(docs: PolicyDoc[]): Statement[] {
  return docs.flatMap((d) => d.Statement ?? []);
}

type AgentCheck = (a: AgentFacts, all: AgentFacts[], stack: StackFacts) => Problem[];
type StackCheck = (s: StackFacts) => string[];

const AGENT_CHECKS: Record<string, AgentCheck> = {
  'AIAM-2.01': (a, all) => (roleNameCounts(all).get(a.roleName) ?? 0) > 1
    ? [`role "${a.roleName}" is shared with another agent; give each agent its own role`] : [],
  'AIAM-2.03': (a) => [AGENT_TAGS.owner, AGENT_TAGS.purpose].filter((k) => !a.tags[k] || a.tags[k].trim() === '')
    .map((k) => `tag "${k}" is missing; set the agent's ${k === AGENT_TAGS.owner ? 'owner' : 'purpose'}`),
  'AIAM-2.04': (a) => {
    const out: Problem[] = [];
    const allows = (a.trustPolicy.Statement ?? []).filter((s) => s.Effect === 'Allow');
    if (allows.length === 0) out.push({ kind: 'no-principal', message: 'trust policy declares no principal' });
    for (const s of allows) {
      for (const [kind, ids] of Object.entries(s.Principal ?? {})) {
        for (const id of ([] as string[]).concat(ids)) {
          if (id === '*' || (kind !== 'Federated' && id.includes('*'))) out.push({ kind: 'wildcard-principal', message: `trust policy allows wildcard principal "${id}"` });
        }
      }
      if (!s.Principal) out.push({ kind: 'no-principal', message: 'trust statement has no Principal' });
      out.push(...oidcTrustProblems(s).map((message) => ({ kind: 'web-identity' as const, message })));
    }
    return out;
  },
  'AIAM-2.05': (a) => (a.trustPolicy.Statement ?? [])
    .filter((s) => s.Effect === 'Allow' && canSetSourceIdentity(s) && !requiresSourceIdentity(s))
    .map((s) => `trust statement ${s.Sid ?? ''} lets ${Object.values(s.Principal ?? {}).flat().join(', ')} assume without sts:SourceIdentity`),
  'AIAM-2.06': (a) => (a.permissionsBoundary ? [] : ['no permissions boundary attached']),
  'AIAM-2.07': (a) => [
    ...statements(a.policies)
      .filter((s) => s.Effect === 'Allow' && s.Sid !== 'AcknowledgedWildcard')
      .flatMap((s) => ([] as string[]).concat(s.Action ?? []).filter(isWildcardAction))
      .map((x) => `wildcard action "${x}" without an acknowledged reason`),
    // An Allow with NotAction grants every action of every service except those listed (and
    // whatever AWS adds tomorrow): a wildcard, never acknowledgeable.
    ...statements(a.policies).filter((s) => s.Effect === 'Allow' && s.NotAction)
      .map((s) => ({ kind: 'not-action' as const, message: `Allow with NotAction [${s.NotAction!.join(', ')}] grants every other action of every service` })),
  ],
  'AIAM-2.11': (a) => {
    const out: Problem[] = [];
    for (const s of statements(a.policies)) {
      if (s.Effect !== 'Allow') continue;
      if (s.NotResource) {
        out.push({ kind: 'not-resource', message: `Allow with NotResource [${s.NotResource.join(', ')}] grants ${(s.Action ?? ['every action']).slice(0, 2).join(', ')} on every other resource` });
        continue;
      }
      if (!([] as string[]).concat(s.Resource ?? []).includes('*')) continue;
      if (s.NotAction) {
        out.push({ kind: 'not-action', message: `"*" resource for every action except ${s.NotAction.join(', ')}` });
        continue;
      }
      const actions = ([] as string[]).concat(s.Action ?? []);
      if (actions.includes('*')) {
        out.push('"*" resource for "*" (every action of every service)');
        continue;
      }
      // Wildcard actions too: "s3:*" on "*" is a wildcard resource for every scopable S3 action.
      const scoped = actions.flatMap((x) => (x.includes('*') ? expandAction(x) : [lookupAction(x)]).filter((i) => i && i.resourceTypes.length > 0));
      if (scoped.length > 0) out.push(`"*" resource for ${scoped[0]!.service}:${scoped[0]!.name}, which supports resource-level permissions`);
    }
    return out;
  },
  'AIAM-3.01': (a) => {
    if (a.tags[AGENT_TAGS.expiresAt] === 'never') {
      return a.tags[AGENT_TAGS.noExpiryReason] ? [] : ['expiresAt is "never" without a recorded reason'];
    }
    const enforced = statements(a.policies).some((s) => s.Effect === 'Deny' && hasKey(s, 'DateGreaterThan', 'aws:CurrentTime'));
    if (enforced) return [];
    const recorded = a.tags[AGENT_TAGS.expiresAt];
    return [recorded
      ? `expiry ${recorded} is recorded (tag ${AGENT_TAGS.expiresAt}) but not enforced: no Deny on aws:CurrentTime after it (stage 3 writes one)`
      : 'no expiry: set expiresAt, or expiresAt "never" with noExpiryReason'];
  },
  'AIAM-3.02': (a) => (statements(a.policies).some((s) => s.Effect === 'Deny' && hasKey(s, 'DateLessThan', 'aws:TokenIssueTime'))
    ? [] : ['no token-age policy (Deny when aws:TokenIssueTime is older than the TTL) is attached']),
  'AIAM-3.04': (a) => (a.trustPolicy.Statement ?? []).filter((s) => s.Effect === 'Allow' && (s.Principal?.Service || s.Principal?.Federated))
    .map((s) => `${Object.values(s.Principal ?? {}).flat().join(', ')} assumes the agent directly; declare the runtime or orchestrator role in awsPrincipals and assume the agent per task`),
  'AIAM-3.05': (a) => (a.trustPolicy.Statement ?? []).filter((s) => s.Effect === 'Allow' && s.Principal?.AWS && grantsAssume(s)
    && !REQUIRED_SESSION_TAGS.every((t) => requiresKey(s, `aws:RequestTag/${t}`)))
    .map((s) => `trust statement ${s.Sid ?? ''} does not require the session tags ${REQUIRED_SESSION_TAGS.join(', ')}`),
  'AIAM-3.06': (a) => statements(a.policies).filter((s) => s.Effect === 'Allow' && !requiresKey(s, 'aws:RequestedRegion'))
    .map((s) => `grant of ${([] as string[]).concat(s.Action ?? []).slice(0, 2).join(', ')} has no aws:RequestedRegion condition`),
  'AIAM-4.03': (a, _all, stack) => {
    const allowed = new Set(stack.brokerPrincipals ?? []);
    const principals = (a.trustPolicy.Statement ?? []).filter((s) => s.Effect === 'Allow').flatMap((s) => Object.values(s.Principal ?? {}).flat());
    const others = principals.filter((p) => !allowed.has(p));
    if (allowed.size === 0) return ['no credential broker is deployed'];
    return others.map((p) => `${p} may assume the agent without the broker; only the broker and break-glass roles may`);
  },
};

function hasKey(s: Statement, op: string, key: string): boolean {
  return Object.keys(s.Condition?.[op] ?? {}).some((k) => k.toLowerCase() === key.toLowerCase());
}

/** Whether a statement constrains `key` with a non-negated operator. */
function requiresKey(s: Statement, key: string): boolean {
  return Object.entries(s.Condition ?? {}).some(([op, keys]) => !/Not|IfExists|^Null$/.test(op)
    && Object.keys(keys).some((k) => k.toLowerCase() === key.toLowerCase()));
}

const STACK_CHECKS: Record<string, StackCheck> = {
  'AIAM-2.02': (s) => [
    ...s.iamUsers.map((u) => `IAM user ${u} exists; agents must use role sessions`),
    ...s.accessKeys.map((k) => `access key ${k} exists; long-lived keys are not allowed`),
  ],
  'AIAM-2.08': (s) => (s.trails.some((t) => t.multiRegion && t.logFileValidation) ? [] : ['no multi-region trail with log file validation']),
  'AIAM-2.09': (s) => (s.trails.some((t) => t.kmsEncrypted && t.bucketVersioned && t.bucketKmsEncrypted && t.bucketPublicAccessBlocked && t.bucketOwnerEnforced && t.bucketTlsOnly)
    ? [] : ['no trail delivers into an encrypted, versioned, TLS-only, owner-enforced bucket with public access blocked']),
  // An environment without agents yet has nothing to register or to watch per agent.
  'AIAM-3.03': (s) => (s.registry || s.agents.length === 0 ? [] : ['no agent registry is published']),
  'AIAM-3.07': (s) => {
    const missing = REQUIRED_DETECTIONS.filter((id) => !(s.detectionRuleIds ?? []).includes(id) && !(s.agents.length === 0 && PER_AGENT_DETECTIONS.has(id)));
    return missing.length === 0 ? [] : [`detection rules missing: ${missing.join(', ')}`];
  },
  'AIAM-4.01': (s) => {
    const r = s.revocation;
    if (!r) return ['no revoker is deployed'];
    const needed = DETECTION_RULES.filter((d) => !d.optional && !d.notifyOnly && REVOKING_SEVERITIES.includes(d.severity)).map((d) => d.id);
    const missing = needed.filter((id) => !r.wiredRuleIds.includes(id) && !(s.agents.length === 0 && PER_AGENT_DETECTIONS.has(id)));
    return [...missing.map((id) => `high-severity detection ${id} does not reach the revoker`), ...(r.killSwitch ? [] : ['no manual kill switch'])];
  },
  'AIAM-4.02': (s) => {
    const r = s.revocation;
    if (!r) return ['no revocation ledger'];
    return [
      ...(r.ledgerPointInTimeRecovery ? [] : ['the ledger has no point-in-time recovery']),
      ...(r.ledgerKmsEncrypted ? [] : ['the ledger is not encrypted with a customer-managed key']),
      ...(r.notifies ? [] : ['revocations are not announced on SNS']),
    ];
  },
  'AIAM-4.04': (s) => (s.riskScoring ? [] : ['detections do not feed a risk score read by the broker']),
  'AIAM-4.05': (s) => {
    const forbidden = [...REVOKER_FORBIDDEN_ACTIONS, 'iam:*', '*'];
    const bad = (s.revocation?.revokerActions ?? []).filter((a) => forbidden.includes(a));
    return s.revocation ? bad.map((a) => `the revoker may ${a}`) : ['no revoker is deployed'];
  },
  'AIAM-2.10': (s) => (s.trails.some((t) => t.siemQueueEncrypted && t.cloudWatchLogs) ? [] : ['no encrypted SIEM queue and CloudWatch Logs stream for the trail']),
};

function asFinding(p: Problem): { kind: FindingKind; message: string } {
  return typeof p === 'string' ? { kind: 'problem', message: p } : p;
}

/** Findings for every control of stages 2..`stage` that the environment fails. */
export function checkStage(facts: StackFacts, stage: MaturityStage = facts.stage): Finding[] {
  const findings: Finding[] = [];
  for (const control of ControlCatalog.required(stage)) {
    if (control.scope === ControlScope.AGENT) {
      const check = AGENT_CHECKS[control.id];
      if (!check) continue;
      for (const a of facts.agents) {
        for (const p of check(a, facts.agents, facts)) findings.push({ controlId: control.id, agent: a.agent, ...asFinding(p) });
      }
    } else {
      const check = STACK_CHECKS[control.id];
      if (!check) continue;
      for (const p of check(facts)) findings.push({ controlId: control.id, ...asFinding(p) });
    }
  }
  return findings;
}

/** Control ids that have no check implemented (a catalog entry without a judge is a defect). */
export function uncheckedControls(): string[] {
  return ControlCatalog.all().filter((c) => !(c.scope === ControlScope.AGENT ? AGENT_CHECKS[c.id] : STACK_CHECKS[c.id])).map((c) => c.id);
}
