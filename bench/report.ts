/**
 * Shared by the benchmark's child apps: prints one machine-readable line with
 * the child's own measurements (CPU time and peak RSS from the kernel, phase timings).
 */
export const RESULT_MARKER = 'BENCH_RESULT ';

/** Arguments of a child app: `<stage> <agents> <outdir>`. */
export function parseChildArgs(argv: string[]): { stage: number; agents: number; outdir: string } {
  const stage = Number(argv[2]);
  const agents = Number(argv[3]);
  const outdir = argv[4];
  if (![2, 3, 4].includes(stage) || !Number.isInteger(agents) || agents < 1 || !outdir) {
    throw new Error(`usage: <app>.js <stage 2|3|4> <agents> <outdir> (got ${argv.slice(2).join(' ')})`);
  }
  return { stage, agents, outdir };
}

/**
 * Prints the child's measurements as one JSON line on stdout: peak RSS (kilobytes) and user and
 * system CPU (microseconds) of the whole process, from getrusage(2); `excludeCpuUs` is CPU spent on
 * benchmark plumbing that the app itself would not do (the plain app reading its template).
 */
export function report(phases: Record<string, number>, excludeCpuUs = 0): void {
  const usage = process.resourceUsage();
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({
    maxRssKb: usage.maxRSS,
    cpuUs: usage.userCPUTime + usage.systemCPUTime - excludeCpuUs,
    phasesMs: phases,
  })}\n`);
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
