/**
 * The broker's decision (stage 4): what each risk band gives a task asking for
 * read or write credentials, the read-only variant of real session-policy
 * templates, and the session policies' size within STS's 2,048 characters.
 */
import { approvalItem, BrokerDecisionInput, decide, ELEVATED_SESSION_SECONDS, ROLE_CHAINING_MAX_SECONDS, sessionPolicyWithinLimit } from '../lib/broker';
import { readOnlyVariant } from '../lib/read-only-variant';
import { exampleAgents } from '../bin/fleet';
import { Grant } from '../lib/grant';
import { AwsLimits } from '../lib/limits';
import { MaturityStage } from '../lib/maturity';
import { policyDoc, PolicyDoc, policySize } from '../lib/policy';
import { RiskBand } from '../lib/risk';
import { sessionPolicyDocument, SessionPolicyTemplate } from '../lib/session-policy';

const ACCOUNT = '111122223333';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets-staging`;
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:support-replies-staging`;

const FULL = sessionPolicyDocument({ name: 'update-ticket', permissions: [Grant.readWriteDynamoItems(TABLE)] });
const READ_ONLY = readOnlyVariant(FULL);
const ELEVATED_AT = '2030-01-01T10:00:00.000Z';
const BEFORE = '2030-01-01T09:59:59.000Z';
const AFTER = '2030-01-01T10:05:00.000Z';

const input = (over: Partial<BrokerDecisionInput>): BrokerDecisionInput => ({
  band: RiskBand.LOW, access: 'write', ttlSeconds: 1800, templateFull: FULL, templateReadOnly: READ_ONLY, ...over,
});

const actionsOf = (doc: PolicyDoc): string[] => doc.Statement.flatMap((s) => s.Action ?? []).sort();

/** The staging fleet's templates, as the stack publishes them for the broker. */
const FLEET_TEMPLATES: [string, SessionPolicyTemplate][] = exampleAgents({
  environment: 'staging', stage: MaturityStage.ENHANCED, region: 'us-east-1', accountId: ACCOUNT,
}).flatMap((a) => (a.sessionPolicies ?? []).map((t): [string, SessionPolicyTemplate] => [`${a.name}/${t.name}`, t]));

