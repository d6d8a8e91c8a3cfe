/**
 * The stack composes; it is not called back. An agent's policy layout, registry entry, data-event
 * selectors and detection facts are derived at synth from the agents found in the tree, so grants
 * added after construction (`addGrant`) and agents created anywhere under the stack are laid out,
 * bounded, audited and registered like the others.
 */
import { Construct } from 'constructs';
import { Testing } from '../lib/private/cdk';
import { AgentIdentity } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { ACCOUNT, agentPolicies, agentProps, errorOf, newStack, resolveRefs, synthJson } from './support/stacks';
import { decide } from './support/simulator';

const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`;
const BUCKET = 'arn:aws:s3:::kb-bucket';

describe('agent.addGrant after construction', () => {
  test('a grant added after construction is allowed by the role and its boundary, and its neighbour is not', async () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps({ permissions: [Grant.readDynamoItems(TABLE)] }));
    agent.addGrant(Grant.readS3Prefix(BUCKET, 'articles/'));
    const resolved = resolveRefs(synthJson(stack));
    const a = agentPolicies(resolved, 'agent-triage-dev');
    const ask = (action: string, resource: string) => decide({
      principal: a.roleArn, action, resource, identityPolicies: a.identityPolicies, boundary: a.boundary,
    });
    expect(await ask('s3:GetObject', `${BUCKET}/articles/faq.md`)).toBe('Allowed');
    expect(await ask('s3:GetObject', `${BUCKET}/payroll/salaries.csv`)).not.toBe('Allowed');
    // The grant given at construction still holds.
    expect(await ask('dynamodb:GetItem', TABLE)).toBe('Allowed');
    expect(agent.permissions).toHaveLength(2);
  });

  test('the added grant gets CloudTrail data events like a declared one', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps({ permissions: [] }));
    agent.addGrant(Grant.readS3Prefix(BUCKET, 'articles/'));
    const trail = Object.values(synthJson(stack).resource.aws_cloudtrail)[0] as any;
    const s3 = trail.advanced_event_selector.find((s: any) => s.name.startsWith('S3'));
    expect(s3.field_selector).toContainEqual({ field: 'resources.ARN', starts_with: [`${BUCKET}/articles/`] });
  });

  test('grants added one by one are packed together: more than fit inline go to managed policies', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps({ permissions: [] }));
    for (let i = 0; i < 150; i++) agent.addGrant(Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/table-with-a-long-name-${i}`));
    expect(agent.policyCount).toBeGreaterThan(1);
    const out = synthJson(stack);
    const managed = Object.values(out.resource.aws_iam_policy).filter((p: any) => p.name.startsWith('agent-triage-dev-grants-'));
    expect(managed.length + 1).toBe(agent.policyCount);
  });

  test('a bad grant added after construction is a synth error naming the agent and the field', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    agent.addGrant(Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:123:table/x'));
    const message = errorOf(() => Testing.synth(stack, true));
    expect(message).toMatch(/agent "triage": permissions\[\d\]/);
  });

  test('adding a grant after synth laid out the policies is refused with the reason', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    Testing.synth(stack, true);
    expect(errorOf(() => agent.addGrant(Grant.readS3Prefix(BUCKET, 'late/'))))
      .toBe('agent "triage": addGrant after synth: the grants were already laid out into policies; add grants before `cdktf synth`');
  });
});

describe('agents found in the tree', () => {
  test('an agent created under a user construct at depth is registered, watched and bounded at stage 3', () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED });
    const team = new Construct(new Construct(stack, 'platform'), 'support');
    const agent = new AgentIdentity(team, 'triage', agentProps({ expiresAt: '2027-06-30', permissions: [Grant.readS3Prefix(BUCKET, 'articles/')] }));
    expect(stack.agents).toEqual([agent]);
    const out = synthJson(stack);
    const params = Object.values(out.resource.aws_ssm_parameter).map((p: any) => p.name);
    expect(params).toContain('/agent-iam/dev/agents/triage');
    const entry = JSON.parse((Object.values(out.resource.aws_ssm_parameter).find((p: any) => p.name === '/agent-iam/dev/agents/triage') as any).value);
    expect(entry).toMatchObject({ id: 'triage', environment: 'dev', stage: MaturityStage.ENHANCED });
    expect(entry.tokenAgePolicyArn).toMatch(/^\$\{aws_iam_policy\..+\.arn\}$/);
    expect(out.output.agent_registry.value).toHaveProperty('triage');
    expect(out.output.agent_role_arns.value).toHaveProperty('triage');
    // The token-age policy of its TTL is attached; the boundary names the agent's service.
    const attachments = Object.values(out.resource.aws_iam_role_policy_attachment) as any[];
    expect(attachments.some((x) => /token_age/.test(x.policy_arn) || /token-age/.test(x.policy_arn))).toBe(true);
    const boundary = (Object.values(out.resource.aws_iam_policy).find((p: any) => p.name === 'agent-boundary-dev') as any).policy;
    expect(boundary).toContain('s3:');
  });

  test('the identity does not reach the stack through a context callback', () => {
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const source = fs.readFileSync(path.join(__dirname, '..', 'constructs', 'agent-identity.ts'), 'utf8');
    expect(source).not.toMatch(/registerAgent|ctx\.tokenAgePolicyArn|Symbol\.for|findContext/);
    expect(fs.existsSync(path.join(__dirname, '..', 'constructs', 'agent-iam-context.ts'))).toBe(false);
  });
});

