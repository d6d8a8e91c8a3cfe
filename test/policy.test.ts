/**
 * The policy model: merging, size as IAM counts it, and layout within quotas.
 */
import { AwsLimits } from '../lib/limits';
import { Grant, grantStatements } from '../lib/grant';
import { layoutPolicies, mergeStatements, policyDoc, policyJson, policySize, Statement } from '../lib/policy';

const allow = (Action: string[], Resource: string[], extra: Partial<Statement> = {}): Statement => ({ Effect: 'Allow', Action, Resource, ...extra });

describe('merging', () => {
  test('statements on the same resources share one action list, duplicates removed and sorted', () => {
    expect(mergeStatements([allow(['s3:GetObject'], ['arn:aws:s3:::b/*']), allow(['s3:GetObject', 's3:GetObjectTagging'], ['arn:aws:s3:::b/*'])]))
      .toEqual([allow(['s3:GetObject', 's3:GetObjectTagging'], ['arn:aws:s3:::b/*'])]);
  });
  test('statements with the same actions share one resource list', () => {
    expect(mergeStatements([allow(['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:111122223333:a']), allow(['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:111122223333:b'])]))
      .toEqual([allow(['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:111122223333:a', 'arn:aws:sqs:us-east-1:111122223333:b'])]);
  });
  test('statements with different conditions stay apart', () => {
    const c = { Condition: { StringLike: { 's3:prefix': ['a/*'] } } };
    expect(mergeStatements([allow(['s3:ListBucket'], ['arn:aws:s3:::b'], c), allow(['s3:ListBucket'], ['arn:aws:s3:::b'])])).toHaveLength(2);
  });
  test('a statement covered by another is dropped', () => {
    expect(mergeStatements([allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::b/*', 'arn:aws:s3:::c/*']), allow(['s3:GetObject'], ['arn:aws:s3:::b/*'])]))
      .toEqual([allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::b/*', 'arn:aws:s3:::c/*'])]);
  });
  test('the result does not depend on input order', () => {
    const xs = [allow(['a:X'], ['arn:aws:s3:::1']), allow(['a:Y'], ['arn:aws:s3:::2']), allow(['a:X'], ['arn:aws:s3:::3'])];
    expect(mergeStatements(xs)).toEqual(mergeStatements([...xs].reverse()));
  });
});

describe('size', () => {
  test('is the length of the JSON without whitespace', () => {
    const doc = policyDoc([allow(['s3:GetObject'], ['arn:aws:s3:::b/*'])]);
    expect(policySize(doc)).toBe(JSON.stringify(doc).length);
  });
  test('counts an unresolved token as a full ARN', () => {
    const doc = policyDoc([allow(['s3:GetObject'], ['${TfToken[TOKEN.42]}'])]);
    expect(policySize(doc)).toBe(JSON.stringify(doc).length - '${TfToken[TOKEN.42]}'.length + AwsLimits.UNRESOLVED_TOKEN_ESTIMATE);
  });
  test('policy variables stay as IAM reads them (the stack boundary escapes them for Terraform, once)', () => {
    expect(policyJson(policyDoc([allow(['s3:GetObject'], ['arn:aws:s3:::b/${aws:username}/*', '${TfToken[TOKEN.1]}'])])))
      .toContain('"arn:aws:s3:::b/${aws:username}/*","${TfToken[TOKEN.1]}"');
  });
});

describe('layout', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => allow(['dynamodb:GetItem', 'dynamodb:Query'], [`arn:aws:dynamodb:us-east-1:111122223333:table/t-${i}`], { Sid: `S${i}` }));
  test('stays inline within 10,240 characters', () => {
    const layout = layoutPolicies(many(5), 10);
    expect(typeof layout).not.toBe('string');
    expect((layout as any).inline).toHaveLength(5);
  });
  test('beyond that, fills the inline policy and managed policies of at most 6,144 characters together, losing no statement', () => {
    const statements = many(200);
    const layout = layoutPolicies(statements, 10) as any;
    expect(layout.inline.length).toBeGreaterThan(0);
    expect(policySize(policyDoc(layout.inline))).toBeLessThanOrEqual(AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX);
    expect(layout.managed.length).toBeGreaterThan(1);
    for (const m of layout.managed) expect(policySize(policyDoc(m))).toBeLessThanOrEqual(AwsLimits.MANAGED_POLICY_MAX);
    expect([...layout.inline, ...layout.managed.flat()].length).toBe(200);
  });
  test('the inline budget left after guardrails and reserves is respected', () => {
    const layout = layoutPolicies(many(200), 10, 4000) as any;
    expect(policySize(policyDoc(layout.inline))).toBeLessThanOrEqual(4000);
  });
  test('inline and managed together hold about 16% more grants than managed policies alone (S3 objects, DynamoDB tables)', () => {
    const s3 = (n: number) => Array.from({ length: n }, (_, i) => Grant.allow({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::research-corpus-111122223333/reports/object-${i}.pdf`] }));
    const ddb = (n: number) => Array.from({ length: n }, (_, i) => Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:111122223333:table/tickets-${i}`));
    const maxFit = (make: (n: number) => Grant[], inline: number) => {
      let lo = 1;
      let hi = 3000;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (typeof layoutPolicies(mergeStatements(grantStatements(make(mid))), 10, inline) !== 'string') lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    for (const make of [s3, ddb]) {
      const managedOnly = maxFit(make, 0);
      expect(maxFit(make, AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX)).toBeGreaterThanOrEqual(Math.floor(managedOnly * 1.15));
    }
  });
  test('statements too large for the inline and 10 managed policies: the message states the total, the capacity and why', () => {
    expect(layoutPolicies(many(2000), 10)).toMatch(/^permissions are \d+ characters as IAM counts them \(2000 statements\); the role holds at most 71251: the inline policy's 10201 left of IAM's 10240 \(after guardrails and reserves\) plus 10 free managed policies of 6105 \(of IAM's 10 × 6144, less each document's wrapper\); they are larger than that capacity by \d+ characters\. Narrow the grants/);
  });
  test('statements that fit by size but not whole into the policies\' remaining space are reported as fragmentation', () => {
    // Statements of 4,000 characters: two fit neither the 6,105 of a managed policy nor the inline policy's 10,201 without waste.
    const big = (i: number) => allow(['s3:GetObject'], [`arn:aws:s3:::b/${String(i).padStart(3, '0')}-${'x'.repeat(3930)}`], { Sid: `B${i}` });
    const statements = Array.from({ length: 13 }, (_, i) => big(i));
    expect(layoutPolicies(statements, 10)).toMatch(/they would fit by size, but whole statements do not pack into the policies' remaining space \(a statement cannot span two policies; \d+ characters would be left over in fragments\)/);
  });
});
