/**
 * What each agent did, compared with what it may do.
 *
 * `UsageLedger` takes CloudTrail records one at a time (it never keeps a record) and counts, per
 * agent: calls its grants allowed (per statement, resource and concrete action, with last use and
 * the people the sessions acted for), calls that were denied, calls that succeeded outside the
 * grants (actions that need no permission, such as sts:GetCallerIdentity, or grants this
 * configuration does not hold), events whose action is unknown, and sessions started as the agent.
 * Memory is bounded by the grants, not by the records: call counts are kept per grant entry, and
 * distinct denied or outside calls per agent are capped (the rest are counted as "other").
 *
 * `usageReport` then states every grant entry (an action pattern on a resource pattern) as
 * used, unused (no call in the window where CloudTrail would have recorded one), or not recorded
 * (CloudTrail cannot see it: see coverage.ts).
 */
import { actionOfEvent, resourceOfEvent } from './event-actions';
import { AgentDirectory, AgentRef } from './attribution';
import { isReadOnly, TrailCoverage, visibilityOf } from './coverage';
import { CompiledStatement, matchStatements, requestFacts } from './grant-match';
import { CloudTrailRecord } from './trail-reader';

/** Distinct denied or outside-grant calls kept per agent; the rest are counted together. */
export const DISTINCT_CALLS_CAP = 200;
/** Distinct source identities kept per agent. */
export const SOURCE_IDENTITIES_CAP = 200;

/** Error codes of calls IAM (or an SCP, boundary or session policy) denied. */
export function isAccessDenied(errorCode: string | undefined): boolean {
  return !!errorCode && /AccessDenied|UnauthorizedOperation|UnauthorizedAccess|NotAuthorized|Forbidden/i.test(errorCode);
}

/** What denied a call, from CloudTrail's error message when it says ("with an explicit deny in a permissions boundary"). */
export function denialReason(errorMessage: string | undefined): string | undefined {
  if (!errorMessage) return undefined;
  const explicit = /with an explicit deny in (?:an? )?([a-z -]+?(?:policy|boundary))/i.exec(errorMessage);
  if (explicit) return `explicit deny in ${explicit[1].toLowerCase()}`;
  const none = /because no ([a-z -]+?policy) allows/i.exec(errorMessage);
  if (none) return `no ${none[1].toLowerCase()} allows it`;
  return undefined;
}

class Counter {
  calls = 0;
  first?: string;
  last?: string;
  identities = new Map<string, number>();

  add(time: string, identity: string | undefined): void {
    this.calls++;
    if (!this.last || time > this.last) this.last = time;
    if (!this.first || time < this.first) this.first = time;
    if (identity && (this.identities.has(identity) || this.identities.size < SOURCE_IDENTITIES_CAP)) {
      this.identities.set(identity, (this.identities.get(identity) ?? 0) + 1);
    }
  }
}

interface CallKey {
  readonly action: string;
  readonly resource?: string;
  readonly reason?: string;
}

class AgentLedger {
  readonly total = new Counter();
  /** statement index -> resource index -> concrete action -> counter */
  readonly entries = new Map<number, Map<number, Map<string, Counter>>>();
  readonly denied = new Map<string, { key: CallKey; counter: Counter }>();
  deniedOther = 0;
  readonly outside = new Map<string, { key: CallKey; counter: Counter }>();
  outsideOther = 0;
  readonly unmapped = new Map<string, Counter>();
  readonly identities = new Map<string, number>();
  withoutSourceIdentity = 0;
  readonly sessions = new Counter();
  readonly sessionCallers = new Map<string, number>();
  readonly deniedAssumes = new Map<string, Counter>();
  readonly statementCache = new Map<string, number[]>();

  constructor(readonly ref: AgentRef, readonly statements: CompiledStatement[]) {}
}

function keyed(map: Map<string, { key: CallKey; counter: Counter }>, key: CallKey, time: string, identity: string | undefined): boolean {
  const k = `${key.action}\u0000${key.resource ?? ''}\u0000${key.reason ?? ''}`;
  let hit = map.get(k);
  if (!hit) {
    if (map.size >= DISTINCT_CALLS_CAP) return false;
    hit = { key, counter: new Counter() };
    map.set(k, hit);
  }
  hit.counter.add(time, identity);
  return true;
}

