/**
 * `agent-iam tighten` on the example fleet (what `npm start` writes) and a month of its prod
 * agents' CloudTrail (test/support/fleet-trail.ts): used, unused, not recorded and denied grants per
 * agent, a gate on unused grants, and suggested grants that synthesize and keep the stage.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { App } from '../lib/private/cdk';
import { buildExampleApp, exampleAgents, exampleEnvironments, exampleStackProps } from '../bin/fleet';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { Grant } from '../lib/grant';
import { runCli } from '../bin/agent-iam';
import { BUCKET, ENV, MODEL, PIPELINE, QUEUE, TABLE, writeFleetTrail } from './support/fleet-trail';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-tighten-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY: false, env: {} });
  return { code, out, err };
}

const fleetOut = path.join(tmp, 'cdktf.out');
const app = new App({ outdir: fleetOut });
buildExampleApp(app);
app.synth();
const trail = path.join(tmp, 'trail');
writeFleetTrail(trail, new Date());

const ACCT = '111122223333';
const tableArn = `arn:aws:dynamodb:us-east-1:${ACCT}:table/${TABLE}`;
const queueArn = `arn:aws:sqs:us-east-1:${ACCT}:${QUEUE}`;
const modelArn = `arn:aws:bedrock:us-east-1::foundation-model/${MODEL}`;
const pipelineArn = `arn:aws:codepipeline:us-east-1:${ACCT}:${PIPELINE}`;

async function report(...extra: string[]): Promise<any> {
  const r = await run(['tighten', fleetOut, '--trail', trail, '--since', '30d', '--stack', ENV, '--format', 'json', ...extra]);
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

function agentOf(r: any, name: string): any {
  return r.agents.find((a: any) => a.stack === ENV && a.agent === name);
}

const entries = (list: any[]) => list.map((x) => `${x.action} ${x.resource}`).sort();

describe('agent-iam tighten on the example fleet', () => {
  let r: any;
  beforeAll(async () => { r = await report(); });

  test('calls are attributed to the agent whose role issued the session, with the people they acted for', () => {
    expect(r.agents.map((a: any) => a.agent).sort()).toEqual(['release', 'research', 'support-triage']);
    const triage = agentOf(r, 'support-triage');
    expect(triage.identity).toBe('role /agents/prod/agent-support-triage-prod');
    expect(triage.sourceIdentities).toEqual([
      { sourceIdentity: 'alice@example.com', calls: 4 }, { sourceIdentity: 'bob@example.com', calls: 3 }, { sourceIdentity: 'carol@example.com', calls: 1 },
    ]);
    expect(triage.sessions.started).toBe(2);
    expect(triage.sessions.callers).toEqual([{ caller: `arn:aws:iam::${ACCT}:role/agent-orchestrator-prod`, sessions: 2 }]);
    // The orchestrator's own calls and the admin's are not any agent's.
    expect(r.input.notAgents).toBe(3);
  });

  test('used grants carry call counts, last use and people; the data events the trail records count', () => {
    const triage = agentOf(r, 'support-triage');
    const getItem = triage.used.find((u: any) => u.action === 'dynamodb:GetItem' && u.resource === tableArn);
    expect(getItem.calls).toBe(4);
    expect(getItem.lastCall).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const queryOnIndex = triage.used.find((u: any) => u.action === 'dynamodb:Query' && u.resource === `${tableArn}/index/*`);
    expect(queryOnIndex.calls).toBe(1);
    expect(queryOnIndex.sourceIdentities).toEqual([{ sourceIdentity: 'bob@example.com', calls: 1 }]);
    const research = agentOf(r, 'research');
    // Converse needs bedrock:InvokeModel, ConverseStream bedrock:InvokeModelWithResponseStream.
    expect(research.used.find((u: any) => u.action === 'bedrock:InvokeModel')).toEqual(expect.objectContaining({ resource: modelArn, calls: 2 }));
    expect(research.used.find((u: any) => u.action === 'bedrock:InvokeModelWithResponseStream').calls).toBe(1);
    expect(research.used.find((u: any) => u.action === 's3:GetObject' && u.resource === `arn:aws:s3:::${BUCKET}/curated/*`).calls).toBe(1);
  });

  test('unused grants are the ones CloudTrail would have recorded; what it cannot see is listed apart with the reason', () => {
    const triage = agentOf(r, 'support-triage');
    expect(entries(triage.unused)).toEqual([
      `dynamodb:BatchGetItem ${tableArn}`, `dynamodb:BatchGetItem ${tableArn}/index/*`,
      `dynamodb:ConditionCheckItem ${tableArn}`, `dynamodb:ConditionCheckItem ${tableArn}/index/*`,
      `dynamodb:DescribeTable ${tableArn}`, `dynamodb:DescribeTable ${tableArn}/index/*`,
      `dynamodb:GetItem ${tableArn}/index/*`,
      `sqs:GetQueueAttributes ${queueArn}`, `sqs:GetQueueUrl ${queueArn}`,
    ]);
    // SendMessage is an SQS data event the trail does not select: never "unused", whatever the files say.
    expect(triage.unrecorded).toEqual([expect.objectContaining({ action: 'sqs:SendMessage', resource: queueArn, why: expect.stringContaining('AWS::SQS::Queue') })]);
    expect(triage.used.some((u: any) => u.action === 'sqs:SendMessage')).toBe(false);
    const research = agentOf(r, 'research');
    expect(research.unused).toEqual([]);
    // Listing under a prefix: the trail selects object prefixes, so whether a listing is recorded cannot be told.
    expect(research.unrecorded).toEqual([expect.objectContaining({ action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, why: expect.stringContaining('only under prefixes') })]);
    // The per-person grant (a policy variable in the ARN) is used by alice's read of her own folder.
    expect(research.used.find((u: any) => u.resource === `arn:aws:s3:::${BUCKET}/uploads/\${aws:PrincipalTag/on-behalf-of}/*`))
      .toEqual(expect.objectContaining({ action: 's3:GetObject', calls: 1, sourceIdentities: [{ sourceIdentity: 'alice@example.com', calls: 1 }] }));
    const release = agentOf(r, 'release');
    expect(entries(release.unused)).toEqual([`codepipeline:GetPipelineExecution ${pipelineArn}`, `codepipeline:ListPipelineExecutions ${pipelineArn}`]);
    expect(release.unused.every((u: any) => u.readOnly)).toBe(true);
  });

  test('denied calls are listed apart: not granted (a missing grant or an attack) or granted but denied', () => {
    const triage = agentOf(r, 'support-triage');
    expect(triage.denied).toEqual([expect.objectContaining({ action: 'dynamodb:Scan', resource: tableArn, granted: false, calls: 1, reason: 'no identity-based policy allows it' })]);
    const research = agentOf(r, 'research');
    const chain = research.denied.find((d: any) => d.action === 'sts:AssumeRole');
    expect(chain).toEqual(expect.objectContaining({ resource: `arn:aws:iam::${ACCT}:role/agents/prod/agent-release-prod`, granted: false }));
    const otherFolder = research.denied.find((d: any) => d.action === 's3:GetObject');
    expect(otherFolder).toEqual(expect.objectContaining({ granted: true, sourceIdentities: [{ sourceIdentity: 'alice@example.com', calls: 1 }] }));
    const release = agentOf(r, 'release');
    expect(release.denied).toEqual([expect.objectContaining({ action: 'codepipeline:StartPipelineExecution', resource: pipelineArn, granted: false })]);
    // The denied chaining attempt is also shown on the agent it targeted.
    expect(release.deniedAssumes).toEqual([expect.objectContaining({ caller: 'research (agent)', attempts: 1 })]);
    // Role chaining: the CI runtime's session (source identity ci:release-bot) assumed the release agent.
    expect(release.sessions.callers).toEqual([{ caller: `arn:aws:iam::${ACCT}:role/release-ci-runtime-prod`, sessions: 1 }]);
    expect(release.sourceIdentities).toEqual([{ sourceIdentity: 'ci:release-bot', calls: 3 }]);
  });

  test('calls that need no grant are shown outside the grants; records before the window and of other accounts are not counted', () => {
    const triage = agentOf(r, 'support-triage');
    expect(triage.outsideGrants).toEqual([expect.objectContaining({ action: 'sts:GetCallerIdentity', calls: 1 })]);
    expect(r.input.filesBeforeWindow).toBe(1);
    expect(r.input.otherAccount).toBe(1);
    expect(r.account).toBe(ACCT);
    expect(r.input.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/^1 record of account 444455556666, not 111122223333/) })]);
  });

  test('the Markdown report names, per agent, used, unused, not recorded and denied grants and the suggestion', async () => {
    const md = await run(['tighten', fleetOut, '--trail', trail, '--since', '30d', '--stack', ENV]);
    expect(md.code).toBe(0);
    expect(md.out).toContain('| prod | support-triage | 8 | 3 | 9 | 1 | 1 |');
    expect(md.out).toContain('### prod / research');
    expect(md.out).toMatch(/\| `dynamodb:Scan` \| `arn:aws:dynamodb:[^`]+` \| 1 \| [^|]+ \| \*\*no\*\* \|/);
    expect(md.out).toContain('Grant.allow({');
    expect(md.err).toMatch(/^agent-iam: warning: .*444455556666_CloudTrail_.*: 1 record of account 444455556666/m);
  });

  test('--max-unused gates CI: exit 1 over the threshold, 0 at or under it', async () => {
    const over = await run(['tighten', fleetOut, '--trail', trail, '--since', '30d', '--stack', ENV, '--max-unused', '10']);
    expect(over.code).toBe(1);
    expect(over.err).toContain('agent-iam: 11 unused grants, more than --max-unused 10');
    const at = await run(['tighten', fleetOut, '--trail', trail, '--since', '30d', '--stack', ENV, '--max-unused', '11', '--format', 'json']);
    expect(at.code).toBe(0);
  });

  test('bad usage is one line: an unknown stack, a missing trail folder, a bad window', async () => {
    const stack = await run(['tighten', fleetOut, '--trail', trail, '--stack', 'qa']);
    expect(stack).toEqual(expect.objectContaining({ code: 2, out: '' }));
    expect(stack.err).toBe(`agent-iam: --stack qa: not in ${fleetOut}; its stacks are dev, prod, staging\n`);
    const missing = await run(['tighten', fleetOut, '--trail', path.join(tmp, 'nope')]);
    expect(missing.err).toMatch(/^agent-iam: --trail .*nope: no such file or directory; give a folder of CloudTrail log files or s3:\/\/<bucket>\/<prefix>\n$/);
    const since = await run(['tighten', fleetOut, '--trail', trail, '--since', 'last week']);
    expect(since.code).toBe(2);
    expect(since.err).toContain('"last week" is not a window start; write a duration such as 30d');
    const account = await run(['tighten', fleetOut, '--trail', trail, '--account', '1234']);
    expect(account.err).toBe('agent-iam: --account "1234" is not an AWS account id; give 12 digits\n');
  });
});

describe('suggested grants', () => {
  let r: any;
  beforeAll(async () => { r = await report(); });

  /** Evaluates the suggested TypeScript with the real Grant class. */
  function evaluate(typescript: string): Grant[] {
    const js = ts.transpileModule(`const x = {\n${typescript}\n};\nreturn x.permissions;`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function('Grant', js)(Grant) as Grant[];
  }

  test('are never wider than the synthesized grants, keep what CloudTrail cannot see, and drop the unused', () => {
    const triage = agentOf(r, 'support-triage').suggestion;
    expect(triage.grants).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [tableArn] },
      { actions: ['dynamodb:Query'], resources: [`${tableArn}/index/*`] },
      { actions: ['sqs:SendMessage'], resources: [queueArn] },
    ]);
    expect(triage.contextKeys).toEqual(['aws:RequestedRegion']);
    const research = agentOf(r, 'research').suggestion;
    // The s3:prefix condition is the grant's own and stays; the context's region and endpoint do not.
    expect(research.grants).toContainEqual({
      actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${BUCKET}`],
      conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['curated', 'curated/*'] }],
    });
    expect(research.contextKeys).toEqual(['aws:RequestedRegion', 'aws:SourceVpce']);
  });

  test('keep what a session-policy template uses, since a template may only narrow the grants', async () => {
    // The fleet, with the release agent's template using all of its pipeline grant.
    const env = exampleEnvironments().find((e) => e.environment === ENV)!;
    const outdir = path.join(tmp, 'templated');
    const templated = new App({ outdir });
    new AgentIamStack(templated, ENV, {
      ...exampleStackProps(env),
      agents: exampleAgents(env).map((a) => (a.name === 'release' ? { ...a, sessionPolicies: [{ name: 'report-status', permissions: a.permissions! }] } : a)),
    });
    templated.synth();
    const t = await run(['tighten', outdir, '--trail', trail, '--since', '30d', '--format', 'json']);
    const release = agentOf(JSON.parse(t.out), 'release').suggestion;
    expect(release.grants).toEqual([{
      actions: ['codepipeline:GetPipelineExecution', 'codepipeline:GetPipelineState', 'codepipeline:ListPipelineExecutions'], resources: [pipelineArn],
    }]);
    expect(entries(release.keptForTemplates)).toEqual([`codepipeline:GetPipelineExecution ${pipelineArn}`, `codepipeline:ListPipelineExecutions ${pipelineArn}`]);
    expect(release.keptForTemplates[0].why).toContain('session-policy template report-status uses it');
    expect(release.typescript).toContain('// kept for session-policy templates: codepipeline:GetPipelineExecution (report-status)');
  });

  test('the TypeScript is Grant.allow lines that evaluate to the suggested grants', () => {
    for (const a of r.agents) {
      const grants = evaluate(a.suggestion.typescript);
      expect(grants.map((g) => g.statements[0])).toEqual(a.suggestion.grants);
    }
  });

  test('synthesize, and the environment keeps its stage (assess reads it back at stage 4)', async () => {
    const env = exampleEnvironments().find((e) => e.environment === ENV)!;
    const outdir = path.join(tmp, 'tightened');
    const tightened = new App({ outdir });
    new AgentIamStack(tightened, ENV, {
      ...exampleStackProps(env),
      agents: exampleAgents(env).map((a) => {
        const s = agentOf(r, a.name).suggestion;
        return { ...a, permissions: evaluate(s.typescript) };
      }),
    });
    tightened.synth();
    const assess = await run(['assess', outdir, '--format', 'json']);
    expect(assess.code).toBe(0);
    const stack = JSON.parse(assess.out).stacks[0];
    expect(stack.stageReached).toBe(4);
    expect(stack.agents.every((a: any) => a.stageReached === 4)).toBe(true);
    // And tighten on the tightened stack has nothing more to remove (what is still unused, if anything, a template needs).
    const again = JSON.parse((await run(['tighten', outdir, '--trail', trail, '--since', '30d', '--format', 'json'])).out);
    for (const a of again.agents) {
      expect(a.suggestion.removed).toEqual([]);
      expect(entries(a.unused)).toEqual(entries(a.suggestion.keptForTemplates));
    }
  });
});

