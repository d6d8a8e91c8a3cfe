/**
 * The revoker Lambda against moto's IAM, DynamoDB and SNS (one moto_server on
 * a loopback port): what it writes denies every granted action to a session
 * issued before the revocation when evaluated by the IAM simulator; late,
 * duplicate and concurrent events keep the newest time; bad requests are
 * rejected with nothing written; quarantine holds until a person restores;
 * and throttling and 5xx faults injected in front of moto lose nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as http from 'http';
import { AddressInfo } from 'net';
import { createRevokerClients, handler, normalizeTime, parseRequest, RejectedEvent, revoke, RevokerClients, RevokerConfig } from '../lambda/revoker/index';
import { LEDGER_KEYS, QUARANTINE_POLICY_NAME, quarantinePolicy, restoreRequestItem, REVOCATION_POLICY_NAME, revocationPolicy, RevocationResult } from '../lib/revocation';
import { FaultProxy, seededRandom, startFaultProxy } from './support/fault-proxy';
import { createAgentTable, MotoServer, startMoto } from './support/moto';
import { decide } from './support/simulator';

// The simulator reads only the account id from the stack fixtures; moto's account is 123456789012.
jest.mock('./support/stacks', () => ({ ACCOUNT: '123456789012' }));
const ACCOUNT = '123456789012';

jest.setTimeout(120_000);

const ENV = 'dev';
const TABLE = 'agent-iam-revocations-dev';
const NOW = new Date('2030-06-01T12:00:00Z');
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
/** The sample agent's grants: an identity policy as AgentIdentity writes it. */
const GRANTS = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`] },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::support-reports/*'] },
  ],
};
const RESOURCE_OF: Record<string, string> = {
  'dynamodb:GetItem': `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`,
  'dynamodb:Query': `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`,
  's3:GetObject': 'arn:aws:s3:::support-reports/2030/06/summary.csv',
};

let moto: MotoServer;
let iam: IAMClient;
let ddb: DynamoDBDocumentClient;
let sns: SNSClient;
let clients: RevokerClients;
let config: RevokerConfig;
let collector: http.Server;
/** SNS notifications delivered by moto to the HTTP subscription, parsed. */
const notifications: { subject: string; message: any }[] = [];
const savedEnv = { ...process.env };

const roleArn = (agent: string) => `arn:aws:iam::${ACCOUNT}:role/agents/${ENV}/agent-${agent}-${ENV}`;
const roleName = (agent: string) => `agent-${agent}-${ENV}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const minutesBefore = (m: number) => iso(NOW.getTime() - m * 60_000);

async function createAgentRole(agent: string, path = `/agents/${ENV}/`): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: roleName(agent), Path: path, AssumeRolePolicyDocument: TRUST }));
}

async function inlinePolicies(agent: string): Promise<string[]> {
  return ((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName(agent) }))).PolicyNames ?? []).sort();
}

/** An inline policy's document, parsed (IAM returns it URL-encoded; decoding moto's plain JSON is harmless). */
async function inlinePolicy(agent: string, name: string): Promise<any> {
  const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName(agent), PolicyName: name }));
  return JSON.parse(decodeURIComponent(out.PolicyDocument!));
}

async function revokedBeforeInPolicy(agent: string): Promise<string> {
  const doc = await inlinePolicy(agent, REVOCATION_POLICY_NAME);
  return doc.Statement[0].Condition.DateLessThan['aws:TokenIssueTime'][0];
}

async function ledgerState(agent: string): Promise<Record<string, any> | undefined> {
  return (await ddb.send(new GetCommand({ TableName: TABLE, Key: { agent, sk: LEDGER_KEYS.state }, ConsistentRead: true }))).Item;
}

