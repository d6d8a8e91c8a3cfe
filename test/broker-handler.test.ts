/**
 * The credential broker against moto (SSM registry and templates, the DynamoDB
 * risk table, IAM and STS): each risk band gets its decision, issued
 * credentials work and name the task's session, and the source identity,
 * session tags, session policy and duration reach STS.
 *
 * moto 5.2.5's STS ignores SourceIdentity and Tags (its AssumeRole response has
 * no SourceIdentity and it stores neither), so the requests moto received are
 * captured by a recording proxy in front of it. (moto's own request recorder
 * writes to MOTO_RECORDER_FILEPATH, which cannot be set from a test: jest's
 * sandboxed process.env does not reach the moto_server that startMoto spawns,
 * so it would write `moto_recording` into the repository.) The session policy
 * and session name are read from moto's model data (/moto-api/data.json), and
 * the session itself with GetCallerIdentity.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { approvalItem, broker, BrokerClients, BrokerConfig, BrokerResponse, FunctionUrlEvent, handler, roleSessionName } from '../lambda/broker/index';
import { readOnlyVariant } from '../lib/read-only-variant';
import { Grant } from '../lib/grant';
import { AwsLimits } from '../lib/limits';
import { policyDoc, PolicyDoc } from '../lib/policy';
import { RISK_KEYS } from '../lib/risk';
import { sessionPolicyDocument } from '../lib/session-policy';
import { createAgentTable, MotoServer, startMoto } from './support/moto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ACCOUNT = '123456789012'; // moto's default account
const ENV = 'dev';
const AGENT = 'research';
const TABLE = 'agent-iam-risk-dev';
const REVOKER = 'agent-iam-revoker-dev';
const CONFIG: BrokerConfig = { environment: ENV, riskTable: TABLE, revokerFunction: REVOKER };
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/agents/${ENV}/agent-${AGENT}-${ENV}`;
const BROKER_ROLE = `arn:aws:iam::${ACCOUNT}:role/agent-iam-broker-${ENV}`;
const RUNTIME_ROLE = `arn:aws:iam::${ACCOUNT}:role/research-runtime-${ENV}`;
const ORCHESTRATOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/agent-orchestrator-${ENV}`;
const RUNTIME_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/research-runtime-${ENV}/runtime-7`;
const NOW = new Date('2030-03-01T12:00:00.000Z');
const ELEVATED_AT = '2030-03-01T11:30:00.000Z';
const NOTES_TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/research-notes-${ENV}`;
const CORPUS = `arn:aws:s3:::research-corpus-${ACCOUNT}-${ENV}`;
const MODEL = 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0';

/** The fleet's research template, and one that reads and writes a table. */
const ANSWER: PolicyDoc = sessionPolicyDocument({ name: 'answer-question', permissions: [Grant.invokeBedrockModel(MODEL), Grant.allow({ actions: ['s3:GetObject'], resources: [`${CORPUS}/curated/*`] })] });
const NOTES: PolicyDoc = sessionPolicyDocument({ name: 'update-notes', permissions: [Grant.readWriteDynamoItems(NOTES_TABLE)] });

let moto: MotoServer;
let proxy: RecordingProxy;
let clients: BrokerClients;
let ddb: DynamoDBDocumentClient;
let lambdaSend: jest.Mock;
let logs: string[];
const savedEnv = { ...process.env };
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** An HTTP proxy in front of moto that keeps the body of every request it forwards, and moto's status. */
interface RecordingProxy {
  readonly endpoint: string;
  readonly requests: { body: string; status: number }[];
  stop(): Promise<void>;
}

