/**
 * The PR workflow we hand users (examples/github-actions/) passes zizmor, a GitHub Actions security
 * linter, and keeps the trust split it promises: the pull request's code runs only in a job with a
 * read-only token, the judge is the base's, and the job that can write runs no repository code.
 * The workflow this replaced stays as a fixture, proving the scan is live.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AWS_PROVIDER_PACKAGE, awsProviderPackageJson } from '../constructs/aws';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { venvBin } from './support/engine';

const BINDINGS_TARGET = AWS_PROVIDER_PACKAGE === '@cdktf/provider-aws' ? '6.25.0' : '6.66.0';

const root = path.join(__dirname, '..');
const examples = path.join(root, 'examples', 'github-actions');
const workflowFile = path.join(examples, 'agent-iam-pr.yml');
const oldWorkflow = path.join(root, 'test', 'fixtures', 'workflows', 'head-judges-itself.yml');

interface Finding { ident: string; locations: { symbolic: { key: { Local?: { given_path: string } } } }[] }

/** zizmor's findings (offline: no GitHub API) on the given files, at a persona. */
function zizmor(files: string[], persona = 'regular'): Finding[] {
  const r = spawnSync(venvBin('zizmor'), ['--offline', '--persona', persona, '--format', 'json', ...files], { encoding: 'utf8' });
  // Exit codes: 0 clean, 10-14 findings by highest severity; anything else is a zizmor error.
  if (r.status !== 0 && !(r.status! >= 10 && r.status! <= 14)) throw new Error(`zizmor failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Finding[];
}

/** A workflow file as data (PyYAML from the engine venv reads it). */
function readWorkflow(file: string): any {
  const json = execFileSync(venvBin('python'), ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  return JSON.parse(json);
}

const workflowFiles = fs.readdirSync(examples).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(examples, f));
const wf = readWorkflow(workflowFile);
const jobs: Record<string, any> = wf.jobs;
const steps = Object.entries(jobs).flatMap(([job, j]) => (j.steps as any[]).map((s) => ({ job, ...s })));

describe('zizmor', () => {
  test('reports nothing on the example workflows, at the default persona and the pedantic one', () => {
    expect(workflowFiles).toContain(workflowFile);
    expect(zizmor(workflowFiles).map((f) => f.ident)).toEqual([]);
    expect(zizmor(workflowFiles, 'pedantic').map((f) => f.ident)).toEqual([]);
  });

  test('reports the findings of the workflow that let the head judge itself (the scan is live)', () => {
    const found = new Set(zizmor([oldWorkflow]).map((f) => f.ident));
    expect([...found]).toEqual(expect.arrayContaining(['unpinned-uses', 'artipacked', 'template-injection']));
  });
});

describe('the workflow', () => {
  test('pins every action to a full commit SHA with its release in a comment', () => {
    const text = fs.readFileSync(workflowFile, 'utf8');
    const uses = text.split('\n').filter((l) => /^\s*(-\s*)?uses:/.test(l));
    expect(uses.length).toBeGreaterThanOrEqual(8);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('grants nothing workflow-wide; only the comment job may write, and only to pull requests', () => {
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(jobs)) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, v]) => v === 'write').map(([k]) => k);
      if (name === 'comment') expect(writes).toEqual(['pull-requests']);
      else if (name === 'plan') expect(writes).toEqual(['id-token']);
      else expect(writes).toEqual([]);
    }
  });

  test('the comment job runs no repository code: no checkout, no run step, only pinned actions', () => {
    for (const s of jobs.comment.steps) {
      expect(s.run).toBeUndefined();
      expect(s.uses).not.toMatch(/^actions\/checkout@/);
      expect(s.uses).toMatch(/^(actions\/download-artifact|actions\/github-script)@/);
    }
    // It posts the artifact the review job uploaded, found by id: an artifact of the same name
    // uploaded by the pull request's own code cannot take its place.
    const download = jobs.comment.steps.find((s: any) => s.uses.startsWith('actions/download-artifact@'));
    expect(download.with['artifact-ids']).toBe('${{ needs.review.outputs.comment-artifact }}');
  });

  test('the review job checks out only the base, and judges with the base\'s gate script', () => {
    const checkouts = jobs.review.steps.filter((s: any) => String(s.uses).startsWith('actions/checkout@'));
    expect(checkouts.map((s: any) => s.with.ref)).toEqual(['${{ github.event.pull_request.base.sha }}']);
    const judge = jobs.review.steps.find((s: any) => s.id === 'gate');
    expect(judge['working-directory']).toBe(checkouts[0].with.path);
    expect(judge.run).toContain('node scripts/pr-gate/review.js --trusted .');
    expect(jobs.head.permissions).toEqual({ contents: 'read' });
  });

  test('checkouts persist no credentials, Node is 22 or 24, and no run script expands ${{ }}', () => {
    for (const s of steps.filter((x) => String(x.uses).startsWith('actions/checkout@'))) expect(s.with['persist-credentials']).toBe(false);
    for (const s of steps.filter((x) => String(x.uses).startsWith('actions/setup-node@'))) expect([22, 24]).toContain(s.with['node-version']);
    for (const s of steps.filter((x) => x.run)) expect(s.run).not.toContain('${{');
  });

  test('the head\'s stacks are initialised and validated with the provider version the bindings target', () => {
    const validate = jobs.head.steps.find((s: any) => /validate/.test(s.name ?? ''));
    expect(validate.run).toMatch(/terraform -chdir="\$stack" init -backend=false/);
    expect(validate.run).toMatch(/terraform -chdir="\$stack" validate/);
    // The AWS provider each flavour's bindings were generated from (CDK Terrain's are newer).
    expect(awsProviderPackageJson().cdktf?.provider?.version).toBe(BINDINGS_TARGET);
  });

  test('the optional plan assumes the plan role with GitHub OIDC in its own environment, off by default', () => {
    expect(jobs.plan.if).toContain("vars.AGENT_IAM_PLAN_ROLE_ARN != ''");
    expect(jobs.plan.environment).toBe('agent-iam-plan');
    const assume = jobs.plan.steps.find((s: any) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
    expect(assume.with['role-to-assume']).toBe('${{ vars.AGENT_IAM_PLAN_ROLE_ARN }}');
    expect(assume.with['aws-access-key-id']).toBeUndefined();
  });
});

describe('the plan job refuses configurations that could reach past AWS with the plan role', () => {
  const guardStep = jobs.plan.steps.find((s: any) => /^Refuse/.test(s.name ?? ''));
  const program = /jq -e '([\s\S]*?)' "\$tf"/.exec(guardStep.run)![1];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-plan-guard-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const app = new App({ outdir: tmp });
  buildExampleApp(app);
  app.synth();
  const stacks = fs.readdirSync(path.join(tmp, 'stacks'));
  const prod = JSON.parse(fs.readFileSync(path.join(tmp, 'stacks', 'prod', 'cdk.tf.json'), 'utf8'));

  function accepted(config: unknown): boolean {
    const file = path.join(tmp, `guard-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    return spawnSync('jq', ['-e', program, file], { encoding: 'utf8' }).status === 0;
  }
  const edited = (edit: (c: any) => void): unknown => { const c = structuredClone(prod); edit(c); return c; };

  test('every example stack is accepted, also with the S3 backend', () => {
    expect(accepted(edited((c) => { c.terraform.backend = { s3: { bucket: 'acme-tf-state', key: 'cdktf-agent-iam/prod/terraform.tfstate', use_lockfile: true, encrypt: true } }; }))).toBe(true);
    expect(stacks.length).toBeGreaterThanOrEqual(3);
    for (const s of stacks) expect(accepted(JSON.parse(fs.readFileSync(path.join(tmp, 'stacks', s, 'cdk.tf.json'), 'utf8')))).toBe(true);
  });

  test.each([
    ['an external data source (runs a program)', (c: any) => { c.data.external = { x: { program: ['sh'] } }; }],
    ['a provider from another namespace', (c: any) => { c.terraform.required_providers.aws.source = 'evil/aws'; }],
    ['a second provider', (c: any) => { c.terraform.required_providers.http = { source: 'hashicorp/http' }; }],
    ['AWS endpoints pointed elsewhere', (c: any) => { c.provider.aws[0].endpoints = [{ sts: 'https://example.invalid' }]; }],
    ['a module', (c: any) => { c.module = { m: { source: 'git::https://example.invalid/m' } }; }],
    ['remote state of another configuration', (c: any) => { c.data.terraform_remote_state = { s: { backend: 's3' } }; }],
    ['a backend that is not S3 or local', (c: any) => { c.terraform.backend = { http: { address: 'https://example.invalid/state' } }; }],
    ['an S3 backend pointed elsewhere', (c: any) => { c.terraform.backend = { s3: { bucket: 'b', key: 'k', endpoints: { s3: 'https://example.invalid' } } }; }],
  ])('refused: %s', (_what, edit) => {
    expect(accepted(edited(edit))).toBe(false);
  });
});

