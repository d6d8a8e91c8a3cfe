/**
 * `agent-iam diff`: pairs of real synth outputs (small AgentIamStacks synthesized into temp
 * folders) that differ by one change each; every change is reported, widening is flagged, and the
 * exit code is 1 on widening unless --allow-widening.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../lib/private/cdk';
import { AgentIamStack, AgentIamStackProps } from '../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { actionCovers } from '../lib/policy-diff';
import { runCli } from '../bin/agent-iam';

const ACCOUNT = '111122223333';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`;
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:replies`;
const BUCKET = `arn:aws:s3:::corpus-${ACCOUNT}`;
const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-dev`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-diff-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Synthesizes one stack with one agent into its own cdktf.out folder; returns the folder. */
function synth(agent: Partial<AgentIdentityProps>, stack: Partial<AgentIamStackProps> = {}): string {
  const outdir = path.join(tmp, `out-${++n}`);
  const app = new App({ outdir });
  new AgentIamStack(app, 'dev', {
    environment: 'dev',
    stage: MaturityStage.FOUNDATION,
    region: 'us-east-1',
    ...stack,
    agents: [{
      name: 'triage',
      owner: 'support@example.com',
      purpose: 'Triages tickets',
      delegation: { awsPrincipals: [ORCHESTRATOR] },
      permissions: [Grant.readDynamoItems(TABLE)],
      ...(stack.stage === MaturityStage.ENHANCED ? { expiresAt: '2030-01-01' } : {}),
      ...agent,
    } as AgentIdentityProps],
  });
  app.synth();
  return outdir;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY: false, env: {} });
  return { code, out, err };
}

async function diffJson(base: string, head: string): Promise<{ code: number; diff: any }> {
  const r = await run(['diff', base, head, '--format', 'json']);
  expect(r.err).toBe('');
  return { code: r.code, diff: JSON.parse(r.out) };
}

function agentChanges(diff: any, agent = 'triage'): any[] {
  return diff.stacks[0].agents.find((a: any) => a.agent === agent)?.changes ?? [];
}

const stage2 = synth({});
const withQueue = synth({ permissions: [Grant.readDynamoItems(TABLE), Grant.sendToQueue(QUEUE)] });

test('a grant added is listed per agent, flagged as widening, and fails the check', async () => {
  const { code, diff } = await diffJson(stage2, withQueue);
  expect(code).toBe(1);
  expect(diff.widening).toBe(true);
  const changes = agentChanges(diff);
  expect(changes).toEqual(expect.arrayContaining([
    { category: 'action', change: 'added', subject: 'sqs:SendMessage', widening: true },
    { category: 'resource', change: 'added', subject: QUEUE, widening: true },
  ]));
  expect(changes.filter((c: any) => c.change === 'removed')).toEqual([]);
});

test('--allow-widening accepts a widening change with exit 0, and the text still marks it', async () => {
  const r = await run(['diff', stage2, withQueue, '--allow-widening']);
  expect(r.code).toBe(0);
  expect(r.out).toContain('+ added action: sqs:SendMessage  [WIDENS]');
  expect(r.out).toMatch(/result: \d+ changes, \d+ widening\n$/);
});

test('a grant removed is listed and does not widen (exit 0)', async () => {
  const { code, diff } = await diffJson(withQueue, stage2);
  expect(code).toBe(0);
  expect(diff.widening).toBe(false);
  const changes = agentChanges(diff);
  expect(changes).toEqual(expect.arrayContaining([
    { category: 'action', change: 'removed', subject: 'sqs:SendMessage', widening: false },
    { category: 'resource', change: 'removed', subject: QUEUE, widening: false },
  ]));
  expect(changes.every((c: any) => !c.widening)).toBe(true);
});

test('identical synth outputs have no changes and exit 0', async () => {
  const r = await run(['diff', stage2, synth({})]);
  expect(r.code).toBe(0);
  expect(r.out).toContain('result: no changes');
});

test('a dropped source-identity requirement is reported as widening', async () => {
  const oidc = (sendsSourceIdentity: boolean) => synth({
    delegation: {
      awsPrincipals: [ORCHESTRATOR],
      oidc: [{
        providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
        subjects: ['repo:example/bot:ref:refs/heads/main'], audiences: ['sts.amazonaws.com'], sendsSourceIdentity,
      }],
    },
  });
  const { code, diff } = await diffJson(oidc(true), oidc(false));
  expect(code).toBe(1);
  const dropped = agentChanges(diff).filter((c: any) => c.category === 'source-identity');
  expect(dropped).toEqual([{
    category: 'source-identity', change: 'removed', widening: true,
    subject: `Federated arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com may assume the agent without sts:SourceIdentity`,
  }]);
  // The orchestrator's statement still requires it: nothing reported for it.
  expect(agentChanges(diff).some((c: any) => c.subject.includes(ORCHESTRATOR))).toBe(false);
});

