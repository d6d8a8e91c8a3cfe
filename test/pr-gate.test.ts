/**
 * The PR gate (scripts/pr-gate/review.js) judges a pull request with the base's CLI, never the
 * head's: a head that tampers with its own `agent-iam diff` to hide a widening is still reported
 * and fails; a base with no CLI (first adoption) or no synth output fails closed unless a
 * maintainer's label allows it.
 *
 * Checkouts are real copies of this repository's CLI sources (bin/, lib/, package.json,
 * tsconfig.json) in temp folders, sharing node_modules through a symlink; synth outputs come from
 * small AgentIamStacks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../lib/private/cdk';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';

const root = path.join(__dirname, '..');
const script = path.join(root, 'scripts', 'pr-gate', 'review.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gate = require(script) as {
  review(o: { trusted: string; base: string; head: string; cli?: string; allowFirstAdoption?: boolean; headSha?: string }): { pass: boolean; reasons: string[]; comment: string };
  trustedCli(trusted: string, explicit?: string): { file: string; version: string; origin: string } | undefined;
  MARKER: string;
  FIRST_ADOPTION_LABEL: string;
};

const ACCOUNT = '111122223333';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`;
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:replies`;
const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-dev`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-gate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Synthesizes a one-agent stack into tmp/<name>; returns the cdktf.out folder. */
function synth(name: string, permissions: Grant[]): string {
  const outdir = path.join(tmp, name);
  const app = new App({ outdir });
  new AgentIamStack(app, 'dev', {
    environment: 'dev',
    stage: MaturityStage.FOUNDATION,
    region: 'us-east-1',
    agents: [{
      name: 'triage',
      owner: 'support@example.com',
      purpose: 'Triages tickets',
      delegation: { awsPrincipals: [ORCHESTRATOR] },
      permissions,
    }],
  });
  app.synth();
  return outdir;
}

/** A checkout of this repository's CLI: the sources copied, node_modules shared. */
function checkout(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const entry of ['bin', 'lib', 'package.json', 'tsconfig.json']) {
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What an attacker's pull request puts in bin/cli/diff.ts: a diff that always reports no change and passes. */
const TAMPERED_DIFF = `import { Command } from 'commander';
export function registerDiff(program: Command, ctx: { io: { out(t: string): void }; exitCode: number }): void {
  program.command('diff').argument('<base>').argument('<head>')
    .option('-f, --format <format>', 'output format', 'text').option('--allow-widening', '', false)
    .action(() => { ctx.io.out('### agent-iam diff\\n\\nNo change to any agent identity.\\n'); ctx.exitCode = 0; });
}
`;

function runGate(args: string[]): { code: number; stdout: string; stderr: string; comment: string } {
  const out = path.join(tmp, `comment-${Math.random().toString(36).slice(2)}.md`);
  const r = spawnSync(process.execPath, [script, ...args, '--out', out], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, comment: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
}

const baseOut = synth('base.out', [Grant.readDynamoItems(TABLE)]);
const headOut = synth('head.out', [Grant.readDynamoItems(TABLE), Grant.sendToQueue(QUEUE)]);
const base = checkout('base');
const head = checkout('head');
fs.writeFileSync(path.join(head, 'bin', 'cli', 'diff.ts'), TAMPERED_DIFF);

describe('a head that tampers with its own diff', () => {
  test('the tampered CLI really hides the widening when the head runs it', () => {
    const r = spawnSync(process.execPath, [path.join(head, 'bin', 'agent-iam-launcher.js'), 'diff', baseOut, headOut, '--format', 'markdown'], { cwd: head, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No change to any agent identity.');
  });

  test('the gate still reports the widening and exits non-zero, because it runs the base\'s CLI', () => {
    const r = runGate(['--trusted', base, '--base', baseOut, '--head', headOut, '--head-sha', 'abcdef0123']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('fails: a change widens what an agent can do');
    expect(r.comment.startsWith(`${gate.MARKER}\n`)).toBe(true);
    expect(r.comment).toContain('the base checkout of cdktf-agent-iam');
    expect(r.comment).toContain('**widens** added action: `sqs:SendMessage`');
    expect(r.comment).not.toContain('No change to any agent identity.');
    expect(r.comment).toContain('agent-iam gate on abcdef0: fails');
  });

  test('pointed at the tampered checkout instead, the same gate would pass: what it trusts decides', () => {
    const r = runGate(['--trusted', head, '--base', baseOut, '--head', headOut]);
    expect(r.code).toBe(0);
    expect(r.comment).toContain('No change to any agent identity.');
  });
});

test('a change that does not widen passes, with the base CLI\'s assessment and diff in the comment', () => {
  const result = gate.review({ trusted: base, base: baseOut, head: baseOut });
  expect(result.reasons).toEqual([]);
  expect(result.pass).toBe(true);
  expect(result.comment).toContain('### agent-iam assess');
  expect(result.comment).toContain('No change to any agent identity.');
});

describe('first adoption: the base has no agent-iam CLI', () => {
  const bare = path.join(tmp, 'bare');
  beforeAll(() => {
    fs.mkdirSync(bare);
    fs.writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'some-app', version: '1.0.0' }));
  });

  test('fails closed and says that nothing trusted judged the pull request', () => {
    const r = runGate(['--trusted', bare, '--base', baseOut, '--head', headOut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('first adoption: the base has no agent-iam CLI');
    expect(r.comment).toContain('no trusted code judged this pull request');
    expect(r.comment).toContain(`adds the \`${gate.FIRST_ADOPTION_LABEL}\` label`);
    // The head's CLI (tampered or not) is never run in its place.
    expect(r.comment).not.toContain('### agent-iam diff');
  });

  test('passes when a maintainer\'s label allows it, and still says it was not judged', () => {
    const r = runGate(['--trusted', bare, '--base', baseOut, '--head', headOut, '--allow-first-adoption']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`passes without a trusted judgement (first adoption), allowed by the ${gate.FIRST_ADOPTION_LABEL} label`);
    expect(r.comment).toContain('no trusted code judged this pull request');
  });

  test('a checkout of this repository from before the CLI existed is first adoption too', () => {
    const old = path.join(tmp, 'old');
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'package.json'), JSON.stringify({ name: 'cdktf-agent-iam', version: '0.0.1' }));
    expect(gate.trustedCli(old)).toBeUndefined();
  });
});

test('a CLI pinned in the workflow (--cli) judges even when the base has none', () => {
  const bare = path.join(tmp, 'bare-pinned');
  fs.mkdirSync(bare);
  const r = runGate(['--trusted', bare, '--cli', path.join(base, 'bin', 'agent-iam-launcher.js'), '--base', baseOut, '--head', headOut]);
  expect(r.code).toBe(1);
  expect(r.comment).toContain('the pinned CLI');
  expect(r.comment).toContain('**widens** added action: `sqs:SendMessage`');
});

test('a project that depends on the library is judged by its installed CLI; a "bin" that leaves the package is not trusted', () => {
  const app = path.join(tmp, 'user-app');
  const pkg = path.join(app, 'node_modules', 'cdktf-agent-iam');
  fs.mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'user-app' }));
  fs.writeFileSync(path.join(pkg, 'bin', 'agent-iam-launcher.js'), '');
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdktf-agent-iam', version: '0.3.1', bin: { 'agent-iam': 'bin/agent-iam-launcher.js' } }));
  expect(gate.trustedCli(app)).toEqual({ file: path.join(pkg, 'bin', 'agent-iam-launcher.js'), version: '0.3.1', origin: "the base's cdktf-agent-iam dependency" });

  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdktf-agent-iam', bin: { 'agent-iam': '../../evil.js' } }));
  fs.writeFileSync(path.join(app, 'evil.js'), '');
  expect(gate.trustedCli(app)).toBeUndefined();
});

