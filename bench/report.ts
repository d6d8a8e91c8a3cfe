/**
 * Shared by the benchmark's child apps: prints one machine-readable line with
 * the child's own measurements (peak RSS from the kernel, phase timings).
 */
export const RESULT_MARKER = 'BENCH_RESULT ';

/** Arguments of a child app: `<agents> <outdir>`. */
export function parseChildArgs(argv: string[]): { agents: number; outdir: string } {
  const agents = Number(argv[2]);
  const outdir = argv[3];
  if (!Number.isInteger(agents) || agents < 1 || !outdir) {
    throw new Error(`usage: <app>.ts <agents> <outdir> (got ${argv.slice(2).join(' ')})`);
  }
  return { agents, outdir };
}

/** Prints the child's measurements as one JSON line on stdout. */
export function report(phases: Record<string, number>, resources: number): void {
  const usage = process.resourceUsage();
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({
    maxRssKb: usage.maxRSS, // kilobytes, from getrusage(2)
    userCpuUs: usage.userCPUTime,
    systemCpuUs: usage.systemCPUTime,
    phasesMs: phases,
    resources,
  })}\n`);
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
