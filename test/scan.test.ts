/**
 * checkov, a scanner our users run in their PR pipelines, on what we
 * synthesize: zero failed checks beyond the reasoned skip list, and a fixture
 * proving the scan really evaluates our plain-JSON policies.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { venvBin } from './support/engine';

const root = path.join(__dirname, '..');

function checkov(dir: string): { failed: string[]; passed: number } {
  const r = spawnSync(venvBin('checkov'), ['--config-file', path.join(root, '.checkov.yaml'), '-d', dir, '-o', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const parsed = JSON.parse(r.stdout);
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const failed = reports.flatMap((x: any) => (x.results?.failed_checks ?? []).map((c: any) => `${c.check_id} ${c.resource}`));
  const passed = reports.reduce((n: number, x: any) => n + (x.summary?.passed ?? 0), 0);
  return { failed, passed };
}

test('the scan reports a wildcard policy written the way ad hoc teams write it', () => {
  const { failed } = checkov(path.join(root, 'test', 'fixtures', 'overbroad'));
  // checkov names the resource "resource.<name>" for some terraform_json checks and "<type>.<name>" for others.
  const ids = failed.filter((f) => f.endsWith('.bot_admin')).map((f) => f.split(' ')[0]);
  expect(ids).toEqual(expect.arrayContaining(['CKV_AWS_62', 'CKV_AWS_63', 'CKV2_AWS_40']));
});

test('every synthesized example stack passes the scan with only the reasoned skips', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-scan-'));
  try {
    const app = new App({ outdir });
    buildExampleApp(app);
    app.synth();
    const { failed, passed } = checkov(outdir);
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThan(50);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test('each skip in .checkov.yaml carries a reason', () => {
  const lines = fs.readFileSync(path.join(root, '.checkov.yaml'), 'utf8').split('\n');
  const skips = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*-\s*CKV/.test(l));
  expect(skips.length).toBeGreaterThan(0);
  for (const [, i] of skips) expect(lines[i - 1]).toMatch(/^\s*#\s*\S.{20,}/);
});
