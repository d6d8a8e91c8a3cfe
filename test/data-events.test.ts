/**
 * CloudTrail data events of what agents are granted: grants on Terraform references and on
 * wildcard table names get selectors (references kept verbatim for Terraform to interpolate),
 * what cannot be covered is a synth problem naming the agent and the grant, and selectors that
 * would pass CloudTrail's 500-value quota are widened, never narrowed, with a warning.
 */
import { DynamodbTable, S3Bucket } from '../constructs/aws';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { Grant } from '../lib/grant';
import { dataEventCover, DataEventTarget, fitDataEventSelectors, selectorValueCount } from '../lib/data-events';
import { isUnresolved } from '../lib/private/token';
import { splitTokens as split } from '../lib/token-encoding';

const splitTokens = (value: string) => split(value, isUnresolved(value));
import { agentProps, ACCOUNT, errorOf, newStack, resolveRefs, synthJson } from './support/stacks';

/** The resources.ARN values of a trail's selectors for one resource type, by operator. */
function arnValues(trail: any, type: string): { equals: string[]; startsWith: string[]; all: boolean } {
  const out = { equals: [] as string[], startsWith: [] as string[], all: false };
  for (const sel of trail.advanced_event_selector) {
    const field = (name: string) => sel.field_selector.find((f: any) => f.field === name);
    if (!field('resources.type')?.equals.includes(type)) continue;
    const arn = field('resources.ARN');
    if (!arn) out.all = true;
    out.equals.push(...(arn?.equals ?? []));
    out.startsWith.push(...(arn?.starts_with ?? []));
  }
  return out;
}

const trailOf = (tf: any) => Object.values<any>(tf.resource.aws_cloudtrail)[0];

