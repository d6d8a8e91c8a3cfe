/**
 * The maturity model as data, and the stage check that reads it.
 */
import { Testing } from '../lib/private/cdk';
import { IamUser } from '../constructs/aws';
import { ControlCatalog, MaturityStage, Risk } from '../lib/maturity';
import { checkStage, StackFacts, uncheckedControls, AGENT_TAGS } from '../lib/stage-check';
import { policyDoc } from '../lib/policy';
import { agentProps, errorOf, newStack } from './support/stacks';
import { parseTerraformJson, readEnvironment } from '../lib/assess';
import { AgentIamStack } from '../constructs/agent-iam-stack';

describe('the control catalog', () => {
  test('has the Foundation controls the model requires, each with a stage, risk, title and rationale', () => {
    const titles = ControlCatalog.required(MaturityStage.FOUNDATION).map((c) => c.title);
    for (const t of ['One IAM role per agent', 'No IAM users or access keys for agents', 'Owner and purpose recorded', 'Trust limited to declared principals',
      'Source identity required on every session', 'Permissions boundary attached', 'No wildcard actions', 'CloudTrail multi-region with log file validation',
      'Audit store encrypted and hardened', 'SIEM export']) {
      expect(titles).toContain(t);
    }
    for (const c of ControlCatalog.all()) {
      expect(c.id).toMatch(/^AIAM-\d\.\d{2}$/);
      expect(Object.values(Risk)).toContain(c.risk);
      expect(c.rationale.length).toBeGreaterThan(40);
    }
  });

  test('ids are unique and every risk is answered', () => {
    const ids = ControlCatalog.all().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ControlCatalog.all().map((c) => c.risk))).toEqual(new Set(Object.values(Risk)));
  });

  test('every control has a check (a catalog entry without a judge would pass silently)', () => {
    expect(uncheckedControls()).toEqual([]);
  });

  test('stages 2, 3 and 4 are built in this version; stage 1 never is', () => {
    expect(ControlCatalog.isBuilt(MaturityStage.FOUNDATION)).toBe(true);
    expect(ControlCatalog.isBuilt(MaturityStage.ENHANCED)).toBe(true);
    expect(ControlCatalog.isBuilt(MaturityStage.ADAPTIVE)).toBe(true);
    expect(ControlCatalog.isBuilt(MaturityStage.AD_HOC)).toBe(false);
  });
});

