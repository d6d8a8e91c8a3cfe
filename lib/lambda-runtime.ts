/**
 * The Lambda runtimes the library's functions may run on, with AWS's support
 * dates, in one table. AWS deprecates a runtime (no more security patches),
 * then blocks creating functions on it, then blocks updating them
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, "Supported
 * runtimes"; AWS moves these dates, so the table says when it was read).
 */
import { stackProblem } from './errors';

/** One Lambda runtime and its lifecycle, dates as `YYYY-MM-DD` (UTC). */
export interface LambdaRuntimeInfo {
  /** The runtime identifier, e.g. `nodejs24.x`. */
  readonly runtime: string;
  /** Deprecation: AWS stops patching the runtime. */
  readonly deprecation: string;
  /** From this date AWS refuses to create functions on it. */
  readonly blockFunctionCreate: string;
  /** From this date AWS refuses to update functions on it. */
  readonly blockFunctionUpdate: string;
}

/** As published on the Lambda runtimes page (read 2026-11). */
export const LAMBDA_RUNTIMES: readonly LambdaRuntimeInfo[] = [
  { runtime: 'nodejs24.x', deprecation: '2028-04-30', blockFunctionCreate: '2028-06-01', blockFunctionUpdate: '2028-07-01' },
  { runtime: 'nodejs22.x', deprecation: '2027-04-30', blockFunctionCreate: '2027-06-01', blockFunctionUpdate: '2027-07-01' },
  { runtime: 'nodejs20.x', deprecation: '2026-04-30', blockFunctionCreate: '2027-02-01', blockFunctionUpdate: '2027-03-03' },
];

/** The runtime the library's functions use unless the stack chooses another. */
export const DEFAULT_LAMBDA_RUNTIME = 'nodejs24.x';

/** Days before deprecation from which synth warns. */
export const RUNTIME_WARNING_DAYS = 90;

/** The construct context key (set by the stack) that names the runtime of the library's functions. */
export const LAMBDA_RUNTIME_CONTEXT = 'agent-iam:lambda-runtime';

/** The construct context key that fixes "today" for the runtime check (`YYYY-MM-DD`; tests set it). */
export const TODAY_CONTEXT = 'agent-iam:today';

const DAY_MS = 86_400_000;

function utcDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** The table entry of a runtime, or undefined when the library does not know it. */
export function lambdaRuntimeInfo(runtime: string): LambdaRuntimeInfo | undefined {
  return LAMBDA_RUNTIMES.find((r) => r.runtime === runtime);
}

/** What synth says about a runtime on a given day. */
export interface RuntimeVerdict {
  /** Errors: the stack cannot be deployed with this runtime. */
  readonly errors: string[];
  /** Warnings: it deploys, but not for long, or not patched. */
  readonly warnings: string[];
}

/**
 * Judges the runtime a stack chose on a given day: unknown or creation-blocked
 * runtimes are errors; a deprecated runtime, or one within
 * `RUNTIME_WARNING_DAYS` of deprecation, is a warning naming the dates and the
 * newest supported runtime.
 *
 * @param stack the environment name, for the message
 * @param runtime the runtime identifier
 * @param today the day to judge on (UTC)
 */
export function judgeLambdaRuntime(stack: string, runtime: string, today: Date): RuntimeVerdict {
  const newest = LAMBDA_RUNTIMES[0].runtime;
  if (Number.isNaN(today.getTime())) {
    return { errors: [stackProblem(stack, 'lambdaRuntime', `cannot judge "${runtime}": the day to judge on is not a date (context "${TODAY_CONTEXT}" must be YYYY-MM-DD)`)], warnings: [] };
  }
  const fix = runtime === newest
    ? `Upgrade cdktf-agent-iam for a newer runtime`
    : `Move to "${newest}"`;
  const info = lambdaRuntimeInfo(runtime);
  if (!info) {
    return {
      errors: [stackProblem(stack, 'lambdaRuntime', `"${runtime}" is not a Node.js runtime this library's functions run on; use one of ${LAMBDA_RUNTIMES.map((r) => `"${r.runtime}"`).join(', ')} (default "${DEFAULT_LAMBDA_RUNTIME}")`)],
      warnings: [],
    };
  }
  const now = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (now >= utcDay(info.blockFunctionCreate)) {
    return {
      errors: [stackProblem(stack, 'lambdaRuntime', `"${runtime}" was deprecated on ${info.deprecation} and AWS refuses to create functions on it since ${info.blockFunctionCreate} (updates from ${info.blockFunctionUpdate}); ${runtime === newest ? 'upgrade cdktf-agent-iam' : `use "${newest}"`}`)],
      warnings: [],
    };
  }
  if (now >= utcDay(info.deprecation)) {
    return {
      errors: [],
      warnings: [stackProblem(stack, 'lambdaRuntime', `"${runtime}" is deprecated since ${info.deprecation} (no security patches); AWS blocks creating functions on it from ${info.blockFunctionCreate} and updating them from ${info.blockFunctionUpdate}. ${fix}`)],
    };
  }
  const days = Math.ceil((utcDay(info.deprecation) - now) / DAY_MS);
  if (days <= RUNTIME_WARNING_DAYS) {
    return {
      errors: [],
      warnings: [stackProblem(stack, 'lambdaRuntime', `"${runtime}" is deprecated in ${days} days (${info.deprecation}); AWS blocks creating functions on it from ${info.blockFunctionCreate}. ${fix}`)],
    };
  }
  return { errors: [], warnings: [] };
}
