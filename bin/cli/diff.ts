/**
 * `agent-iam diff <base> <head>`: per agent, what a change adds and removes (actions, resources,
 * conditions, trust, sessions, detections, revocation wiring), with every widening change marked.
 * Exits 1 on any widening unless --allow-widening is given.
 */
import { Command, Option } from 'commander';
import { AgentDiff, diffEnvironments, PlanDiff, PolicyChange } from '../../lib/policy-diff';
import { CliContext, code, ExitCode, Format, FORMATS, md, Progress } from './context';
import { loadEnvironments } from './input';

/** Changes listed openly in Markdown before they are collapsed into details. */
const OPEN_LIMIT = 8;

function sign(c: PolicyChange): string {
  return c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
}

function describe(c: PolicyChange): string {
  return `${c.change} ${c.category}: ${c.subject}`;
}

function count(d: PlanDiff): { changes: number; widening: number } {
  const all = d.stacks.flatMap((s) => [...s.changes, ...s.agents.flatMap((a) => a.changes)]);
  return { changes: all.length, widening: all.filter((c) => c.widening).length };
}

/** Terminal text. */
export function renderDiffText(d: PlanDiff, allowWidening = false): string {
  const out: string[] = [];
  for (const s of d.stacks) {
    out.push(`stack ${s.stack}: ${s.status}`);
    for (const a of s.agents.filter((x) => x.status !== 'unchanged')) {
      out.push(`  agent ${a.agent}: ${a.status}`);
      for (const c of a.changes) out.push(`    ${sign(c)} ${describe(c)}${c.widening ? '  [WIDENS]' : ''}`);
    }
    if (s.changes.length > 0) {
      out.push('  environment:');
      for (const c of s.changes) out.push(`    ${sign(c)} ${describe(c)}${c.widening ? '  [WIDENS]' : ''}`);
    }
  }
  const n = count(d);
  out.push(n.changes === 0 ? 'result: no changes'
    : `result: ${n.changes} change${n.changes === 1 ? '' : 's'}, ${n.widening} widening${n.widening > 0 && !allowWidening ? ' (pass --allow-widening to accept)' : ''}`);
  return `${out.join('\n')}\n`;
}

function mdChange(c: PolicyChange): string {
  return `- ${c.widening ? '**widens** ' : ''}${c.change} ${c.category}: ${code(c.subject)}`;
}

function mdList(title: string, changes: PolicyChange[]): string[] {
  const widening = changes.filter((c) => c.widening).length;
  const summary = `${title}: ${changes.length} change${changes.length === 1 ? '' : 's'}${widening > 0 ? `, ${widening} widening` : ''}`;
  // Widening changes first, so a collapsed list still shows what matters.
  const sorted = [...changes].sort((x, y) => Number(y.widening) - Number(x.widening));
  if (changes.length <= OPEN_LIMIT) return [`**${summary}**`, '', ...sorted.map(mdChange), ''];
  return [`<details><summary>${summary}</summary>`, '', ...sorted.map(mdChange), '', '</details>', ''];
}

/** Markdown for a PR comment: one section per stack, long lists in collapsed details. */
export function renderDiffMarkdown(d: PlanDiff, allowWidening = false): string {
  const n = count(d);
  const out: string[] = ['### agent-iam diff', ''];
  if (n.changes === 0) {
    out.push('No change to any agent identity.');
    return `${out.join('\n')}\n`;
  }
  out.push(n.widening > 0
    ? `**${n.widening} of ${n.changes} changes widen what agents can do.**${allowWidening ? ' Widening is allowed for this run.' : ' Review them; the check fails until they are accepted.'}`
    : `${n.changes} change${n.changes === 1 ? '' : 's'}, none widening.`, '');
  for (const s of d.stacks.filter((x) => x.status !== 'unchanged')) {
    out.push(`#### ${md(s.stack)} (${s.status})`, '');
    for (const a of s.agents.filter((x: AgentDiff) => x.status !== 'unchanged')) out.push(...mdList(`agent ${md(a.agent)} (${a.status})`, a.changes));
    if (s.changes.length > 0) out.push(...mdList('environment', s.changes));
  }
  return `${out.join('\n')}\n`;
}

export function renderDiff(d: PlanDiff, format: Format, allowWidening = false): string {
  if (format === 'json') return `${JSON.stringify(d, null, 2)}\n`;
  return format === 'markdown' ? renderDiffMarkdown(d, allowWidening) : renderDiffText(d, allowWidening);
}

/** Registers `diff`. */
export function registerDiff(program: Command, ctx: CliContext): void {
  program.command('diff')
    .description('list per agent what changes between two synth outputs; fail on widening')
    .argument('<base>', 'synth output before the change (cdktf.out folder, *.tf.json or terraform show -json)')
    .argument('<head>', 'synth output after the change')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--allow-widening', 'exit 0 even when a change widens what an agent can do', false)
    .action(async (base: string, head: string, opts: { format: Format; allowWidening: boolean }) => {
      const progress = new Progress(ctx.io);
      const before = await loadEnvironments(base, progress);
      const after = await loadEnvironments(head, progress);
      progress.update('comparing', true);
      const d = diffEnvironments(before, after);
      progress.done();
      ctx.io.out(renderDiff(d, opts.format, opts.allowWidening));
      ctx.exitCode = d.widening && !opts.allowWidening ? ExitCode.FAILED : ExitCode.OK;
    });
}
