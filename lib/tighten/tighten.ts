/**
 * `tighten`: CloudTrail log files in, per-agent usage and suggested grants out.
 *
 * The agents and their grants come from synthesized Terraform through the reader `assess` uses
 * (lib/assess: `readEnvironment`), the trails' data-event selectors from the same
 * configuration (coverage.ts). Log files are read one at a time, streaming (trail-reader.ts); a bad
 * file gives one problem line and the others are still read.
 */
import { Readable } from 'stream';
import { TerraformConfig, TerraformEnvironment } from '../assess';
import { AgentDirectory, AgentRef } from './attribution';
import { trailCoverage, TrailCoverage } from './coverage';
import { compileStatements, CompiledStatement } from './grant-match';
import { sessionTemplates } from './session-templates';
import { GrantSuggestion, SessionTemplate, suggestGrants } from './suggestion';
import { deliveryTimeOf, readTrailFile } from './trail-reader';
import { AgentUsage, agentUsage, LedgerTotals, UsageLedger } from './usage';

/** One log file to read. */
export interface TrailFile {
  /** A path or an s3:// URL, used in messages. */
  readonly name: string;
  /** Opens the file's bytes (gzipped when the name ends in .gz). */
  open(): Promise<Readable>;
}

/** A synthesized environment: its configuration and what the assessor reads from it. */
export interface SynthesizedEnvironment {
  readonly config: TerraformConfig;
  readonly environment: TerraformEnvironment;
}

/** A problem with one input file; the run goes on. */
export interface InputProblem {
  readonly source: string;
  readonly message: string;
}

/** One agent in the report: its usage and the grants suggested from it. */
export interface AgentTightening extends AgentUsage {
  readonly suggestion: GrantSuggestion;
}

/** The result of `tighten`. */
export interface TightenReport {
  /** ISO time the report was made. */
  readonly generatedAt: string;
  /** The window: records from `since` (ISO) on; first and last event counted. */
  readonly window: { readonly since?: string; readonly firstEvent?: string; readonly lastEvent?: string };
  /** The agents' account; records of others are not counted. */
  readonly account?: string;
  /** How the account was found: given (--account) or read from the agents' ARNs. */
  readonly accountSource: 'given' | 'agents' | 'unknown';
  readonly input: LedgerTotals & {
    /** Log files read (or tried). */
    readonly files: number;
    /** Log files skipped because their delivery time is before the window. */
    readonly filesBeforeWindow: number;
    readonly problems: InputProblem[];
  };
  readonly agents: AgentTightening[];
  /** Notes about the configuration (agents without grants, identities named twice). */
  readonly notes: string[];
  /** Unused grant entries over every agent. */
  readonly unusedTotal: number;
  /** The threshold given (--max-unused). */
  readonly maxUnused?: number;
  /** False when unusedTotal exceeds maxUnused. */
  readonly ok: boolean;
}

/** Options of `tighten`. */
export interface TightenOptions {
  readonly environments: SynthesizedEnvironment[];
  readonly files: AsyncIterable<TrailFile> | Iterable<TrailFile>;
  /** Start of the window. @default - every record */
  readonly since?: Date;
  /** The agents' account. @default - the account most named in the agents' policies and trust policies */
  readonly account?: string;
  /** Unused grant entries allowed before the report fails. @default - no threshold */
  readonly maxUnused?: number;
  /** Called after each file (progress). */
  readonly onFile?: (name: string, totals: LedgerTotals) => void;
  /** The time the report is made. @default - now */
  readonly now?: Date;
}

