/**
 * The token-age Lambda against moto's IAM: it keeps each policy within IAM's
 * version limit tick after tick, and what it writes denies sessions older
 * than the TTL when evaluated by the IAM simulator.
 */
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { handler, runTick, TickResult } from '../lambda/token-age/index';
import { POLICY_VERSION_LIMIT, TOKEN_AGE_SID, tokenAgeCutoff, tokenAgePolicy } from '../lib/token-age';
import { MotoServer, startMoto } from './support/moto';
import { decide } from './support/simulator';

// The simulator reads only the account id from the stack fixtures; the handler's tests load no synth code.
jest.mock('./support/stacks', () => ({ ACCOUNT: '111122223333' }));
const ACCOUNT = '111122223333';

const INITIAL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': ['2000-01-01T00:00:00Z'] } } }] });
const START = new Date('2030-03-01T12:00:00.750Z');
const ROLE = `arn:aws:iam::${ACCOUNT}:role/agents/dev/agent-triage-dev`;
const ALLOW_READ = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] }] };

let moto: MotoServer;
let iam: IAMClient;
let logs: string[];
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SESSION_TOKEN: 'testing', AWS_REGION: 'us-east-1' });
  iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
});

afterAll(async () => {
  iam?.destroy();
  await moto?.stop();
  process.env = savedEnv;
});

beforeEach(() => {
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
});

afterEach(() => jest.restoreAllMocks());

async function createPolicy(name: string): Promise<string> {
  const out = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: INITIAL }));
  return out.Policy!.Arn!;
}

async function versions(policyArn: string): Promise<string[]> {
  const out = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
  return (out.Versions ?? []).map((v) => v.VersionId!).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** The default version's document, parsed (IAM returns it URL-encoded; moto does not, decoding is harmless then). */
async function defaultDocument(policyArn: string): Promise<{ versionId: string; doc: any }> {
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  const versionId = policy.Policy!.DefaultVersionId!;
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
  return { versionId, doc: JSON.parse(decodeURIComponent(v.PolicyVersion!.Document!)) };
}

const sessionIssuedAt = (doc: any, issued: Date) => decide({
  principal: ROLE,
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::b/report.csv',
  context: { 'aws:TokenIssueTime': issued.toISOString() },
  identityPolicies: [{ name: 'grants', policy: ALLOW_READ }, { name: 'token-age', policy: doc }],
});

describe('a tick rewrites every token-age policy', () => {
  const TTLS = [900, 1800];
  const TICKS = 20;
  let arns: string[];
  let lastNow: Date;

  beforeAll(async () => {
    arns = [await createPolicy('agent-token-age-900s-dev'), await createPolicy('agent-token-age-1800s-dev')];
  });

  test(`keeps at most ${POLICY_VERSION_LIMIT} versions across ${TICKS} ticks, deleting the oldest, and makes the new document the default`, async () => {
    const targets = arns.map((policyArn, i) => ({ policyArn, ttlSeconds: TTLS[i] }));
    for (let tick = 1; tick <= TICKS; tick++) {
      const now = new Date(START.getTime() + (tick - 1) * 60_000);
      const results: TickResult[] = await runTick(iam, targets, now);
      for (const [i, policyArn] of arns.entries()) {
        const vs = await versions(policyArn);
        expect(vs.length).toBeLessThanOrEqual(POLICY_VERSION_LIMIT);
        const { versionId, doc } = await defaultDocument(policyArn);
        expect(doc).toEqual(tokenAgePolicy(now, TTLS[i]));
        // v1 is the initial document; tick n writes v(n+1) and, once 5 versions exist, deletes the oldest.
        expect(results[i]).toEqual({
          policyArn, ttlSeconds: TTLS[i], cutoff: tokenAgeCutoff(now, TTLS[i]),
          versionId: `v${tick + 1}`, deleted: tick >= POLICY_VERSION_LIMIT ? [`v${tick - POLICY_VERSION_LIMIT + 1}`] : [],
        });
        expect(versionId).toBe(`v${tick + 1}`);
      }
      lastNow = now;
    }
    for (const policyArn of arns) {
      expect(await versions(policyArn)).toEqual(['v17', 'v18', 'v19', 'v20', 'v21']);
    }
  });

  test('logs one structured line per policy per tick', async () => {
    const now = new Date(lastNow.getTime() + 60_000);
    await runTick(iam, arns.map((policyArn, i) => ({ policyArn, ttlSeconds: TTLS[i] })), now);
    const lines = logs.map((l) => JSON.parse(l));
    expect(lines).toEqual(arns.map((policyArn, i) => expect.objectContaining({
      policyArn, ttlSeconds: TTLS[i], cutoff: tokenAgeCutoff(now, TTLS[i]), versionId: 'v22', deleted: ['v17'],
    })));
    lastNow = now;
  });

  test.each(TTLS.map((ttl, i) => [ttl, i]))('the written %i s policy denies a session issued before now - TTL and allows one issued after', async (ttl, i) => {
    const { doc } = await defaultDocument(arns[i]);
    expect(doc.Statement[0].Sid).toBe(TOKEN_AGE_SID);
    const cutoff = new Date(tokenAgeCutoff(lastNow, ttl));
    expect(await sessionIssuedAt(doc, new Date(cutoff.getTime() - 60_000))).toBe('ExplicitlyDenied');
    expect(await sessionIssuedAt(doc, new Date(cutoff.getTime() - 1_000))).toBe('ExplicitlyDenied');
    expect(await sessionIssuedAt(doc, new Date(cutoff.getTime() + 1_000))).toBe('Allowed');
    expect(await sessionIssuedAt(doc, lastNow)).toBe('Allowed');
  });
});

test('the default version is kept even when it is the oldest', async () => {
  const arn = await createPolicy('agent-token-age-3600s-old-default');
  for (let i = 0; i < POLICY_VERSION_LIMIT - 1; i++) {
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: INITIAL, SetAsDefault: false }));
  }
  const [result] = await runTick(iam, [{ policyArn: arn, ttlSeconds: 3600 }], START);
  expect(result.deleted).toEqual(['v2']);
  expect(await versions(arn)).toEqual(['v1', 'v3', 'v4', 'v5', 'v6']);
  expect((await defaultDocument(arn)).doc).toEqual(tokenAgePolicy(START, 3600));
});

