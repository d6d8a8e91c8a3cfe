#!/usr/bin/env node
/**
 * agent-iam: review synthesized Terraform of agent identities.
 *
 *   agent-iam assess <path>        maturity stage per stack and agent, failing controls
 *   agent-iam diff <base> <head>   per-agent changes, widening flagged
 *   agent-iam graph <path>         Mermaid diagram of agents, principals, grants, detections
 *   agent-iam revoke|quarantine|restore <agent> --env <env> --reason "..."   the kill switch
 *   agent-iam approve <agent> --env <env> --reason "..."                      re-approve after elevated risk
 *   agent-iam tighten <path> --trail <folder|s3://bucket/prefix>             used, unused, denied grants; narrower grants
 *
 * Each subcommand lives in bin/cli/<name>.ts and is registered here. Errors are one line on
 * stderr (`agent-iam: <message>`), exit 2 for bad usage or input, 1 for a failed verdict; never a
 * stack trace (set AGENT_IAM_DEBUG=1 to see one).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import { asCliError, AwsPort, CliContext, CliIo, ExitCode, processIo } from './cli/context';
import { registerAssess } from './cli/assess';
import { registerDiff } from './cli/diff';
import { registerGraph } from './cli/graph';
import { registerKillSwitch } from './cli/killswitch';
import { registerTighten } from './cli/tighten';

/** Subcommand registrations, in help order. */
const SUBCOMMANDS: ((program: Command, ctx: CliContext) => void)[] = [registerAssess, registerDiff, registerGraph, registerKillSwitch, registerTighten];

/** The package version, from the nearest package.json (bin/ in the repository, dist/bin/ when published). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return String(JSON.parse(fs.readFileSync(file, 'utf8')).version ?? '0.0.0');
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

function oneLine(text: string): string {
  return text.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** The commander program, writing to `ctx.io` and leaving its verdict in `ctx.exitCode`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('agent-iam')
    .description('Review synthesized Terraform of AI agent identities: maturity stage, per-agent diffs, graphs.')
    .version(packageVersion())
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(`agent-iam: ${oneLine(s)}\n`),
    });
  for (const register of SUBCOMMANDS) register(program, ctx);
  // Every subcommand reports and exits the same way.
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo = processIo(), aws?: AwsPort): Promise<number> {
  const ctx: CliContext = { io, exitCode: ExitCode.OK, aws };
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; commander has already printed its one-line error.
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const known = asCliError(e);
    if (known) {
      io.err(`agent-iam: ${oneLine(known.message)}\n`);
      return known.exitCode;
    }
    io.err(`agent-iam: internal error: ${oneLine(String((e as Error)?.message ?? e))}\n`);
    if (io.env.AGENT_IAM_DEBUG) io.err(`${(e as Error)?.stack ?? ''}\n`);
    return ExitCode.USAGE;
  }
}

/** Entry point of the executable. */
export function main(): void {
  // A closed pipe (agent-iam ... | head) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); });
  runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; }, () => { process.exitCode = ExitCode.USAGE; });
}

if (require.main === module) main();