async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: { body: string; status: number }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        requests.push({ body: body.toString('utf8'), status: up.statusCode ?? 0 });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.endpoint);
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  const cfg = { endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
  const raw = new DynamoDBClient(cfg);
  ddb = DynamoDBDocumentClient.from(raw);
  // The broker reaches STS through the recording proxy.
  clients = { ssm: new SSMClient(cfg), dynamodb: ddb, sts: new STSClient({ ...cfg, endpoint: proxy.endpoint }), lambda: new LambdaClient(cfg) };

  await new IAMClient(cfg).send(new CreateRoleCommand({
    RoleName: `agent-${AGENT}-${ENV}`,
    Path: `/agents/${ENV}/`,
    MaxSessionDuration: 3600,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow', Principal: { AWS: [BROKER_ROLE] }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { StringLike: { 'sts:SourceIdentity': ['*'] }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['task-id', 'on-behalf-of', 'risk-level'] } },
      }],
    }),
  }));
  const entry = {
    id: AGENT, owner: 'ml-research@example.com', purpose: 'Answers research questions', stage: 4, environment: ENV,
    roleArn: ROLE_ARN, sessionTtlSeconds: 1800, maxSessionDurationSeconds: 3600,
    sessionPolicies: ['answer-question', 'update-notes', 'curated-only', 'no-variant'],
    callers: [RUNTIME_ROLE, ORCHESTRATOR_ROLE],
    onBehalfOfPatterns: ['*@example.com'],
  };
  const base = `/agent-iam/${ENV}/agents/${AGENT}`;
  const put = (Name: string, Value: string) => clients.ssm.send(new PutParameterCommand({ Name, Value, Type: 'SecureString' }));
  await put(base, JSON.stringify(entry));
  // As the stack publishes them: each template and, beside it, its read-only variant.
  await put(`${base}/session-policies/answer-question`, JSON.stringify(ANSWER));
  await put(`${base}/session-policies/answer-question/read-only`, JSON.stringify(readOnlyVariant(ANSWER)));
  await put(`${base}/session-policies/update-notes`, JSON.stringify(NOTES));
  await put(`${base}/session-policies/update-notes/read-only`, JSON.stringify(readOnlyVariant(NOTES)));
  // A template whose read-only variant the stack published (the bundled Lambda cannot compute one).
  await put(`${base}/session-policies/curated-only`, JSON.stringify(ANSWER));
  await put(`${base}/session-policies/curated-only/read-only`, JSON.stringify(policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${CORPUS}/curated/*`] }])));
  // A template published without its read-only variant (a stack deployed by hand, or a failed apply).
  await put(`${base}/session-policies/no-variant`, JSON.stringify(NOTES));

  await createAgentTable(raw, TABLE);
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  process.env = savedEnv;
});

beforeEach(async () => {
  lambdaSend = jest.fn(async () => ({ StatusCode: 202 }));
  clients = { ...clients, lambda: { send: lambdaSend } as unknown as LambdaClient };
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
  await setRisk(undefined);
  const approvals = await ddb.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: 'agent = :a AND begins_with(sk, :p)', ExpressionAttributeValues: { ':a': AGENT, ':p': RISK_KEYS.approvalPrefix },
  }));
  for (const a of approvals.Items ?? []) await ddb.send(new DeleteCommand({ TableName: TABLE, Key: { agent: AGENT, sk: a.sk } }));
  proxy.requests.length = 0;
});

afterEach(() => jest.restoreAllMocks());

async function motoApi(method: string, p: string): Promise<string> {
  const res = await fetch(`${moto.endpoint}${p}`, { method });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}`);
  return res.text();
}

/** The risk item as the risk Lambda writes it; undefined removes it (a never-detected agent). */
async function setRisk(score: number | undefined, updatedAt = NOW, elevatedSince = ELEVATED_AT, lastDetectionAt = elevatedSince): Promise<void> {
  const key = { agent: AGENT, sk: RISK_KEYS.risk };
  if (score === undefined) {
    await ddb.send(new DeleteCommand({ TableName: TABLE, Key: key }));
    return;
  }
  const band = score >= 40 ? 'high' : score >= 10 ? 'elevated' : 'low';
  await ddb.send(new PutCommand({
    TableName: TABLE,
    Item: { ...key, score, updatedAt: updatedAt.toISOString(), lastDetectionAt, band, ...(band === 'low' ? {} : { elevatedSince }), version: 1, recentEvents: [] },
  }));
}

async function approve(at: Date): Promise<void> {
  await ddb.send(new PutCommand({ TableName: TABLE, Item: { ...approvalItem(AGENT, 'arn:aws:iam::123456789012:role/security-lead', 'reviewed the detections', at) } }));
}

/** A function URL event; `caller: null` is a call without an IAM authorizer. */
function urlEvent(body: unknown, caller: string | null = RUNTIME_SESSION): FunctionUrlEvent {
  return {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', ...(caller ? { authorizer: { iam: { userArn: caller } } } : {}) },
  };
}

const ask = (over: Record<string, unknown> = {}, caller?: string): Promise<BrokerResponse> => broker(
  clients, CONFIG, urlEvent({ agent: AGENT, taskId: 't-100', onBehalfOf: 'alice@example.com', template: 'update-notes', access: 'write', ...over }, caller), NOW,
);

const bodyOf = (r: BrokerResponse): any => JSON.parse(r.body);

/** The AssumeRole requests moto received (and answered 200) since the test began, as their form parameters. */
async function assumeRoleRequests(): Promise<URLSearchParams[]> {
  const assumeRoles = proxy.requests.map((r) => ({ ...r, params: new URLSearchParams(r.body) })).filter((r) => r.params.get('Action') === 'AssumeRole');
  for (const r of assumeRoles) expect(r.status).toBe(200);
  return assumeRoles.map((r) => r.params);
}

function tagsOf(p: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; p.has(`Tags.member.${i}.Key`); i++) tags[p.get(`Tags.member.${i}.Key`)!] = p.get(`Tags.member.${i}.Value`)!;
  return tags;
}

/** moto's record of the session behind an access key. */
async function motoSession(accessKeyId: string): Promise<any> {
  const data = JSON.parse(await motoApi('GET', '/moto-api/data.json'));
  return (data.sts?.AssumedRole ?? []).find((r: any) => r.access_key_id === accessKeyId);
}

const actionsOf = (doc: PolicyDoc): string[] => doc.Statement.flatMap((s) => s.Action ?? []).sort();

/** Checks an issued response end to end; returns the AssumeRole parameters moto received. */
async function expectIssued(r: BrokerResponse, expected: { decision: string; duration: number; policy: PolicyDoc; band: string; taskId?: string }): Promise<URLSearchParams> {
  expect(r.statusCode).toBe(200);
  const body = bodyOf(r);
  const taskId = expected.taskId ?? 't-100';
  expect(body).toMatchObject({ decision: expected.decision, durationSeconds: expected.duration, sessionName: `task-${taskId}`, risk: { band: expected.band } });
  expect(body.credentials).toEqual({ AccessKeyId: expect.any(String), SecretAccessKey: expect.any(String), SessionToken: expect.any(String), Expiration: expect.any(String) });

  // What reached STS: role, session name, source identity, tags, policy, duration.
  const requests = await assumeRoleRequests();
  expect(requests).toHaveLength(1);
  const p = requests[0];
  expect(p.get('RoleArn')).toBe(ROLE_ARN);
  expect(p.get('RoleSessionName')).toBe(`task-${taskId}`);
  expect(p.get('SourceIdentity')).toBe('alice@example.com');
  expect(tagsOf(p)).toEqual({ 'task-id': taskId, 'on-behalf-of': 'alice@example.com', 'risk-level': expected.band });
  expect(p.get('DurationSeconds')).toBe(String(expected.duration));
  expect(JSON.parse(p.get('Policy')!)).toEqual(expected.policy);
  expect(p.get('Policy')!.length).toBeLessThanOrEqual(AwsLimits.SESSION_POLICY_MAX);
  expect(p.has('TransitiveTagKeys.member.1')).toBe(false);

  // The session as moto holds it, and the credentials at work.
  const session = await motoSession(body.credentials.AccessKeyId);
  expect(session).toMatchObject({ role_arn: ROLE_ARN, session_name: `task-${taskId}` });
  expect(JSON.parse(session.policy)).toEqual(expected.policy);
  const lifetime = (Date.parse(body.credentials.Expiration) - Date.now()) / 1000;
  expect(lifetime).toBeGreaterThan(expected.duration - 60);
  expect(lifetime).toBeLessThanOrEqual(expected.duration + 1);
  const asAgent = new STSClient({
    endpoint: moto.endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: body.credentials.AccessKeyId, secretAccessKey: body.credentials.SecretAccessKey, sessionToken: body.credentials.SessionToken },
  });
  const me = await asAgent.send(new GetCallerIdentityCommand({}));
  expect(me.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/agent-${AGENT}-${ENV}/task-${taskId}`);
  return p;
}

async function expectNothingIssued(): Promise<void> {
  expect(await assumeRoleRequests()).toEqual([]);
}

function logLine(): any {
  expect(logs).toHaveLength(1);
  return JSON.parse(logs[0]);
}

describe('low risk: credentials for the task, with its template, for the agent\'s TTL', () => {
  test('write access: the full template, 1,800 s, source identity and tags at STS', async () => {
    await setRisk(3);
    await expectIssued(await ask(), { decision: 'issue', duration: 1800, policy: NOTES, band: 'low' });
    expect(lambdaSend).not.toHaveBeenCalled();
  });

  test('read access: the read-only variant (GetItem and Query, no PutItem)', async () => {
    await expectIssued(await ask({ access: 'read' }), { decision: 'issue', duration: 1800, policy: readOnlyVariant(NOTES), band: 'low' });
    const policy = readOnlyVariant(NOTES);
    expect(actionsOf(policy)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(actionsOf(policy)).not.toContain('dynamodb:PutItem');
  });

  test('a read-only variant the stack published is used as published', async () => {
    const published = policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${CORPUS}/curated/*`] }]);
    await expectIssued(await ask({ access: 'read', template: 'curated-only' }), { decision: 'issue', duration: 1800, policy: published, band: 'low' });
  });

  test('a template without its published read-only variant fails loudly for read access, naming the parameter', async () => {
    const r = await ask({ access: 'read', template: 'no-variant' });
    expect(r.statusCode).toBe(502);
    expect(bodyOf(r)).toMatchObject({ decision: 'error', reason: expect.stringContaining(`read-only variant /agent-iam/${ENV}/agents/${AGENT}/session-policies/no-variant/read-only is missing`) });
    expect(await assumeRoleRequests()).toEqual([]);
    // Write access does not need the variant.
    await expectIssued(await ask({ template: 'no-variant' }), { decision: 'issue', duration: 1800, policy: NOTES, band: 'low' });
  });

  test('points decay: a score of 20 two hours ago is 5 now, low', async () => {
    await setRisk(20, new Date(NOW.getTime() - 2 * 3600_000));
    await expectIssued(await ask(), { decision: 'issue', duration: 1800, policy: NOTES, band: 'low' });
    expect(logLine().risk).toEqual({ score: 5, band: 'low' });
  });

  test('a task id with characters a session name refuses is sanitized in the session name only', async () => {
    const taskId = 'ticket:42/part 3';
    expect(roleSessionName(taskId)).toBe('task-ticket-42-part-3');
    const r = await ask({ taskId });
    expect(r.statusCode).toBe(200);
    const [p] = await assumeRoleRequests();
    expect(p.get('RoleSessionName')).toBe('task-ticket-42-part-3');
    expect(tagsOf(p)['task-id']).toBe(taskId);
  });
});

