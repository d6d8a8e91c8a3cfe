/**
 * `agent-iam tighten <synth output> --trail <folder | s3://bucket/prefix> [--since 30d]`: what each
 * agent did according to CloudTrail, against its grants as synthesized: used grants (calls, last
 * use, people), unused grants, grants CloudTrail cannot see, denied calls; and a narrower grant
 * list as `Grant.allow({...})` TypeScript. Nothing is applied. Exit 1 when unused grants exceed
 * `--max-unused`.
 *
 * Logic lives in lib/tighten/; this module reads the inputs, lists S3 (the AWS SDK's S3 client,
 * loaded only for s3:// trails, with the default credential chain; bundled into the published CLI
 * like the kill switch's clients) and renders.
 */
import * as fs from 'fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readEnvironment } from '../../lib/assess';
import { localTrailFiles } from '../../lib/tighten/trail-files';
import { isTrailLogName } from '../../lib/tighten/trail-reader';
import { AgentTightening, tighten, TightenReport, TrailFile } from '../../lib/tighten/tighten';
import { CliContext, CliError, code, ExitCode, md, Progress } from './context';
import { loadConfigurations } from './input';

/** Output formats of tighten. */
export const TIGHTEN_FORMATS = ['markdown', 'json', 'typescript'] as const;
type TightenFormat = typeof TIGHTEN_FORMATS[number];

interface TightenOptions {
  trail: string;
  since?: Date;
  maxUnused?: number;
  account?: string;
  region?: string;
  stack?: string[];
  format: TightenFormat;
}

/** `30d`, `12h`, `90m` before `now`, or an ISO 8601 date. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const m = /^(\d+)\s*([dhm])$/.exec(value.trim());
  if (m) {
    const ms = Number(m[1]) * ({ d: 86400000, h: 3600000, m: 60000 } as Record<string, number>)[m[2]];
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value);
  throw new InvalidArgumentError(`"${value}" is not a window start; write a duration such as 30d, 12h or 90m, or a date such as 2026-11-01`);
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a count; give a whole number such as 0 or 10`);
  return Number(value);
}

/**
 * The log files under an S3 prefix, listed page by page and opened one at a time (each GetObject
 * body is streamed). `client` is for tests; by default an S3Client with the SDK's default
 * credential chain (and `region`).
 */
export function s3TrailFiles(url: string, region?: string, client?: import('@aws-sdk/client-s3').S3Client): AsyncIterable<TrailFile> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new CliError(`${url} is not an S3 URL; write s3://<bucket>/<prefix>`);
  const [, bucket, prefix] = m;
  // A literal require, loaded only for s3:// trails, so that the CLI bundle (scripts/bundle-cli.ts) contains the client.
  const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  const owned = !client;
  client = client ?? new s3.S3Client(region ? { region } : {});
  return {
    async *[Symbol.asyncIterator]() {
      let token: string | undefined;
      try {
        do {
          const page = await client!.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          for (const o of page.Contents ?? []) {
            const key = o.Key;
            if (!key || !isTrailLogName(key)) continue;
            yield {
              name: `s3://${bucket}/${key}`,
              open: async () => {
                const r = await client!.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }));
                return r.Body as unknown as import('stream').Readable;
              },
            };
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (e) {
        const err = e as Error & { name?: string };
        throw new CliError(`s3://${bucket}/${prefix}: cannot be listed (${err.name ?? 'error'}: ${err.message})`);
      } finally {
        if (owned) client!.destroy();
      }
    },
  };
}