/** Counts for the records read, beside the agents'. */
export interface LedgerTotals {
  /** CloudTrail records seen. */
  records: number;
  /** Records before the window (`--since`), not counted. */
  beforeWindow: number;
  /** Records of another account than the agents', not counted. */
  otherAccount: number;
  /** Records attributed to an agent (as caller, or as the role assumed). */
  attributed: number;
  /** Records of principals that are not agents. */
  notAgents: number;
  firstEvent?: string;
  lastEvent?: string;
}

/** Accumulates records into per-agent usage (see the module comment). */
export class UsageLedger {
  readonly totals: LedgerTotals = { records: 0, beforeWindow: 0, otherAccount: 0, attributed: 0, notAgents: 0 };
  /** Records of other accounts, by account, since `takeOtherAccounts()` was last called. */
  private otherAccounts = new Map<string, number>();
  private readonly ledgers = new Map<AgentRef, AgentLedger>();
  private readonly sinceIso?: string;

  /**
   * @param directory the agents, by identity
   * @param statements each agent's compiled Allow statements
   * @param account the agents' account; records of other accounts are counted apart. @default - every account
   * @param since the start of the window. @default - every record
   */
  constructor(private readonly directory: AgentDirectory, statements: Map<AgentRef, CompiledStatement[]>,
    private readonly account?: string, since?: Date) {
    for (const a of directory.agents) this.ledgers.set(a, new AgentLedger(a, statements.get(a) ?? []));
    this.sinceIso = since?.toISOString();
  }

  /** Records of other accounts seen since the last call, by account (for one problem line per file). */
  takeOtherAccounts(): Map<string, number> {
    const out = this.otherAccounts;
    this.otherAccounts = new Map();
    return out;
  }

  /** Counts one record. */
  add(r: CloudTrailRecord): void {
    const t = this.totals;
    t.records++;
    const time = r.eventTime;
    if (this.sinceIso && time < this.sinceIso) {
      t.beforeWindow++;
      return;
    }
    if (this.account && r.recipientAccountId && r.recipientAccountId !== this.account) {
      t.otherAccount++;
      this.otherAccounts.set(r.recipientAccountId, (this.otherAccounts.get(r.recipientAccountId) ?? 0) + 1);
      return;
    }
    if (!t.firstEvent || time < t.firstEvent) t.firstEvent = time;
    if (!t.lastEvent || time > t.lastEvent) t.lastEvent = time;
    const who = this.directory.attribute(r);
    if (!who.actor && !who.assumed) {
      t.notAgents++;
      return;
    }
    t.attributed++;
    const denied = isAccessDenied(r.errorCode);
    if (who.assumed) {
      const l = this.ledgers.get(who.assumed)!;
      const caller = who.actor ? `${who.actor.agent} (agent)` : (r.userIdentity?.sessionContext?.sessionIssuer?.arn ?? who.callerArn ?? r.userIdentity?.invokedBy ?? 'unknown');
      if (denied) {
        let c = l.deniedAssumes.get(caller);
        if (!c) {
          c = new Counter();
          if (l.deniedAssumes.size < DISTINCT_CALLS_CAP) l.deniedAssumes.set(caller, c);
        }
        c.add(time, who.sourceIdentity);
      } else {
        l.sessions.add(time, who.sourceIdentity);
        l.sessionCallers.set(caller, (l.sessionCallers.get(caller) ?? 0) + 1);
      }
    }
    if (!who.actor) return;
    const l = this.ledgers.get(who.actor)!;
    l.total.add(time, undefined);
    if (who.sourceIdentity) {
      if (l.identities.has(who.sourceIdentity) || l.identities.size < SOURCE_IDENTITIES_CAP) {
        l.identities.set(who.sourceIdentity, (l.identities.get(who.sourceIdentity) ?? 0) + 1);
      }
    } else {
      l.withoutSourceIdentity++;
    }
    const { action, event } = actionOfEvent(r.eventSource, r.eventName);
    if (!action) {
      let c = l.unmapped.get(event);
      if (!c) {
        c = new Counter();
        if (l.unmapped.size < DISTINCT_CALLS_CAP) l.unmapped.set(event, c);
      }
      c.add(time, who.sourceIdentity);
      return;
    }
    const resource = resourceOfEvent(r, action);
    if (denied) {
      if (!keyed(l.denied, { action, resource, reason: denialReason(r.errorMessage) }, time, who.sourceIdentity)) l.deniedOther++;
      return;
    }
    const matches = matchStatements(l.statements, action, resource, requestFacts(r));
    if (matches.length === 0) {
      if (!keyed(l.outside, { action, resource }, time, who.sourceIdentity)) l.outsideOther++;
      return;
    }
    for (const m of matches) {
      let byResource = l.entries.get(m.statement.index);
      if (!byResource) l.entries.set(m.statement.index, byResource = new Map());
      for (const ri of m.resources) {
        let byAction = byResource.get(ri);
        if (!byAction) byResource.set(ri, byAction = new Map());
        let c = byAction.get(action);
        if (!c) byAction.set(action, c = new Counter());
        c.add(time, who.sourceIdentity);
      }
    }
  }