describe('elevated risk: short read-only sessions; writes only after a new approval', () => {
  beforeEach(() => setRisk(25));

  test('read access: a 900 s read-only session tagged risk-level=elevated', async () => {
    await expectIssued(await ask({ access: 'read' }), { decision: 'issue-read-only', duration: 900, policy: readOnlyVariant(NOTES), band: 'elevated' });
  });

  test('write access without an approval: 403 refuse-reauth, no AssumeRole', async () => {
    const r = await ask();
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r)).toMatchObject({ decision: 'refuse-reauth', reason: expect.stringContaining('npx agent-iam approve'), risk: { band: 'elevated' } });
    expect(bodyOf(r).credentials).toBeUndefined();
    await expectNothingIssued();
    expect(lambdaSend).not.toHaveBeenCalled();
  });

  test('write access with an approval older than the elevation: refused', async () => {
    await approve(new Date(Date.parse(ELEVATED_AT) - 60_000));
    const r = await ask();
    expect(bodyOf(r).decision).toBe('refuse-reauth');
    await expectNothingIssued();
  });

  test('write access after a person approved the agent again: the full template for 900 s', async () => {
    await approve(new Date(Date.parse(ELEVATED_AT) - 60_000));
    await approve(new Date(Date.parse(ELEVATED_AT) + 60_000));
    await expectIssued(await ask(), { decision: 'issue', duration: 900, policy: NOTES, band: 'elevated' });
  });

  test('an approval dated in the future (9999-12-31) does not unlock writes, and does not hide a real one', async () => {
    await approve(new Date('9999-12-31T00:00:00.000Z'));
    expect(bodyOf(await ask()).decision).toBe('refuse-reauth');
    await expectNothingIssued();
    await approve(new Date(Date.parse(ELEVATED_AT) + 60_000));
    await expectIssued(await ask(), { decision: 'issue', duration: 900, policy: NOTES, band: 'elevated' });
  });

  test('an approval whose own approvedAt field lies about its time is read by its key\'s time', async () => {
    const item = approvalItem(AGENT, 'arn:aws:iam::123456789012:role/security-lead', 'reviewed', new Date(Date.parse(ELEVATED_AT) - 60_000));
    await ddb.send(new PutCommand({ TableName: TABLE, Item: { ...item, approvedAt: '2030-03-01T11:59:00.000Z' } }));
    expect(bodyOf(await ask()).decision).toBe('refuse-reauth');
  });

  test('an approval covers one episode: a detection after it needs a new approval', async () => {
    const approvedAt = Date.parse(ELEVATED_AT) + 60_000;
    await approve(new Date(approvedAt));
    await setRisk(28, NOW, ELEVATED_AT, new Date(approvedAt + 5 * 60_000).toISOString()); // still elevated, a new detection
    const r = await ask();
    expect(bodyOf(r)).toMatchObject({ decision: 'refuse-reauth', reason: expect.stringContaining('an approval covers one episode') });
    await expectNothingIssued();
    await approve(new Date(approvedAt + 10 * 60_000));
    await expectIssued(await ask(), { decision: 'issue', duration: 900, policy: NOTES, band: 'elevated' });
  });
});