describe('the review job\'s gate step, on a base that has no gate yet (first adoption of the gate itself)', () => {
  const gateStep = jobs.review.steps.find((s: any) => s.id === 'gate');

  /** Runs the step's script as GitHub does (bash -eo pipefail) in a checkout with no scripts/pr-gate. */
  function runStep(labelled: boolean): { status: number | null; outputs: string; comment: string; summary: string } {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-gate-step-'));
    try {
      const checkout = path.join(temp, 'base');
      fs.mkdirSync(checkout);
      const env = { ...process.env, RUNNER_TEMP: temp, GITHUB_OUTPUT: path.join(temp, 'output'), GITHUB_STEP_SUMMARY: path.join(temp, 'summary'), HEAD_SHA: 'abcdef0', FIRST_ADOPTION_ALLOWED: String(labelled) };
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', gateStep.run], { cwd: checkout, env, encoding: 'utf8' });
      const read = (f: string) => (fs.existsSync(path.join(temp, f)) ? fs.readFileSync(path.join(temp, f), 'utf8') : '');
      return { status: r.status, outputs: read('output'), comment: read('comment.md'), summary: read('summary') };
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  test('fails closed (verdict 1) and the comment says nothing trusted judged the pull request', () => {
    const r = runStep(false);
    expect(r.status).toBe(0);
    expect(r.outputs).toBe('verdict=1\n');
    expect(r.comment.startsWith('<!-- agent-iam-review -->\n')).toBe(true);
    expect(r.comment).toContain('no trusted code judged this pull request');
    expect(r.comment).toContain('adds the `agent-iam:first-adoption` label');
    expect(r.summary).toBe(r.comment);
  });

  test('passes (verdict 0) when a maintainer put the first-adoption label on the pull request', () => {
    const r = runStep(true);
    expect(r.outputs).toBe('verdict=0\n');
    expect(r.comment).toContain('A maintainer allowed it with the `agent-iam:first-adoption` label');
  });

  test('the label is read from the event\'s labels, not from anything the head wrote', () => {
    expect(gateStep.env.FIRST_ADOPTION_ALLOWED).toBe("${{ contains(github.event.pull_request.labels.*.name, 'agent-iam:first-adoption') }}");
  });
});

describe('the comment job\'s script', () => {
  const script: string = jobs.comment.steps.find((s: any) => String(s.uses).startsWith('actions/github-script@')).with.script;
  const MARKER = '<!-- agent-iam-review -->';
  // actions/github-script runs the script as the body of an async function of (require, github, context, ...).
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;

  async function post(body: string, existing: { id: number; user: { type: string }; body: string }[], headJob = 'success'): Promise<[string, any][]> {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-comment-'));
    const saved = { COMMENT_FILE: process.env.COMMENT_FILE, HEAD_JOB: process.env.HEAD_JOB };
    const calls: [string, any][] = [];
    try {
      fs.writeFileSync(path.join(temp, 'comment.md'), body);
      process.env.COMMENT_FILE = path.join(temp, 'comment.md');
      process.env.HEAD_JOB = headJob;
      const github = {
        paginate: async () => existing,
        rest: { issues: {
          listComments: () => undefined,
          updateComment: async (a: unknown) => { calls.push(['update', a]); },
          createComment: async (a: unknown) => { calls.push(['create', a]); },
        } },
      };
      const context = { repo: { owner: 'acme', repo: 'agents' }, payload: { pull_request: { number: 7 } }, serverUrl: 'https://github.com', runId: 42 };
      await new AsyncFunction('require', 'github', 'context', script)(require, github, context);
      return calls;
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  test('creates the comment once, then updates the bot\'s own comment in place', async () => {
    const body = `${MARKER}\n### agent-iam diff\n`;
    expect(await post(body, [])).toEqual([['create', { owner: 'acme', repo: 'agents', issue_number: 7, body }]]);
    const existing = [
      { id: 1, user: { type: 'User' }, body: `${MARKER}\nsomeone quoting the marker` },
      { id: 2, user: { type: 'Bot' }, body: `${MARKER}\nthe previous review` },
    ];
    expect(await post(body, existing)).toEqual([['update', { owner: 'acme', repo: 'agents', comment_id: 2, body }]]);
  });

  test('refuses an artifact that is not an agent-iam comment', async () => {
    await expect(post('all clear, merge away\n', [])).rejects.toThrow('not an agent-iam comment');
  });

  test('says when the head job failed, and truncates what GitHub would refuse', async () => {
    const [[, failed]] = await post(`${MARKER}\nreport\n`, [], 'failure');
    expect(failed.body).toContain('The head job (synthesis, terraform init and validate) ended: failure.');
    const [[, long]] = await post(`${MARKER}\n${'x'.repeat(70000)}`, []);
    expect(long.body.length).toBeLessThan(65536);
    expect(long.body).toContain('_Truncated: the full report is in the [review job\'s summary](https://github.com/acme/agents/actions/runs/42)._');
  });
});

describe('the head job\'s validate step', () => {
  const validate = jobs.head.steps.find((s: any) => /validate/.test(s.name ?? ''));

  /** Runs the step with a stand-in terraform that records its calls; returns them and the exit status. */
  function runValidate(edit?: (stack: string, config: any) => void): { status: number | null; calls: string[]; stderr: string } {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-validate-step-'));
    try {
      const app = new App({ outdir: path.join(temp, 'head.out') });
      buildExampleApp(app);
      app.synth();
      if (edit) {
        for (const stack of fs.readdirSync(path.join(temp, 'head.out', 'stacks'))) {
          const file = path.join(temp, 'head.out', 'stacks', stack, 'cdk.tf.json');
          const config = JSON.parse(fs.readFileSync(file, 'utf8'));
          edit(stack, config);
          fs.writeFileSync(file, JSON.stringify(config));
        }
      }
      const bin = path.join(temp, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'terraform'), `#!/bin/sh\necho "$*" >> "${path.join(temp, 'calls')}"\n`, { mode: 0o755 });
      const env = { ...process.env, RUNNER_TEMP: temp, PATH: `${bin}:${process.env.PATH}` };
      const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', validate.run], { cwd: root, env, encoding: 'utf8' });
      const calls = fs.existsSync(path.join(temp, 'calls')) ? fs.readFileSync(path.join(temp, 'calls'), 'utf8').trim().split('\n') : [];
      return { status: r.status, calls: calls.map((c) => c.replace(temp, '$RUNNER_TEMP')), stderr: r.stderr.replace(temp, '$RUNNER_TEMP') };
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  test('initialises (without a backend) and validates every synthesized stack', () => {
    const r = runValidate();
    expect(r.status).toBe(0);
    for (const stack of ['dev', 'prod', 'staging']) {
      expect(r.calls).toContain(`-chdir=$RUNNER_TEMP/head.out/stacks/${stack}/ init -backend=false -input=false -no-color`);
      expect(r.calls).toContain(`-chdir=$RUNNER_TEMP/head.out/stacks/${stack}/ validate -no-color`);
    }
  });

  test('a stack pinning another AWS provider than the bindings target fails before any init', () => {
    const r = runValidate((stack, c) => { if (stack === 'dev') c.terraform.required_providers.aws.version = '5.100.0'; });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`stacks/dev/ pins hashicorp/aws 5.100.0; the provider bindings target ${BINDINGS_TARGET}`);
    expect(r.calls).toEqual([]);
  });
});