/** The account most named (12-digit account fields of ARNs) in the agents' policies and trust policies. */
export function agentsAccount(envs: TerraformEnvironment[]): string | undefined {
  const counts = new Map<string, number>();
  const text = JSON.stringify(envs.flatMap((e) => e.agents.map((a) => [a.facts.policies, a.facts.trustPolicy])));
  for (const m of text.matchAll(/arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/** Reads the log files and reports, per agent, used, unused, unrecorded and denied grants with suggestions. */
export async function tighten(o: TightenOptions): Promise<TightenReport> {
  const notes: string[] = [];
  const refs: AgentRef[] = [];
  const statements = new Map<AgentRef, CompiledStatement[]>();
  const coverageOf = new Map<AgentRef, TrailCoverage>();
  const templatesOf = new Map<AgentRef, SessionTemplate[]>();
  for (const { config, environment } of o.environments) {
    const coverage = trailCoverage(config);
    const templates = sessionTemplates(config);
    for (const a of environment.agents) {
      const ref: AgentRef = {
        stack: environment.stack,
        agent: a.facts.agent,
        identityName: a.kind === 'role' ? a.facts.roleName : a.facts.roleName.replace(/^user\//, ''),
        path: a.path && a.path !== '' ? a.path : '/',
        kind: a.kind,
      };
      refs.push(ref);
      statements.set(ref, compileStatements(a.facts.policies.flatMap((d) => d.Statement)));
      coverageOf.set(ref, coverage);
      templatesOf.set(ref, templates.get(a.facts.agent) ?? []);
      const unjudged = a.policySources.filter((s) => !s.doc).map((s) => s.name);
      if (unjudged.length > 0) notes.push(`${environment.stack}/${a.facts.agent}: ${unjudged.join(', ')} ${unjudged.length === 1 ? 'is' : 'are'} not in the configuration; calls they allow are listed as outside the grants`);
    }
  }
  const directory = new AgentDirectory(refs);
  for (const d of directory.duplicates) notes.push(`the identity ${d} is named by two agents; calls are attributed to the first`);
  if (refs.length === 0) notes.push('no agent identity found in the synthesized Terraform; nothing to attribute calls to');
  const given = o.account;
  const inferred = given ? undefined : agentsAccount(o.environments.map((e) => e.environment));
  const account = given ?? inferred;
  const ledger = new UsageLedger(directory, statements, account, o.since);
  const problems: InputProblem[] = [];
  let files = 0;
  let filesBeforeWindow = 0;
  for await (const f of o.files as AsyncIterable<TrailFile>) {
    const delivered = deliveryTimeOf(f.name);
    if (o.since && delivered && delivered.getTime() < o.since.getTime()) {
      filesBeforeWindow++;
      continue;
    }
    files++;
    let input: Readable;
    try {
      input = await f.open();
    } catch (e) {
      problems.push({ source: f.name, message: `cannot be read (${String((e as NodeJS.ErrnoException).code ?? (e as Error).message)})` });
      continue;
    }
    const result = await readTrailFile(input, f.name, (r) => ledger.add(r));
    if (result.problem) problems.push({ source: f.name, message: result.problem });
    const others = ledger.takeOtherAccounts();
    if (others.size > 0) {
      const parts = [...others.entries()].map(([acct, n]) => `${n} record${n === 1 ? '' : 's'} of account ${acct}`);
      problems.push({ source: f.name, message: `${parts.join(', ')}, not ${account} (the agents' account${given ? '' : ', read from their ARNs; pass --account to choose'}); not counted` });
    }
    o.onFile?.(f.name, ledger.totals);
  }
  const t = ledger.totals;
  const window = { since: o.since?.toISOString(), firstEvent: t.firstEvent, lastEvent: t.lastEvent };
  const agents = refs.map((ref) => {
    const usage = agentUsage(ledger, ref, coverageOf.get(ref)!);
    return { ...usage, suggestion: suggestGrants(usage, { since: window.since ?? t.firstEvent, until: t.lastEvent }, templatesOf.get(ref)) };
  });
  const unusedTotal = agents.reduce((n, a) => n + a.unused.length, 0);
  return {
    generatedAt: (o.now ?? new Date()).toISOString(),
    window,
    account,
    accountSource: given ? 'given' : inferred ? 'agents' : 'unknown',
    input: { ...t, files, filesBeforeWindow, problems },
    agents,
    notes,
    unusedTotal,
    maxUnused: o.maxUnused,
    ok: o.maxUnused === undefined || unusedTotal <= o.maxUnused,
  };
}
