/**
 * Bad input to the agent-iam CLI: each case is one clear line on stderr (`agent-iam: ...`), exit
 * code 2, nothing on stdout, never a stack trace. Run in-process, and as a real child process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { runCli } from '../bin/agent-iam';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'adhoc');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-bad-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY: false, env: {} });
  return { code, out, err };
}

/** Asserts the one-line error contract and returns the message. */
function oneLineError(r: { code: number; out: string; err: string }): string {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^agent-iam: [^\n]+\n$/);
  expect(r.err).not.toMatch(/\n\s+at /);
  return r.err.slice('agent-iam: '.length, -1);
}

/** A `terraform show -json` plan of a Google Cloud configuration. */
const GOOGLE_PLAN = {
  format_version: '1.2',
  terraform_version: '1.9.8',
  planned_values: {
    root_module: {
      resources: [{
        address: 'google_service_account.bot', mode: 'managed', type: 'google_service_account', name: 'bot',
        provider_name: 'registry.terraform.io/hashicorp/google', schema_version: 0,
        values: { account_id: 'support-bot', display_name: 'Support bot' },
      }],
    },
  },
  resource_changes: [{
    address: 'google_service_account.bot', mode: 'managed', type: 'google_service_account', name: 'bot',
    provider_name: 'registry.terraform.io/hashicorp/google', change: { actions: ['create'], before: null, after: {}, after_unknown: {} },
  }],
};

test('a path that does not exist', async () => {
  const missing = path.join(tmp, 'nowhere', 'cdktf.out');
  expect(oneLineError(await run(['assess', missing]))).toBe(`${missing}: no such file or directory`);
  expect(oneLineError(await run(['graph', missing]))).toBe(`${missing}: no such file or directory`);
  expect(oneLineError(await run(['diff', path.join(FIXTURES, 'no-trail-role.tf.json'), missing]))).toBe(`${missing}: no such file or directory`);
});

test('a JSON file that is not Terraform', async () => {
  const file = write('package.json', { name: 'some-app', version: '1.0.0', dependencies: { express: '^4' } });
  expect(oneLineError(await run(['assess', file]))).toBe(`${file} is not Terraform JSON: unexpected top-level keys "name", "version", "dependencies"; expected a cdk.tf.json, a *.tf.json or the output of terraform show -json`);
  const array = write('list.json', [1, 2, 3]);
  expect(oneLineError(await run(['assess', array]))).toMatch(/ is not Terraform JSON: expected an object with "resource"/);
});

test('a file that is not JSON at all, or empty', async () => {
  const file = write('main.json', 'resource "aws_iam_role" "x" {\n  name = "x"\n}\n');
  expect(oneLineError(await run(['assess', file]))).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON \\(.+\\); expected a cdk\\.tf\\.json`));
  expect(oneLineError(await run(['assess', write('empty.tf.json', '')]))).toMatch(/empty\.tf\.json is empty; expected Terraform JSON/);
});

test('an empty cdktf.out', async () => {
  const empty = path.join(tmp, 'empty', 'cdktf.out');
  fs.mkdirSync(empty, { recursive: true });
  expect(oneLineError(await run(['assess', empty]))).toBe(`${empty} holds no Terraform: expected a cdktf.out folder with stacks/<name>/cdk.tf.json, .tf or .tf.json files, or a terraform show -json file`);
  const noStacks = path.join(tmp, 'no-stacks', 'cdktf.out');
  write(path.join('no-stacks', 'cdktf.out', 'manifest.json'), { version: '0.21.0', stacks: {} });
  expect(oneLineError(await run(['assess', noStacks]))).toBe(`${noStacks} holds no stacks (its manifest lists none); run cdktf synth (npm start) first`);
});

test('a plan from another provider', async () => {
  const file = write('google.plan.json', GOOGLE_PLAN);
  expect(oneLineError(await run(['assess', file]))).toBe(`${file} has no AWS resources (provider google); agent-iam reads AWS IAM configurations only`);
  const azure = write('azure.tf.json', { resource: { azurerm_user_assigned_identity: { bot: { name: 'bot', location: 'westeurope', resource_group_name: 'rg' } } } });
  expect(oneLineError(await run(['assess', azure]))).toBe(`${azure} has no AWS resources (provider azurerm); agent-iam reads AWS IAM configurations only`);
});

test('usage errors: unknown command, unknown option, bad format, bad stage, missing argument', async () => {
  expect(oneLineError(await run(['audit', 'x']))).toBe('unknown command \'audit\'');
  expect(oneLineError(await run(['assess', FIXTURES, '--colour']))).toBe('unknown option \'--colour\'');
  expect(oneLineError(await run(['assess', FIXTURES, '--format', 'xml']))).toBe('option \'-f, --format <format>\' argument \'xml\' is invalid. Allowed choices are text, markdown, json.');
  expect(oneLineError(await run(['assess', FIXTURES, '--min-stage', '9']))).toMatch(/^option '--min-stage <stage>' argument '9' is invalid\. expected one of 1, 2, 3/);
  expect(oneLineError(await run(['diff', FIXTURES]))).toBe('missing required argument \'head\'');
});

test('help and version exit 0', async () => {
  const help = await run(['--help']);
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/Usage: agent-iam \[options\] \[command\][\s\S]*assess[\s\S]*diff[\s\S]*graph/);
  const version = await run(['--version']);
  expect(version.code).toBe(0);
  expect(version.out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

describe('as a real child process', () => {
  const cli = (args: string[], env: Record<string, string> = {}) => spawnSync('npx', ['ts-node', '--transpile-only', 'bin/agent-iam.ts', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 60000,
  });

  test('bad input exits 2 with one line and no stack trace', () => {
    const missing = cli(['assess', path.join(tmp, 'does-not-exist')]);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`agent-iam: ${path.join(tmp, 'does-not-exist')}: no such file or directory\n`);
    const google = cli(['assess', write('google2.plan.json', GOOGLE_PLAN)]);
    expect(google.status).toBe(2);
    expect(google.stderr).toMatch(/^agent-iam: .*has no AWS resources \(provider google\)[^\n]*\n$/);
    expect(google.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test('verdicts: exit 0 when the stage is met, 1 when below it, quiet stderr in CI', () => {
    const ok = cli(['assess', path.join(FIXTURES, 'no-trail-role.tf.json'), '--min-stage', '1']);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('stack no-trail-role: stage 1 Ad hoc (required 1): ok');
    // No stage declared: Foundation is required unless --min-stage says otherwise.
    const below = cli(['assess', path.join(FIXTURES, 'no-trail-role.tf.json'), '--format', 'json']);
    expect(below.status).toBe(1);
    expect(below.stderr).toBe('');
    expect(JSON.parse(below.stdout).ok).toBe(false);
  });
});