describe('high risk: refused, and revocation triggered', () => {
  test.each(['read', 'write'])('%s access: 403 refuse-revoke, the revoker invoked asynchronously, no AssumeRole', async (access) => {
    await setRisk(55);
    await approve(new Date(NOW.getTime() - 1000));
    const r = await ask({ access });
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r)).toMatchObject({ decision: 'refuse-revoke', risk: { score: 55, band: 'high' } });
    await expectNothingIssued();
    expect(lambdaSend).toHaveBeenCalledTimes(1);
    const cmd = lambdaSend.mock.calls[0][0] as InvokeCommand;
    expect(cmd).toBeInstanceOf(InvokeCommand);
    expect(cmd.input).toMatchObject({ FunctionName: REVOKER, InvocationType: 'Event' });
    expect(JSON.parse(Buffer.from(cmd.input.Payload as Uint8Array).toString('utf8'))).toEqual({
      kind: 'risk', agent: AGENT, score: 55, band: 'high', eventId: `risk:${AGENT}:${ELEVATED_AT}`, time: NOW.toISOString(),
      reason: expect.stringContaining('broker refused task t-100'),
    });
    expect(logLine()).toMatchObject({ decision: 'refuse-revoke', revocationRequested: true });
  });

  test('a failing revoker invocation still refuses, and the log says so', async () => {
    await setRisk(80);
    lambdaSend.mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' }));
    const r = await ask();
    expect(r.statusCode).toBe(403);
    expect(logLine()).toMatchObject({ decision: 'refuse-revoke', revocationRequested: false, revokerError: 'TooManyRequestsException: throttled' });
    await expectNothingIssued();
  });
});