async function ledgerEvents(agent: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let start: Record<string, any> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({
      TableName: TABLE, KeyConditionExpression: 'agent = :a AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':a': agent, ':p': LEDGER_KEYS.eventPrefix }, ConsistentRead: true, ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const notificationsOf = (agent: string) => notifications.filter((n) => n.message.agent === agent);

/** A CloudTrail record on EventBridge, wrapped as the detection rules deliver it to the revoker. */
function detection(agent: string, eventTime: string, opts: { id?: string; ruleId?: string; severity?: string; arn?: string } = {}) {
  return {
    kind: 'detection' as const,
    ruleId: opts.ruleId ?? 'DET-3.01',
    severity: opts.severity ?? 'high',
    event: {
      'version': '0', 'id': opts.id ?? `evt-${agent}-${eventTime}`, 'detail-type': 'AWS API Call via CloudTrail', 'source': 'aws.secretsmanager',
      'account': ACCOUNT, 'time': eventTime, 'region': 'us-east-1', 'resources': [],
      'detail': {
        eventVersion: '1.11',
        userIdentity: {
          type: 'AssumedRole', principalId: `AROAEXAMPLE:task-42`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName(agent)}/task-42`, accountId: ACCOUNT,
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: opts.arn ?? roleArn(agent), accountId: ACCOUNT, userName: roleName(agent) },
            attributes: { creationDate: eventTime, mfaAuthenticated: 'false' }, sourceIdentity: 'alice@example.com',
          },
        },
        eventTime, eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', awsRegion: 'us-east-1',
        errorCode: 'AccessDenied', requestParameters: { secretId: 'prod/db' }, eventID: 'c0ffee00-0000-4000-8000-000000000001',
      },
    },
  };
}

const manual = (agent: string, action: 'revoke' | 'quarantine' | 'restore', requestId: string, time?: string) => ({
  kind: 'manual' as const, action, agent, requestId, reason: `${action} requested in incident INC-7`, actor: 'alice@example.com', ...(time ? { time } : {}),
});

/** A responder's restore request in the ledger (what `agent-iam restore` writes before it invokes the revoker). */
async function responderAsks(agent: string, requestId: string, at: string, requestedBy = 'arn:aws:sts::123456789012:assumed-role/incident-responder/bob', reason = 'INC-7 closed, keys rotated'): Promise<void> {
  await ddb.send(new PutCommand({ TableName: TABLE, Item: { ...restoreRequestItem(agent, requestId, requestedBy, reason, new Date(at)) } }));
}

const risk = (agent: string, eventId: string, time: string) => ({
  kind: 'risk' as const, agent, score: 55, band: 'high', eventId, time, reason: 'risk score above the high band',
});

/** Everything the revoker could have written: the whole ledger and every role's inline policies. */
async function everything(agents: string[]): Promise<unknown> {
  const items = (await ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? [];
  const policies: Record<string, unknown> = {};
  for (const a of agents) {
    for (const name of await inlinePolicies(a)) policies[`${a}/${name}`] = await inlinePolicy(a, name);
  }
  return { items: items.sort((x, y) => `${x.agent}${x.sk}`.localeCompare(`${y.agent}${y.sk}`)), policies };
}

/** Runs `fn` over `items` with at most `limit` in flight; `worker` (0..limit-1) names the one running it. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, worker: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async (_, worker) => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], worker);
    }
  }));
  return results;
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  const direct = { endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
  iam = new IAMClient(direct);
  ddb = DynamoDBDocumentClient.from(new DynamoDBClient(direct));
  sns = new SNSClient(direct);
  clients = createRevokerClients({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS });

  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const n = JSON.parse(body);
      notifications.push({ subject: n.Subject, message: JSON.parse(n.Message) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));

  await createAgentTable(ddb, TABLE);
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'agent-iam-revocations-dev' }))).TopicArn!;
  await sns.send(new SubscribeCommand({
    TopicArn: topicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`,
  }));
  config = { environment: ENV, ledgerTable: TABLE, topicArn };

  for (const a of ['support-triage', 'late', 'twice', 'crowd', 'slow', 'warden', 'halfway', 'switch', 'steady', 'orphan']) await createAgentRole(a);
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName('support-triage'), PolicyName: 'grants', PolicyDocument: JSON.stringify(GRANTS) }));
  // A role of the same naming pattern outside the agents path: never an agent.
  await createAgentRole('outsider', '/');
});

