/**
 * `npm run bench`: builds the library (`npm run build`, then `build:bench` compiles the child apps
 * beside it in dist/), then synthesizes fleets of stage 2, 3 and 4 at 100, 1000 and 3000 agents
 * with the compiled library (dist/bench/fleet-app.js), each beside a plain cdktf app declaring the
 * same resources with the same attribute values through the same provider classes
 * (dist/bench/plain-app.js, templated on the library's own output). Every synth runs in its own
 * Node process; each measure is the median of several runs:
 *
 * - CPU seconds: the child's user + system CPU from getrusage(2), start-up and module loading
 *   included (the plain app's reading of its template excluded);
 * - peak RSS: the child's maxRSS;
 * - resources per agent: resources in cdk.tf.json / agents.
 *
 * Targets (issue #13), checked and printed: stage 4 at 1000 agents within 2x stage 2's CPU at 1000
 * in the same run, at most 400 MiB peak and 8 resources per agent; stage 4 at 3000 agents within
 * 3.5x its time at 1000. Misses are reported; the exit code stays 0.
 *
 * Then the revocation benchmark (bench/revocation.ts; --no-revocation skips it) and the tighten
 * benchmark (bench/tighten.ts: one million CloudTrail records; --no-tighten skips it).
 *
 *   npm run bench [-- --runs 5] [-- --sizes 100,1000] [-- --stages 2,4] [-- --no-revocation] [-- --no-tighten]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { revocationBench } from './revocation';
import { tightenBench } from './tighten';
import { RESULT_MARKER } from './report';

const ROOT = path.resolve(__dirname, '..');
const DIST_BENCH = path.join(ROOT, 'dist', 'bench');

interface ChildResult { cpuS: number; rssMiB: number; constructMs: number; synthMs: number }

interface Row {
  stage: number;
  n: number;
  runs: number;
  lib: ChildResult;
  plain: ChildResult;
  libResources: number;
  plainResources: number;
}

function runChild(app: 'fleet-app' | 'plain-app', stage: number, n: number, outdir: string, template?: string): ChildResult {
  fs.rmSync(outdir, { recursive: true, force: true });
  const args = [path.join(DIST_BENCH, `${app}.js`), String(stage), String(n), outdir, ...(template ? [template] : [])];
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60 * 1000,
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (r.status !== 0 || !line) {
    throw new Error(`${app} stage ${stage} n=${n} failed (status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''}):\n${(r.stderr ?? '').slice(-4000)}`);
  }
  const m = JSON.parse(line.slice(RESULT_MARKER.length));
  return { cpuS: m.cpuUs / 1e6, rssMiB: m.maxRssKb / 1024, constructMs: m.phasesMs.construct, synthMs: m.phasesMs.synth };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function medianResult(rs: ChildResult[]): ChildResult {
  return {
    cpuS: median(rs.map((r) => r.cpuS)),
    rssMiB: median(rs.map((r) => r.rssMiB)),
    constructMs: median(rs.map((r) => r.constructMs)),
    synthMs: median(rs.map((r) => r.synthMs)),
  };
}

function stackFile(outdir: string): string {
  return path.join(outdir, 'stacks', 'bench', 'cdk.tf.json');
}

/** Number of resources in a synthesized stack. */
function countResources(outdir: string): number {
  const doc = JSON.parse(fs.readFileSync(stackFile(outdir), 'utf8'));
  let n = 0;
  for (const byName of Object.values<Record<string, unknown>>(doc.resource ?? {})) n += Object.keys(byName).length;
  return n;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function list(value: string | undefined, fallback: number[]): number[] {
  if (!value) return fallback;
  const xs = value.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`expected a comma-separated list of positive integers, got ${value}`);
  return xs;
}