describe('each risk band gives its decision', () => {
  describe('low: credentials with the requested access for the agent\'s TTL', () => {
    test('write access gets the full template for the TTL', () => {
      expect(decide(input({ band: RiskBand.LOW, access: 'write', ttlSeconds: 1800 }))).toEqual({
        decision: 'issue', durationSeconds: 1800, sessionPolicy: FULL, reason: expect.stringContaining('risk low'),
      });
    });

    test('read access gets the read-only variant for the TTL', () => {
      const d = decide(input({ band: RiskBand.LOW, access: 'read', ttlSeconds: 1800 }));
      expect(d).toMatchObject({ decision: 'issue', durationSeconds: 1800 });
      expect(d.sessionPolicy).toEqual(READ_ONLY);
    });

    test.each([
      [300, AwsLimits.ASSUME_ROLE_DURATION_MIN],
      [900, 900],
      [3600, 3600],
      [7200, ROLE_CHAINING_MAX_SECONDS],
    ])('a TTL of %i s gives a %i s session (at least 900 s; at most the 1 h of role chaining)', (ttl, expected) => {
      expect(decide(input({ ttlSeconds: ttl })).durationSeconds).toBe(expected);
    });

    test('an old approval or elevation changes nothing while the risk is low', () => {
      const d = decide(input({ band: RiskBand.LOW, access: 'write', approvedSince: BEFORE, elevatedSince: ELEVATED_AT }));
      expect(d.decision).toBe('issue');
      expect(d.sessionPolicy).toEqual(FULL);
    });
  });

  describe('elevated: short read-only sessions; writes need a new approval', () => {
    test.each([
      ['no approval', undefined],
      ['an approval before the elevation', BEFORE],
      ['an approval after the elevation', AFTER],
    ])(`read access with %s gets a ${ELEVATED_SESSION_SECONDS}-second read-only session`, (_label, approvedSince) => {
      const d = decide(input({ band: RiskBand.ELEVATED, access: 'read', elevatedSince: ELEVATED_AT, approvedSince }));
      expect(d).toEqual({ decision: 'issue-read-only', durationSeconds: ELEVATED_SESSION_SECONDS, sessionPolicy: READ_ONLY, reason: expect.stringContaining('read-only') });
    });

    test('write access without any approval is refused until a person approves the agent', () => {
      const d = decide(input({ band: RiskBand.ELEVATED, access: 'write', elevatedSince: ELEVATED_AT }));
      expect(d).toEqual({ decision: 'refuse-reauth', reason: expect.stringContaining('npx agent-iam approve') });
      expect(d.sessionPolicy).toBeUndefined();
      expect(d.durationSeconds).toBeUndefined();
    });

    test('write access with an approval older than the elevation is refused', () => {
      const d = decide(input({ band: RiskBand.ELEVATED, access: 'write', elevatedSince: ELEVATED_AT, approvedSince: BEFORE }));
      expect(d.decision).toBe('refuse-reauth');
      expect(d.reason).toContain(`the last one, at ${BEFORE}, predates the elevation`);
    });

    test('an approval at the very instant of the elevation does not count', () => {
      expect(decide(input({ band: RiskBand.ELEVATED, access: 'write', elevatedSince: ELEVATED_AT, approvedSince: ELEVATED_AT })).decision).toBe('refuse-reauth');
    });

    test('write access approved after the elevation gets the full template for the short session', () => {
      expect(decide(input({ band: RiskBand.ELEVATED, access: 'write', elevatedSince: ELEVATED_AT, approvedSince: AFTER, ttlSeconds: 3600 }))).toEqual({
        decision: 'issue', durationSeconds: ELEVATED_SESSION_SECONDS, sessionPolicy: FULL, reason: expect.stringContaining(`approved at ${AFTER}`),
      });
    });

    test('without the time of the elevation no approval counts (fail closed)', () => {
      expect(decide(input({ band: RiskBand.ELEVATED, access: 'write', approvedSince: AFTER })).decision).toBe('refuse-reauth');
    });
  });

  describe('high: refused, and the agent is revoked', () => {
    test.each([
      ['read', 'no approval', undefined],
      ['write', 'no approval', undefined],
      ['write', 'an approval after the elevation', AFTER],
    ] as const)('%s access with %s is refused with revocation', (access, _label, approvedSince) => {
      const d = decide(input({ band: RiskBand.HIGH, access, elevatedSince: ELEVATED_AT, approvedSince }));
      expect(d).toEqual({ decision: 'refuse-revoke', reason: expect.stringContaining('risk high') });
    });

    test('an unknown band is treated as high', () => {
      expect(decide(input({ band: 'severe' as any })).decision).toBe('refuse-revoke');
    });
  });

  describe('nothing is issued under a policy STS would reject or that allows nothing', () => {
    test('read access to a template without read actions is refused', () => {
      const write = sessionPolicyDocument({ name: 'post-reply', permissions: [Grant.allow({ actions: ['sqs:SendMessage'], resources: [QUEUE] })] });
      for (const band of [RiskBand.LOW, RiskBand.ELEVATED]) {
        const d = decide(input({ band, access: 'read', templateFull: write, templateReadOnly: readOnlyVariant(write), elevatedSince: ELEVATED_AT }));
        expect(d.decision).toBe('refuse-policy');
        expect(d.reason).toContain('grants no read actions');
      }
    });

    test('a session policy over 2,048 characters is refused, naming its size', () => {
      const big = policyDoc([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: Array.from({ length: 40 }, (_, i) => `${TABLE}-archive-${i}`) }]);
      expect(policySize(big)).toBeGreaterThan(AwsLimits.SESSION_POLICY_MAX);
      const d = decide(input({ templateFull: big }));
      expect(d.decision).toBe('refuse-policy');
      expect(d.reason).toMatch(new RegExp(`session policy is ${policySize(big)} characters; STS accepts at most 2048`));
    });
  });
});