afterAll(async () => {
  for (const c of [iam, sns, clients?.iam, clients?.sns]) c?.destroy();
  ddb?.destroy();
  clients?.ledger.destroy();
  await new Promise<void>((resolve) => (collector ? collector.close(() => resolve()) : resolve()));
  await moto?.stop();
  process.env = savedEnv;
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

describe('a high-severity detection revokes the agent\'s live sessions', () => {
  const T = minutesBefore(10);
  let result: RevocationResult;

  beforeAll(async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    result = await revoke(clients, config, detection('support-triage', T, { id: 'evt-first' }), NOW);
  });

  test('writes AWSRevokeOlderSessions: Deny * on * when aws:TokenIssueTime is earlier than the event time', async () => {
    expect(result).toEqual({ agent: 'support-triage', action: 'revoke', outcome: 'revoked', revokedBefore: T, quarantined: false, eventId: 'evt-first' });
    expect(await inlinePolicies('support-triage')).toEqual([REVOCATION_POLICY_NAME, 'grants']);
    expect(await inlinePolicy('support-triage', REVOCATION_POLICY_NAME)).toEqual(revocationPolicy(T));
  });

  const granted = GRANTS.Statement.flatMap((s) => s.Action);
  test.each(granted)('a session issued before the revocation is denied %s, one issued after is allowed', async (action) => {
    const grants = await inlinePolicy('support-triage', 'grants');
    const revocation = await inlinePolicy('support-triage', REVOCATION_POLICY_NAME);
    const session = (issued: number) => decide({
      principal: roleArn('support-triage'), action, resource: RESOURCE_OF[action],
      context: { 'aws:TokenIssueTime': new Date(issued).toISOString() },
      identityPolicies: [{ name: 'grants', policy: grants }, { name: REVOCATION_POLICY_NAME, policy: revocation }],
    });
    const t = Date.parse(T);
    expect(await session(t - 3_600_000)).toBe('ExplicitlyDenied');
    expect(await session(t - 1_000)).toBe('ExplicitlyDenied');
    expect(await session(t + 1_000)).toBe('Allowed');
    expect(await session(NOW.getTime())).toBe('Allowed');
  });

  test('records the revocation in the ledger: agent, reason, event id, time, actor', async () => {
    expect(await ledgerState('support-triage')).toEqual(expect.objectContaining({ revokedBefore: T, roleArn: roleArn('support-triage'), version: 1 }));
    expect(await ledgerEvents('support-triage')).toEqual([expect.objectContaining({
      agent: 'support-triage', sk: 'EVENT#evt-first#DET-3.01', eventId: 'evt-first', time: T, actor: 'detection DET-3.01',
      reason: 'DET-3.01 (high): secretsmanager.amazonaws.com GetSecretValue', status: 'applied', outcome: 'revoked', receivedAt: NOW.toISOString(),
    })]);
  });

  test('notifies the topic once', () => {
    expect(notificationsOf('support-triage')).toEqual([{
      subject: '[agent-iam dev] agent support-triage sessions revoked (DET-3.01)',
      message: expect.objectContaining({ outcome: 'revoked', revokedBefore: T, roleArn: roleArn('support-triage'), eventId: 'evt-first', ruleId: 'DET-3.01' }),
    }]);
  });
});

test('an older event delivered late does not move the revocation back', async () => {
  const newer = minutesBefore(5);
  const older = minutesBefore(50);
  expect((await revoke(clients, config, detection('late', newer), NOW)).outcome).toBe('revoked');
  const late = await revoke(clients, config, risk('late', 'risk-1', older), NOW);
  expect(late).toEqual({ agent: 'late', action: 'revoke', outcome: 'unchanged', revokedBefore: newer, quarantined: false, eventId: 'risk-1' });
  expect(await revokedBeforeInPolicy('late')).toBe(newer);
  expect((await ledgerState('late'))!.revokedBefore).toBe(newer);
  // Both are recorded; only the one that changed something is notified.
  expect((await ledgerEvents('late')).map((e) => e.outcome).sort()).toEqual(['revoked', 'unchanged']);
  expect(notificationsOf('late')).toHaveLength(1);
});

test('the same event delivered twice gives the same result, one policy and one ledger event item', async () => {
  const event = detection('twice', minutesBefore(20), { id: 'evt-dup' });
  const first = await revoke(clients, config, event, NOW);
  const again = await revoke(clients, config, JSON.parse(JSON.stringify(event)), new Date(NOW.getTime() + 60_000));
  expect(again).toEqual(first);
  expect(await inlinePolicies('twice')).toEqual([REVOCATION_POLICY_NAME]);
  expect(await revokedBeforeInPolicy('twice')).toBe(minutesBefore(20));
  expect(await ledgerEvents('twice')).toHaveLength(1);
  expect(notificationsOf('twice')).toHaveLength(1);
});

test('100 events at once for one agent leave exactly one policy with the newest time', async () => {
  // Through a proxy that delays each call by up to 40 ms: the calls reach moto out of order, as they reach AWS.
  const proxy = await startFaultProxy({ target: moto.endpoint, faultRate: 0, seed: 7, maxDelayMs: 40 });
  const jittered = createRevokerClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const random = seededRandom(7);
  const times = Array.from({ length: 100 }, () => iso(NOW.getTime() - Math.floor(random() * 86_400) * 1000));
  const newest = times.slice().sort().at(-1)!;
  const requests = times.map((t, i) => (i % 3 === 0 ? risk('crowd', `risk-crowd-${i}`, t)
    : i % 3 === 1 ? manual('crowd', 'revoke', `req-crowd-${i}`, t) : detection('crowd', t, { id: `evt-crowd-${i}` })));
  const results = await Promise.all(requests.map((r) => revoke(jittered, config, r, NOW))).finally(async () => {
    for (const c of [jittered.iam, jittered.sns, jittered.ledger]) c.destroy();
    await proxy.stop();
  });
  expect(await inlinePolicies('crowd')).toEqual([REVOCATION_POLICY_NAME]);
  expect(await revokedBeforeInPolicy('crowd')).toBe(newest);
  expect((await ledgerState('crowd'))!.revokedBefore).toBe(newest);
  expect(await ledgerEvents('crowd')).toHaveLength(100);
  // Each result names a time at least as new as its own event's; the newest event revoked.
  results.forEach((r, i) => expect(r.revokedBefore! >= times[i]).toBe(true));
  expect(results[times.indexOf(newest)].outcome).toBe('revoked');
  expect(notificationsOf('crowd')).toHaveLength(results.filter((r) => r.outcome === 'revoked').length);
});

/** Clients whose IAM calls are counted by action, through a proxy in front of moto. */
async function countingIam(): Promise<{ clients: RevokerClients; iamCalls: string[]; stop: () => Promise<void> }> {
  const iamCalls: string[] = [];
  const proxy = await startFaultProxy({
    target: moto.endpoint, faultRate: 0, seed: 3,
    beforeForward: ({ service, body }) => { if (service === 'iam') iamCalls.push(new URLSearchParams(body).get('Action') ?? '?'); },
  });
  const counted = createRevokerClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  return {
    clients: counted, iamCalls,
    stop: async () => { for (const c of [counted.iam, counted.sns, counted.ledger]) c.destroy(); await proxy.stop(); },
  };
}

test('a request whose time is not newer than the ledger\'s writes nothing to IAM', async () => {
  const T = minutesBefore(12);
  expect((await revoke(clients, config, detection('steady', T, { id: 'evt-steady' }), NOW)).outcome).toBe('revoked');
  const counting = await countingIam();
  try {
    const same = await revoke(counting.clients, config, risk('steady', 'risk-steady-same', T), NOW);
    const older = await revoke(counting.clients, config, manual('steady', 'revoke', 'req-steady-older', minutesBefore(90)), NOW);
    const again = await revoke(counting.clients, config, detection('steady', T, { id: 'evt-steady' }), NOW);
    expect([same.outcome, older.outcome, again.outcome]).toEqual(['unchanged', 'unchanged', 'revoked']);
    // GetRole (is it an agent role?) only: no PutRolePolicy, no DeleteRolePolicy.
    expect(counting.iamCalls.filter((a) => a !== 'GetRole')).toEqual([]);
  } finally {
    await counting.stop();
  }
  expect(await revokedBeforeInPolicy('steady')).toBe(T);
  expect(notificationsOf('steady')).toHaveLength(1);
});

test('a request that changes nothing still writes the policy when the writer that advanced the ledger died before writing it', async () => {
  const T = minutesBefore(3);
  // STATE advanced (version 1) by a writer that never wrote the policy nor recorded it applied.
  await ddb.send(new PutCommand({ TableName: TABLE, Item: { agent: 'orphan', sk: LEDGER_KEYS.state, revokedBefore: T, revokedBy: 'EVENT#lost', version: 1 } }));
  expect(await inlinePolicies('orphan')).toEqual([]);
  const result = await revoke(clients, config, risk('orphan', 'risk-orphan-old', minutesBefore(30)), NOW);
  expect(result.outcome).toBe('unchanged');
  expect(await revokedBeforeInPolicy('orphan')).toBe(T);
  expect(await ledgerState('orphan')).toEqual(expect.objectContaining({ version: 1, appliedVersion: 1 }));
});

test('a delivery that failed mid-way is applied in full when redelivered', async () => {
  const T = minutesBefore(7);
  const request = manual('halfway', 'revoke', 'req-halfway', T);
  // The notification fails (no such topic) after STATE advanced and the policy was written.
  const broken = { ...config, topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:no-such-topic` };
  await expect(revoke(clients, broken, request, NOW)).rejects.toThrow(/NotFound|does not exist/i);
  expect(await ledgerEvents('halfway')).toEqual([expect.objectContaining({ status: 'received' })]);
  expect(notificationsOf('halfway')).toHaveLength(0);
  // Redelivered: the same event passes its own STATE condition again, so it is still 'revoked' and notifies.
  const result = await revoke(clients, config, request, NOW);
  expect(result).toEqual({ agent: 'halfway', action: 'revoke', outcome: 'revoked', revokedBefore: T, quarantined: false, eventId: 'req-halfway' });
  expect(await revokedBeforeInPolicy('halfway')).toBe(T);
  expect(await ledgerEvents('halfway')).toEqual([expect.objectContaining({ status: 'applied', outcome: 'revoked' })]);
  expect(notificationsOf('halfway')).toHaveLength(1);
});

describe('which role a detection names', () => {
  const role = (agent: string) => roleArn(agent);
  const base = detection('research', minutesBefore(1));
  const cloudTrail = (detail: Record<string, unknown>) => ({ ...base, event: { ...base.event, detail: { ...base.event.detail, ...detail } } });
  const orchestrator = { type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-dev` } } };

  test('an agent assuming a role outside the agents path (DET-3.03): the caller', () => {
    const r = parseRequest(cloudTrail({ eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/admin` } }), ENV, NOW);
    expect(r).toEqual(expect.objectContaining({ agent: 'research', roleName: 'agent-research-dev', claimedRoleArn: role('research') }));
  });

  test('an agent role assumed without a source identity or by an undeclared principal (DET-3.08/3.09): the role assumed', () => {
    const r = parseRequest(cloudTrail({ userIdentity: orchestrator, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', errorCode: undefined, requestParameters: { roleArn: role('release') } }), ENV, NOW);
    expect(r).toEqual(expect.objectContaining({ agent: 'release', roleName: 'agent-release-dev', claimedRoleArn: role('release') }));
  });

  test('a denied AssumeRole never names its target: a peer agent\'s attempt is the peer\'s, a non-agent\'s is nobody\'s', () => {
    const attempt = (userIdentity: unknown) => cloudTrail({ userIdentity, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', errorCode: 'AccessDenied', requestParameters: { roleArn: role('release') } });
    expect(parseRequest(attempt(base.event.detail.userIdentity), ENV, NOW)).toEqual(expect.objectContaining({ agent: 'research' }));
    expect(() => parseRequest(attempt(orchestrator), ENV, NOW)).toThrow(/agent-orchestrator-dev is not an agent role/);
  });

  test('a GuardDuty finding (DET-3.11): the access key\'s role, at the event time', () => {
    const finding = { kind: 'detection', ruleId: 'DET-3.11', severity: 'high', event: {
      'id': 'gd-1', 'detail-type': 'GuardDuty Finding', 'source': 'aws.guardduty', 'time': '2030-06-01T11:40:11Z',
      'detail': { type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        resource: { resourceType: 'AccessKey', accessKeyDetails: { userName: 'agent-research-dev', userType: 'AssumedRole' } } },
    } };
    expect(parseRequest(finding, ENV, NOW)).toEqual(expect.objectContaining({
      agent: 'research', roleName: 'agent-research-dev', time: '2030-06-01T11:40:11Z', eventKey: 'EVENT#gd-1#DET-3.11',
      reason: 'DET-3.11 (high): GuardDuty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    }));
  });

  test('a critical rule quarantines, a high one revokes; one event matched by two rules is two ledger events', () => {
    const high = parseRequest(detection('research', minutesBefore(1), { id: 'e1', ruleId: 'DET-3.01', severity: 'high' }), ENV, NOW);
    const critical = parseRequest(detection('research', minutesBefore(1), { id: 'e1', ruleId: 'DET-3.05', severity: 'critical' }), ENV, NOW);
    expect([high.action, critical.action]).toEqual(['revoke', 'quarantine']);
    expect(high.eventKey).not.toBe(critical.eventKey);
  });
});

test('times are compared as YYYY-MM-DDTHH:MM:SSZ, rounded up to the second so the acting session is revoked too', () => {
  expect(normalizeTime('2030-06-01T11:59:59Z')).toBe('2030-06-01T11:59:59Z');
  expect(normalizeTime('2030-06-01T11:59:59.001Z')).toBe('2030-06-01T12:00:00Z');
  expect(normalizeTime('2030-06-01T13:59:59+02:00')).toBe('2030-06-01T11:59:59Z');
  expect(normalizeTime('2030-06-01 11:59:59')).toBeUndefined();
  expect(normalizeTime('2030-02-30T00:00:00Z')).toBeUndefined();
});

test('a slow writer\'s older policy landing after a newer one is rewritten with the newest time', async () => {
  const older = minutesBefore(40);
  const newer = minutesBefore(4);
  // Hold the older revocation's PutRolePolicy until the newer request has finished.
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let held!: () => void;
  const holding = new Promise<void>((r) => { held = r; });
  let once = true;
  const proxy = await startFaultProxy({
    target: moto.endpoint, faultRate: 0, seed: 1,
    beforeForward: ({ service, body }) => {
      const form = new URLSearchParams(body);
      if (service === 'iam' && once && form.get('Action') === 'PutRolePolicy' && form.get('PolicyDocument')?.includes(older)) {
        once = false;
        held();
        return released;
      }
      return undefined;
    },
  });
  const slow = createRevokerClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  try {
    const first = revoke(slow, config, risk('slow', 'risk-slow-old', older), NOW);
    await holding;
    const second = await revoke(clients, config, risk('slow', 'risk-slow-new', newer), NOW);
    expect(second.outcome).toBe('revoked');
    expect(await revokedBeforeInPolicy('slow')).toBe(newer);
    release();
    // The held write lands with the older time; the slow writer sees STATE moved on and rewrites it.
    expect((await first).revokedBefore).toBe(newer);
    expect(await revokedBeforeInPolicy('slow')).toBe(newer);
  } finally {
    release();
    for (const c of [slow.iam, slow.sns, slow.ledger]) c.destroy();
    await proxy.stop();
  }
});

describe('bad requests are rejected for the dead-letter queue, with nothing written', () => {
  const T = minutesBefore(3);
  const det = detection('support-triage', T, { id: 'evt-bad' });
  const withDetail = (patch: Record<string, unknown>) => ({ ...det, event: { ...det.event, detail: { ...det.event.detail, ...patch } } });
  const noArn = withDetail({ userIdentity: { type: 'AssumedRole' } });
  const cases: [string, unknown, RegExp][] = [
    ['not an object', null, /^revoker: rejected event \(no id\): malformed event: expected an object with "kind", got null$/],
    ['an unknown kind', { ...manual('support-triage', 'revoke', 'req-k'), kind: 'email' }, /rejected event req-k: malformed event: kind must be "detection", "manual" or "risk", got "email"/],
    ['a detection without an event id', { ...det, event: { ...det.event, id: undefined } }, /rejected event \(no id\): malformed event: missing event\.id/],
    ['a detection without a time', { ...withDetail({ eventTime: undefined }), event: { ...withDetail({ eventTime: undefined }).event, time: undefined } }, /rejected event evt-bad: malformed event: missing event\.time/],
    ['a detection with a time that is not ISO 8601', withDetail({ eventTime: 'yesterday' }), /malformed event: event\.detail\.eventTime must be an ISO 8601 time such as 2030-01-31T12:00:00Z, got "yesterday"/],
    ['a detection of a medium rule', { ...det, severity: 'medium' }, /rejected event evt-bad: malformed event: severity "medium" does not revoke \(only high, critical\)/],
    ['a detection without a principal', noArn, /malformed event: missing event\.detail\.userIdentity\.sessionContext\.sessionIssuer\.arn/],
    ['a detection whose principal is not a role ARN', detection('support-triage', T, { id: 'evt-bad', arn: 'arn:aws:iam::123456789012:user/agents/dev/bob' }), /malformed event: "arn:aws:iam::123456789012:user\/agents\/dev\/bob" is not an IAM role ARN/],
    ['a manual request without a request id', { ...manual('support-triage', 'revoke', 'x'), requestId: undefined }, /rejected event \(no id\): malformed event: missing requestId/],
    ['a manual request with an unknown action', { ...manual('support-triage', 'revoke', 'req-a'), action: 'delete' }, /rejected event req-a: malformed event: action must be one of revoke, quarantine, restore, got "delete"/],
    ['a manual request for an invalid agent name', manual('Support Triage', 'revoke', 'req-n'), /rejected event req-n: malformed event: agent "Support Triage" is not an agent name/],
    ['a manual request without an actor', { ...manual('support-triage', 'revoke', 'req-o'), actor: '' }, /rejected event req-o: malformed event: actor must be a non-empty string/],
    ['a risk event without a time', { ...risk('support-triage', 'risk-t', T), time: undefined }, /rejected event risk-t: malformed event: missing time/],
    ['a time in the future', manual('support-triage', 'revoke', 'req-f', '2030-06-01T13:00:00Z'), /rejected event req-f: malformed event: time 2030-06-01T13:00:00Z is more than 300 s in the future/],
    ['an unknown agent', manual('ghost', 'revoke', 'req-g'), /^revoker: rejected event req-g: role agent-ghost-dev does not exist \(agent "ghost" is unknown in environment dev\)$/],
    ['an unknown role named by a detection', detection('ghost', T, { id: 'evt-ghost' }), /rejected event evt-ghost: role arn:aws:iam::123456789012:role\/agents\/dev\/agent-ghost-dev does not exist/],
    ['a detection on a role outside the agents path', detection('outsider', T, { id: 'evt-out', arn: `arn:aws:iam::${ACCOUNT}:role/agent-outsider-dev` }),
      /^revoker: rejected event evt-out: role arn:aws:iam::123456789012:role\/agent-outsider-dev is not an agent role of environment dev \(path \/agents\/dev\/\)$/],
    ['a manual request for a role outside the agents path', manual('outsider', 'quarantine', 'req-out'),
      /rejected event req-out: role arn:aws:iam::123456789012:role\/agent-outsider-dev is not an agent role of environment dev \(path \/, expected \/agents\/dev\/\)/],
    ['a detection claiming the agents path for a role outside it', detection('outsider', T, { id: 'evt-claim' }),
      /rejected event evt-claim: role arn:aws:iam::123456789012:role\/agents\/dev\/agent-outsider-dev \(in IAM arn:aws:iam::123456789012:role\/agent-outsider-dev\) is not an agent role of environment dev \(path \/, expected \/agents\/dev\/\)$/],
    ['a detection from another account', detection('support-triage', T, { id: 'evt-acct', arn: 'arn:aws:iam::999999999999:role/agents/dev/agent-support-triage-dev' }),
      /rejected event evt-acct: role arn:aws:iam::999999999999:role\/agents\/dev\/agent-support-triage-dev is not an agent role of environment dev \(this account's role is arn:aws:iam::123456789012:role\/agents\/dev\/agent-support-triage-dev\)/],
    ['an event id reused for a different request', detection('support-triage', minutesBefore(1), { id: 'evt-first' }),
      /rejected event evt-first: event id already recorded for a different request .*; use a new id/],
  ];

  const agents = ['support-triage', 'outsider', 'warden'];
  let before: unknown;
  let seen: number;
  beforeAll(async () => {
    before = await everything(agents);
    seen = notifications.length;
  });

  test.each(cases)('%s', async (_name, request, message) => {
    const attempt = revoke(clients, config, request, NOW);
    await expect(attempt).rejects.toThrow(RejectedEvent);
    await expect(attempt).rejects.toThrow(message);
    expect(await everything(agents)).toEqual(before);
    expect(notifications.length).toBe(seen);
  });

  test('the rejection is logged as one structured line with the reason', async () => {
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((l: string) => { lines.push(l); });
    await expect(revoke(clients, config, manual('ghost', 'revoke', 'req-log'), NOW)).rejects.toThrow(RejectedEvent);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ message: 'revocation request rejected', eventId: 'req-log', reason: expect.stringContaining('does not exist') }]);
  });
});

describe('quarantine holds new sessions until a person restores the agent', () => {
  const T = minutesBefore(30);
  const session = async (issued: number) => {
    const names = await inlinePolicies('warden');
    const policies = await Promise.all(names.map(async (name) => ({ name, policy: await inlinePolicy('warden', name) })));
    return decide({
      principal: roleArn('warden'), action: 's3:GetObject', resource: RESOURCE_OF['s3:GetObject'],
      context: { 'aws:TokenIssueTime': new Date(issued).toISOString() },
      identityPolicies: [{ name: 'grants', policy: GRANTS }, ...policies],
    });
  };

  test('a critical detection revokes live sessions and quarantines: sessions issued afterwards are denied too', async () => {
    const result = await revoke(clients, config, detection('warden', T, { id: 'evt-crit', ruleId: 'DET-3.02', severity: 'critical' }), NOW);
    expect(result).toEqual({ agent: 'warden', action: 'quarantine', outcome: 'quarantined', revokedBefore: T, quarantined: true, eventId: 'evt-crit' });
    expect(await inlinePolicies('warden')).toEqual([REVOCATION_POLICY_NAME, QUARANTINE_POLICY_NAME]);
    expect(await inlinePolicy('warden', QUARANTINE_POLICY_NAME)).toEqual(quarantinePolicy());
    expect(await session(Date.parse(T) - 60_000)).toBe('ExplicitlyDenied');
    expect(await session(NOW.getTime() + 60_000)).toBe('ExplicitlyDenied');
    expect((await ledgerState('warden'))!.quarantined).toBe(true);
    expect(notificationsOf('warden').map((n) => n.message.outcome)).toEqual(['quarantined']);
  });

  test('a restore without a responder\'s request in the ledger changes nothing, whatever the payload says', async () => {
    const before = await everything(['warden']);
    const forged = { ...manual('warden', 'restore', 'req-forged'), actor: 'arn:aws:iam::123456789012:role/incident-responder', reason: 'approved by security' };
    await expect(revoke(clients, config, forged, NOW)).rejects.toThrow(/rejected event req-forged: restore of agent "warden" refused: no RESTORE#req-forged request in the ledger/);
    expect(await everything(['warden'])).toEqual(before);
    expect(await inlinePolicies('warden')).toEqual([REVOCATION_POLICY_NAME, QUARANTINE_POLICY_NAME]);
  });

  test('a responder\'s request of another agent, a stale one or one from the future does not restore', async () => {
    await responderAsks('support-triage', 'req-other', iso(NOW.getTime()));
    await responderAsks('warden', 'req-old', iso(NOW.getTime() - 16 * 60_000));
    await responderAsks('warden', 'req-future', iso(NOW.getTime() + 60 * 60_000));
    const before = await everything(['warden']);
    await expect(revoke(clients, config, manual('warden', 'restore', 'req-other'), NOW)).rejects.toThrow(/no RESTORE#req-other request/);
    await expect(revoke(clients, config, manual('warden', 'restore', 'req-old'), NOW)).rejects.toThrow(/older than 900 s/);
    await expect(revoke(clients, config, manual('warden', 'restore', 'req-future'), NOW)).rejects.toThrow(/in the future/);
    expect(await everything(['warden'])).toEqual(before);
  });

  test('a restore dated before a newer quarantine does not lift it', async () => {
    const later = new Date(NOW.getTime() + 10 * 60_000);
    await revoke(clients, config, manual('warden', 'quarantine', 'req-q2'), later);
    await responderAsks('warden', 'req-stale', iso(NOW.getTime() + 5 * 60_000));
    const stale = await revoke(clients, config, manual('warden', 'restore', 'req-stale', iso(NOW.getTime() + 5 * 60_000)), later);
    expect(stale).toEqual(expect.objectContaining({ outcome: 'unchanged', quarantined: true }));
    expect(await inlinePolicies('warden')).toEqual([REVOCATION_POLICY_NAME, QUARANTINE_POLICY_NAME]);
  });

  test('restore deletes the quarantine and keeps the revocation: old sessions stay dead, new ones work', async () => {
    const at = new Date(NOW.getTime() + 20 * 60_000);
    const revokedBefore = (await ledgerState('warden'))!.revokedBefore;
    await responderAsks('warden', 'req-restore', iso(at.getTime()));
    // The payload's actor and reason are not trusted: the ledger records the responder's request.
    const result = await revoke(clients, config, { ...manual('warden', 'restore', 'req-restore'), actor: 'someone else', reason: 'whatever' }, at);
    expect(result).toEqual({ agent: 'warden', action: 'restore', outcome: 'restored', revokedBefore, quarantined: false, eventId: 'req-restore' });
    expect(await inlinePolicies('warden')).toEqual([REVOCATION_POLICY_NAME]);
    expect(await session(Date.parse(revokedBefore) - 1_000)).toBe('ExplicitlyDenied');
    expect(await session(at.getTime() + 60_000)).toBe('Allowed');
    expect(await ledgerState('warden')).toEqual(expect.objectContaining({ quarantined: false, restoredBy: 'EVENT#req-restore', revokedBefore }));
    expect((await ledgerEvents('warden')).find((e) => e.eventId === 'req-restore')).toEqual(expect.objectContaining({
      action: 'restore', actor: 'arn:aws:sts::123456789012:assumed-role/incident-responder/bob', reason: 'INC-7 closed, keys rotated', time: iso(at.getTime()), outcome: 'restored',
    }));
    expect(notificationsOf('warden').map((n) => n.message.outcome)).toEqual(['quarantined', 'revoked', 'restored']);
    // Delivered again, the restore changes nothing and quarantine does not come back.
    expect(await revoke(clients, config, { ...manual('warden', 'restore', 'req-restore'), actor: 'bob@example.com', reason: 'INC-7 closed, keys rotated' }, at)).toEqual(result);
    expect(await inlinePolicies('warden')).toEqual([REVOCATION_POLICY_NAME]);
  });
});

test('throttling and 5xx in front of moto: 1,000 events over 20 agents, 20% faults, 25 in flight, every agent ends at its newest time', async () => {
  const agents = Array.from({ length: 20 }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
  for (const a of agents) await createAgentRole(a);
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'agent-iam-revocations-faults' }))).TopicArn!;
  const proxy: FaultProxy = await startFaultProxy({ target: moto.endpoint, faultRate: 0.2, seed: 2030, maxDelayMs: 20 });
  // One set of clients per Lambda container, each handling one event at a time, as deployed. (Shared by 25
  // concurrent calls, one client's retry quota - 500 tokens, 5 per throttling retry, 14 per 5xx retry - runs dry.)
  const CONCURRENCY = 25;
  const containers = Array.from({ length: CONCURRENCY }, () => createRevokerClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS }));
  try {
    const random = seededRandom(42);
    const events = Array.from({ length: 1000 }, (_, i) => {
      const agent = agents[Math.floor(random() * agents.length)];
      const t = iso(NOW.getTime() - Math.floor(random() * 30 * 86_400) * 1000);
      const r = random();
      return { agent, t, request: r < 0.6 ? detection(agent, t, { id: `evt-f-${i}` }) : r < 0.8 ? risk(agent, `risk-f-${i}`, t) : manual(agent, 'revoke', `req-f-${i}`, t) };
    });
    // Lambda's asynchronous invocation: up to 3 attempts, then the dead-letter queue.
    let redeliveries = 0;
    const dlq: string[] = [];
    await pool(events, CONCURRENCY, async ({ request }, worker) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await revoke(containers[worker], { ...config, topicArn }, request, NOW);
        } catch (e) {
          if (e instanceof RejectedEvent || attempt === 3) {
            dlq.push(`${(e as Error).name}: ${(e as Error).message} (SDK attempts ${(e as { $metadata?: { attempts?: number } }).$metadata?.attempts})`);
            return undefined;
          }
          redeliveries++;
        }
      }
    });
    expect(dlq).toEqual([]);
    const newest = new Map<string, string>();
    for (const e of events) if (!newest.has(e.agent) || newest.get(e.agent)! < e.t) newest.set(e.agent, e.t);
    for (const a of agents) {
      const expected = newest.get(a);
      if (!expected) continue;
      expect({ agent: a, policy: await revokedBeforeInPolicy(a), ledger: (await ledgerState(a))!.revokedBefore }).toEqual({ agent: a, policy: expected, ledger: expected });
      expect((await ledgerEvents(a)).filter((e) => e.status !== 'applied')).toEqual([]);
    }
    expect(newest.size).toBe(agents.length);
    const faults = Object.values(proxy.stats.faults).reduce((s, n) => s + n, 0);
    expect(faults / proxy.stats.requests).toBeGreaterThan(0.15);
    for (const kind of ['throttle', 'internal', 'unavailable', 'lost'] as const) expect(proxy.stats.faults[kind]).toBeGreaterThan(0);
    process.stderr.write(`fault run: ${proxy.stats.requests} requests, ${faults} faults ${JSON.stringify(proxy.stats.faults)}, ${redeliveries} redeliveries\n`);
    expect(redeliveries).toBeLessThanOrEqual(5);
  } finally {
    for (const c of containers) {
      c.iam.destroy();
      c.sns.destroy();
      c.ledger.destroy();
    }
    await proxy.stop();
  }
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };
  afterEach(() => { process.env = { ...saved }; });

  test('reads ENVIRONMENT, LEDGER_TABLE and TOPIC_ARN and reaches AWS at AWS_ENDPOINT_URL', async () => {
    Object.assign(process.env, { ENVIRONMENT: ENV, LEDGER_TABLE: TABLE, TOPIC_ARN: config.topicArn, AWS_ENDPOINT_URL: moto.endpoint });
    const before = iso(Math.floor(Date.now() / 1000) * 1000);
    const result = await handler(manual('switch', 'revoke', 'req-switch'));
    expect(result).toEqual(expect.objectContaining({ agent: 'switch', outcome: 'revoked', quarantined: false }));
    expect(result.revokedBefore! >= before).toBe(true);
    expect(await revokedBeforeInPolicy('switch')).toBe(result.revokedBefore);
  });

  test('refuses to run without its configuration', async () => {
    delete process.env.LEDGER_TABLE;
    delete process.env.TOPIC_ARN;
    process.env.ENVIRONMENT = ENV;
    await expect(handler(manual('switch', 'revoke', 'req-x'))).rejects.toThrow('revoker: LEDGER_TABLE, TOPIC_ARN not set');
  });
});
