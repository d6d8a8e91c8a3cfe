/**
 * `agent-iam graph`: the Mermaid it prints is valid for Mermaid's own parser (mermaid.parse, run in
 * a jsdom window from the mermaid package's browser bundle), for the library's environments, for
 * configurations other teams wrote, and for labels full of characters Mermaid treats as syntax.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JSDOM } from 'jsdom';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { runCli } from '../bin/agent-iam';
import { mermaidText } from '../lib/graph';

const FIXTURES = path.join(__dirname, 'fixtures', 'adhoc');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Mermaid {
  initialize(config: object): void;
  parse(text: string): Promise<{ diagramType: string }>;
}

/** Mermaid's parser: the package's own browser bundle, run in a jsdom window. */
const mermaid: Mermaid = (() => {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { runScripts: 'dangerously', pretendToBeVisual: true });
  const script = dom.window.document.createElement('script');
  script.textContent = fs.readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');
  dom.window.document.body.appendChild(script);
  const m = (dom.window as any).mermaid as Mermaid;
  m.initialize({ startOnLoad: false });
  return m;
})();

/** The parser's verdict: the diagram type, or the first line of its error. */
async function parse(text: string): Promise<string> {
  try {
    return (await mermaid.parse(text)).diagramType;
  } catch (e) {
    return `error: ${String((e as Error).message).split('\n')[0]}`;
  }
}

async function graph(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['graph', ...args], { out: (t) => { out += t; }, err: (t) => { err += t; }, errIsTTY: false, env: {} });
  return { code, out, err };
}

const fleetOut = path.join(tmp, 'fleet');
const fleet = (() => {
  const app = new App({ outdir: fleetOut });
  const stacks = buildExampleApp(app);
  app.synth();
  return stacks;
})();

test('the parser rejects a broken diagram (so acceptance below means something)', async () => {
  expect(await parse('flowchart LR\n  a["unclosed label] --> b\n')).toMatch(/^error: /);
  expect(await parse('flowchart LR\n  subgraph s1["x"]\n  a --> b\n')).toMatch(/^error: /);
  // A raw quote inside a label breaks it; the escaped one does not.
  expect(await parse('flowchart LR\n  a["role "admin" (full)"] --> b\n')).toMatch(/^error: /);
  expect(await parse(`flowchart LR\n  a["${mermaidText('role "admin" (full)')}"] --> b\n`)).toBe('flowchart-v2');
  // A node id that is a keyword breaks it; generated ids never are.
  expect(await parse('flowchart LR\n  end --> b\n')).toMatch(/^error: /);
});

test('the example fleet is one valid flowchart, a subgraph per environment', async () => {
  const r = await graph(fleetOut);
  expect(r.code).toBe(0);
  expect(r.err).toBe('');
  expect(await parse(r.out)).toBe('flowchart-v2');
  expect(r.out.startsWith('flowchart LR\n')).toBe(true);
  expect((r.out.match(/^ {2}subgraph env\d+\[/gm) ?? []).length).toBe(fleet.length);
  expect(r.out).toContain('"dev: stage 2 Foundation, declares 2"');
  expect(r.out).toContain('"staging: stage 3 Enhanced, declares 3"');
  // Who may act as the agent, what it may do, what watches it.
  expect(r.out).toMatch(/-->\|"may assume, with source identity"\| e1_a\d+/);
  expect(r.out).toMatch(/-->\|"dynamodb: BatchGetItem, ConditionCheckItem, DescribeTable, GetItem, Query"\|/);
  expect(r.out).toMatch(/e2_d\d+\{\{"detection DET-3\.09"\}\}/);
  expect(r.out).toMatch(/ -\.->\|"watches"\| e2_a\d+/);
  // Policy variables are escaped, not interpreted.
  expect(r.out).toContain('uploads/#36;#123;aws:PrincipalTag/on-behalf-of#125;/*');
});

test('a stage-4 environment shows the revocation path', async () => {
  expect(fleet.map((s) => s.environment)).toContain('prod');
  const r = await graph(fleetOut, '--stack', 'prod');
  expect(r.code).toBe(0);
  expect(await parse(r.out)).toBe('flowchart-v2');
  expect(r.out).toContain('"credential broker"');
  expect(r.out).toMatch(/\[\["revoker<br\/>aws_lambda_function\.[^"]+"\]\]/);
  expect(r.out).toMatch(/ -->\|"triggers"\| e1_k\d+/);
  expect(r.out).toMatch(/e1_k\d+ -->\|"revokes sessions \(AWSRevokeOlderSessions\)"\| e1_a\d+/);
});

test.each(['support-bot-user.tf.json', 'admin-role.tf.json', 'no-trail-role.tf.json', 'shared-bot-role.tf.json', 'release-bot.plan.json'])(
  'the ad hoc configuration %s draws as valid Mermaid', async (name) => {
    const r = await graph(path.join(FIXTURES, name));
    expect(r.code).toBe(0);
    expect(await parse(r.out)).toBe('flowchart-v2');
  });

test('grants of an Allow * policy and an access-key user are drawn', async () => {
  const r = await graph(path.join(FIXTURES, 'support-bot-user.tf.json'));
  expect(r.out).toContain('"whoever holds an access key"');
  const node = /(e1_r\d+)\[\("every resource \(\*\)"\)\]/.exec(r.out);
  expect(node).not.toBeNull();
  expect(r.out).toMatch(new RegExp(`e1_a\\d+ -->\\|"every action \\(\\*\\)"\\| ${node![1]}\n`));
});

test('labels with quotes, brackets, pipes, HTML and policy variables stay labels', async () => {
  const nasty = 'bot "quoted" [x] {y} <b>html</b> a|b #hash ${aws:username} `tick` end';
  const tf = {
    resource: {
      aws_iam_role: {
        nasty: {
          name: 'nasty-bot',
          assume_role_policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:role/${nasty}` }, Action: 'sts:AssumeRole' }] }),
          tags: { 'agent:owner': nasty, 'agent:purpose': 'tests escaping' },
        },
      },
      aws_iam_role_policy: {
        nasty: {
          role: '${aws_iam_role.nasty.name}',
          policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket/${nasty}/*` }] }),
        },
      },
    },
  };
  const file = path.join(tmp, 'nasty.tf.json');
  fs.writeFileSync(file, JSON.stringify(tf));
  const r = await graph(file);
  expect(r.code).toBe(0);
  expect(await parse(r.out)).toBe('flowchart-v2');
  expect(r.out).not.toContain('"quoted"');
  expect(r.out).toContain('#quot;quoted#quot;');
});