describe('the read-only variant of a template', () => {
  test('of a read-write table grant keeps GetItem and Query and drops PutItem, UpdateItem, DeleteItem and BatchWriteItem', () => {
    const actions = actionsOf(READ_ONLY);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
    for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
      expect(actionsOf(FULL)).toContain(write);
      expect(actions).not.toContain(write);
    }
    expect(READ_ONLY.Statement.every((s) => s.Resource!.includes(TABLE))).toBe(true);
  });

  test('of the fleet\'s read-ticket template keeps GetItem and Query unchanged', () => {
    const [, t] = FLEET_TEMPLATES.find(([n]) => n === 'support-triage/read-ticket')!;
    const doc = sessionPolicyDocument(t);
    expect(actionsOf(doc)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(readOnlyVariant(doc)).toEqual(doc);
  });

  test('of the fleet\'s post-reply template drops SendMessage and the statement with it', () => {
    const [, t] = FLEET_TEMPLATES.find(([n]) => n === 'support-triage/post-reply')!;
    const doc = sessionPolicyDocument(t);
    expect(actionsOf(doc)).toEqual(['sqs:SendMessage']);
    expect(readOnlyVariant(doc).Statement).toEqual([]);
  });

  test('of a queue grant keeps the queue reads and drops SendMessage', () => {
    const doc = sessionPolicyDocument({ name: 'queue', permissions: [Grant.sendToQueue(QUEUE)] });
    expect(actionsOf(readOnlyVariant(doc))).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
  });

  test('of the fleet\'s answer-question template keeps model invocation and object reads (Read access level)', () => {
    const [, t] = FLEET_TEMPLATES.find(([n]) => n === 'research/answer-question')!;
    const doc = sessionPolicyDocument(t);
    expect(readOnlyVariant(doc)).toEqual(doc);
  });

  test('expands a wildcard that mixes reads and writes into its reads, and keeps an all-read wildcard as written', () => {
    const doc = policyDoc([
      { Effect: 'Allow', Action: ['dynamodb:*Item'], Resource: [TABLE] },
      { Effect: 'Allow', Action: ['s3:Get*'], Resource: ['arn:aws:s3:::corpus/*'] },
    ]);
    const ro = readOnlyVariant(doc);
    expect(ro.Statement[0].Action!.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem']);
    expect(ro.Statement[1].Action).toEqual(['s3:Get*']);
  });

  test('keeps conditions and Deny statements, and drops NotAction, "*" and unknown actions', () => {
    const condition = { StringEquals: { 'aws:RequestedRegion': ['us-east-1'] } };
    const deny = { Effect: 'Deny' as const, Action: ['dynamodb:DeleteTable'], Resource: ['*'] };
    const doc = policyDoc([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:GetItemz'], Resource: [TABLE], Condition: condition },
      { Effect: 'Allow', NotAction: ['iam:*'], Resource: ['*'] },
      { Effect: 'Allow', Action: ['*'], Resource: ['*'] },
      deny,
    ]);
    expect(readOnlyVariant(doc).Statement).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [TABLE], Condition: condition },
      deny,
    ]);
  });
});

describe('session policies stay within STS\'s 2,048 characters', () => {
  test.each(FLEET_TEMPLATES)('%s, full and read-only', (_name, t) => {
    const doc = sessionPolicyDocument(t);
    expect(sessionPolicyWithinLimit(doc)).toBe(true);
    expect(sessionPolicyWithinLimit(readOnlyVariant(doc))).toBe(true);
    expect(policySize(readOnlyVariant(doc))).toBeLessThanOrEqual(policySize(doc));
    expect(JSON.stringify(readOnlyVariant(doc)).length).toBeLessThanOrEqual(AwsLimits.SESSION_POLICY_MAX);
  });

  test('every policy decide() hands out is within the limit', () => {
    for (const band of [RiskBand.LOW, RiskBand.ELEVATED, RiskBand.HIGH]) {
      for (const access of ['read', 'write'] as const) {
        const d = decide(input({ band, access, elevatedSince: ELEVATED_AT, approvedSince: AFTER }));
        if (d.sessionPolicy) expect(JSON.stringify(d.sessionPolicy).length).toBeLessThanOrEqual(AwsLimits.SESSION_POLICY_MAX);
      }
    }
  });

  test('the limit is inclusive: 2,048 passes, 2,049 does not', () => {
    const base = policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/'] }]);
    const pad = AwsLimits.SESSION_POLICY_MAX - policySize(base);
    const at = policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::b/${'x'.repeat(pad)}`] }]);
    const over = policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::b/${'x'.repeat(pad + 1)}`] }]);
    expect(policySize(at)).toBe(2048);
    expect(sessionPolicyWithinLimit(at)).toBe(true);
    expect(sessionPolicyWithinLimit(over)).toBe(false);
  });
});

describe('the approval record', () => {
  const NOW = new Date('2030-01-01T10:05:00.123Z');

  test('is keyed APPROVAL#<time> under the agent, so the newest sorts last', () => {
    expect(approvalItem('research', 'arn:aws:iam::111122223333:role/security-lead', 'reviewed the denied calls', NOW)).toEqual({
      agent: 'research', sk: 'APPROVAL#2030-01-01T10:05:00.123Z', approver: 'arn:aws:iam::111122223333:role/security-lead',
      reason: 'reviewed the denied calls', approvedAt: '2030-01-01T10:05:00.123Z',
    });
    const later = approvalItem('research', 'a', 'b', new Date(NOW.getTime() + 1));
    expect(later.sk > approvalItem('research', 'a', 'b', NOW).sk).toBe(true);
  });

  test.each([
    ['Research', 'alice', 'ok', /agent "Research" is not an agent name/],
    ['research', ' ', 'ok', /the approver is empty/],
    ['research', 'alice', '', /the reason is empty/],
  ])('refuses agent %j, approver %j, reason %j', (agent, approver, reason, message) => {
    expect(() => approvalItem(agent, approver, reason, NOW)).toThrow(message);
  });
});
