/**
 * lib/tighten: reading CloudTrail files (bad input gives one line each and loses nothing from the
 * other files), events read as IAM actions and resources, what CloudTrail can see of a grant, and
 * suggestions that narrow wildcard grants to the actions called.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { AgentDirectory, AgentRef } from '../lib/tighten/attribution';
import { dataEventType, trailCoverage, visibilityOf } from '../lib/tighten/coverage';
import { actionOfEvent, resourceOfEvent } from '../lib/tighten/event-actions';
import { compileStatements } from '../lib/tighten/grant-match';
import { localTrailFiles } from '../lib/tighten/trail-files';
import { CloudTrailRecord, deliveryTimeOf, readTrailFile } from '../lib/tighten/trail-reader';
import { agentUsage, UsageLedger } from '../lib/tighten/usage';
import { suggestGrants } from '../lib/tighten/suggestion';
import { tighten } from '../lib/tighten/tighten';
import { parseTerraformJson, readEnvironment } from '../lib/assess';
import {
  ACCOUNT, agentRoleArn, assumeRole, daysAgo, dynamoGetItem, record, s3GetObject, writeLogFile,
} from './support/cloudtrail';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-tighten-lib-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const now = new Date();
const triage = { arn: agentRoleArn('support-triage', 'prod'), sourceIdentity: 'alice@example.com' };

async function readAll(input: Readable, name: string): Promise<{ records: CloudTrailRecord[]; problem?: string; count: number }> {
  const records: CloudTrailRecord[] = [];
  const r = await readTrailFile(input, name, (x) => records.push(x));
  return { records, problem: r.problem, count: r.records };
}

const gz = (text: string) => Readable.from([zlib.gzipSync(Buffer.from(text))]);

describe('reading CloudTrail log files', () => {
  const good = JSON.stringify({ Records: [record(dynamoGetItem(triage, daysAgo(now, 1), 't')), record(dynamoGetItem(triage, daysAgo(now, 1, 1), 't'))] });

  test('a gzipped log file gives its records one by one', async () => {
    const r = await readAll(gz(good), 'a.json.gz');
    expect(r.problem).toBeUndefined();
    expect(r.records.map((x) => x.eventName)).toEqual(['GetItem', 'GetItem']);
    expect(r.records[0].userIdentity.sessionContext.sourceIdentity).toBe('alice@example.com');
  });

  test('a file that is not CloudTrail is one clear line', async () => {
    expect((await readAll(gz('{"resource": {"aws_iam_role": {}}}'), 'x.json.gz')).problem).toBe('not CloudTrail: no "Records" array at the top level');
    expect((await readAll(gz('[1, 2, 3]'), 'x.json.gz')).problem).toBe('not CloudTrail: expected a JSON object {"Records": [...]}');
    expect((await readAll(gz('{"Records": {"a": 1}}'), 'x.json.gz')).problem).toBe('not CloudTrail: "Records" is not an array');
    expect((await readAll(gz('{"Records": [{"name": "x"}, {"name": "y"}]}'), 'x.json.gz')).problem)
      .toBe('not CloudTrail: its Records hold 2 elements without eventTime, eventSource and eventName');
    expect((await readAll(gz('hello, world'), 'x.json.gz')).problem).toMatch(/^not JSON \(/);
    expect((await readAll(Readable.from([Buffer.from(good)]), 'plain.json.gz')).problem).toMatch(/^not gzip \(incorrect header check\)$/);
  });

  test('a truncated gzip keeps the records before the cut and says so', async () => {
    const many = JSON.stringify({ Records: Array.from({ length: 2000 }, (_, i) => record(dynamoGetItem(triage, daysAgo(now, 1, i / 100), 't'))) });
    const bytes = zlib.gzipSync(Buffer.from(many));
    const r = await readAll(Readable.from([bytes.subarray(0, Math.floor(bytes.length * 0.6))]), 'cut.json.gz');
    expect(r.problem).toMatch(/^truncated gzip \(unexpected end of file\); the \d+ records before it are kept$/);
    expect(r.count).toBeGreaterThan(100);
    expect(r.count).toBeLessThan(2000);
    expect(r.records).toHaveLength(r.count);
  });

  test('elements of Records that are not events are skipped and counted', async () => {
    const mixed = JSON.stringify({ Records: [record(dynamoGetItem(triage, daysAgo(now, 1), 't')), { hello: 'x' }, 'text'] });
    const r = await readAll(gz(mixed), 'm.json.gz');
    expect(r.count).toBe(1);
    expect(r.problem).toBe('2 elements of Records are not CloudTrail events (no eventTime, eventSource or eventName); skipped');
  });

  test('delivery times are read from CloudTrail file names; digests and other files are not log files', () => {
    expect(deliveryTimeOf(`AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/01/${ACCOUNT}_CloudTrail_us-east-1_20261101T1205Z_abc.json.gz`)?.toISOString()).toBe('2026-11-01T12:05:00.000Z');
    const dir = path.join(tmp, 'listing');
    writeLogFile(dir, [record(dynamoGetItem(triage, daysAgo(now, 1), 't'))], daysAgo(now, 1, 1));
    fs.mkdirSync(path.join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'd.json.gz'), zlib.gzipSync('{}'));
    fs.writeFileSync(path.join(dir, 'README.txt'), 'notes');
    const listed = localTrailFiles(dir);
    expect(listed.files).toHaveLength(1);
    expect(listed.otherFiles).toBe(2);
  });
});

describe('bad input in a folder of log files: one line each, nothing lost from the others', () => {
  test('a non-CloudTrail file, a truncated gzip and another account\'s records beside good files', async () => {
    const dir = path.join(tmp, 'mixed');
    const d = (n: number) => daysAgo(now, n);
    writeLogFile(dir, [record(dynamoGetItem(triage, d(3), 'support-tickets-prod'))], d(3));
    writeLogFile(dir, [record(dynamoGetItem(triage, d(2), 'support-tickets-prod')), record({ ...dynamoGetItem(triage, d(2), 'support-tickets-prod'), recipientAccountId: '444455556666' })], d(2));
    const notTrail = path.join(dir, 'AWSLogs', 'notes.json');
    fs.writeFileSync(notTrail, JSON.stringify({ hello: 'world' }));
    const full = zlib.gzipSync(JSON.stringify({ Records: Array.from({ length: 500 }, (_, i) => record(dynamoGetItem(triage, daysAgo(now, 1, i / 100), 'support-tickets-prod'))) }));
    const cut = path.join(dir, 'AWSLogs', `${ACCOUNT}_CloudTrail_us-east-1_20991231T0000Z_cut.json.gz`);
    fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));
    const config = parseTerraformJson(JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'tighten', 'prod-triage.tf.json'), 'utf8')), 'prod', 'prod-triage.tf.json');
    const report = await tighten({ environments: [{ config, environment: readEnvironment(config) }], files: localTrailFiles(dir).files, since: daysAgo(now, 30) });
    const lines = report.input.problems.map((p) => `${path.basename(p.source)}: ${p.message}`);
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual('notes.json: not CloudTrail: no "Records" array at the top level');
    expect(lines.find((l) => l.includes('_cut.json.gz'))).toMatch(/: truncated gzip \(unexpected end of file\); the \d+ records before it are kept$/);
    expect(lines.find((l) => l.includes('444455556666'))).toMatch(/: 1 record of account 444455556666, not 111122223333 \(the agents' account, read from their ARNs; pass --account to choose\); not counted$/);
    const kept = report.input.records - report.input.otherAccount;
    const agent = report.agents[0];
    expect(agent.calls).toBe(kept);
    expect(agent.used[0].calls).toBe(kept);
    expect(kept).toBeGreaterThan(2);
  });
});

describe('events read as IAM actions and resources', () => {
  test('event names that are not action names map to the action IAM checked', () => {
    expect(actionOfEvent('s3.amazonaws.com', 'ListObjectsV2').action).toBe('s3:ListBucket');
    expect(actionOfEvent('s3.amazonaws.com', 'HeadObject').action).toBe('s3:GetObject');
    expect(actionOfEvent('bedrock.amazonaws.com', 'Converse').action).toBe('bedrock:InvokeModel');
    expect(actionOfEvent('lambda.amazonaws.com', 'GetFunction20150331v2').action).toBe('lambda:GetFunction');
    expect(actionOfEvent('monitoring.amazonaws.com', 'PutMetricData').action).toBe('cloudwatch:PutMetricData');
    expect(actionOfEvent('signin.amazonaws.com', 'ConsoleLogin')).toEqual({ action: undefined, event: 'signin.amazonaws.com:ConsoleLogin' });
  });

  test('resources come from the record: data-event resources, table and index names, queue URLs, model ids', () => {
    const get = record(s3GetObject(triage, now, 'bucket-a', 'curated/x.pdf')) as unknown as CloudTrailRecord;
    expect(resourceOfEvent(get, 's3:GetObject')).toBe('arn:aws:s3:::bucket-a/curated/x.pdf');
    const q = { eventSource: 'dynamodb.amazonaws.com', eventName: 'Query', eventTime: '', awsRegion: 'eu-west-1', recipientAccountId: ACCOUNT, requestParameters: { tableName: 't', indexName: 'by-x' } };
    expect(resourceOfEvent(q, 'dynamodb:Query')).toBe(`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t/index/by-x`);
    const send = { eventSource: 'sqs.amazonaws.com', eventName: 'SendMessage', eventTime: '', awsRegion: 'cn-north-1', requestParameters: { queueUrl: `https://sqs.cn-north-1.amazonaws.com.cn/${ACCOUNT}/q` } };
    expect(resourceOfEvent(send, 'sqs:SendMessage')).toBe(`arn:aws-cn:sqs:cn-north-1:${ACCOUNT}:q`);
    const invoke = { eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', eventTime: '', awsRegion: 'us-west-2', requestParameters: { modelId: 'amazon.nova-pro-v1:0' } };
    expect(resourceOfEvent(invoke, 'bedrock:InvokeModel')).toBe('arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0');
  });
});

describe('what CloudTrail can see of a grant', () => {
  const trail = (selectors: unknown[]) => trailCoverage({
    stack: 's', source: 's', format: 'terraform-json', outputs: {}, unknown: {},
    resources: [{ type: 'aws_cloudtrail', name: 't', address: 'aws_cloudtrail.t', module: '', values: { name: 'audit', advanced_event_selector: selectors } }],
  });
  const s3Prefix = trail([{ field_selector: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: ['AWS::S3::Object'] }, { field: 'resources.ARN', starts_with: ['arn:aws:s3:::b/curated/'] }] }]);

  test('object calls are data events, recorded under the prefixes a selector names and not elsewhere', () => {
    expect(dataEventType('s3:GetObject')).toBe('AWS::S3::Object');
    expect(dataEventType('dynamodb:GetItem')).toBe('AWS::DynamoDB::Table');
    expect(dataEventType('dynamodb:DescribeTable')).toBeUndefined();
    expect(dataEventType('bedrock:InvokeModel')).toBeUndefined();
    expect(visibilityOf('s3:GetObject', 'arn:aws:s3:::b/curated/*', s3Prefix).recorded).toBe(true);
    const other = visibilityOf('s3:GetObject', 'arn:aws:s3:::b/private/*', s3Prefix);
    expect(other.recorded).toBe(false);
    expect(other.why).toBe('a data event (AWS::S3::Object), and no data-event selector of audit covers arn:aws:s3:::b/private/*');
    expect(visibilityOf('dynamodb:DescribeTable', 'arn:aws:dynamodb:us-east-1:1:table/t', s3Prefix)).toEqual({ kind: 'management', recorded: true });
  });

  test('a policy variable in a selector is read literally by CloudTrail: it covers no real object, and the report says so', () => {
    const literal = trail([{ field_selector: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: ['AWS::S3::Object'] }, { field: 'resources.ARN', starts_with: ['arn:aws:s3:::b/uploads/${aws:PrincipalTag/on-behalf-of}/'] }] }]);
    const v = visibilityOf('s3:GetObject', 'arn:aws:s3:::b/uploads/${aws:PrincipalTag/on-behalf-of}/*', literal);
    expect(v.recorded).toBe(false);
    expect(v.why).toContain('CloudTrail reads policy variables in selectors literally');
  });

  test('without a trail in the configuration, data events cannot be judged', () => {
    const none = trailCoverage({ stack: 's', source: 's', format: 'terraform-json', outputs: {}, unknown: {}, resources: [] });
    const v = visibilityOf('s3:GetObject', 'arn:aws:s3:::b/*', none);
    expect(v.recorded).toBeUndefined();
    expect(v.why).toContain('this configuration has no trail');
  });
});

describe('usage and suggestions for wildcard grants', () => {
  test('a wildcard action grant is narrowed to the actions called; conditions of the grant stay', () => {
    const ref: AgentRef = { stack: 'prod', agent: 'support-triage', identityName: 'agent-support-triage-prod', path: '/agents/prod/', kind: 'role' };
    const dir = new AgentDirectory([ref]);
    const statements = compileStatements([
      { Effect: 'Allow', Action: ['dynamodb:Get*', 'dynamodb:Query'], Resource: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/*`], Condition: { StringEquals: { 'aws:RequestedRegion': ['us-east-1'], 'dynamodb:ReturnConsumedCapacity': ['NONE'] } } },
    ]);
    const ledger = new UsageLedger(dir, new Map([[ref, statements]]), ACCOUNT);
    ledger.add(record(dynamoGetItem(triage, now, 'support-tickets-prod')) as unknown as CloudTrailRecord);
    ledger.add(record(assumeRole({ arn: `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-prod` }, now, triage.arn, 'alice@example.com')) as unknown as CloudTrailRecord);
    // A role of the same name on another path is not the agent.
    ledger.add(record(dynamoGetItem({ arn: `arn:aws:iam::${ACCOUNT}:role/other/agent-support-triage-prod` }, now, 'support-tickets-prod')) as unknown as CloudTrailRecord);
    expect(ledger.totals).toEqual(expect.objectContaining({ records: 3, attributed: 2, notAgents: 1 }));
    const usage = agentUsage(ledger, ref, { trails: ['audit'], dataSelectors: [{ trail: 'audit', resourceType: 'AWS::DynamoDB::Table' }] });
    expect(usage.used).toEqual([expect.objectContaining({ action: 'dynamodb:GetItem', grantedAction: 'dynamodb:Get*', calls: 1 })]);
    expect(usage.unused.map((u) => u.action)).toEqual(['dynamodb:Query']);
    expect(usage.sessions.started).toBe(1);
    const s = suggestGrants(usage, {});
    expect(s.grants).toEqual([{
      actions: ['dynamodb:GetItem'], resources: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/*`],
      conditions: [{ test: 'StringEquals', variable: 'dynamodb:ReturnConsumedCapacity', values: ['NONE'] }],
    }]);
    expect(s.contextKeys).toEqual(['aws:RequestedRegion']);
  });
});