describe('only the agent\'s declared callers get an answer', () => {
  test.each([
    ['an undeclared role', `arn:aws:sts::${ACCOUNT}:assumed-role/some-other-role/s`],
    ['a declared role name in another account', `arn:aws:sts::999999999999:assumed-role/research-runtime-${ENV}/s`],
    ['an IAM user', `arn:aws:iam::${ACCOUNT}:user/research-runtime-${ENV}`],
  ])('%s gets 403 refuse-caller and no credentials', async (_label, caller) => {
    await setRisk(0);
    const r = await ask({}, caller);
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r)).toMatchObject({ decision: 'refuse-caller', reason: `caller ${caller} is not a declared caller of agent "${AGENT}"` });
    await expectNothingIssued();
  });

  test('a call without an IAM caller (function URL not AWS_IAM) is refused', async () => {
    const r = await broker(clients, CONFIG, urlEvent({ agent: AGENT, taskId: 't', onBehalfOf: 'alice', template: 'update-notes', access: 'read' }, null), NOW);
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r).decision).toBe('refuse-caller');
    await expectNothingIssued();
  });

  test('a declared role with a path matches its session, whose ARN has no path', async () => {
    const r = await ask({}, `arn:aws:sts::${ACCOUNT}:assumed-role/agent-orchestrator-${ENV}/orch-1`);
    expect(r.statusCode).toBe(200);
  });

  test('an agent not in the registry is refused', async () => {
    const r = await ask({ agent: 'nobody' });
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r).reason).toBe('agent "nobody" is not in the dev registry');
  });
});