describe('grants on Terraform references and wildcard tables', () => {
  let stack: AgentIamStack;
  let tf: any;
  beforeAll(() => {
    stack = newStack();
    const table = new DynamodbTable(stack, 'tickets-table', { name: 'tickets-live', hashKey: 'id', attribute: [{ name: 'id', type: 'S' }], billingMode: 'PAY_PER_REQUEST' });
    const bucket = new S3Bucket(stack, 'published-bucket', { bucketPrefix: 'site-' });
    stack.addAgent(agentProps({
      permissions: [
        Grant.readDynamoItems(table.arn),
        Grant.readS3Prefix(bucket.arn, 'published/'),
        Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:${stack.accountId}:table/tickets`),
        Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-*`),
      ],
    }));
    tf = synthJson(stack);
  });

  test('a table of the same app: Equals its ARN reference', () => {
    expect(arnValues(trailOf(tf), 'AWS::DynamoDB::Table').equals).toContain('${aws_dynamodb_table.tickets-table.arn}');
  });

  test('a bucket of the same app: StartsWith its ARN reference and the prefix', () => {
    expect(arnValues(trailOf(tf), 'AWS::S3::Object').startsWith).toEqual(['${aws_s3_bucket.published-bucket.arn}/published/']);
  });

  test('an ARN whose account is a reference: Equals the ARN with the reference in place', () => {
    expect(arnValues(trailOf(tf), 'AWS::DynamoDB::Table').equals)
      .toContain('arn:aws:dynamodb:us-east-1:${data.aws_caller_identity.current.account_id}:table/tickets');
  });

  test('a wildcard table name: StartsWith its literal start, in a selector of its own', () => {
    const ddb = arnValues(trailOf(tf), 'AWS::DynamoDB::Table');
    expect(ddb.startsWith).toEqual([`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-`]);
    expect(ddb.equals.some((v) => v.includes('*'))).toBe(false);
    const sel = trailOf(tf).advanced_event_selector.find((s: any) => s.field_selector.some((f: any) => f.starts_with?.includes(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-`)));
    expect(sel.field_selector.find((f: any) => f.field === 'resources.ARN')).toEqual({ field: 'resources.ARN', starts_with: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-`] });
  });

  test('the references resolve to the ARNs of the resources they name', () => {
    const trail = trailOf(resolveRefs(tf));
    const ddb = arnValues(trail, 'AWS::DynamoDB::Table');
    expect(ddb.equals).toEqual(expect.arrayContaining([
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets-live`, `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/tickets`]));
    expect(arnValues(trail, 'AWS::S3::Object').startsWith).toEqual(['arn:aws:s3:::site-0123abcd/published/']);
  });

  test('the selectors stay within the quota table\'s count', () => {
    expect(stack._quotaUsage().cloudTrailSelectorValues.count).toBe(selectorValueCount(trailOf(tf).advanced_event_selector));
  });
});

describe('what cannot be covered', () => {
  test('a reference granted actions of S3 and another service is a synth problem naming the agent, the grant and the fix', () => {
    const stack = newStack();
    const bucket = new S3Bucket(stack, 'mixed', { bucketPrefix: 'mixed-' });
    stack.addAgent(agentProps({ permissions: [Grant.allow({ actions: ['s3:GetObject', 'sqs:SendMessage'], resources: [`${bucket.arn}/*`] })] }));
    expect(errorOf(() => synthJson(stack))).toContain('agent "triage": permissions: the grant of s3:GetObject, sqs:SendMessage on "${aws_s3_bucket.mixed.arn}/*" '
      + 'gets no CloudTrail data events: its resource is a Terraform reference known only at apply, and its statement mixes services (s3, sqs)');
    expect(errorOf(() => synthJson(stack))).toMatch(/Fix: grant the S3 or DynamoDB actions on this reference in a grant of their own, or name the resource by a literal ARN/);
  });

  test('objects granted through an S3 access point are a synth problem naming the agent, the grant and the fix', () => {
    const ap = `arn:aws:s3:us-east-1:${ACCOUNT}:accesspoint/reports/object/2026/*`;
    const stack = newStack();
    stack.addAgent(agentProps({ permissions: [Grant.allow({ actions: ['s3:GetObject'], resources: [ap] })] }));
    expect(errorOf(() => synthJson(stack))).toContain(`agent "triage": permissions: the grant of s3:GetObject on "${ap}" gets no CloudTrail data events: `
      + 'it names objects through an S3 access point, whose data events the trail does not select');
    expect(errorOf(() => synthJson(stack))).toContain('Fix: grant the objects by their bucket ARN (Grant.readS3Prefix(bucketArn, prefix)), or set audit.dataEvents: false');
  });

  test('a reference granted one service\'s actions is attributed to that service', () => {
    const token = '${TfToken[TOKEN.42]}';
    expect(dataEventCover(['s3:GetObject'], `${token}/a/*`).target).toEqual({ type: 'AWS::S3::Object', operator: 'StartsWith', value: `${token}/a/` });
    expect(dataEventCover(['dynamodb:GetItem'], token).target).toEqual({ type: 'AWS::DynamoDB::Table', operator: 'Equals', value: token });
    expect(dataEventCover(['dynamodb:GetItem'], `${token}/index/*`)).toEqual({});
    expect(dataEventCover(['sqs:SendMessage'], token)).toEqual({});
  });

  test('a token is split from the literal text around it, and IAM variables stay literal', () => {
    expect(splitTokens('arn:aws:s3:::${TfToken[TOKEN.7]}/a/${aws:username}')).toEqual([
      { text: 'arn:aws:s3:::', token: false }, { text: '${TfToken[TOKEN.7]}', token: true }, { text: '/a/${aws:username}', token: false }]);
    expect(splitTokens('arn:aws:s3:::b/${aws:username}')).toEqual([{ text: 'arn:aws:s3:::b/${aws:username}', token: false }]);
  });
});

/** Whether an ARN is matched by the selectors under CloudTrail's semantics (selectors ORed; Equals exact, StartsWith prefix). */
function recorded(trail: any, type: string, arn: string): boolean {
  const v = arnValues(trail, type);
  return v.all || v.equals.includes(arn) || v.startsWith.some((p) => arn.startsWith(p));
}

describe('CloudTrail\'s 500 values across the selectors of a trail', () => {
  const targets = (n: number): DataEventTarget[] => Array.from({ length: n }, (_, i) => [
    { type: 'AWS::S3::Object' as const, operator: 'StartsWith' as const, value: `arn:aws:s3:::bucket-${String(i).padStart(4, '0')}/data/` },
    { type: 'AWS::DynamoDB::Table' as const, operator: 'Equals' as const, value: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t-${String(i).padStart(4, '0')}` },
  ]).flat();
  const asTrail = (selectors: any[]) => ({ advanced_event_selector: selectors });

  test('within the quota, the selectors are exact', () => {
    const fit = fitDataEventSelectors(targets(100));
    expect(fit.widened).toBeUndefined();
    expect(fit.values).toBe(1 + 2 + 100 + 2 + 100);
  });

  test('over it, prefixes collapse to buckets first, and that alone may be enough', () => {
    const many = Array.from({ length: 600 }, (_, i): DataEventTarget => ({ type: 'AWS::S3::Object', operator: 'StartsWith', value: `arn:aws:s3:::corpus/p-${i}/` }));
    const fit = fitDataEventSelectors(many);
    expect(fit.requested).toBe(603);
    expect(fit.selectors[1].field_selector[2]).toEqual({ field: 'resources.ARN', starts_with: ['arn:aws:s3:::corpus/'] });
    expect(fit.widened).toEqual(['S3 object prefixes collapsed to their buckets (600 prefixes -> 1 bucket)']);
  });

  test('then values merge by their shared literal starts: at most 500, every granted resource still recorded', () => {
    const all = targets(1000);
    const fit = fitDataEventSelectors(all);
    expect(fit.requested).toBe(2005);
    expect(fit.values).toBeLessThanOrEqual(500);
    expect(fit.values).toBeGreaterThan(100); // as narrow as fits, not all events
    for (const t of all) {
      const arn = t.type === 'AWS::S3::Object' ? `${t.value}x.csv` : t.value;
      expect({ arn, recorded: recorded(asTrail(fit.selectors), t.type, arn) }).toEqual({ arn, recorded: true });
    }
  });

  test('a shared start never cuts a Terraform reference: references that share none drop the ARN condition', () => {
    const refs = Array.from({ length: 600 }, (_, i): DataEventTarget => ({ type: 'AWS::DynamoDB::Table', operator: 'Equals', value: `\${TfToken[TOKEN.${i}]}` }));
    const fit = fitDataEventSelectors(refs);
    const ddb = fit.selectors.filter((s) => s.field_selector.some((f) => f.field === 'resources.type' && (f.equals as string[]).includes('AWS::DynamoDB::Table')));
    expect(ddb).toEqual([{ name: expect.stringMatching(/all tables/), field_selector: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: ['AWS::DynamoDB::Table'] }] }]);
    expect(fit.widened).toContain('all DynamoDB item data events are logged (no ARN condition)');
  });
});