test('a policy that does not exist fails the tick, after the other policies were updated', async () => {
  const missing = 'arn:aws:iam::123456789012:policy/agent-token-age-60s-missing';
  const arn = await createPolicy('agent-token-age-1800s-survivor');
  await expect(runTick(iam, [{ policyArn: missing, ttlSeconds: 900 }, { policyArn: arn, ttlSeconds: 1800 }], START))
    .rejects.toThrow(/1 of 2 policies not updated: arn:aws:iam::123456789012:policy\/agent-token-age-60s-missing: NoSuchEntityException/);
  expect((await defaultDocument(arn)).doc).toEqual(tokenAgePolicy(START, 1800));
  const lines = logs.map((l) => JSON.parse(l));
  expect(lines).toEqual([
    expect.objectContaining({ policyArn: missing, error: expect.stringContaining('NoSuchEntityException') }),
    expect.objectContaining({ policyArn: arn, versionId: 'v2' }),
  ]);
  expect(lines[0].versionId).toBeUndefined();
});

describe('the Lambda entry point', () => {
  afterEach(() => {
    delete process.env.POLICIES;
    delete process.env.AWS_ENDPOINT_URL;
  });

  test('reads POLICIES and reaches IAM at AWS_ENDPOINT_URL with the current time', async () => {
    const arn = await createPolicy('agent-token-age-900s-handler');
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    process.env.POLICIES = JSON.stringify([{ policyArn: arn, ttlSeconds: 900 }]);
    const before = new Date();
    const [result] = await handler({ 'detail-type': 'Scheduled Event' });
    const after = new Date();
    expect(result.versionId).toBe('v2');
    const { doc } = await defaultDocument(arn);
    const written = doc.Statement[0].Condition.DateLessThan['aws:TokenIssueTime'][0];
    expect(written >= tokenAgeCutoff(before, 900) && written <= tokenAgeCutoff(after, 900)).toBe(true);
  });

  test.each([
    [undefined, /token-age: POLICIES not set/],
    ['{"policyArn":"arn:aws:iam::1:policy/p"}', /POLICIES must be a JSON array/],
    ['[{"policyArn":"arn:aws:iam::1:policy/p","ttlSeconds":"900"}]', /POLICIES\[0\] must be/],
  ])('refuses POLICIES=%s', async (raw, message) => {
    if (raw !== undefined) process.env.POLICIES = raw;
    await expect(handler({})).rejects.toThrow(message);
  });
});
