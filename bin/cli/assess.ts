/**
 * `agent-iam assess <path>`: the maturity stage each environment and agent reaches, read from
 * synthesized Terraform, and every control that keeps it from the next (or declared) stage.
 * Verdicts come from the stage check (lib/stage-check.ts) through lib/assess/.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ControlCatalog, MaturityStage } from '../../lib/maturity';
import {
  ADHOC_LABEL, AdHocFinding, catalogStages, findingsFor, stagesReached, targetStage, TerraformEnvironment, uncheckedNotes,
} from '../../lib/assess';
import { CliContext, code, ExitCode, Format, FORMATS, md, Progress } from './context';
import { loadEnvironments } from './input';

/** One failed control in a report. */
export interface ControlFailure {
  readonly controlId: string;
  readonly stage: MaturityStage;
  readonly title: string;
  readonly risk: string;
  readonly agent?: string;
  readonly message: string;
}

/** The assessment of one agent. */
export interface AgentReport {
  readonly agent: string;
  readonly identity: string;
  readonly address: string;
  readonly recognisedBy: string;
  readonly stageReached: MaturityStage;
}

/** The assessment of one environment. */
export interface StackReport {
  readonly stack: string;
  readonly source: string;
  readonly format: string;
  readonly resources: number;
  readonly declaredStage?: MaturityStage;
  readonly requiredStage?: MaturityStage;
  readonly stageReached: MaturityStage;
  readonly stageName: string;
  /** The stage whose failing controls are listed. */
  readonly targetStage: MaturityStage;
  /** Reached the declared stage and the required one. */
  readonly ok: boolean;
  readonly agents: AgentReport[];
  readonly failures: ControlFailure[];
  readonly informational: AdHocFinding[];
}

/** The assessment of every environment under a path. */
export interface AssessReport {
  readonly ok: boolean;
  readonly stacks: StackReport[];
}

/**
 * The stage an environment must reach: its declared stage and `minStage`; with neither, Foundation
 * (2): an ad hoc configuration fails unless the caller accepts stage 1 with `--min-stage 1`.
 */
export function requiredStage(declared: MaturityStage | undefined, minStage: MaturityStage | undefined): MaturityStage {
  if (declared === undefined && minStage === undefined) return MaturityStage.FOUNDATION;
  return Math.max(declared ?? MaturityStage.AD_HOC, minStage ?? MaturityStage.AD_HOC) as MaturityStage;
}

/** Assesses environments; `minStage` is the stage every environment must reach (default: see requiredStage). */
export function assessEnvironments(envs: TerraformEnvironment[], minStage?: MaturityStage, progress?: Progress): AssessReport {
  const stacks = envs.map((env): StackReport => {
    progress?.update(`assessing ${env.stack} (${env.agents.length} agents)`);
    const stages = stagesReached(env.facts);
    const reached = stages.stack;
    const target = targetStage(reached, env.declaredStage, minStage);
    const failures = reached >= target ? [] : findingsFor(env, target).map((f) => {
      const c = ControlCatalog.get(f.controlId);
      return { controlId: c.id, stage: c.stage, title: c.title, risk: c.risk, agent: f.agent, message: f.message };
    });
    const required = requiredStage(env.declaredStage, minStage);
    const ok = reached >= required;
    return {
      stack: env.stack,
      source: env.source,
      format: env.format,
      resources: env.resourceCount,
      declaredStage: env.declaredStage,
      requiredStage: required,
      stageReached: reached,
      stageName: ControlCatalog.stageName(reached),
      targetStage: target,
      ok,
      agents: env.agents.map((a) => ({
        agent: a.facts.agent,
        identity: a.kind === 'iam-user' ? `IAM user ${a.facts.roleName.replace(/^user\//, '')}` : `role ${a.facts.roleName}`,
        address: a.address,
        recognisedBy: a.recognisedBy,
        stageReached: stages.agents.get(a.facts.agent) ?? MaturityStage.AD_HOC,
      })),
      failures,
      informational: [...env.notes, ...uncheckedNotes()],
    };
  });
  progress?.done();
  return { ok: stacks.every((s) => s.ok), stacks };
}

function stageText(s: MaturityStage): string {
  return `${s} ${ControlCatalog.stageName(s)}`;
}

function verdict(s: StackReport): string {
  const wants: string[] = [];
  if (s.declaredStage !== undefined) wants.push(`declares ${s.declaredStage}`);
  if (s.requiredStage !== undefined && s.requiredStage !== s.declaredStage) wants.push(`required ${s.requiredStage}`);
  return `${wants.length > 0 ? ` (${wants.join(', ')})` : ''}: ${s.ok ? 'ok' : 'BELOW STAGE'}`;
}