describe('the stage check', () => {
  const goodAgent = () => ({
    agent: 'a', roleName: 'agent-a-dev',
    tags: { [AGENT_TAGS.owner]: 'team', [AGENT_TAGS.purpose]: 'does things' },
    trustPolicy: policyDoc([{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:role/o'] }, Action: ['sts:AssumeRole'], Condition: { StringLike: { 'sts:SourceIdentity': ['*'] } } }]),
    permissionsBoundary: 'arn:aws:iam::111122223333:policy/b',
    policies: [policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] }])],
  });
  const goodTrail = {
    multiRegion: true, logFileValidation: true, kmsEncrypted: true, bucketVersioned: true, bucketKmsEncrypted: true,
    bucketPublicAccessBlocked: true, bucketOwnerEnforced: true, bucketTlsOnly: true, siemQueueEncrypted: true, cloudWatchLogs: true,
  };
  const facts = (over: Partial<StackFacts> = {}): StackFacts => ({
    stack: 'dev', stage: MaturityStage.FOUNDATION, agents: [goodAgent()], iamUsers: [], accessKeys: [], trails: [goodTrail], ...over,
  });
  const ids = (f: StackFacts) => checkStage(f).map((x) => x.controlId);

  test('a compliant environment has no findings', () => {
    expect(checkStage(facts())).toEqual([]);
  });
  test('a shared role fails AIAM-2.01', () => {
    expect(ids(facts({ agents: [goodAgent(), { ...goodAgent(), agent: 'b' }] }))).toContain('AIAM-2.01');
  });
  test('an IAM user or access key fails AIAM-2.02', () => {
    expect(ids(facts({ iamUsers: ['aws_iam_user.bot'], accessKeys: ['aws_iam_access_key.bot'] }))).toEqual(['AIAM-2.02', 'AIAM-2.02']);
  });
  test('a missing owner fails AIAM-2.03', () => {
    expect(ids(facts({ agents: [{ ...goodAgent(), tags: { [AGENT_TAGS.purpose]: 'x' } }] }))).toEqual(['AIAM-2.03']);
  });
  test('a wildcard principal fails AIAM-2.04', () => {
    const a = goodAgent();
    a.trustPolicy.Statement[0].Principal = { AWS: ['*'] };
    expect(ids(facts({ agents: [a] }))).toContain('AIAM-2.04');
  });
  test('an AWS principal without a source identity condition fails AIAM-2.05', () => {
    const a = goodAgent();
    delete a.trustPolicy.Statement[0].Condition;
    expect(ids(facts({ agents: [a] }))).toEqual(['AIAM-2.05']);
  });
  test('a service principal needs no source identity', () => {
    const a = goodAgent();
    a.trustPolicy.Statement[0] = { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] };
    expect(ids(facts({ agents: [a] }))).toEqual([]);
  });
  test('a missing boundary fails AIAM-2.06', () => {
    expect(ids(facts({ agents: [{ ...goodAgent(), permissionsBoundary: undefined }] }))).toEqual(['AIAM-2.06']);
  });
  test('an unacknowledged wildcard action fails AIAM-2.07, an acknowledged one does not', () => {
    const wild = { ...goodAgent(), policies: [policyDoc([{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::b/*'] }])] };
    expect(ids(facts({ agents: [wild] }))).toEqual(['AIAM-2.07']);
    const acked = { ...goodAgent(), policies: [policyDoc([{ Sid: 'AcknowledgedWildcard', Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::b/*'] }])] };
    expect(ids(facts({ agents: [acked] }))).toEqual([]);
  });
  test('a "*" resource on a scoped action fails AIAM-2.11', () => {
    const a = { ...goodAgent(), policies: [policyDoc([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: ['*'] }])] };
    expect(ids(facts({ agents: [a] }))).toEqual(['AIAM-2.11']);
  });
  test('no trail fails AIAM-2.08, 2.09 and 2.10', () => {
    expect(ids(facts({ trails: [] }))).toEqual(['AIAM-2.08', 'AIAM-2.09', 'AIAM-2.10']);
  });
  test('a single-region trail fails AIAM-2.08', () => {
    expect(ids(facts({ trails: [{ ...goodTrail, multiRegion: false }] }))).toEqual(['AIAM-2.08']);
  });

  test('a stack that gains an IAM user for an agent fails synth naming the control', () => {
    const msg = errorOf(() => {
      const stack = newStack();
      stack.addAgent(agentProps());
      new IamUser(stack, 'bot-user', { name: 'support-bot' });
      Testing.synth(stack, true);
    });
    expect(msg).toContain('stack "dev": fails AIAM-2.02 (No IAM users or access keys for agents, stage 2): IAM user aws_iam_user.bot-user exists; agents must use role sessions');
  });
});

describe('the stage check reads the resources as configured, not as the library meant them', () => {
  /**
   * Synth fails, and `assess` of the same (unvalidated) synthesized JSON fails the same control with
   * the same message: both read the emitted Terraform with one reader.
   */
  function failsBothWays(stack: AgentIamStack, controlId: string, message: string): void {
    const json = JSON.parse(Testing.synth(stack));
    const env = readEnvironment(parseTerraformJson(json, 'dev', 'cdk.tf.json'));
    const assessed = checkStage({ ...env.facts, stage: stack.stage }).filter((f) => f.controlId === controlId).map((f) => f.message);
    expect(assessed).toContain(message);
    const c = ControlCatalog.get(controlId);
    expect(errorOf(() => Testing.synth(stack, true))).toContain(`fails ${controlId} (${c.title}, stage ${c.stage}): ${message}`);
  }

  test('a trail turned single-region through an escape hatch fails AIAM-2.08 at synth and in assess', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    stack.auditTrail.trail.isMultiRegionTrail = false;
    failsBothWays(stack, 'AIAM-2.08', 'no multi-region trail with log file validation');
  });

  test('a SIEM queue without its KMS key fails AIAM-2.10 at synth and in assess', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    stack.auditTrail.siemQueue.resetKmsMasterKeyId();
    failsBothWays(stack, 'AIAM-2.10', 'no encrypted SIEM queue and CloudWatch Logs stream for the trail');
  });

  test('a trail log group without its KMS key fails AIAM-2.10 both ways', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    stack.auditTrail.logGroup.resetKmsKeyId();
    failsBothWays(stack, 'AIAM-2.10', 'no encrypted SIEM queue and CloudWatch Logs stream for the trail');
  });

  test('an override that drops the log file validation (addOverride) fails AIAM-2.08 both ways', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    stack.auditTrail.trail.addOverride('enable_log_file_validation', false);
    failsBothWays(stack, 'AIAM-2.08', 'no multi-region trail with log file validation');
  });

  test('an agent role whose boundary is removed by an override fails AIAM-2.06 both ways', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    agent.role.addOverride('permissions_boundary', null);
    failsBothWays(stack, 'AIAM-2.06', 'no permissions boundary attached');
  });

  test('a revocation ledger without point-in-time recovery fails AIAM-4.02 both ways', () => {
    const { DynamodbTable } = require('../constructs/aws');
    const stack = newStack({ stage: MaturityStage.ADAPTIVE });
    stack.addAgent(agentProps({ expiresAt: '2030-01-01' }));
    const ledger = stack.node.findAll().find((c: any) => c instanceof DynamodbTable && c.nameInput === 'agent-iam-revocations-dev') as any;
    ledger.putPointInTimeRecovery({ enabled: false });
    failsBothWays(stack, 'AIAM-4.02', 'the ledger has no point-in-time recovery');
  });
});
