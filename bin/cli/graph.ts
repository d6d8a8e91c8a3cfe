/**
 * `agent-iam graph <path>`: a Mermaid flowchart of environments, agents, who may act as them,
 * their grants, the detections watching them and the revocation path.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { agentGraph } from '../../lib/graph';
import { CliContext, CliError, ExitCode, Format, FORMATS, Progress } from './context';
import { loadEnvironments } from './input';

/** Registers `graph`. */
export function registerGraph(program: Command, ctx: CliContext): void {
  program.command('graph')
    .description('draw environments, agents, principals, grants, detections and the revocation path as Mermaid')
    .argument('<path>', 'a cdktf.out folder, a folder of *.tf.json, a *.tf.json, or terraform show -json output')
    .addOption(new Option('-f, --format <format>', 'text: Mermaid source; markdown: a ```mermaid block; json: {"mermaid": ...}').choices(FORMATS).default('text'))
    .option('--stack <name...>', 'only these stacks')
    .option('--agent <name...>', 'only these agents (with their principals, grants and detections)')
    .option('--max-edges <n>', 'most edges (Mermaid renders at most 500 by default)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 10) throw new InvalidArgumentError('expected a whole number of at least 10');
      return n;
    }, 500)
    .action(async (target: string, opts: { format: Format; stack?: string[]; agent?: string[]; maxEdges: number }) => {
      const progress = new Progress(ctx.io);
      let envs = await loadEnvironments(target, progress);
      if (opts.stack) {
        const missing = opts.stack.filter((s) => !envs.some((e) => e.stack === s));
        if (missing.length > 0) throw new CliError(`no stack ${missing.join(', ')} in ${target} (stacks: ${envs.map((e) => e.stack).join(', ')})`);
        envs = envs.filter((e) => opts.stack!.includes(e.stack));
      }
      if (opts.agent) {
        const all = envs.flatMap((e) => e.agents.map((a) => a.facts.agent));
        const missing = opts.agent.filter((a) => !all.includes(a));
        if (missing.length > 0) throw new CliError(`no agent ${missing.join(', ')} in ${target}`);
        envs = envs.map((e) => ({ ...e, agents: e.agents.filter((a) => opts.agent!.includes(a.facts.agent)) })).filter((e) => e.agents.length > 0);
      }
      const mermaid = agentGraph(envs, { maxEdges: opts.maxEdges });
      ctx.io.out(opts.format === 'json' ? `${JSON.stringify({ mermaid }, null, 2)}\n` : opts.format === 'markdown' ? `\`\`\`mermaid\n${mermaid}\`\`\`\n` : mermaid);
      ctx.exitCode = ExitCode.OK;
    });
}
