/**
 * The risk Lambda against moto's DynamoDB: detections add points by severity,
 * points decay with time, a detection delivered twice counts once, 50
 * detections at once all count, and crossing into high asks the revoker
 * exactly once per crossing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { agentOfEvent, handler, recordDetection, RiskClients, RiskConfig, RiskItem, RISK_EVENT_PREFIX } from '../lambda/risk/index';
import { RevocationRequest } from '../lib/revocation';
import { decayedScore, RISK_HALF_LIFE_SECONDS, RISK_KEYS, RISK_THRESHOLDS, SEVERITY_POINTS } from '../lib/risk';
import { createAgentTable, MotoServer, startMoto } from './support/moto';

const ACCOUNT = '111122223333';
const ENV = 'dev';
const TABLE = 'agent-iam-risk-dev';
const REVOKER = 'agent-iam-revoker-dev';
const T0 = new Date('2030-03-01T12:00:00.000Z');
const CONFIG: RiskConfig = { environment: ENV, riskTable: TABLE, revokerFunction: REVOKER };

let moto: MotoServer;
let raw: DynamoDBClient;
let ddb: DynamoDBDocumentClient;
let invocations: RevocationRequest[];
let lambdaSend: jest.Mock;
let clients: RiskClients;
let logs: string[];
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  raw = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  ddb = DynamoDBDocumentClient.from(raw);
  await createAgentTable(raw, TABLE);
});

afterAll(async () => {
  raw?.destroy();
  await moto?.stop();
  process.env = savedEnv;
});

beforeEach(() => {
  invocations = [];
  lambdaSend = jest.fn(async (cmd: InvokeCommand) => {
    invocations.push(JSON.parse(Buffer.from(cmd.input.Payload as Uint8Array).toString('utf8')));
    return { StatusCode: 202 };
  });
  clients = { dynamodb: ddb, lambda: { send: lambdaSend } as unknown as LambdaClient };
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
});

afterEach(() => jest.restoreAllMocks());

const roleArn = (agent: string, env = ENV) => `arn:aws:iam::${ACCOUNT}:role/agents/${env}/agent-${agent}-${env}`;

let seq = 0;
/** A detection as EventBridge delivers it: a CloudTrail call by a session of the agent's role. */
function detection(agent: string, severity: string, opts: { id?: string; ruleId?: string; time?: Date } = {}): RevocationRequest {
  return {
    kind: 'detection',
    ruleId: opts.ruleId ?? 'DET-3.01',
    severity,
    event: {
      version: '0',
      id: opts.id ?? `evt-${++seq}`,
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.dynamodb',
      time: (opts.time ?? T0).toISOString(),
      detail: {
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'PutItem',
        errorCode: 'AccessDenied',
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/agent-${agent}-${ENV}/task-1`,
          sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn(agent), userName: `agent-${agent}-${ENV}` } },
        },
      },
    },
  };
}

async function riskItem(agent: string): Promise<RiskItem | undefined> {
  const out = await ddb.send(new GetCommand({ TableName: TABLE, Key: { agent, sk: RISK_KEYS.risk }, ConsistentRead: true }));
  return out.Item as RiskItem | undefined;
}

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('points add by severity', () => {
  test.each(Object.entries(SEVERITY_POINTS))('a %s detection adds %i points', async (severity, points) => {
    const agent = `sev-${severity}`;
    const r = await recordDetection(clients, CONFIG, detection(agent, severity), T0);
    expect(r).toMatchObject({ outcome: 'counted', agent, points, score: points, previousBand: 'low' });
    expect((await riskItem(agent))!.score).toBe(points);
  });

  test('detections of different severities add up, and the band follows the thresholds', async () => {
    const agent = 'adds-up';
    const severities = ['low', 'medium', 'medium', 'high'];
    const bands: string[] = [];
    for (const s of severities) bands.push((await recordDetection(clients, CONFIG, detection(agent, s), T0)).band!);
    const item = (await riskItem(agent))!;
    expect(item.score).toBe(1 + 5 + 5 + 20);
    expect(bands).toEqual(['low', 'low', 'elevated', 'elevated']);
    expect(item).toMatchObject({ band: 'elevated', updatedAt: T0.toISOString(), version: 4 });
  });
});

describe('points decay over time', () => {
  test('one half-life later a high detection counts half, and new points add to the decayed score', async () => {
    const agent = 'decays';
    await recordDetection(clients, CONFIG, detection(agent, 'high', { time: T0 }), T0);
    const later = at(RISK_HALF_LIFE_SECONDS);
    const r = await recordDetection(clients, CONFIG, detection(agent, 'medium', { time: later }), later);
    expect(r.score).toBeCloseTo(20 / 2 + 5, 9);
    expect(r.previousBand).toBe('elevated');
    const item = (await riskItem(agent))!;
    expect(item.score).toBeCloseTo(15, 9);
    expect(item.updatedAt).toBe(later.toISOString());
  });

  test('two hours later 20 points have decayed to 5', async () => {
    const agent = 'decays-two';
    await recordDetection(clients, CONFIG, detection(agent, 'high'), T0);
    const r = await recordDetection(clients, CONFIG, detection(agent, 'low', { time: at(7200) }), at(7200));
    expect(r.score).toBeCloseTo(5 + 1, 9);
  });

  test('a detection delivered late adds its points decayed by the event\'s age', async () => {
    const agent = 'late';
    const r = await recordDetection(clients, CONFIG, detection(agent, 'critical', { time: T0 }), at(RISK_HALF_LIFE_SECONDS));
    expect(r.points).toBeCloseTo(25, 9);
  });

  test('an elevated agent drops back to low as its points decay, and elevatedSince is cleared', async () => {
    const agent = 'back-to-low';
    const first = await recordDetection(clients, CONFIG, detection(agent, 'high'), T0);
    expect(first.band).toBe('elevated');
    expect((await riskItem(agent))!.elevatedSince).toBe(T0.toISOString());
    // 20 -> 0.625 after five half-lives; one low detection keeps it low.
    const r = await recordDetection(clients, CONFIG, detection(agent, 'low', { time: at(5 * 3600) }), at(5 * 3600));
    expect(r).toMatchObject({ previousBand: 'low', band: 'low' });
    expect((await riskItem(agent))!.elevatedSince).toBeUndefined();
  });
});

describe('elevatedSince marks the last move up', () => {
  test('set on low -> elevated, kept within elevated, moved on elevated -> high', async () => {
    const agent = 'elevation';
    await recordDetection(clients, CONFIG, detection(agent, 'high'), T0);
    expect((await riskItem(agent))!.elevatedSince).toBe(T0.toISOString());
    await recordDetection(clients, CONFIG, detection(agent, 'medium', { time: at(60) }), at(60));
    expect((await riskItem(agent))!).toMatchObject({ band: 'elevated', elevatedSince: T0.toISOString() });
    await recordDetection(clients, CONFIG, detection(agent, 'high', { time: at(120) }), at(120));
    expect((await riskItem(agent))!).toMatchObject({ band: 'high', elevatedSince: at(120).toISOString() });
  });
});

describe('a detection delivered more than once counts once', () => {
  test('the same event and rule twice: the second is a duplicate and adds nothing', async () => {
    const agent = 'dup';
    const d = detection(agent, 'high', { id: 'evt-dup-1' });
    expect((await recordDetection(clients, CONFIG, d, T0)).outcome).toBe('counted');
    const again = await recordDetection(clients, CONFIG, d, at(10));
    expect(again).toMatchObject({ outcome: 'duplicate', revocationRequested: false });
    expect((await riskItem(agent))!.score).toBe(20);
    const claim = await ddb.send(new GetCommand({ TableName: TABLE, Key: { agent, sk: `${RISK_EVENT_PREFIX}evt-dup-1#DET-3.01` }, ConsistentRead: true }));
    expect(claim.Item).toMatchObject({ applied: true, ruleId: 'DET-3.01', severity: 'high', expiresAt: expect.any(Number) });
  });

  test('the same event matched by two rules counts for each rule (a denied IAM write is DET-3.01 and DET-3.02)', async () => {
    const agent = 'two-rules';
    await recordDetection(clients, CONFIG, detection(agent, 'medium', { id: 'evt-iam', ruleId: 'DET-3.01' }), T0);
    await recordDetection(clients, CONFIG, detection(agent, 'critical', { id: 'evt-iam', ruleId: 'DET-3.02' }), T0);
    expect((await riskItem(agent))!.score).toBe(55);
  });

  test('a claimed detection whose score update never happened (a crash) is counted by its redelivery', async () => {
    const agent = 'crashed';
    const d = detection(agent, 'medium', { id: 'evt-crash' });
    // The first delivery claimed the event and died before updating the score.
    await ddb.send(new PutCommand({ TableName: TABLE, Item: { agent, sk: `${RISK_EVENT_PREFIX}evt-crash#DET-3.01`, applied: false } }));
    expect((await recordDetection(clients, CONFIG, d, T0)).outcome).toBe('counted');
    expect((await recordDetection(clients, CONFIG, d, T0)).outcome).toBe('duplicate');
    expect((await riskItem(agent))!.score).toBe(5);
  });
});

