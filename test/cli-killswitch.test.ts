/**
 * The kill switch from a terminal: `agent-iam revoke|quarantine|restore|approve` reach the same
 * revoker code path as the detections (here the revoker core runs against moto's IAM, DynamoDB
 * and SNS behind the CLI's AWS port), and bad input is one line with exit 2.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { runCli } from '../bin/agent-iam';
import { AwsPort, CliError, CliIo, ExitCode } from '../bin/cli/context';
import { createRevokerClients, revoke, RevokerConfig } from '../lambda/revoker/index';
import { QUARANTINE_POLICY_NAME, REVOCATION_POLICY_NAME } from '../lib/revocation';
import { createAgentTable, MotoServer, startMoto } from './support/moto';

jest.setTimeout(60_000);
const ACCOUNT = '123456789012';
const ENV = 'prod';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: MotoServer;
let iam: IAMClient;
let doc: DynamoDBDocumentClient;
let config: RevokerConfig;
const invoked: { functionName: string; payload: any }[] = [];

function io(): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', errIsTTY: false, env: { CI: 'true' } as Record<string, string | undefined> } as any;
  o.out = (t: string) => { o.stdout += t; };
  o.err = (t: string) => { o.stderr += t; };
  return o;
}

/** The CLI's AWS port wired to moto: invoking the revoker runs the revoker's own code. */
function port(): AwsPort {
  const clients = createRevokerClients({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  return {
    callerArn: async () => `arn:aws:sts::${ACCOUNT}:assumed-role/incident-responder/alice`,
    invoke: async (functionName, payload) => {
      invoked.push({ functionName, payload });
      try {
        return await revoke(clients, config, payload, new Date());
      } catch (e) {
        // What the SDK port does with a FunctionError answer from Lambda.
        throw new CliError(`${functionName} failed: ${(e as Error).message}`, ExitCode.FAILED);
      }
    },
    putItem: async (table, item) => { await doc.send(new PutCommand({ TableName: table, Item: item })); },
  };
}

const policies = async (agent: string) => ((await iam.send(new ListRolePoliciesCommand({ RoleName: `agent-${agent}-${ENV}` }))).PolicyNames ?? []).sort();

beforeAll(async () => {
  moto = await startMoto();
  const common = { endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS };
  iam = new IAMClient(common);
  const ddb = new DynamoDBClient(common);
  doc = DynamoDBDocumentClient.from(ddb);
  for (const table of [`agent-iam-revocations-${ENV}`, `agent-iam-risk-${ENV}`]) {
    await createAgentTable(ddb, table);
  }
  const topic = await new SNSClient(common).send(new CreateTopicCommand({ Name: 'agent-iam-detections-prod' }));
  config = { environment: ENV, ledgerTable: `agent-iam-revocations-${ENV}`, topicArn: topic.TopicArn! };
  await iam.send(new CreateRoleCommand({
    RoleName: `agent-research-${ENV}`, Path: `/agents/${ENV}/`,
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }),
  }));
});

afterAll(async () => {
  await moto?.stop();
});

test('revoke writes AWSRevokeOlderSessions through the environment\'s revoker, with the caller as actor', async () => {
  const out = io();
  expect(await runCli(['revoke', 'research', '--env', ENV, '--reason', 'suspicious exfiltration pattern'], out, port())).toBe(0);
  expect(out.stdout).toMatch(/^agent research \(prod\): revoked; sessions issued before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ are denied\n$/);
  expect(invoked.at(-1)).toEqual({ functionName: 'agent-iam-revoker-prod', payload: expect.objectContaining({ kind: 'manual', action: 'revoke', agent: 'research', actor: `arn:aws:sts::${ACCOUNT}:assumed-role/incident-responder/alice` }) });
  expect(await policies('research')).toEqual([REVOCATION_POLICY_NAME]);
  const doc1 = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: `agent-research-${ENV}`, PolicyName: REVOCATION_POLICY_NAME }))).PolicyDocument!));
  expect([].concat(doc1.Statement[0].Condition.DateLessThan['aws:TokenIssueTime'])[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('quarantine denies new sessions until restore lifts it, and the revocation stays', async () => {
  const q = io();
  expect(await runCli(['quarantine', 'research', '--env', ENV, '--reason', 'critical GuardDuty finding', '--format', 'json'], q, port())).toBe(0);
  expect(JSON.parse(q.stdout)).toEqual(expect.objectContaining({ agent: 'research', quarantined: true }));
  expect(await policies('research')).toEqual([QUARANTINE_POLICY_NAME, REVOCATION_POLICY_NAME].sort());
  await new Promise((r) => setTimeout(r, 1100)); // restore must be later than the quarantine (whole seconds)
  const r = io();
  expect(await runCli(['restore', 'research', '--env', ENV, '--reason', 'finding triaged as false positive'], r, port())).toBe(0);
  expect(r.stdout).toContain('agent research (prod): restored');
  expect(await policies('research')).toEqual([REVOCATION_POLICY_NAME]);
});

test('approve records the approver and reason in the risk table, where the broker reads approvals', async () => {
  const out = io();
  expect(await runCli(['approve', 'research', '--env', ENV, '--reason', 'reviewed the elevated findings'], out, port())).toBe(0);
  const approvedAt = /at (\S+)\n$/.exec(out.stdout)![1];
  const item = (await doc.send(new GetCommand({ TableName: `agent-iam-risk-${ENV}`, Key: { agent: 'research', sk: `APPROVAL#${approvedAt}` } }))).Item;
  expect(item).toEqual(expect.objectContaining({ approver: `arn:aws:sts::${ACCOUNT}:assumed-role/incident-responder/alice`, reason: 'reviewed the elevated findings' }));
});

test.each([
  [['revoke', 'research', '--env', ENV], /^agent-iam: .*--reason/],
  [['revoke', 'Research!', '--env', ENV, '--reason', 'x y z'], /^agent-iam: agent "Research!": name: must be lower-case/],
  [['revoke', 'research', '--env', 'Prod_1', '--reason', 'x y z'], /^agent-iam: stack "Prod_1": environment: must be 1-16 lower-case letters/],
  [['approve', 'research', '--reason', 'ok then'], /^agent-iam: .*--env/],
])('bad input %j is one line and exit 2', async (argv, message) => {
  const out = io();
  expect(await runCli(argv as string[], out, port())).toBe(2);
  expect(out.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(out.stderr).toMatch(message as RegExp);
});

test('an agent the revoker does not know fails with exit 1 and the revoker\'s reason', async () => {
  const out = io();
  const code = await runCli(['revoke', 'ghost', '--env', ENV, '--reason', 'testing an unknown agent'], out, port());
  expect(code).toBe(1);
  expect(out.stderr).toMatch(/^agent-iam: .*rejected.*agent-ghost-prod/);
});
