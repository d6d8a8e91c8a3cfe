/**
 * What every subcommand shares: where output goes, the exit code, typed errors and progress.
 * Subcommands are registered from their own modules (`registerAssess(program, ctx)`), so new
 * ones (revoke, restore, approve) plug in without touching the others.
 */
import { TerraformInputError } from '../../lib/assess';

/** Exit codes of the CLI. */
export enum ExitCode {
  OK = 0,
  /** The verdict failed: a stack below its stage, or a widening change. */
  FAILED = 1,
  /** Bad usage or input: a missing path, a file that is not Terraform, an unknown option. */
  USAGE = 2,
}

/** An error the CLI reports as one line (`agent-iam: <message>`) with its exit code. */
export class CliError extends Error {
  constructor(message: string, public readonly exitCode: ExitCode = ExitCode.USAGE) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where the CLI writes, and what it knows about its terminal. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress is shown only there). */
  readonly errIsTTY: boolean;
  readonly env: Record<string, string | undefined>;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (t) => { process.stdout.write(t); },
    err: (t) => { process.stderr.write(t); },
    errIsTTY: !!process.stderr.isTTY,
    env: process.env,
  };
}

/** What the kill-switch commands need from AWS (tests pass their own; the default uses the AWS SDK). */
export interface AwsPort {
  /** The caller's identity (an IAM ARN), recorded as the actor. */
  callerArn(): Promise<string>;
  /** Invokes a function synchronously; returns its JSON answer, or throws with the function's error. */
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  /** Writes one item into a DynamoDB table. */
  putItem(table: string, item: Record<string, unknown>): Promise<void>;
}

/** Shared by the subcommands of one run. */
export interface CliContext {
  readonly io: CliIo;
  /** AWS access for revoke, quarantine, restore and approve. @default - the AWS SDK with the default credential chain */
  readonly aws?: AwsPort;
  /** Set by the subcommand that ran. */
  exitCode: ExitCode;
}

/** Output formats every subcommand accepts. */
export const FORMATS = ['text', 'markdown', 'json'] as const;
export type Format = typeof FORMATS[number];

/** Turns errors from the library into CLI errors (input problems are usage errors). */
export function asCliError(e: unknown): CliError | undefined {
  if (e instanceof CliError) return e;
  if (e instanceof TerraformInputError) return new CliError(e.message, ExitCode.USAGE);
  return undefined;
}

/**
 * Progress on a terminal: one line on stderr, rewritten in place, at most every 100 ms. Silent when
 * stderr is not a terminal or the CI variable is set, so logs and PR comments stay clean.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly enabled: boolean;

  constructor(private readonly io: CliIo) {
    this.enabled = io.errIsTTY && !io.env.CI;
  }

  update(message: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    this.io.err(`\r\x1b[K${message.slice(0, 120)}`);
  }

  done(): void {
    if (this.enabled && this.shown) this.io.err('\r\x1b[K');
    this.shown = false;
  }
}

/** Markdown-safe text for a table cell or list item (no HTML, no pipes, one line). */
export function md(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** Inline code in Markdown (backticks in the text become quotes). */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\s*\n\s*/g, ' ')}\``;
}
