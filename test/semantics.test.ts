/**
 * Security proved with semantics: the synthesized policies of the example
 * fleet, evaluated by the IAM simulator (@cloud-copilot/iam-simulate).
 */
import { Testing, App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { agentPolicies, AgentPolicies, ACCOUNT, ORCHESTRATOR, resolveRefs } from './support/stacks';
import { decide } from './support/simulator';

const AGENTS = ['support-triage', 'research', 'release'];
let tf: any;
const agents: Record<string, AgentPolicies> = {};

beforeAll(() => {
  const [stack] = buildExampleApp(Testing.app() as App);
  tf = resolveRefs(JSON.parse(Testing.synth(stack, true)));
  for (const a of AGENTS) agents[a] = agentPolicies(tf, `agent-${a}-dev`);
});

/** Concrete requests each granted statement allows: one per action and resource, with context that meets its conditions. */
function grantedRequests(a: AgentPolicies): { action: string; resource: string; context: Record<string, string> }[] {
  const out: { action: string; resource: string; context: Record<string, string> }[] = [];
  for (const p of a.identityPolicies) {
    for (const s of p.policy.Statement) {
      const context: Record<string, string> = {};
      for (const keys of Object.values(s.Condition ?? {}) as Record<string, string[]>[]) {
        for (const [k, v] of Object.entries(keys)) context[k] = v[0].replace(/\*/g, 'sample');
      }
      for (const action of s.Action) {
        for (const r of s.Resource) out.push({ action, resource: r.replace(/\*/g, 'sample'), context });
      }
    }
  }
  return out;
}

const ask = (a: AgentPolicies, action: string, resource: string, context: Record<string, string> = {}) =>
  decide({ principal: a.roleArn, action, resource, context, identityPolicies: a.identityPolicies, boundary: a.boundary });

describe('each agent is allowed exactly its grants', () => {
  test.each(AGENTS)('%s is allowed every action it was granted, on every granted resource', async (name) => {
    const reqs = grantedRequests(agents[name]);
    expect(reqs.length).toBeGreaterThan(0);
    for (const r of reqs) {
      expect(`${r.action} ${r.resource} -> ${await ask(agents[name], r.action, r.resource, r.context)}`).toBe(`${r.action} ${r.resource} -> Allowed`);
    }
  });

  test.each(AGENTS)('%s is denied every grant of its neighbours', async (name) => {
    for (const other of AGENTS.filter((o) => o !== name)) {
      for (const r of grantedRequests(agents[other])) {
        const d = await ask(agents[name], r.action, r.resource, r.context);
        expect(`${name} ${r.action} ${r.resource} -> ${d}`).toBe(`${name} ${r.action} ${r.resource} -> ImplicitlyDenied`);
      }
    }
  });

  test('the support agent reads tickets but cannot write or scan them', async () => {
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-dev`;
    expect(await ask(agents['support-triage'], 'dynamodb:GetItem', table)).toBe('Allowed');
    expect(await ask(agents['support-triage'], 'dynamodb:PutItem', table)).toBe('ImplicitlyDenied');
    expect(await ask(agents['support-triage'], 'dynamodb:Scan', table)).toBe('ImplicitlyDenied');
    expect(await ask(agents['support-triage'], 'dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/billing-dev`)).toBe('ImplicitlyDenied');
  });

  test('the research agent reads its prefix only, and invokes its one model only', async () => {
    const bucket = `arn:aws:s3:::research-corpus-${ACCOUNT}-dev`;
    expect(await ask(agents.research, 's3:GetObject', `${bucket}/curated/paper.pdf`)).toBe('Allowed');
    expect(await ask(agents.research, 's3:GetObject', `${bucket}/raw/paper.pdf`)).toBe('ImplicitlyDenied');
    expect(await ask(agents.research, 's3:PutObject', `${bucket}/curated/paper.pdf`)).toBe('ImplicitlyDenied');
    expect(await ask(agents.research, 's3:ListBucket', bucket, { 's3:prefix': 'curated/2026' })).toBe('Allowed');
    expect(await ask(agents.research, 's3:ListBucket', bucket, { 's3:prefix': 'raw/' })).toBe('ImplicitlyDenied');
    expect(await ask(agents.research, 'bedrock:InvokeModel', 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('Allowed');
    expect(await ask(agents.research, 'bedrock:InvokeModel', 'arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0')).toBe('ImplicitlyDenied');
  });
});

describe('the permissions boundary caps an agent handed Allow *', () => {
  const allowAll = [{ name: 'abused', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
  const auditBucket = () => `arn:aws:s3:::${Object.values(tf.resource.aws_s3_bucket as Record<string, any>)[0].bucket_prefix}0123abcd`;
  const auditKey = () => {
    const boundary = agents.research.boundary;
    return boundary.Statement.find((s: any) => s.Sid === 'DenyAuditKeyUse').Resource[0];
  };
  const cases: [string, () => string][] = [
    ['iam:CreateRole', () => `arn:aws:iam::${ACCOUNT}:role/backdoor`],
    ['iam:PutRolePolicy', () => agents.research.roleArn],
    ['iam:AttachRolePolicy', () => agents.research.roleArn],
    ['iam:DeleteRolePermissionsBoundary', () => agents.research.roleArn],
    ['cloudtrail:StopLogging', () => `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`],
    ['cloudtrail:DeleteTrail', () => `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`],
    ['cloudtrail:PutEventSelectors', () => `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/agent-iam-dev`],
    ['s3:DeleteObject', () => `${auditBucket()}/AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/28/log.json.gz`],
    ['kms:ScheduleKeyDeletion', auditKey],
    ['sts:AssumeRole', () => `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`],
    ['organizations:LeaveOrganization', () => '*'],
  ];
  test.each(cases)('%s is explicitly denied', async (action, resource) => {
    const d = await decide({ principal: agents.research.roleArn, action, resource: resource(), identityPolicies: allowAll, boundary: agents.research.boundary });
    expect(d).toBe('ExplicitlyDenied');
  });

  test('every agent role carries the same boundary', () => {
    const boundaries = AGENTS.map((a) => JSON.stringify(agents[a].boundary));
    expect(agents.research.boundary).toBeDefined();
    expect(new Set(boundaries).size).toBe(1);
  });

  test('an agent may still assume another agent role of its environment', async () => {
    const d = await decide({ principal: agents.research.roleArn, action: 'sts:AssumeRole', resource: agents.release.roleArn, identityPolicies: allowAll, boundary: agents.research.boundary });
    expect(d).not.toBe('ExplicitlyDenied');
  });
});

describe('trust: who may act as an agent', () => {
  const allowAssume = [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: '*' }] } }];
  const assume = (agent: string, principal: string, context: Record<string, string> = {}, action = 'sts:AssumeRole') =>
    decide({ principal, action, resource: agents[agent].roleArn, identityPolicies: principal.startsWith('arn:') ? allowAssume : [], resourcePolicy: agents[agent].trust, context });

  test.each(AGENTS)('the declared orchestrator assumes %s with a source identity', async (agent) => {
    expect(await assume(agent, ORCHESTRATOR, { 'sts:SourceIdentity': 'alice@example.com' })).toBe('Allowed');
    expect(await assume(agent, ORCHESTRATOR, { 'sts:SourceIdentity': 'alice@example.com' }, 'sts:SetSourceIdentity')).toBe('Allowed');
  });

  test.each(AGENTS)('the declared orchestrator is denied %s without a source identity', async (agent) => {
    expect(await assume(agent, ORCHESTRATOR)).toBe('ImplicitlyDenied');
  });

  test.each(AGENTS)('any other principal is denied %s, source identity or not', async (agent) => {
    for (const stranger of [`arn:aws:iam::${ACCOUNT}:role/some-other-role`, 'arn:aws:iam::999988887777:role/agent-orchestrator-dev']) {
      expect(await assume(agent, stranger, { 'sts:SourceIdentity': 'alice@example.com' })).toBe('ImplicitlyDenied');
    }
  });

  test('the declared service (AgentCore) assumes the research agent from this account', async () => {
    const ctx = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': `arn:aws:bedrock-agentcore:us-east-1:${ACCOUNT}:runtime/research-abc` };
    expect(await assume('research', 'bedrock-agentcore.amazonaws.com', ctx)).toBe('Allowed');
  });

  test('the declared service is denied on behalf of another account (confused deputy)', async () => {
    const ctx = { 'aws:SourceAccount': '999988887777', 'aws:SourceArn': 'arn:aws:bedrock-agentcore:us-east-1:999988887777:runtime/x' };
    expect(await assume('research', 'bedrock-agentcore.amazonaws.com', ctx)).toBe('ImplicitlyDenied');
  });

  test('an undeclared service is denied', async () => {
    expect(await assume('research', 'lambda.amazonaws.com')).toBe('ImplicitlyDenied');
    expect(await assume('support-triage', 'bedrock-agentcore.amazonaws.com', { 'aws:SourceAccount': ACCOUNT })).toBe('ImplicitlyDenied');
  });

  // iam-simulate ignores IdP claim keys (token.actions.githubusercontent.com:sub/aud are missing from the
  // AWS reference data it validates context keys against), so the claim conditions are checked structurally
  // and the provider semantically.
  test('the release agent trusts its pipeline only with its repository and branch as sub and STS as aud', () => {
    const web = agents.release.trust.Statement.find((s: any) => s.Principal.Federated);
    expect(web.Action).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(web.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': ['sts.amazonaws.com'] },
      StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:example-org/release-bot:ref:refs/heads/main'] },
    });
  });

  test('a web identity from another OIDC provider is denied the release agent', async () => {
    const d = await decide({
      principal: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com`, action: 'sts:AssumeRoleWithWebIdentity',
      resource: agents.release.roleArn, resourcePolicy: agents.release.trust, context: {},
    });
    expect(d).toBe('ImplicitlyDenied');
  });
});