describe('whom the agent acts for: declared patterns (no identity provider)', () => {
  test('a declared caller cannot name a person outside the agent\'s onBehalfOf patterns', async () => {
    const r = await ask({ onBehalfOf: 'ceo-at-other-corp' });
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r)).toMatchObject({ decision: 'refuse-delegation', reason: expect.stringContaining('the registry allows "*@example.com"') });
    await expectNothingIssued();
    expect(logLine()).toMatchObject({ decision: 'refuse-delegation', delegation: 'declared-pattern' });
  });

  test('a name within the patterns is issued, and the log says the caller\'s word was checked against patterns', async () => {
    await expectIssued(await ask({ access: 'write' }), { decision: 'issue', duration: 1800, policy: NOTES, band: 'low' });
    expect(logLine()).toMatchObject({ decision: 'issue', delegation: 'declared-pattern', onBehalfOf: 'alice@example.com' });
  });
});

describe('whom the agent acts for: a verified token of the person', () => {
  const ISSUER = 'https://login.example.com/oauth2/default';
  const AUDIENCE = 'agent-iam-broker';
  let jwksServer: http.Server;
  let jwksUri: string;
  let sign: (claims: Record<string, unknown>, opts?: { exp?: string | number; iat?: number; key?: 'good' | 'rogue'; alg?: string }) => Promise<string>;
  let tokenConfig: BrokerConfig;

  beforeAll(async () => {
    const good = await generateKeyPair('RS256');
    const rogue = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ keys: [jwk] })); });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    tokenConfig = { ...CONFIG, delegationToken: { issuer: ISSUER, audiences: [AUDIENCE], jwksUri } };
    sign = async (claims, opts = {}) => {
      const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'k1' })
        .setIssuedAt(opts.iat ?? Math.floor(NOW.getTime() / 1000) - 60).setExpirationTime(opts.exp ?? Math.floor(NOW.getTime() / 1000) + 600);
      return jwt.sign(opts.key === 'rogue' ? rogue.privateKey : good.privateKey);
    };
  });
  afterAll(async () => {
    jwksServer?.closeAllConnections();
    await new Promise<void>((resolve) => (jwksServer ? jwksServer.close(() => resolve()) : resolve()));
  });

  const askWithToken = (over: Record<string, unknown>) => broker(
    clients, tokenConfig, urlEvent({ agent: AGENT, taskId: 't-100', template: 'update-notes', access: 'write', ...over }), NOW,
  );

  test('the token\'s subject becomes the source identity and the on-behalf-of tag; the log says verified-token', async () => {
    const token = await sign({ iss: ISSUER, aud: AUDIENCE, sub: 'alice@example.com' });
    const p = await expectIssued(await askWithToken({ subjectToken: token }), { decision: 'issue', duration: 1800, policy: NOTES, band: 'low' });
    expect(p.get('SourceIdentity')).toBe('alice@example.com');
    expect(logLine()).toMatchObject({ decision: 'issue', delegation: 'verified-token', onBehalfOf: 'alice@example.com' });
  });

  test.each([
    ['no token at all (the caller only names someone)', async () => ({ onBehalfOf: 'alice@example.com' }), /pass the person's OIDC token/],
    ['a token signed by another key', async () => ({ subjectToken: await sign({ iss: ISSUER, aud: AUDIENCE, sub: 'alice@example.com' }, { key: 'rogue' }) }), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['a token for another audience', async () => ({ subjectToken: await sign({ iss: ISSUER, aud: 'another-app', sub: 'alice@example.com' }) }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/],
    ['a token of another issuer', async () => ({ subjectToken: await sign({ iss: 'https://evil.example.net', aud: AUDIENCE, sub: 'alice@example.com' }) }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/],
    ['an expired token', async () => ({ subjectToken: await sign({ iss: ISSUER, aud: AUDIENCE, sub: 'alice@example.com' }, { exp: Math.floor(NOW.getTime() / 1000) - 3600, iat: Math.floor(NOW.getTime() / 1000) - 7200 }) }), /ERR_JWT_EXPIRED/],
    ['an unsigned token (alg none)', async () => ({ subjectToken: `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice@example.com', exp: 4102444800 })).toString('base64url')}.x` }), /refused/],
    ['a valid token while onBehalfOf names someone else', async () => ({ subjectToken: await sign({ iss: ISSUER, aud: AUDIENCE, sub: 'alice@example.com' }), onBehalfOf: 'bob@example.com' }), /onBehalfOf "bob@example.com" is not the token's subject "alice@example.com"/],
  ])('refused: %s', async (_title, body, reason) => {
    const r = await askWithToken(await body());
    expect(r.statusCode).toBe(403);
    expect(bodyOf(r).decision).toBe('refuse-delegation');
    expect(bodyOf(r).reason).toMatch(reason);
    await expectNothingIssued();
  });
});

describe('bad input gets 400 and names each field', () => {
  test.each([
    [{ agent: 'Research' }, 'agent: must be an agent name'],
    [{ taskId: '' }, 'taskId: must be 1-256 characters'],
    [{ taskId: 'a,b' }, 'taskId: must be 1-256 characters'],
    [{ taskId: 'x'.repeat(257) }, 'taskId: must be 1-256 characters'],
    [{ onBehalfOf: '' }, 'onBehalfOf: must be 2-64'],
    [{ onBehalfOf: 'alice,bob' }, 'onBehalfOf: must be 2-64'],
    [{ onBehalfOf: 'a'.repeat(65) }, 'onBehalfOf: must be 2-64'],
    [{ template: '../../x' }, 'template: must be a session-policy template name'],
    [{ access: 'admin' }, 'access: must be "read" or "write"'],
  ])('%j', async (over, message) => {
    const r = await ask(over);
    expect(r.statusCode).toBe(400);
    expect(bodyOf(r).decision).toBe('bad-request');
    expect(bodyOf(r).problems).toEqual([expect.stringContaining(message)]);
    await expectNothingIssued();
  });

  test('a body that is not JSON', async () => {
    const r = await broker(clients, CONFIG, urlEvent('{nope'), NOW);
    expect(r.statusCode).toBe(400);
    expect(bodyOf(r)).toMatchObject({ decision: 'bad-request', reason: 'the body is not JSON' });
  });

  test('a template the agent does not have', async () => {
    const r = await ask({ template: 'delete-everything' });
    expect(r.statusCode).toBe(400);
    expect(bodyOf(r).reason).toContain('has no session-policy template "delete-everything"');
  });

  test('a base64-encoded body (as function URLs deliver some) is decoded', async () => {
    const body = Buffer.from(JSON.stringify({ agent: AGENT, taskId: 't-100', onBehalfOf: 'alice@example.com', template: 'update-notes', access: 'write' })).toString('base64');
    const r = await broker(clients, CONFIG, { ...urlEvent(''), body, isBase64Encoded: true }, NOW);
    expect(r.statusCode).toBe(200);
  });
});

describe('every decision is one structured log line for the SIEM', () => {
  test('an issue names agent, task, on-behalf-of, caller, risk, decision, reason and duration', async () => {
    await setRisk(12);
    await ask({ access: 'read' });
    expect(logLine()).toEqual({
      message: 'broker decision', time: NOW.toISOString(), caller: RUNTIME_SESSION,
      agent: AGENT, taskId: 't-100', onBehalfOf: 'alice@example.com', template: 'update-notes', access: 'read',
      risk: { score: 12, band: 'elevated' }, decision: 'issue-read-only', reason: expect.any(String), durationSeconds: 900, delegation: 'declared-pattern',
    });
    expect(logs[0]).not.toContain('SecretAccessKey');
  });

  test('a refusal and a bad request are logged too', async () => {
    await setRisk(15);
    await ask();
    await ask({}, `arn:aws:sts::${ACCOUNT}:assumed-role/intruder/s`);
    await ask({ access: 'root' });
    expect(logs.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ agent: AGENT, taskId: 't-100', decision: 'refuse-reauth', risk: { score: 15, band: 'elevated' } }),
      expect.objectContaining({ agent: AGENT, caller: `arn:aws:sts::${ACCOUNT}:assumed-role/intruder/s`, decision: 'refuse-caller' }),
      expect.objectContaining({ decision: 'bad-request', reason: expect.stringContaining('access') }),
    ]);
  });
});

