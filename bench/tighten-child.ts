/**
 * The measured side of the tighten benchmark (bench/tighten.ts compiles it with esbuild and runs
 * the JavaScript): `node tighten-child.js <synth output> <trail folder>` reads every log file with
 * lib/tighten exactly as `agent-iam tighten` does and prints one result line (records, seconds,
 * peak RSS from getrusage).
 */
import { loadConfigurations } from '../bin/cli/input';
import { Progress } from '../bin/cli/context';
import { readEnvironment } from '../lib/assess';
import { localTrailFiles } from '../lib/tighten/trail-files';
import { tighten } from '../lib/tighten/tighten';
import { RESULT_MARKER } from './report';

async function main(): Promise<void> {
  const [synth, trail] = process.argv.slice(2);
  const quiet = new Progress({ out: () => undefined, err: () => undefined, errIsTTY: false, env: {} });
  const environments = (await loadConfigurations(synth, quiet)).map((config) => ({ config, environment: readEnvironment(config) }));
  const start = performance.now();
  const report = await tighten({ environments, files: localTrailFiles(trail).files });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({
    records: report.input.records,
    attributed: report.input.attributed,
    problems: report.input.problems.length,
    seconds,
    maxRssKb: process.resourceUsage().maxRSS,
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