const fmt = (x: number, d: number) => x.toFixed(d);

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (!fs.existsSync(path.join(DIST_BENCH, 'fleet-app.js'))) {
    throw new Error('dist/bench/fleet-app.js is missing: run `npm run build && npm run build:bench` (npm run bench does both)');
  }
  const sizes = list(option(args, '--sizes'), [100, 1000, 3000]);
  const stages = list(option(args, '--stages'), [2, 3, 4]);
  const runsArg = option(args, '--runs');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-bench-'));
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      for (const stage of stages) {
        const runs = runsArg ? Number(runsArg) : n <= 1000 ? 5 : 3;
        const libOut = path.join(tmp, `lib-${stage}-${n}`);
        const plainOut = path.join(tmp, `plain-${stage}-${n}`);
        const template = path.join(tmp, `template-${stage}-${n}.json`);
        const lib: ChildResult[] = [];
        const plain: ChildResult[] = [];
        let libResources = 0;
        let plainResources = 0;
        for (let i = 0; i < runs; i++) {
          // Alternate the two apps so drift in machine load hits both alike.
          lib.push(runChild('fleet-app', stage, n, libOut));
          if (i === 0) {
            fs.copyFileSync(stackFile(libOut), template);
            libResources = countResources(libOut);
          }
          plain.push(runChild('plain-app', stage, n, plainOut, template));
          if (i === 0) plainResources = countResources(plainOut);
          process.stderr.write(`  stage ${stage} n=${n} run ${i + 1}/${runs}: library ${fmt(lib[i].cpuS, 2)} s CPU ${fmt(lib[i].rssMiB, 0)} MiB, `
            + `plain ${fmt(plain[i].cpuS, 2)} s CPU ${fmt(plain[i].rssMiB, 0)} MiB\n`);
        }
        rows.push({ stage, n, runs, lib: medianResult(lib), plain: medianResult(plain), libResources, plainResources });
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const lines: string[] = [];
  lines.push('| stage | agents | runs | resources | per agent | library CPU s | library peak RSS MiB | plain CPU s | plain peak RSS MiB | library / plain CPU |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(`| ${r.stage} | ${r.n} | ${r.runs} | ${r.libResources}${r.plainResources !== r.libResources ? ` (plain ${r.plainResources})` : ''} | ${fmt(r.libResources / r.n, 2)} `
      + `| ${fmt(r.lib.cpuS, 2)} | ${fmt(r.lib.rssMiB, 0)} | ${fmt(r.plain.cpuS, 2)} | ${fmt(r.plain.rssMiB, 0)} | ${fmt(r.lib.cpuS / r.plain.cpuS, 2)} |`);
  }
  lines.push('');
  lines.push('Medians; CPU is user + system of the whole synth process (Node start-up and module loading included).');
  lines.push('');

  const at = (stage: number, n: number) => rows.find((r) => r.stage === stage && r.n === n);
  const checks: string[] = [];
  const check = (label: string, ok: boolean | undefined, detail: string) => {
    checks.push(`- ${label}: ${ok === undefined ? 'NOT CHECKED' : ok ? 'met' : 'MISSED'} (${detail})`);
  };
  const s2k = at(2, 1000);
  const s4k = at(4, 1000);
  const s43k = at(4, 3000);
  check('stage 4 at 1000 agents within 2x stage 2\'s CPU', s2k && s4k ? s4k.lib.cpuS <= 2 * s2k.lib.cpuS : undefined,
    s2k && s4k ? `${fmt(s4k.lib.cpuS, 2)} s vs ${fmt(s2k.lib.cpuS, 2)} s: ${fmt(s4k.lib.cpuS / s2k.lib.cpuS, 2)}x` : 'needs stages 2 and 4 at 1000');
  check('stage 4 at 1000 agents within 400 MiB peak RSS', s4k ? s4k.lib.rssMiB <= 400 : undefined, s4k ? `${fmt(s4k.lib.rssMiB, 0)} MiB` : 'needs stage 4 at 1000');
  check('stage 4 at 1000 agents: at most 8 resources per agent', s4k ? s4k.libResources / 1000 <= 8 : undefined, s4k ? `${fmt(s4k.libResources / 1000, 2)}` : 'needs stage 4 at 1000');
  check('stage 4 at 3000 agents within 3.5x its time at 1000', s4k && s43k ? s43k.lib.cpuS <= 3.5 * s4k.lib.cpuS : undefined,
    s4k && s43k ? `${fmt(s43k.lib.cpuS, 2)} s vs ${fmt(s4k.lib.cpuS, 2)} s: ${fmt(s43k.lib.cpuS / s4k.lib.cpuS, 2)}x` : 'needs stage 4 at 1000 and 3000');
  for (const r of rows.filter((x) => x.libResources !== x.plainResources)) {
    checks.push(`- WARNING: stage ${r.stage} at ${r.n} agents: library ${r.libResources} resources, plain app ${r.plainResources}; not like for like`);
  }
  lines.push('Targets:', '', ...checks);

  const env = `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
  if (!args.includes('--no-revocation')) {
    process.stderr.write('revocation benchmark against moto ...\n');
    lines.push('', await revocationBench());
  }
  if (!args.includes('--no-tighten')) {
    process.stderr.write('tighten benchmark (one million CloudTrail records) ...\n');
    lines.push('', await tightenBench());
  }
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n\n${env}\n`);
  const outDir = path.join(ROOT, 'bench', 'out');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.md'), `# Synth benchmark\n\n${new Date().toISOString()}; ${env}\n\n${text}\n`);
  process.stdout.write(`Written to ${path.relative(ROOT, path.join(outDir, 'results.md'))}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});
