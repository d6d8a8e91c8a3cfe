/**
 * `agent-iam assess`: the library's own environments reach the stage they declare, read back from
 * their synthesized Terraform; configurations written by other teams (test/fixtures/adhoc) are
 * stage 1 with the controls that fail named.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { runCli } from '../bin/agent-iam';

const FIXTURES = path.join(__dirname, 'fixtures', 'adhoc');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-assess-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string | undefined> = {}, errIsTTY = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY, env });
  return { code, out, err };
}

async function assessJson(target: string, ...extra: string[]): Promise<{ code: number; report: any }> {
  const r = await run(['assess', target, '--format', 'json', ...extra]);
  expect(r.err).toBe('');
  return { code: r.code, report: JSON.parse(r.out) };
}

/** The example fleet (what `npm start` writes), synthesized into its own cdktf.out. */
const fleetOut = path.join(tmp, 'fleet');
const fleet = (() => {
  const app = new App({ outdir: fleetOut });
  const stacks = buildExampleApp(app);
  app.synth();
  return stacks;
})();

describe('the library\'s own environments', () => {
  test('every stack of the example fleet reaches the stage it declares (dev 2, staging 3, prod 4 once it exists)', async () => {
    const { code, report } = await assessJson(fleetOut);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    const byStack = (a: any[], b: any[]) => String(a[0]).localeCompare(String(b[0]));
    expect(report.stacks.map((s: any) => [s.stack, s.stageReached, s.declaredStage]).sort(byStack))
      .toEqual(fleet.map((s) => [s.environment, s.stage, s.stage]).sort(byStack));
    const byName = Object.fromEntries(report.stacks.map((s: any) => [s.stack, s]));
    expect(byName.dev.stageReached).toBe(2);
    expect(byName.staging.stageReached).toBe(3);
    if (byName.prod) expect(byName.prod.stageReached).toBe(4);
    for (const s of report.stacks) {
      expect(s.agents.map((a: any) => a.agent).sort()).toEqual(['release', 'research', 'support-triage']);
      expect(s.agents.every((a: any) => a.stageReached === s.stageReached && a.recognisedBy === 'agent:id tag')).toBe(true);
    }
  });

  test('the text report names each stack\'s stage and what stands between it and the next', async () => {
    const r = await run(['assess', fleetOut]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('stack dev: stage 2 Foundation (declares 2): ok');
    expect(r.out).toContain('stack staging: stage 3 Enhanced (declares 3): ok');
    expect(r.out).toContain('controls failing for stage 3 Enhanced');
    expect(r.out).toMatch(/AIAM-3\.07 Real-time detection: detection rules missing: DET-3\.01/);
    expect(r.out).toContain('result: every stack reaches its stage');
  });

  test('a stage-4 environment reaches stage 4 from its Terraform alone', async () => {
    const outdir = path.join(tmp, 'adaptive');
    // The constructs' own synth check is not under test here; the assessor reads the Terraform.
    const app = new App({ outdir, skipValidation: true });
    new AgentIamStack(app, 'prod', {
      environment: 'prod', stage: MaturityStage.ADAPTIVE, region: 'us-east-1',
      adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/incident-responder'] },
      agents: [{
        name: 'triage', owner: 'support@example.com', purpose: 'Triages tickets', expiresAt: '2030-01-01',
        delegation: { awsPrincipals: ['arn:aws:iam::111122223333:role/agent-orchestrator-prod'] },
        permissions: [Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/tickets')],
      }],
    });
    app.synth();
    const { code, report } = await assessJson(outdir);
    expect(code).toBe(0);
    expect(report.stacks[0]).toEqual(expect.objectContaining({ stack: 'prod', stageReached: 4, declaredStage: 4, ok: true, failures: [] }));
  });

  test('--min-stage above a stack\'s stage fails with exit 1 and lists what is missing', async () => {
    const { code, report } = await assessJson(fleetOut, '--min-stage', '3');
    expect(code).toBe(1);
    const dev = report.stacks.find((s: any) => s.stack === 'dev');
    expect(dev).toEqual(expect.objectContaining({ ok: false, requiredStage: 3, targetStage: 3 }));
    expect(dev.failures.map((f: any) => f.controlId)).toEqual(expect.arrayContaining(['AIAM-3.01', 'AIAM-3.02', 'AIAM-3.03', 'AIAM-3.07']));
    expect(report.stacks.find((s: any) => s.stack === 'staging').ok).toBe(true);
  });

  test('a stack that declares stage 3 but lost a detection rule is below its stage (exit 1)', async () => {
    const file = path.join(fleetOut, 'stacks', 'staging', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
    const rules = tf.resource.aws_cloudwatch_event_rule;
    delete rules[Object.keys(rules).find((k) => rules[k].tags?.['agent-iam:detection'] === 'DET-3.02')!];
    const edited = path.join(tmp, 'staging-without-det-302.tf.json');
    fs.writeFileSync(edited, JSON.stringify(tf));
    const { code, report } = await assessJson(edited);
    expect(code).toBe(1);
    expect(report.stacks[0]).toEqual(expect.objectContaining({ declaredStage: 3, stageReached: 2, ok: false }));
    expect(report.stacks[0].failures).toEqual([expect.objectContaining({ controlId: 'AIAM-3.07', message: 'detection rules missing: DET-3.02' })]);
    const text = await run(['assess', edited]);
    expect(text.out).toContain('stage 2 Foundation (declares 3): BELOW STAGE');
  });

  test('Markdown output is a PR comment: summary table and failures in collapsed details', async () => {
    const r = await run(['assess', fleetOut, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^### agent-iam assess\n\n\| Stack \| Stage reached \| Declared \| Agents \| Failing controls \| Result \|/);
    expect(r.out).toContain('| dev | 2 Foundation | 2 Foundation | 3 |');
    expect(r.out).toContain('<details><summary>staging: stage 3, 7 controls failing for stage 4</summary>');
    expect(r.out).toContain('| AIAM-4.01 Automated revocation of live sessions | (stack) | no revoker is deployed |');
  });
});

describe('configurations other teams wrote (stage 1, ad hoc)', () => {
  async function fixture(name: string): Promise<any> {
    const { code, report } = await assessJson(path.join(FIXTURES, name));
    expect(code).toBe(1); // no stage declared: Foundation is required
    expect((await assessJson(path.join(FIXTURES, name), '--min-stage', '1')).code).toBe(0);
    expect(report.stacks).toHaveLength(1);
    expect(report.stacks[0].stageReached).toBe(1);
    expect(report.stacks[0].targetStage).toBe(2);
    return report.stacks[0];
  }
  const ids = (s: any) => [...new Set(s.failures.map((f: any) => f.controlId))].sort();

  test('a bot run as an IAM user with an access key and Allow *', async () => {
    const s = await fixture('support-bot-user.tf.json');
    expect(s.agents).toEqual([expect.objectContaining({ agent: 'support-bot', identity: 'IAM user support-bot', recognisedBy: 'access key', stageReached: 1 })]);
    expect(ids(s)).toEqual(['AIAM-2.02', 'AIAM-2.03', 'AIAM-2.04', 'AIAM-2.06', 'AIAM-2.07', 'AIAM-2.08', 'AIAM-2.09', 'AIAM-2.10', 'AIAM-2.11']);
    expect(s.failures).toEqual(expect.arrayContaining([
      expect.objectContaining({ controlId: 'AIAM-2.02', message: 'IAM user aws_iam_user.support_bot exists; agents must use role sessions' }),
      expect.objectContaining({ controlId: 'AIAM-2.02', message: 'access key aws_iam_access_key.support_bot exists; long-lived keys are not allowed' }),
      expect.objectContaining({ controlId: 'AIAM-2.07', agent: 'support-bot', message: 'wildcard action "*" without an acknowledged reason' }),
      expect.objectContaining({ controlId: 'AIAM-2.04', agent: 'support-bot', message: expect.stringContaining('IAM user') }),
    ]));
  });

  test('an agent role with AdministratorAccess and 12-hour sessions, in an account with a hardened trail', async () => {
    const s = await fixture('admin-role.tf.json');
    expect(s.agents).toEqual([expect.objectContaining({ agent: 'TicketTriageAgent', recognisedBy: 'name or tags' })]);
    // The trail is read (multi-region, validated, hardened bucket): only the SIEM export is missing.
    expect(ids(s)).toEqual(['AIAM-2.03', 'AIAM-2.06', 'AIAM-2.07', 'AIAM-2.10', 'AIAM-2.11']);
    // A wildcard resource behind the wildcard action is reported under AIAM-2.11 as well.
    expect(s.failures).toContainEqual(expect.objectContaining({ controlId: 'AIAM-2.11', message: '"*" resource for "*" (every action of every service)' }));
    expect(s.failures).toContainEqual(expect.objectContaining({ controlId: 'AIAM-2.07', message: 'wildcard action "*" without an acknowledged reason' }));
    expect(s.informational).toEqual(expect.arrayContaining([
      { id: 'ADHOC-LONG-SESSION', agent: 'TicketTriageAgent', message: expect.stringContaining('43200 s') },
      { id: 'ADHOC-AWS-MANAGED-POLICY', agent: 'TicketTriageAgent', message: expect.stringContaining('AdministratorAccess') },
    ]));
  });

  test('a well-scoped agent role in an account with no trail fails only the audit controls', async () => {
    const s = await fixture('no-trail-role.tf.json');
    expect(s.agents).toEqual([expect.objectContaining({ agent: 'research-assistant', stageReached: 1 })]);
    expect(ids(s)).toEqual(['AIAM-2.08', 'AIAM-2.09', 'AIAM-2.10']);
    expect(s.failures.every((f: any) => f.agent === undefined)).toBe(true);
  });

  test('two bots sharing one role each fail one role per agent', async () => {
    const s = await fixture('shared-bot-role.tf.json');
    expect(s.agents.map((a: any) => a.agent).sort()).toEqual(['billing-bot', 'triage-bot']);
    expect(s.failures.filter((f: any) => f.controlId === 'AIAM-2.01').map((f: any) => f.agent).sort()).toEqual(['billing-bot', 'triage-bot']);
    expect(s.failures).toContainEqual(expect.objectContaining({ controlId: 'AIAM-2.11', message: '"*" resource for dynamodb:GetItem, which supports resource-level permissions' }));
    expect(s.informational).toContainEqual(expect.objectContaining({ id: 'ADHOC-SHARED-ROLE' }));
  });

  test('a terraform show -json plan with a module: the attachment is followed through the configuration\'s references', async () => {
    const s = await fixture('release-bot.plan.json');
    expect(s.format).toBe('plan');
    expect(s.agents).toEqual([expect.objectContaining({ agent: 'release-bot', address: 'module.release_bot.aws_iam_role.this' })]);
    // codepipeline:* comes from the customer policy whose ARN is unknown until apply.
    expect(s.failures).toContainEqual(expect.objectContaining({ controlId: 'AIAM-2.07', agent: 'release-bot', message: 'wildcard action "codepipeline:*" without an acknowledged reason' }));
    expect(ids(s)).toEqual(['AIAM-2.03', 'AIAM-2.06', 'AIAM-2.07', 'AIAM-2.08', 'AIAM-2.09', 'AIAM-2.10', 'AIAM-2.11']);
  });

  test('--min-stage 2 fails ad hoc configurations with exit 1; informational findings are labelled', async () => {
    const r = await run(['assess', path.join(FIXTURES, 'admin-role.tf.json'), '--min-stage', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('stack admin-role: stage 1 Ad hoc (required 2): BELOW STAGE');
    expect(r.out).toContain('  informational: an ad hoc pattern the control catalog does not name; it does not change the stage (2):\n'
      + '    ADHOC-LONG-SESSION [agent TicketTriageAgent]: max_session_duration is 43200 s (12.0 h)');
  });
});

describe('progress', () => {
  test('shown on a terminal, silent in CI and when stderr is not a terminal', async () => {
    const tty = await run(['assess', fleetOut], {}, true);
    expect(tty.code).toBe(0);
    expect(tty.err).toContain('\r\x1b[Kreading stack dev');
    expect(tty.err.endsWith('\r\x1b[K')).toBe(true); // the line is cleared at the end
    expect((await run(['assess', fleetOut], { CI: 'true' }, true)).err).toBe('');
    expect((await run(['assess', fleetOut], {}, false)).err).toBe('');
  });
});
