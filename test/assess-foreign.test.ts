/**
 * `agent-iam assess` and `diff` on Terraform other teams write (test/fixtures/foreign): HCL
 * folders and Terraform JSON, each fixture a pattern from public reports that used to pass.
 * Every case names the control it must fail, and a sibling that is written correctly passes it.
 */
import * as path from 'path';
import { runCli } from '../bin/agent-iam';
import { loadEnvironments } from '../bin/cli/input';
import { Progress } from '../bin/cli/context';
import { ADHOC, findingsFor, TerraformEnvironment } from '../lib/assess';
import { MaturityStage } from '../lib/maturity';
import { diffEnvironments } from '../lib/policy-diff';

const FOREIGN = path.join(__dirname, 'fixtures', 'foreign');
const quiet = new Progress({ out: () => undefined, err: () => undefined, errIsTTY: false, env: {} });

async function load(name: string): Promise<TerraformEnvironment> {
  const envs = await loadEnvironments(path.join(FOREIGN, name), quiet);
  expect(envs).toHaveLength(1);
  return envs[0];
}

/** Control ids an agent fails at Foundation, sorted and unique. */
function failedControls(env: TerraformEnvironment, agent: string): string[] {
  return [...new Set(findingsFor(env, MaturityStage.FOUNDATION).filter((f) => f.agent === agent).map((f) => f.controlId))].sort();
}

function messages(env: TerraformEnvironment, agent: string, control: string): string[] {
  return findingsFor(env, MaturityStage.FOUNDATION).filter((f) => f.agent === agent && f.controlId === control).map((f) => f.message);
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY: false, env: {} });
  return { code, out, err };
}

describe('NotAction and NotResource are judged for what they allow', () => {
  test('an Allow with NotAction on "*" (HCL, jsonencode) fails AIAM-2.07 and AIAM-2.11', async () => {
    const env = await load('not-action');
    expect(env.format).toBe('hcl');
    expect(env.agents.map((a) => a.facts.agent)).toEqual(['support-chatbot']);
    expect(failedControls(env, 'support-chatbot')).toEqual(expect.arrayContaining(['AIAM-2.07', 'AIAM-2.11']));
    expect(messages(env, 'support-chatbot', 'AIAM-2.07')).toEqual(['Allow with NotAction [iam:*, organizations:*, account:*] grants every other action of every service']);
    expect(messages(env, 'support-chatbot', 'AIAM-2.11')).toEqual(['"*" resource for every action except iam:*, organizations:*, account:*']);
    // Trust and source identity are right: only the grant fails.
    expect(failedControls(env, 'support-chatbot')).not.toContain('AIAM-2.05');
  });

  test('NotResource (JSON) fails AIAM-2.11, and NotAction on one bucket still fails AIAM-2.07', async () => {
    const env = await load('not-resource.tf.json');
    expect(messages(env, 'data-agent', 'AIAM-2.11')).toEqual(['Allow with NotResource [arn:aws:s3:::acme-finance/*] grants s3:GetObject on every other resource']);
    expect(messages(env, 'data-agent', 'AIAM-2.07')).toEqual(['Allow with NotAction [iam:*] grants every other action of every service']);
  });
});

describe('an OIDC trust pins the audience and an anchored subject (AIAM-2.04)', () => {
  test('GitHub Actions trusts without sub, or with repo:*, fail; the pinned one passes (HCL, aws_iam_policy_document)', async () => {
    const env = await load('github-oidc');
    expect(env.agents.map((a) => a.facts.agent).sort()).toEqual(['deploy-bot-any-repo', 'deploy-bot-no-sub', 'deploy-bot-pinned']);
    expect(messages(env, 'deploy-bot-no-sub', 'AIAM-2.04')).toEqual([
      expect.stringMatching(/has no subject condition, so every workload the identity provider serves may assume the agent/),
    ]);
    expect(messages(env, 'deploy-bot-any-repo', 'AIAM-2.04')).toEqual([
      expect.stringContaining('subject "repo:*" does not name the owner and repository'),
    ]);
    expect(failedControls(env, 'deploy-bot-pinned')).not.toContain('AIAM-2.04');
  });

  test('an org-wide subject and a missing audience fail; a pinned repository and environment pass (JSON)', async () => {
    const env = await load('github-oidc.tf.json');
    const wide = messages(env, 'release-bot-org-wide', 'AIAM-2.04');
    expect(wide).toEqual(expect.arrayContaining([
      expect.stringContaining('does not pin the audience'),
      expect.stringContaining('subject "repo:acme/*" does not name the owner and repository'),
    ]));
    expect(failedControls(env, 'release-bot-pinned')).not.toContain('AIAM-2.04');
  });
});