  /** The ledger of one agent (for the report). */
  ledgerOf(agent: AgentRef): AgentLedger {
    return this.ledgers.get(agent)!;
  }
}

// ---------------------------------------------------------------------------------------------
// The report model

/** Calls counted together. */
export interface CallCount {
  readonly calls: number;
  readonly lastCall?: string;
  /** Source identities (people) and their calls, most calls first. */
  readonly sourceIdentities: { readonly sourceIdentity: string; readonly calls: number }[];
}

/** A grant entry (an action on a resource of one statement) that was called. */
export interface UsedGrant extends CallCount {
  readonly statement: number;
  /** The concrete action called. */
  readonly action: string;
  /** The action as granted (a pattern such as `s3:Get*`, or the action itself). */
  readonly grantedAction: string;
  /** The resource as granted (a pattern). */
  readonly resource: string;
}

/** A grant entry nobody called in the window although CloudTrail would have recorded it. */
export interface UnusedGrant {
  readonly statement: number;
  readonly action: string;
  readonly resource: string;
  /** A List or Read action: some read-only calls are not logged by some services, and the reference does not say which. */
  readonly readOnly: boolean;
}

/** A grant entry CloudTrail does not record (or cannot be told to record): neither used nor unused. */
export interface UnrecordedGrant {
  readonly statement: number;
  readonly action: string;
  readonly resource: string;
  readonly why: string;
}

/** Calls denied, by action and resource. */
export interface DeniedCall extends CallCount {
  readonly action: string;
  readonly resource?: string;
  /** Whether a grant of the agent allows it: then a guardrail, boundary, condition or organization policy denied it. */
  readonly granted: boolean;
  /** What CloudTrail's error message says denied it, when it says. */
  readonly reason?: string;
}

/** Calls that succeeded without a grant of this configuration. */
export interface OutsideCall extends CallCount {
  readonly action: string;
  readonly resource?: string;
}

/** A statement of the agent's grants as synthesized. */
export interface GrantStatementView {
  readonly statement: number;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Record<string, Record<string, string[]>>;
  /** NotAction or NotResource statements are not judged. */
  readonly judged: boolean;
}

/** Everything known about one agent's use of its grants. */
export interface AgentUsage {
  readonly stack: string;
  readonly agent: string;
  readonly identity: string;
  readonly calls: number;
  readonly firstCall?: string;
  readonly lastCall?: string;
  readonly sourceIdentities: { readonly sourceIdentity: string; readonly calls: number }[];
  readonly callsWithoutSourceIdentity: number;
  readonly sessions: { readonly started: number; readonly lastStarted?: string; readonly callers: { readonly caller: string; readonly sessions: number }[] };
  readonly deniedAssumes: { readonly caller: string; readonly attempts: number; readonly lastAttempt?: string }[];
  readonly statements: GrantStatementView[];
  readonly used: UsedGrant[];
  readonly unused: UnusedGrant[];
  readonly unrecorded: UnrecordedGrant[];
  readonly denied: DeniedCall[];
  /** Denied calls beyond the distinct-call cap. */
  readonly deniedOther: number;
  readonly outsideGrants: OutsideCall[];
  readonly outsideOther: number;
  /** Events whose IAM action the service reference does not know. */
  readonly unmapped: { readonly event: string; readonly calls: number }[];
}