/** Terminal text. */
export function renderAssessText(r: AssessReport): string {
  const out: string[] = [];
  for (const s of r.stacks) {
    out.push(`stack ${s.stack}: stage ${stageText(s.stageReached)}${verdict(s)}`);
    out.push(`  source: ${s.source} (${s.format}, ${s.resources} resources)`);
    out.push(`  agents (${s.agents.length}):${s.agents.length === 0 ? ' none found' : ''}`);
    for (const a of s.agents) out.push(`    ${a.agent}: stage ${a.stageReached} (${a.identity}, ${a.address}, recognised by ${a.recognisedBy})`);
    if (s.failures.length > 0) {
      out.push(`  controls failing for stage ${stageText(s.targetStage)} (${s.failures.length}):`);
      for (const f of s.failures) out.push(`    ${f.controlId} ${f.title}${f.agent ? ` [agent ${f.agent}]` : ''}: ${f.message}`);
    } else if (s.stageReached < s.targetStage) {
      out.push(`  stage ${s.targetStage} cannot be judged (see informational notes)`);
    }
    if (s.informational.length > 0) {
      out.push(`  ${ADHOC_LABEL} (${s.informational.length}):`);
      for (const n of s.informational) out.push(`    ${n.id}${n.agent ? ` [agent ${n.agent}]` : ''}: ${n.message}`);
    }
  }
  out.push(r.ok ? 'result: every stack reaches its stage' : 'result: a stack is below its stage');
  return `${out.join('\n')}\n`;
}

/** Markdown for a PR comment: a summary table, failures per stack in collapsed details. */
export function renderAssessMarkdown(r: AssessReport): string {
  const out: string[] = ['### agent-iam assess', ''];
  out.push('| Stack | Stage reached | Declared | Agents | Failing controls | Result |', '|---|---|---|---|---|---|');
  for (const s of r.stacks) {
    out.push(`| ${md(s.stack)} | ${stageText(s.stageReached)} | ${s.declaredStage !== undefined ? stageText(s.declaredStage) : '-'} | ${s.agents.length} | ${s.failures.length} | ${s.ok ? 'ok' : '**below stage**'} |`);
  }
  for (const s of r.stacks) {
    out.push('', `<details><summary>${md(s.stack)}: stage ${s.stageReached}, ${s.failures.length} control${s.failures.length === 1 ? '' : 's'} failing for stage ${s.targetStage}${s.informational.length > 0 ? `, ${s.informational.length} informational` : ''}</summary>`, '');
    out.push(`Agents: ${s.agents.length === 0 ? 'none found' : s.agents.map((a) => `${code(a.agent)} stage ${a.stageReached}`).join(', ')}`, '');
    if (s.failures.length > 0) {
      out.push('| Control | Agent | Finding |', '|---|---|---|');
      for (const f of s.failures) out.push(`| ${f.controlId} ${md(f.title)} | ${f.agent ? md(f.agent) : '(stack)'} | ${md(f.message)} |`);
      out.push('');
    }
    if (s.informational.length > 0) {
      out.push(`_${md(ADHOC_LABEL)}:_`, '');
      for (const n of s.informational) out.push(`- ${n.id}${n.agent ? ` (${md(n.agent)})` : ''}: ${md(n.message)}`);
      out.push('');
    }
    out.push('</details>');
  }
  out.push('', r.ok ? 'Every stack reaches its declared stage.' : '**A stack is below its declared or required stage.**');
  return `${out.join('\n')}\n`;
}

export function renderAssess(r: AssessReport, format: Format): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  return format === 'markdown' ? renderAssessMarkdown(r) : renderAssessText(r);
}

function parseStage(v: string): MaturityStage {
  const stages = [MaturityStage.AD_HOC, ...catalogStages()];
  const n = Number(v);
  if (!Number.isInteger(n) || !stages.includes(n)) throw new InvalidArgumentError(`expected one of ${stages.join(', ')}`);
  return n as MaturityStage;
}

/** Registers `assess`. */
export function registerAssess(program: Command, ctx: CliContext): void {
  program.command('assess')
    .description('report the maturity stage each stack and agent reaches, and each control that fails')
    .argument('<path>', 'a cdktf.out folder, a folder of *.tf.json, a *.tf.json, or terraform show -json output')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--min-stage <stage>', 'fail unless every stack reaches this stage (default: its declared stage, or 2 when it declares none)', parseStage)
    .action(async (target: string, opts: { format: Format; minStage?: MaturityStage }) => {
      const progress = new Progress(ctx.io);
      const report = assessEnvironments(await loadEnvironments(target, progress), opts.minStage, progress);
      ctx.io.out(renderAssess(report, opts.format));
      ctx.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
    });
}