/**
 * moto's DynamoDB is not atomic under concurrent requests (a threaded server; a conditional write
 * checks and writes without a lock), so two conditional puts on the same version can both succeed
 * there, which DynamoDB never allows. The concurrency test therefore lets moto apply one write at
 * a time, as DynamoDB applies each write atomically; reads run freely, and the deliveries'
 * read-modify-write cycles interleave, which is what the optimistic concurrency has to survive.
 */
function atomicWrites(client: DynamoDBDocumentClient): DynamoDBDocumentClient {
  let writes: Promise<unknown> = Promise.resolve();
  return {
    send: (command: any) => {
      if (command instanceof GetCommand) return client.send(command);
      const next = writes.then(() => client.send(command));
      writes = next.catch(() => undefined);
      return next;
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('concurrent detections all count', () => {
  test('50 different detections at once, plus 10 redeliveries among them, add exactly 50 points', async () => {
    const agent = 'burst';
    const ds = Array.from({ length: 50 }, (_, i) => detection(agent, 'low', { id: `burst-${i}` }));
    const deliveries = [...ds, ...ds.slice(0, 10)];
    const atomic = { ...clients, dynamodb: atomicWrites(ddb) };
    const results = await Promise.all(deliveries.map((d) => recordDetection(atomic, CONFIG, d, T0)));
    const item = (await riskItem(agent))!;
    expect(item.score).toBe(50);
    expect(results.filter((r) => r.outcome === 'counted')).toHaveLength(50);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(10);
    // 50 points cross 40 once, at one of the detections: one revocation.
    expect(item.band).toBe('high');
    expect(results.filter((r) => r.crossedToHigh && r.outcome === 'counted')).toHaveLength(1);
    expect(invocations).toHaveLength(1);
  });

  test('five deliveries at once of the detection that crosses into high revoke once, with one request', async () => {
    const agent = 'racing-crossing';
    const d = detection(agent, 'critical', { id: 'race-1' });
    const atomic = { ...clients, dynamodb: atomicWrites(ddb) };
    const results = await Promise.all(Array.from({ length: 5 }, () => recordDetection(atomic, CONFIG, d, T0)));
    expect((await riskItem(agent))!.score).toBe(50);
    expect(results.filter((r) => r.outcome === 'counted')).toHaveLength(1);
    expect(results.filter((r) => r.revocationRequested)).toHaveLength(1);
    expect(invocations).toEqual([expect.objectContaining({ agent, score: 50, eventId: `risk:${agent}:${T0.toISOString()}` })]);
  });
});

describe('crossing into high asks the revoker once per crossing', () => {
  test('the first critical detection revokes; more detections while high do not; a new crossing after decay does', async () => {
    const agent = 'crossing';
    const first = await recordDetection(clients, CONFIG, detection(agent, 'critical', { id: 'x-1' }), T0);
    expect(first).toMatchObject({ band: 'high', crossedToHigh: true, revocationRequested: true });
    expect(lambdaSend).toHaveBeenCalledTimes(1);
    expect(lambdaSend.mock.calls[0][0]).toBeInstanceOf(InvokeCommand);
    expect(lambdaSend.mock.calls[0][0].input).toMatchObject({ FunctionName: REVOKER, InvocationType: 'Event' });
    expect(invocations[0]).toEqual({
      kind: 'risk', agent, score: 50, band: 'high', eventId: `risk:${agent}:${T0.toISOString()}`, time: T0.toISOString(),
      reason: expect.stringContaining(`reached high (>= ${RISK_THRESHOLDS.high}) after DET-3.01 (critical) on event x-1`),
    });

    await recordDetection(clients, CONFIG, detection(agent, 'critical', { id: 'x-2', time: at(60) }), at(60));
    await recordDetection(clients, CONFIG, detection(agent, 'high', { id: 'x-3', time: at(120) }), at(120));
    expect(lambdaSend).toHaveBeenCalledTimes(1);

    // Six hours later the score has decayed below 40; one critical detection crosses again.
    const later = at(6 * 3600);
    const decayed = decayedScore((await riskItem(agent))!.score, at(120), later);
    expect(decayed).toBeLessThan(RISK_THRESHOLDS.high - SEVERITY_POINTS.high);
    const again = await recordDetection(clients, CONFIG, detection(agent, 'high', { id: 'x-4', time: later }), later);
    expect(again).toMatchObject({ previousBand: 'low', band: 'elevated', revocationRequested: false });
    const cross = await recordDetection(clients, CONFIG, detection(agent, 'high', { id: 'x-5', time: later }), later);
    expect(cross).toMatchObject({ previousBand: 'elevated', band: 'high', crossedToHigh: true, revocationRequested: true });
    expect(lambdaSend).toHaveBeenCalledTimes(2);
    expect(invocations[1]).toMatchObject({ agent, eventId: `risk:${agent}:${later.toISOString()}` });
  });

  test('a revocation lost to a failed invoke is sent by the redelivery of the detection, and only once', async () => {
    const agent = 'lost-invoke';
    const d = detection(agent, 'critical', { id: 'lost-1' });
    lambdaSend.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    await expect(recordDetection(clients, CONFIG, d, T0)).rejects.toThrow('Rate exceeded');
    expect((await riskItem(agent))!.score).toBe(50);
    const retry = await recordDetection(clients, CONFIG, d, at(5));
    expect(retry).toMatchObject({ outcome: 'duplicate', crossedToHigh: true, revocationRequested: true });
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({ agent, eventId: `risk:${agent}:${T0.toISOString()}` });
    const third = await recordDetection(clients, CONFIG, d, at(10));
    expect(third).toMatchObject({ outcome: 'duplicate', revocationRequested: false });
    expect(lambdaSend).toHaveBeenCalledTimes(2);
    expect((await riskItem(agent))!.score).toBe(50);
  });
});

describe('the agent is found in the event', () => {
  test('AssumeRole of an agent role by another principal counts for the agent assumed (DET-3.09)', () => {
    const event = { detail: {
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      userIdentity: { sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/intruder` } } },
      requestParameters: { roleArn: roleArn('research'), roleSessionName: 'x' },
    } };
    expect(agentOfEvent(event, ENV)).toBe('research');
  });

  test('an agent that assumes a role outside the agents path is the one counted (DET-3.03)', () => {
    const event = { detail: {
      userIdentity: { sessionContext: { sessionIssuer: { arn: roleArn('release') } } },
      requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/admin` },
    } };
    expect(agentOfEvent(event, ENV)).toBe('release');
  });

  test('a GuardDuty finding names the agent by its access key\'s role name', () => {
    expect(agentOfEvent({ detail: { resource: { accessKeyDetails: { userName: 'agent-support-triage-dev' } } } }, ENV)).toBe('support-triage');
  });

  test('roles of another environment or outside /agents/<env>/ are not agents of this one', () => {
    expect(agentOfEvent({ detail: { userIdentity: { sessionContext: { sessionIssuer: { arn: roleArn('research', 'prod') } } } } }, ENV)).toBeUndefined();
    expect(agentOfEvent({ detail: { userIdentity: { sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/agent-research-dev` } } } } }, ENV)).toBeUndefined();
    expect(agentOfEvent({ detail: { resource: { accessKeyDetails: { userName: 'agent-research-prod' } } } }, ENV)).toBeUndefined();
  });

  test('a detection about no agent is ignored and logged', async () => {
    const d = detection('x', 'critical');
    (d as any).event.detail.userIdentity.sessionContext.sessionIssuer.arn = `arn:aws:iam::${ACCOUNT}:role/someone`;
    const r = await recordDetection(clients, CONFIG, d, T0);
    expect(r).toMatchObject({ outcome: 'ignored', revocationRequested: false });
    expect(lambdaSend).not.toHaveBeenCalled();
    expect(JSON.parse(logs[0])).toMatchObject({ message: 'detection ignored', ruleId: 'DET-3.01' });
  });
});

test('every detection is logged as one JSON line', async () => {
  await recordDetection(clients, CONFIG, detection('logged', 'high', { id: 'log-1' }), T0);
  expect(logs.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({
    message: 'detection counted', agent: 'logged', ruleId: 'DET-3.01', severity: 'high', eventId: 'log-1', points: 20, score: 20, band: 'elevated',
  })]);
});

test.each([
  [{ kind: 'manual' }, /expected a detection/],
  [{ kind: 'detection', ruleId: 'DET-3.01', severity: 'severe', event: {} }, /severity "severe"; expected one of low, medium, high, critical/],
  [{ kind: 'detection', ruleId: 'DET-3.01', severity: 'low', event: { detail: {} } }, /event without an id/],
])('refuses a malformed request %j', async (request, message) => {
  await expect(recordDetection(clients, CONFIG, request as any, T0)).rejects.toThrow(message);
});

describe('the Lambda entry point', () => {
  afterEach(() => {
    for (const k of ['AWS_ENDPOINT_URL', 'ENVIRONMENT', 'RISK_TABLE', 'REVOKER_FUNCTION']) delete process.env[k];
  });

  test('reads ENVIRONMENT and RISK_TABLE and reaches DynamoDB at AWS_ENDPOINT_URL', async () => {
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, ENVIRONMENT: ENV, RISK_TABLE: TABLE, REVOKER_FUNCTION: REVOKER });
    const r = await handler(detection('via-handler', 'medium'));
    expect(r).toMatchObject({ outcome: 'counted', score: expect.closeTo(5, 1) });
    expect((await riskItem('via-handler'))!.score).toBeGreaterThan(4.9);
  });

  test('names the missing variables', async () => {
    await expect(handler(detection('x', 'low'))).rejects.toThrow('risk: ENVIRONMENT, RISK_TABLE, REVOKER_FUNCTION not set');
  });
});