test('a new trust principal widens; a removed one does not', async () => {
  const other = `arn:aws:iam::${ACCOUNT}:role/research-runtime-dev`;
  const two = synth({ delegation: { awsPrincipals: [ORCHESTRATOR, other] } });
  const added = await diffJson(stage2, two);
  expect(added.code).toBe(1);
  expect(agentChanges(added.diff)).toContainEqual({ category: 'trust', change: 'added', subject: `principal AWS ${other} may assume the agent`, widening: true });
  const removed = await diffJson(two, stage2);
  expect(removed.code).toBe(0);
  expect(agentChanges(removed.diff)).toContainEqual({ category: 'trust', change: 'removed', subject: `principal AWS ${other}`, widening: false });
});

test('a wildcard that covers an existing action widens; narrowing it back does not', async () => {
  const exact = synth({ permissions: [Grant.allow({ actions: ['s3:GetObject'], resources: [`${BUCKET}/docs/*`] })] });
  const wild = synth({ permissions: [Grant.allow({ actions: ['s3:Get*'], resources: [`${BUCKET}/docs/*`] })] });
  const widened = await diffJson(exact, wild);
  expect(widened.code).toBe(1);
  expect(agentChanges(widened.diff)).toContainEqual({ category: 'action', change: 'added', subject: 's3:Get*', widening: true });
  const narrowed = await diffJson(wild, exact);
  expect(narrowed.code).toBe(0);
  expect(agentChanges(narrowed.diff)).toContainEqual({ category: 'action', change: 'added', subject: 's3:GetObject', widening: false });
  expect(actionCovers('s3:Get*', 's3:GetObject')).toBe(true);
  expect(actionCovers('s3:GetObject', 's3:Get*')).toBe(false);
  expect(actionCovers('s3:*', 's3:Get*')).toBe(true);
});

test('a longer session widens', async () => {
  const { code, diff } = await diffJson(stage2, synth({ maxSessionDuration: 7200 }));
  expect(code).toBe(1);
  expect(agentChanges(diff)).toContainEqual({ category: 'session', change: 'changed', subject: 'max_session_duration 3600 s -> 7200 s', widening: true });
});

describe('stage 3 environments', () => {
  const plain = synth({}, { stage: MaturityStage.ENHANCED });
  const plainFile = path.join(plain, 'stacks', 'dev', 'cdk.tf.json');

  /** The stage-3 output with a change made to its Terraform JSON, written beside it. */
  function edited(name: string, edit: (tf: any) => void): string {
    const tf = JSON.parse(fs.readFileSync(plainFile, 'utf8'));
    edit(tf);
    const file = path.join(tmp, `${name}.tf.json`);
    fs.writeFileSync(file, JSON.stringify(tf));
    return file;
  }

  test('a detection removed is reported for the environment and widens', async () => {
    const withoutTamperRule = edited('no-det-305', (tf) => {
      const rules = tf.resource.aws_cloudwatch_event_rule;
      const key = Object.keys(rules).find((k) => rules[k].tags?.['agent-iam:detection'] === 'DET-3.05')!;
      delete rules[key];
      const targets = tf.resource.aws_cloudwatch_event_target;
      for (const t of Object.keys(targets)) if (targets[t].rule.includes(key)) delete targets[t];
    });
    const { code, diff } = await diffJson(plainFile, withoutTamperRule);
    expect(code).toBe(1);
    expect(diff.stacks[0].changes).toEqual([{ category: 'detection', change: 'removed', subject: 'detection DET-3.05 (agent-iam-dev-det-3.05)', widening: true }]);
    expect(diff.stacks[0].agents.every((a: any) => a.status === 'unchanged')).toBe(true);
    // The reverse only adds a detection.
    const back = await diffJson(withoutTamperRule, plainFile);
    expect(back.code).toBe(0);
    expect(back.diff.stacks[0].changes).toEqual([{ category: 'detection', change: 'added', subject: 'detection DET-3.05 (agent-iam-dev-det-3.05)', widening: false }]);
  });

  test('a detection disabled widens', async () => {
    const disabled = edited('det-301-disabled', (tf) => {
      const rules = tf.resource.aws_cloudwatch_event_rule;
      rules[Object.keys(rules).find((k) => rules[k].tags?.['agent-iam:detection'] === 'DET-3.01')!].state = 'DISABLED';
    });
    const { code, diff } = await diffJson(plainFile, disabled);
    expect(code).toBe(1);
    expect(diff.stacks[0].changes).toEqual([{ category: 'detection', change: 'changed', subject: 'detection DET-3.01 disabled', widening: true }]);
  });

  test('a detection target removed (delivery to the SIEM) is reported and widens', async () => {
    const noSiem = edited('no-siem-target', (tf) => {
      const targets = tf.resource.aws_cloudwatch_event_target;
      delete targets[Object.keys(targets).find((k) => targets[k].target_id === 'siem' && targets[k].rule.includes('det-302'))!];
    });
    const { code, diff } = await diffJson(plainFile, noSiem);
    expect(code).toBe(1);
    expect(diff.stacks[0].changes).toEqual([expect.objectContaining({ category: 'detection', change: 'removed', widening: true, subject: expect.stringMatching(/^DET-3\.02 no longer delivers to siem/) })]);
  });

  test('the token-age policy and per-agent detections removed are reported per agent', async () => {
    const { code, diff } = await diffJson(plain, stage2);
    expect(code).toBe(1);
    const changes = agentChanges(diff);
    expect(changes).toContainEqual({ category: 'token-age', change: 'removed', subject: 'token-age policy (sessions older than the TTL are no longer denied)', widening: true });
    expect(changes).toContainEqual(expect.objectContaining({ category: 'detection', change: 'removed', subject: expect.stringMatching(/^detection DET-3\.09 \(triage\)/), widening: true }));
    expect(changes).toContainEqual(expect.objectContaining({ category: 'deny', change: 'removed', widening: true, subject: expect.stringContaining('DenyAfterExpiry') }));
  });
});

