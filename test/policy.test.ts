/**
 * The policy model: merging, size as IAM counts it, and layout within quotas.
 */
import { AwsLimits } from '../lib/limits';
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
  test('goes to managed policies of at most 6,144 characters beyond that, losing no statement', () => {
    const statements = many(200);
    const layout = layoutPolicies(statements, 10) as any;
    expect(layout.inline).toEqual([]);
    expect(layout.managed.length).toBeGreaterThan(1);
    for (const m of layout.managed) expect(policySize(policyDoc(m))).toBeLessThanOrEqual(AwsLimits.MANAGED_POLICY_MAX);
    expect(layout.managed.flat().length).toBe(200);
  });
  test('reports the size when even 10 managed policies cannot hold the statements', () => {
    expect(layoutPolicies(many(2000), 10)).toMatch(/^permissions are \d+ characters as IAM counts them, which needs \d+ managed policies of 6144; the role has 10 free/);
  });
});