test('--format markdown wraps the diagram in a mermaid block; json carries it as a string', async () => {
  const md = await graph(path.join(FIXTURES, 'no-trail-role.tf.json'), '--format', 'markdown');
  expect(md.out).toMatch(/^```mermaid\nflowchart LR\n[\s\S]*```\n$/);
  const json = await graph(path.join(FIXTURES, 'no-trail-role.tf.json'), '--format', 'json');
  expect(await parse(JSON.parse(json.out).mermaid)).toBe('flowchart-v2');
});

test('--stack with an unknown name is a one-line error', async () => {
  const r = await graph(fleetOut, '--stack', 'qa');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^agent-iam: no stack qa in .* \(stacks: dev, staging/);
  expect(r.err.trim().split('\n')).toHaveLength(1);
});

test('a fleet too large for Mermaid\'s 500-edge limit still parses: detections link to one node, the rest is counted', async () => {
  const role = (i: number) => ({
    name: `agent-a${i}-prod`, path: '/agents/prod/',
    assume_role_policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::111122223333:role/orchestrator-${i % 7}`] }, Action: 'sts:AssumeRole' }] }),
    tags: { 'agent:id': `a${i}`, 'agent:owner': 'team@example.com', 'agent:purpose': 'load test' },
  });
  const tf: any = { resource: { aws_iam_role: {}, aws_iam_role_policy: {}, aws_cloudwatch_event_rule: {} } };
  for (let i = 0; i < 400; i++) {
    tf.resource.aws_iam_role[`r${i}`] = role(i);
    tf.resource.aws_iam_role_policy[`p${i}`] = {
      role: `\${aws_iam_role.r${i}.id}`,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${i}/*` }] }),
    };
  }
  tf.resource.aws_cloudwatch_event_rule.denied = { name: 'denied', event_pattern: '{"detail":{"userIdentity":{"sessionContext":{"sessionIssuer":{"arn":[{"prefix":"arn:aws:iam::1:role/agents/prod/"}]}}}}}', tags: { 'agent-iam:detection': 'DET-3.01' } };
  const file = path.join(tmp, 'large.tf.json');
  fs.writeFileSync(file, JSON.stringify(tf));
  const r = await graph(file);
  expect(r.code).toBe(0);
  expect(await parse(r.out)).toBe('flowchart-v2');
  expect((r.out.match(/ (-->|-\.->)\|/g) ?? []).length).toBeLessThanOrEqual(500);
  expect(r.out).toContain('"every agent of large (400)"');
  expect(r.out).toMatch(/e1_d\d+\{\{"detection DET-3\.01"\}\}[\s\S]*e1_d\d+ -\.->\|"watches"\| e1_g\d+/);
  expect(r.out).toMatch(/"\d+ more agents not drawn \(Mermaid's edge limit\); narrow with --stack or --agent"/);
  // Narrowed to a few agents, every one is drawn with its own edges.
  const one = await graph(file, '--agent', 'a1', 'a2');
  expect(await parse(one.out)).toBe('flowchart-v2');
  expect(one.out).not.toContain('not drawn');
  expect((one.out.match(/\(\["agent a\d+<br\/>/g) ?? []).length).toBe(2);
  expect(one.out).toMatch(/ -\.->\|"watches"\| e1_a\d+/);
});