describe('stage 4 environments', () => {
  test('revocation wiring removed (a detection no longer reaching the revoker) widens', async () => {
    const outdir = path.join(tmp, 'adaptive');
    // The stage check of the constructs is not what this test is about; the Terraform is.
    const app = new App({ outdir, skipValidation: true });
    new AgentIamStack(app, 'prod', {
      environment: 'prod', stage: MaturityStage.ADAPTIVE, region: 'us-east-1',
      adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/incident-responder'] },
      agents: [{ name: 'triage', owner: 'support@example.com', purpose: 'Triages tickets', expiresAt: '2030-01-01', delegation: { awsPrincipals: [ORCHESTRATOR] }, permissions: [Grant.readDynamoItems(TABLE)] }],
    });
    app.synth();
    const file = path.join(outdir, 'stacks', 'prod', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
    const targets = tf.resource.aws_cloudwatch_event_target;
    const victim = Object.keys(targets).find((k) => targets[k].target_id === 'revoker' && targets[k].rule.includes('det-302'))!;
    expect(victim).toBeDefined();
    delete targets[victim];
    const edited = path.join(tmp, 'no-revoker-target.tf.json');
    fs.writeFileSync(edited, JSON.stringify(tf));
    const { code, diff } = await diffJson(file, edited);
    expect(code).toBe(1);
    expect(diff.stacks[0].changes).toEqual([expect.objectContaining({ category: 'revocation', change: 'removed', widening: true, subject: expect.stringMatching(/^DET-3\.02 no longer delivers to revoker/) })]);
  });
});

test('Markdown output fits a PR comment: a summary, widening marked, long lists collapsed', async () => {
  const many = synth({ permissions: [
    Grant.readDynamoItems(TABLE), Grant.sendToQueue(QUEUE), Grant.readS3Prefix(BUCKET, 'docs'),
    Grant.allow({ actions: ['codepipeline:GetPipelineState'], resources: [`arn:aws:codepipeline:us-east-1:${ACCOUNT}:app`] }),
  ] });
  const r = await run(['diff', stage2, many, '--format', 'markdown']);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^### agent-iam diff\n\n\*\*\d+ of \d+ changes widen what agents can do\.\*\*/);
  expect(r.out).toContain('<details><summary>agent triage (changed): ');
  expect(r.out).toContain('- **widens** added action: `sqs:SendMessage`');
  expect(r.out).toContain('</details>');
  // Widening changes come first in a collapsed list.
  const items = r.out.split('\n').filter((l) => l.startsWith('- '));
  const firstPlain = items.findIndex((l) => !l.startsWith('- **widens**'));
  expect(items.slice(firstPlain).some((l) => l.startsWith('- **widens**'))).toBe(false);
});