describe('the Lambda entry point', () => {
  afterEach(() => {
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_STS', 'ENVIRONMENT', 'RISK_TABLE', 'REVOKER_FUNCTION']) delete process.env[k];
  });

  test('reads ENVIRONMENT and RISK_TABLE and reaches SSM, DynamoDB and STS at AWS_ENDPOINT_URL(_STS)', async () => {
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ENDPOINT_URL_STS: proxy.endpoint, ENVIRONMENT: ENV, RISK_TABLE: TABLE, REVOKER_FUNCTION: REVOKER });
    const r = await handler(urlEvent({ agent: AGENT, taskId: 't-200', onBehalfOf: 'bob@example.com', template: 'answer-question', access: 'read' }));
    expect(r.statusCode).toBe(200);
    expect(bodyOf(r)).toMatchObject({ decision: 'issue', durationSeconds: 1800 });
    const [p] = await assumeRoleRequests();
    expect(p.get('SourceIdentity')).toBe('bob@example.com');
    expect(JSON.parse(p.get('Policy')!)).toEqual(readOnlyVariant(ANSWER));
  });

  test('names the missing variables', async () => {
    await expect(handler(urlEvent({}))).rejects.toThrow('broker: ENVIRONMENT, RISK_TABLE, REVOKER_FUNCTION not set');
  });
});