describe('ForAllValues on the single-valued sts:SourceIdentity does not require one (AIAM-2.05)', () => {
  test.each([
    ['source-identity-for-all-values', 'triage-agent', 'HCL, ForAllValues:StringLike'],
    ['source-identity-for-all-values.tf.json', 'summary-agent', 'JSON, ForAllValues:StringEquals'],
  ])('%s (%s): fails AIAM-2.05', async (fixture, agent) => {
    const env = await load(fixture);
    expect(messages(env, agent, 'AIAM-2.05')).toEqual([expect.stringContaining('assume without sts:SourceIdentity')]);
  });

  test('the same trust with StringLike passes AIAM-2.05', async () => {
    const env = await load('not-action');
    expect(messages(env, 'support-chatbot', 'AIAM-2.05')).toEqual([]);
  });
});

describe('a wildcard resource behind a wildcard action is reported under AIAM-2.11 as well', () => {
  test('"s3:*" on "*" (HCL policy document, attached managed policy)', async () => {
    const env = await load('wildcard-resource');
    expect(messages(env, 'reports-bot', 'AIAM-2.07')).toEqual(['wildcard action "s3:*" without an acknowledged reason']);
    expect(messages(env, 'reports-bot', 'AIAM-2.11')).toEqual([expect.stringMatching(/^"\*" resource for s3:\w+, which supports resource-level permissions$/)]);
  });

  test('"*" on "*" (JSON inline_policy block)', async () => {
    const env = await load('wildcard-resource.tf.json');
    expect(messages(env, 'admin-bot', 'AIAM-2.07')).toEqual(['wildcard action "*" without an acknowledged reason']);
    expect(messages(env, 'admin-bot', 'AIAM-2.11')).toEqual(['"*" resource for "*" (every action of every service)']);
  });
});

describe('plans with for_each instances and nested modules', () => {
  // terraform show -json of a real plan of test/fixtures/foreign/for-each-modules (Terraform 1.11, AWS provider 5.100).
  test('each instance\'s attachment resolves to the policy instance with the same key', async () => {
    const env = await load('for-each-modules.plan.json');
    const byAgent = Object.fromEntries(env.agents.map((a) => [a.facts.agent, a]));
    expect(Object.keys(byAgent).sort()).toEqual(['ops-bot', 'research-bot', 'ticket-bot']);
    expect(byAgent['ticket-bot'].policySources.map((p) => [p.name, p.address])).toEqual([['ticket-bot-grants', 'aws_iam_policy.agent["ticket-bot"]']]);
    expect(byAgent['ops-bot'].policySources.map((p) => [p.name, p.address])).toEqual([['ops-bot-grants', 'aws_iam_policy.agent["ops-bot"]']]);
    expect(failedControls(env, 'ticket-bot')).not.toContain('AIAM-2.07');
    expect(failedControls(env, 'ops-bot')).toEqual(expect.arrayContaining(['AIAM-2.07', 'AIAM-2.11']));
  });

  test('a policy two modules deep, attached through a module output, is read and judged', async () => {
    const env = await load('for-each-modules.plan.json');
    const research = env.agents.find((a) => a.facts.agent === 'research-bot')!;
    expect(research.address).toBe('module.research.aws_iam_role.this');
    expect(research.policySources.map((p) => [p.kind, p.address])).toEqual([['managed', 'module.research.module.grants.aws_iam_policy.this']]);
    expect(messages(research && env, 'research-bot', 'AIAM-2.07')).toEqual(['Allow with NotAction [iam:*] grants every other action of every service']);
  });

  test('the HCL of the same configuration says its instances are known only at plan', async () => {
    const env = await load('for-each-modules');
    expect(env.notes.filter((n) => n.id === ADHOC.unknownBeforePlan).map((n) => n.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^aws_iam_role\.agent has for_each: its instances are known only at plan/),
    ]));
  });
});