function identitiesOf(m: Map<string, number>): { sourceIdentity: string; calls: number }[] {
  return [...m.entries()].map(([sourceIdentity, calls]) => ({ sourceIdentity, calls })).sort((a, b) => b.calls - a.calls || a.sourceIdentity.localeCompare(b.sourceIdentity));
}

function countOf(c: Counter): CallCount {
  return { calls: c.calls, lastCall: c.last, sourceIdentities: identitiesOf(c.identities) };
}

/** The usage of one agent, with every grant entry judged against what CloudTrail can see. */
export function agentUsage(ledger: UsageLedger, agent: AgentRef, coverage: TrailCoverage): AgentUsage {
  const l = ledger.ledgerOf(agent);
  const used: UsedGrant[] = [];
  const unused: UnusedGrant[] = [];
  const unrecorded: UnrecordedGrant[] = [];
  for (const s of l.statements) {
    if (!s.judged) continue;
    const byResource = l.entries.get(s.index);
    s.resources.forEach((resource, ri) => {
      const byAction = byResource?.get(ri);
      s.actions.forEach((granted, ai) => {
        const calls = byAction ? [...byAction.entries()].filter(([a]) => s.actionRes[ai].test(a)) : [];
        if (calls.length > 0) {
          for (const [action, c] of calls) used.push({ statement: s.index, action, grantedAction: granted, resource, ...countOf(c) });
          return;
        }
        const v = visibilityOf(granted, resource, coverage);
        if (v.recorded === true) unused.push({ statement: s.index, action: granted, resource, readOnly: isReadOnly(granted) });
        else unrecorded.push({ statement: s.index, action: granted, resource, why: v.why ?? 'not recorded' });
      });
    });
  }
  const denied = [...l.denied.values()].map(({ key, counter }) => ({
    action: key.action, resource: key.resource, reason: key.reason,
    granted: matchStatements(l.statements, key.action, key.resource).length > 0,
    ...countOf(counter),
  })).sort((a, b) => b.calls - a.calls || a.action.localeCompare(b.action));
  const outsideGrants = [...l.outside.values()].map(({ key, counter }) => ({ action: key.action, resource: key.resource, ...countOf(counter) }))
    .sort((a, b) => b.calls - a.calls || a.action.localeCompare(b.action));
  return {
    stack: agent.stack,
    agent: agent.agent,
    identity: `${agent.kind === 'role' ? 'role' : 'user'} ${agent.path}${agent.identityName}`,
    calls: l.total.calls,
    firstCall: l.total.first,
    lastCall: l.total.last,
    sourceIdentities: identitiesOf(l.identities),
    callsWithoutSourceIdentity: l.withoutSourceIdentity,
    sessions: {
      started: l.sessions.calls,
      lastStarted: l.sessions.last,
      callers: [...l.sessionCallers.entries()].map(([caller, sessions]) => ({ caller, sessions })).sort((a, b) => b.sessions - a.sessions),
    },
    deniedAssumes: [...l.deniedAssumes.entries()].map(([caller, c]) => ({ caller, attempts: c.calls, lastAttempt: c.last })),
    statements: l.statements.map((s) => ({ statement: s.index, actions: s.actions, resources: s.resources, condition: s.condition, judged: s.judged })),
    used: used.sort((a, b) => a.statement - b.statement || b.calls - a.calls),
    unused,
    unrecorded,
    denied,
    deniedOther: l.deniedOther,
    outsideGrants,
    outsideOther: l.outsideOther,
    unmapped: [...l.unmapped.entries()].map(([event, c]) => ({ event, calls: c.calls })).sort((a, b) => b.calls - a.calls),
  };
}