describe('agents and grants that arrive too late or in the wrong place (attacks that once worked)', () => {
  const { Aspects, TerraformStack, App } = require('../lib/private/cdk');
  const { AwsProvider, IamRole } = require('../constructs/aws');

  test('an agent created by a user Aspect during synth is an error naming it, and its own problems are reported too', () => {
    const stack = newStack();
    const team = new Construct(stack, 'team');
    let made = false;
    Aspects.of(team).add({ visit: () => {
      if (made) return;
      made = true;
      new AgentIdentity(team, 'late', agentProps({ name: 'late', permissions: [Grant.allow({ actions: ['s3:GetObjekt'], resources: [`${BUCKET}/x/*`] })] }));
    } });
    const message = errorOf(() => Testing.synth(stack, true));
    expect(message).toContain('agent "late": was created after stack "dev" wired its agents at synth (inside an Aspect, or after a first synth of this stack)');
    expect(message).toMatch(/agent "late": permissions\[0\]\.actions: action "s3:GetObjekt" does not exist/);
  });

  test('an agent added after a first synth of a stage-3 stack is a collected error, not a stack trace, and is not half-wired', () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED });
    stack.addAgent(agentProps({ expiresAt: '2027-06-30' }));
    Testing.synth(stack, true);
    stack.addAgent(agentProps({ name: 'second', expiresAt: '2027-06-30', context: { allowedRegions: ['eu-west-1'] } }));
    const message = errorOf(() => Testing.synth(stack, true));
    expect(message).toContain('agent "second": was created after stack "dev" wired its agents at synth');
    expect(message).not.toMatch(/added after the detection rules were made/);
    expect(errorOf(() => Testing.synth(stack, true))).toContain('agent "second": was created after');
  });

  test('an agent under a plain TerraformStack nested in an AgentIamStack is refused by that stack\'s synth', () => {
    const stack = newStack();
    const nested = new TerraformStack(stack, 'team');
    new AwsProvider(nested, 'aws', { region: 'us-east-1' });
    new AgentIdentity(nested, 'triage', agentProps());
    expect(stack.agents).toEqual([]);
    expect(errorOf(() => Testing.synth(nested, true))).toContain('agent "triage": scope: is inside stack "team", a plain TerraformStack nested in an AgentIamStack');
  });

  test('addGrant with something that is not a Grant (JavaScript, Python) is a synth error naming the agent', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    agent.addGrant(undefined as any);
    expect(errorOf(() => Testing.synth(stack, true))).toContain('agent "triage": addGrant(0): undefined is not a Grant; pass one made by Grant.allow(...)');
  });

  test('a failed validation does not hand its document to a later synth: an override made after it is written', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    agent.role.addOverride('permissions_boundary', null);
    expect(errorOf(() => Testing.synth(stack, true))).toContain('AIAM-2.06');
    agent.role.addOverride('max_session_duration', 7200);
    const out = JSON.parse(Testing.synth(stack));
    const role = Object.values(out.resource.aws_iam_role).find((r: any) => r.name === 'agent-triage-dev') as any;
    expect(role.max_session_duration).toBe(7200);
  });

  test('validating the construct tree directly (node.validate) does not keep a document: a later override is written', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    Testing.synth(stack, true);
    stack.node.validate();
    agent.role.addOverride('description', 'changed after validation');
    const out = stack.toTerraform();
    const role = Object.values(out.resource.aws_iam_role).find((r: any) => r.name === 'agent-triage-dev') as any;
    expect(role.description).toBe('changed after validation');
  });

  test('synth resolves the stack once for the stage check and writes that very document', () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED });
    stack.addAgent(agentProps({ expiresAt: '2027-06-30' }));
    const resolve = jest.spyOn(TerraformStack.prototype, 'toTerraform');
    const out = JSON.parse(Testing.synth(stack, true));
    expect(resolve).toHaveBeenCalledTimes(1);
    resolve.mockRestore();
    expect(Object.keys(out.resource.aws_ssm_parameter).length).toBeGreaterThan(0);
  });

  test.each([MaturityStage.FOUNDATION, MaturityStage.ENHANCED, MaturityStage.ADAPTIVE])('a stack with no agents yet synthesizes at stage %s (the library\'s own roles are not agents)', (stage) => {
    const stack = newStack({ stage });
    expect(errorOf(() => Testing.synth(stack, true))).toBe('');
  });

  test('an agent\'s registry entry with role references is sized with each reference at the longest role ARN', () => {
    const stack = newStack({ stage: MaturityStage.ADAPTIVE });
    const callers = Array.from({ length: 14 }, (_, i) => new IamRole(stack, `caller-${i}`, {
      name: `caller-${i}`, path: `/${'p'.repeat(200)}/`, assumeRolePolicy: '{"Version":"2012-10-17","Statement":[]}',
    }).arn);
    stack.addAgent(agentProps({ expiresAt: '2027-06-30', delegation: { awsPrincipals: callers, onBehalfOfPatterns: ['*@example.com'] },
      sessionPolicies: [{ name: 'read', permissions: [Grant.readDynamoItems(TABLE)] }] }));
    expect(errorOf(() => Testing.synth(stack, true))).toMatch(/agent "triage": its registry entry is about \d+ bytes; an SSM parameter holds at most 8192 bytes/);
    void App;
  });
});