describe('HCL: what cannot be known before plan is said, not guessed', () => {
  test('a policy from a variable or a local, and a boundary from a variable, are reported as known only at plan', async () => {
    const env = await load('plan-time');
    const notes = env.notes.filter((n) => n.id === ADHOC.unknownBeforePlan).map((n) => n.message);
    expect(notes).toEqual(expect.arrayContaining([
      expect.stringMatching(/^permissions_boundary of aws_iam_role\.intake_bot hold `var\.boundary_arn`, known only at plan/),
      expect.stringMatching(/^policy of aws_iam_role_policy\.intake_bot is `jsonencode\(local\.policy\)`, known only at plan/),
      expect.stringMatching(/^policy \S+ holds `var\.bot_actions`, known only at plan/),
    ]));
  });

  test('HCL that does not parse is one line naming the file', async () => {
    const r = await run(['assess', path.join(FOREIGN, 'broken-hcl')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^agent-iam: \S*broken-hcl\/main\.tf is not valid HCL: .+\n$/);
  });
});

describe('diff reports widening the boundary or the source-identity pattern', () => {
  test('a widened boundary document (same ARN, HCL) is a widening change', async () => {
    const d = diffEnvironments([await load('diff/boundary-base')], [await load('diff/boundary-head')]);
    expect(d.widening).toBe(true);
    const changes = d.stacks[0].agents.find((a) => a.agent === 'ingest-bot')!.changes.filter((c) => c.category === 'boundary');
    expect(changes.every((c) => c.widening)).toBe(true);
    expect(changes.map((c) => c.subject)).toEqual(expect.arrayContaining([
      expect.stringContaining('now allows lambda:* on *'),
      expect.stringContaining('no longer has Deny iam:* on *'),
    ]));
  });

  test.each([
    ['diff/source-identity-base.tf.json', 'diff/source-identity-head.tf.json', 'JSON'],
    ['diff/boundary-base', 'diff/source-identity-hcl-head', 'HCL'],
  ])('"ingest-*" widened to "*" (%s -> %s, %s) is a widening source-identity change', async (base, head) => {
    const d = diffEnvironments([await load(base)], [await load(head)]);
    expect(d.widening).toBe(true);
    const si = d.stacks[0].agents[0].changes.filter((c) => c.category === 'source-identity');
    expect(si).toEqual([expect.objectContaining({ widening: true, subject: expect.stringContaining('sts:SourceIdentity pattern "*" admits more than "ingest-*"') })]);
  });

  test('the CLI exits 1 on the widened boundary and 0 when nothing changed', async () => {
    expect((await run(['diff', path.join(FOREIGN, 'diff/boundary-base'), path.join(FOREIGN, 'diff/boundary-head')])).code).toBe(1);
    expect((await run(['diff', path.join(FOREIGN, 'diff/boundary-base'), path.join(FOREIGN, 'diff/boundary-base')])).code).toBe(0);
  });
});

describe('a configuration that declares no stage must reach Foundation', () => {
  test('ad hoc exits non-zero by default, and 0 with --min-stage 1', async () => {
    const target = path.join(FOREIGN, 'not-action');
    const strict = await run(['assess', target, '--format', 'json']);
    expect(strict.code).toBe(1);
    const report = JSON.parse(strict.out);
    expect(report.stacks[0].declaredStage).toBeUndefined();
    expect(report.stacks[0]).toMatchObject({ requiredStage: 2, stageReached: 1, ok: false });
    const lenient = await run(['assess', target, '--format', 'json', '--min-stage', '1']);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.out).stacks[0]).toMatchObject({ requiredStage: 1, ok: true });
  });
});