function trailFiles(trail: string, region: string | undefined): { files: AsyncIterable<TrailFile> | TrailFile[]; otherFiles: number } {
  if (trail.startsWith('s3://')) return { files: s3TrailFiles(trail, region), otherFiles: 0 };
  if (!fs.existsSync(trail)) throw new CliError(`--trail ${trail}: no such file or directory; give a folder of CloudTrail log files or s3://<bucket>/<prefix>`);
  const local = localTrailFiles(trail);
  if (local.files.length === 0) {
    throw new CliError(`--trail ${trail} holds no CloudTrail log files (*.json.gz or *.json)${local.otherFiles > 0 ? `; ${local.otherFiles} other file${local.otherFiles === 1 ? '' : 's'} skipped` : ''}`);
  }
  return local;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function people(list: { sourceIdentity: string; calls: number }[], max = 5): string {
  if (list.length === 0) return 'none';
  const shown = list.slice(0, max).map((p) => `${md(p.sourceIdentity)} (${p.calls})`).join(', ');
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

function agentSection(a: AgentTightening): string[] {
  const out: string[] = [];
  out.push(`### ${md(a.stack)} / ${md(a.agent)}`, '');
  out.push(`${md(a.identity)}: ${plural(a.calls, 'call')}${a.lastCall ? `, last ${a.lastCall}` : ''}; acting for ${people(a.sourceIdentities)}`
    + `${a.callsWithoutSourceIdentity > 0 ? `; ${plural(a.callsWithoutSourceIdentity, 'call')} without a source identity` : ''}.`);
  if (a.sessions.started > 0 || a.deniedAssumes.length > 0) {
    const callers = a.sessions.callers.slice(0, 5).map((c) => `${md(c.caller)} (${c.sessions})`).join(', ');
    out.push(`Sessions started: ${a.sessions.started}${callers ? ` by ${callers}` : ''}.`
      + `${a.deniedAssumes.length > 0 ? ` Denied attempts to assume it: ${a.deniedAssumes.map((d) => `${md(d.caller)} (${d.attempts})`).join(', ')}.` : ''}`);
  }
  out.push('');
  const rows = [
    ...a.used.map((u) => `| ${code(u.action)}${u.grantedAction !== u.action ? ` (as ${code(u.grantedAction)})` : ''} | ${code(u.resource)} | used | ${u.calls} | ${u.lastCall ?? ''} | ${people(u.sourceIdentities, 3)} |`),
    ...a.unused.map((u) => `| ${code(u.action)} | ${code(u.resource)} | **unused**${u.readOnly ? ' (read-only)' : ''} | 0 | | |`),
    ...a.unrecorded.map((u) => `| ${code(u.action)} | ${code(u.resource)} | not recorded: ${md(u.why)} | | | |`),
  ];
  if (rows.length > 0) {
    out.push('| Granted action | Resource | Status | Calls | Last use | Acting for |', '|---|---|---|---:|---|---|', ...rows, '');
  } else {
    out.push('No judged grants (no Allow statement with Action and Resource).', '');
  }
  if (a.denied.length > 0) {
    out.push(`**Denied** (${plural(a.denied.reduce((n, d) => n + d.calls, 0) + a.deniedOther, 'call')}): a missing grant, or an attempt to be looked at.`, '');
    out.push('| Action | Resource | Calls | Last attempt | Granted? | Denied by | Acting for |', '|---|---|---:|---|---|---|---|');
    for (const d of a.denied) {
      out.push(`| ${code(d.action)} | ${d.resource ? code(d.resource) : ''} | ${d.calls} | ${d.lastCall ?? ''} | ${d.granted ? 'yes: a guardrail, boundary, condition or SCP denied it' : '**no**'} | ${md(d.reason ?? '')} | ${people(d.sourceIdentities, 3)} |`);
    }
    if (a.deniedOther > 0) out.push(`| (other calls) | | ${a.deniedOther} | | | | |`);
    out.push('');
  }
  if (a.outsideGrants.length > 0) {
    out.push('Succeeded outside these grants (actions that need no permission, or policies not in this configuration):', '');
    for (const o of a.outsideGrants) out.push(`- ${code(o.action)}${o.resource ? ` on ${code(o.resource)}` : ''}: ${plural(o.calls, 'call')}`);
    if (a.outsideOther > 0) out.push(`- other calls: ${a.outsideOther}`);
    out.push('');
  }
  if (a.unmapped.length > 0) {
    out.push(`Events whose IAM action the service reference does not know: ${a.unmapped.map((u) => `${code(u.event)} (${u.calls})`).join(', ')}.`, '');
  }
  out.push('<details><summary>Suggested grants</summary>', '', '```ts', a.suggestion.typescript.trimEnd(), '```', '', '</details>', '');
  return out;
}

/** The report as Markdown, for a pull request. */
export function renderTightenMarkdown(r: TightenReport): string {
  const out: string[] = [];
  const i = r.input;
  out.push('## agent-iam tighten', '');
  out.push(`Window: ${r.window.since ? `since ${r.window.since}` : 'every record'}${r.window.firstEvent ? `; events from ${r.window.firstEvent} to ${r.window.lastEvent}` : '; no event in the window'}.`);
  out.push(`Read ${plural(i.files, 'file')} (${plural(i.records, 'record')}): ${i.attributed} attributed to agents, ${i.notAgents} of other principals`
    + `${i.beforeWindow > 0 ? `, ${i.beforeWindow} before the window` : ''}${i.otherAccount > 0 ? `, ${i.otherAccount} of other accounts` : ''}`
    + `${i.filesBeforeWindow > 0 ? `; ${plural(i.filesBeforeWindow, 'file')} delivered before the window skipped` : ''}.`
    + ` Account: ${r.account ?? 'any'}${r.accountSource === 'agents' ? ' (read from the agents\' ARNs)' : ''}.`);
  out.push('');
  out.push('| Stack | Agent | Calls | Used | Unused | Not recorded | Denied calls |', '|---|---|---:|---:|---:|---:|---:|');
  for (const a of r.agents) {
    out.push(`| ${md(a.stack)} | ${md(a.agent)} | ${a.calls} | ${a.used.length} | ${a.unused.length} | ${a.unrecorded.length} | ${a.denied.reduce((n, d) => n + d.calls, 0) + a.deniedOther} |`);
  }
  out.push('');
  out.push(`Unused grants: ${r.unusedTotal}${r.maxUnused !== undefined ? ` (allowed: ${r.maxUnused}: ${r.ok ? 'ok' : '**OVER**'})` : ''}.`, '');
  if (i.problems.length > 0) {
    out.push(`**Input problems** (${i.problems.length}; the other files were read):`, '');
    for (const p of i.problems) out.push(`- ${code(p.source)}: ${md(p.message)}`);
    out.push('');
  }
  for (const n of r.notes) out.push(`- note: ${md(n)}`);
  if (r.notes.length > 0) out.push('');
  for (const a of r.agents) out.push(...agentSection(a));
  out.push('"Unused" means no call in the window where CloudTrail would have recorded one. "Not recorded" grants are kept in the suggestions:'
    + ' data events outside the trail\'s selectors and permission-only actions leave no trace. Some services do not log every read-only call'
    + ' and the AWS service reference does not say which: unused read-only grants are marked so.');
  return `${out.join('\n')}\n`;
}

/** The suggestions alone, as TypeScript. */
export function renderTightenTypeScript(r: TightenReport): string {
  const out = ["import { Grant } from 'cdktf-agent-iam';", ''];
  for (const a of r.agents) out.push(a.suggestion.typescript);
  return out.join('\n');
}

/** Registers `tighten`. */
export function registerTighten(program: Command, ctx: CliContext): void {
  program.command('tighten')
    .description('compare what agents did (CloudTrail log files) with their grants: used, unused, unrecorded and denied, and suggest narrower grants')
    .argument('<path>', 'synthesized Terraform: cdktf.out, a stack folder, *.tf.json or terraform show -json output')
    .requiredOption('--trail <source>', 'CloudTrail log files: a local folder, or s3://<bucket>/<prefix> (read with the AWS SDK default credentials)')
    .option('--since <window>', 'start of the window: a duration (30d, 12h) or a date (2026-11-01)', (v) => parseSince(v))
    .option('--max-unused <n>', 'fail (exit 1) when more grant entries than this are unused', parseCount)
    .option('--account <id>', 'the agents\' AWS account (default: read from their ARNs); records of other accounts are not counted')
    .option('--stack <name...>', 'only these stacks (environments) of the synthesized output; default: every stack')
    .option('--region <region>', 'region of the S3 client for s3:// trails (default: the SDK default)')
    .addOption(new Option('--format <format>', 'output format').choices([...TIGHTEN_FORMATS]).default('markdown'))
    .action(async (target: string, opts: TightenOptions) => {
      if (opts.account !== undefined && !/^\d{12}$/.test(opts.account)) throw new CliError(`--account "${opts.account}" is not an AWS account id; give 12 digits`);
      const progress = new Progress(ctx.io);
      let configs = await loadConfigurations(target, progress);
      if (opts.stack) {
        const unknown = opts.stack.filter((n) => !configs.some((c) => c.stack === n));
        if (unknown.length > 0) throw new CliError(`--stack ${unknown.join(', ')}: not in ${target}; its stacks are ${configs.map((c) => c.stack).join(', ')}`);
        configs = configs.filter((c) => opts.stack!.includes(c.stack));
      }
      const environments = configs.map((config) => ({ config, environment: readEnvironment(config) }));
      const { files, otherFiles } = trailFiles(opts.trail, opts.region);
      const report = await tighten({
        environments, files, since: opts.since, account: opts.account, maxUnused: opts.maxUnused,
        onFile: (name, t) => progress.update(`${t.records} records (${name})`),
      });
      progress.done();
      if (otherFiles > 0) ctx.io.err(`agent-iam: note: ${opts.trail}: ${plural(otherFiles, 'file')} not named *.json.gz or *.json skipped\n`);
      for (const p of report.input.problems) ctx.io.err(`agent-iam: warning: ${p.source}: ${p.message}\n`);
      if (opts.format === 'json') ctx.io.out(`${JSON.stringify(report, null, 2)}\n`);
      else if (opts.format === 'typescript') ctx.io.out(renderTightenTypeScript(report));
      else ctx.io.out(renderTightenMarkdown(report));
      if (!report.ok) ctx.io.err(`agent-iam: ${report.unusedTotal} unused grants, more than --max-unused ${report.maxUnused}\n`);
      ctx.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
    });
}
