/**
 * `npm run bench [-- <agents> ...]`: synthesizes Foundation fleets (bench/fleet-app.ts)
 * and a plain cdktf app declaring the same resources (bench/plain-app.ts), each
 * in its own child process, and prints wall time and peak RSS side by side.
 *
 * Wall time is measured here around the whole child (Node + ts-node start-up,
 * module loading, construction, synth and writing cdk.tf.json; start-up is the
 * same for both apps). Peak RSS is the child's own getrusage maxRSS, reported
 * by the child (bench/report.ts), so nothing needs installing.
 *
 * Then the revocation benchmark (bench/revocation.ts; --no-revocation skips it) and the tighten
 * benchmark (bench/tighten.ts: one million CloudTrail records; --no-tighten skips it).
 *
 * Target (at 1000 agents): library wall time <= 2x the plain app's, and
 * library peak RSS <= 300 MB. Misses are reported, the exit code stays 0.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { revocationBench } from './revocation';
import { tightenBench } from './tighten';
import * as path from 'path';
import { RESULT_MARKER } from './report';

const TARGET_N = 1000;
const MAX_TIME_RATIO = 2.0;
const MAX_RSS_MB = 300;
const DEFAULT_SIZES = [10, 100, 1000];

interface ChildResult {
  wallS: number;
  rssMb: number;
  constructMs: number;
  synthMs: number;
  resources: number;
}

interface Row {
  n: number;
  runs: number;
  lib: ChildResult;
  plain: ChildResult;
  libResources: number;
  plainResources: number;
}

const ROOT = path.resolve(__dirname, '..');

function runChild(app: 'fleet-app' | 'plain-app', n: number, outdir: string): ChildResult {
  fs.rmSync(outdir, { recursive: true, force: true });
  const args = ['-r', 'ts-node/register/transpile-only', path.join(__dirname, `${app}.ts`), String(n), outdir];
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (r.status !== 0 || !line) {
    throw new Error(`${app} ${n} failed (status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''}):\n${(r.stderr ?? '').slice(-4000)}`);
  }
  const m = JSON.parse(line.slice(RESULT_MARKER.length));
  return {
    wallS,
    rssMb: m.maxRssKb / 1024,
    constructMs: m.phasesMs.construct,
    synthMs: m.phasesMs.synth,
    resources: m.resources,
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function medianResult(rs: ChildResult[]): ChildResult {
  return {
    wallS: median(rs.map((r) => r.wallS)),
    rssMb: median(rs.map((r) => r.rssMb)),
    constructMs: median(rs.map((r) => r.constructMs)),
    synthMs: median(rs.map((r) => r.synthMs)),
    resources: rs[0].resources,
  };
}

/** Number of resources (and data sources) in a synthesized stack. */
function countResources(outdir: string): number {
  const file = path.join(outdir, 'stacks', 'bench', 'cdk.tf.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  let n = 0;
  for (const byName of Object.values<Record<string, unknown>>(doc.resource ?? {})) n += Object.keys(byName).length;
  return n;
}

function parseSizes(argv: string[]): number[] {
  const args = argv.filter((a) => a !== '--');
  if (args.length === 0) return DEFAULT_SIZES;
  const sizes = args.map(Number);
  const bad = args.filter((_, i) => !Number.isInteger(sizes[i]) || sizes[i] < 1);
  if (bad.length > 0) throw new Error(`agent counts must be positive integers; got ${bad.join(', ')}`);
  return sizes;
}

function fmt(x: number, digits: number): string {
  return x.toFixed(digits);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const skipRevocation = args.includes('--no-revocation');
  const skipTighten = args.includes('--no-tighten');
  const sizes = parseSizes(args.filter((a) => !a.startsWith('--')));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-bench-'));
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      const runs = n <= 100 ? 3 : 2;
      const lib: ChildResult[] = [];
      const plain: ChildResult[] = [];
      let libResources = 0;
      let plainResources = 0;
      for (let i = 0; i < runs; i++) {
        // Alternate the two apps so drift in machine load hits both alike.
        const libOut = path.join(tmp, `lib-${n}`);
        const plainOut = path.join(tmp, `plain-${n}`);
        lib.push(runChild('fleet-app', n, libOut));
        plain.push(runChild('plain-app', n, plainOut));
        if (i === 0) {
          libResources = countResources(libOut);
          plainResources = countResources(plainOut);
        }
        process.stderr.write(`  n=${n} run ${i + 1}/${runs}: library ${fmt(lib[i].wallS, 2)} s ${fmt(lib[i].rssMb, 0)} MB, plain ${fmt(plain[i].wallS, 2)} s ${fmt(plain[i].rssMb, 0)} MB\n`);
      }
      rows.push({ n, runs, lib: medianResult(lib), plain: medianResult(plain), libResources, plainResources });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const lines: string[] = [];
  lines.push('| agents | library wall s | library peak RSS MB | plain wall s | plain peak RSS MB | time ratio |');
  lines.push('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(`| ${r.n} | ${fmt(r.lib.wallS, 2)} | ${fmt(r.lib.rssMb, 0)} | ${fmt(r.plain.wallS, 2)} | ${fmt(r.plain.rssMb, 0)} | ${fmt(r.lib.wallS / r.plain.wallS, 2)} |`);
  }
  lines.push('');
  lines.push('In-process phases (median ms; wall time above also includes Node/ts-node start-up and module loading):');
  lines.push('');
  lines.push('| agents | runs | resources (library/plain) | library construct ms | library synth ms | plain construct ms | plain synth ms |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(`| ${r.n} | ${r.runs} | ${r.libResources}/${r.plainResources} | ${fmt(r.lib.constructMs, 0)} | ${fmt(r.lib.synthMs, 0)} | ${fmt(r.plain.constructMs, 0)} | ${fmt(r.plain.synthMs, 0)} |`);
  }
  lines.push('');

  const target = rows.find((r) => r.n === TARGET_N);
  let verdict: string;
  if (!target) {
    verdict = `Verdict: NOT CHECKED (the target applies at ${TARGET_N} agents, which was not run)`;
  } else {
    const ratio = target.lib.wallS / target.plain.wallS;
    const timeOk = ratio <= MAX_TIME_RATIO;
    const rssOk = target.lib.rssMb <= MAX_RSS_MB;
    verdict = `Verdict at ${TARGET_N} agents: ${timeOk && rssOk ? 'MET' : 'MISSED'}`
      + ` (time ratio ${fmt(ratio, 2)} ${timeOk ? '<=' : '>'} ${fmt(MAX_TIME_RATIO, 1)}: ${timeOk ? 'ok' : 'MISSED'};`
      + ` peak RSS ${fmt(target.lib.rssMb, 0)} MB ${rssOk ? '<=' : '>'} ${MAX_RSS_MB} MB: ${rssOk ? 'ok' : 'MISSED'})`;
  }
  for (const r of rows) {
    if (r.libResources !== r.plainResources) {
      verdict += `\nWARNING: at ${r.n} agents the library made ${r.libResources} resources and the plain app ${r.plainResources}; the comparison is not like for like`;
    }
  }
  lines.push(verdict);

  const env = `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${os.platform()} ${os.release()}`;
  if (!skipRevocation) {
    process.stderr.write('revocation benchmark against moto ...\n');
    lines.push('', await revocationBench());
  }
  if (!skipTighten) {
    process.stderr.write('tighten benchmark (one million CloudTrail records) ...\n');
    lines.push('', await tightenBench());
  }
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n\n${env}\n`);
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.md'), `# Synth benchmark\n\n${new Date().toISOString()}; ${env}\n\n${text}\n`);
  process.stdout.write(`Written to ${path.relative(ROOT, path.join(outDir, 'results.md'))}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});