test('a project on the CDK Terrain flavour (scripts/cdktn/flavour.js) is judged by that flavour\'s installed CLI', () => {
  const flavour = JSON.parse(spawnSync(process.execPath, [path.join(root, 'scripts', 'cdktn', 'flavour.js'), path.join(root, 'package.json')], { encoding: 'utf8' }).stdout) as { name: string };
  expect(flavour.name).toBe('cdktf-agent-iam-cdktn');
  const app = path.join(tmp, 'terrain-app');
  const pkg = path.join(app, 'node_modules', flavour.name);
  fs.mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'terrain-app' }));
  fs.writeFileSync(path.join(pkg, 'bin', 'agent-iam-launcher.js'), '');
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: flavour.name, version: '0.3.1', bin: { 'agent-iam': 'bin/agent-iam-launcher.js' } }));
  expect(gate.trustedCli(app)).toEqual({ file: path.join(pkg, 'bin', 'agent-iam-launcher.js'), version: '0.3.1', origin: "the base's cdktf-agent-iam-cdktn dependency" });
  // Any other package name is not a judge, however it names its bin.
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdktf-agent-iam-fork', version: '0.3.1', bin: { 'agent-iam': 'bin/agent-iam-launcher.js' } }));
  expect(gate.trustedCli(app)).toBeUndefined();
});

test('a base that did not synthesize leaves no trusted baseline: fails closed unless the label allows it', () => {
  const missing = path.join(tmp, 'base-did-not-synth.out');
  const closed = runGate(['--trusted', base, '--base', missing, '--head', headOut]);
  expect(closed.code).toBe(1);
  expect(closed.stdout).toContain('fails: the base did not synthesize');
  expect(closed.comment).toContain('no trusted baseline');
});

test('a head that did not synthesize fails, whatever the labels', () => {
  const r = runGate(['--trusted', base, '--base', baseOut, '--head', path.join(tmp, 'nothing.out'), '--allow-first-adoption']);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('fails: the head did not synthesize');
});

test('bad usage is exit 2 with the usage line, and no comment', () => {
  const r = runGate(['--trusted', base, '--head', headOut]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--base is required');
  expect(r.comment).toBe('');
});
