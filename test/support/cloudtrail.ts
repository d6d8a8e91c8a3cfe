/**
 * Real-shaped CloudTrail log files for tests and the benchmark: records as CloudTrail writes them
 * (userIdentity with sessionContext, sessionIssuer and sourceIdentity; requestParameters;
 * resources for data events; errorCode and errorMessage for denied calls), gzipped into
 * `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<time>_<id>.json.gz`.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

/** Who makes a call. */
export interface Caller {
  /** Role ARN with path (`arn:aws:iam::<acct>:role/agents/prod/agent-x-prod`), or an IAM user ARN. */
  readonly arn: string;
  /** Session name. @default 'task-1' */
  readonly session?: string;
  /** STS source identity carried by the session. */
  readonly sourceIdentity?: string;
  /** For a chained session: the role session that assumed this one is not named in the record (as in CloudTrail). */
  readonly account?: string;
}

/** The role ARN of an agent of the example fleet. */
export function agentRoleArn(agent: string, env: string, account = ACCOUNT): string {
  return `arn:aws:iam::${account}:role/agents/${env}/agent-${agent}-${env}`;
}

function userIdentity(c: Caller): Record<string, unknown> {
  const account = c.account ?? /:(\d{12}):/.exec(c.arn)?.[1] ?? ACCOUNT;
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(c.arn);
  if (user) {
    return { type: 'IAMUser', principalId: 'AIDAEXAMPLEUSER', arn: c.arn, accountId: account, accessKeyId: 'AKIAEXAMPLEKEY', userName: user[1] };
  }
  const name = c.arn.split('/').pop()!;
  const session = c.session ?? 'task-1';
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${name.length}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${name}/${session}`,
    accountId: account,
    accessKeyId: 'ASIAEXAMPLEKEY',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: `AROAEXAMPLE${name.length}`, arn: c.arn, accountId: account, userName: name },
      attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: 'false' },
      ...(c.sourceIdentity ? { sourceIdentity: c.sourceIdentity } : {}),
    },
  };
}

/** One call: what, on what, by whom, when, and whether it was denied. */
export interface CallSpec {
  readonly caller: Caller;
  readonly time: Date;
  readonly eventSource: string;
  readonly eventName: string;
  readonly requestParameters?: Record<string, unknown>;
  /** Data events carry the resources they touched. */
  readonly resources?: { ARN: string; type: string }[];
  readonly data?: boolean;
  readonly readOnly?: boolean;
  /** Denied: AccessDenied with IAM's message. */
  readonly denied?: { action: string; resource: string; reason?: 'no-allow' | 'boundary' | 'explicit' };
  readonly region?: string;
  readonly recipientAccountId?: string;
}

/** A CloudTrail record for one call. */
export function record(c: CallSpec): Record<string, unknown> {
  const id = userIdentity(c.caller);
  const r: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: id,
    eventTime: c.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: c.eventSource,
    eventName: c.eventName,
    awsRegion: c.region ?? REGION,
    sourceIPAddress: '10.0.12.34',
    userAgent: 'aws-sdk-js/3.1169.0 ua/2.1 os/linux lang/js md/nodejs#22.11.0 api/agent',
    requestParameters: c.requestParameters ?? null,
    responseElements: c.denied ? null : {},
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: c.readOnly ?? /^(Get|List|Describe|Head|Query|Scan|Invoke|Converse|BatchGet)/.test(c.eventName),
    eventType: 'AwsApiCall',
    managementEvent: !c.data,
    recipientAccountId: c.recipientAccountId ?? ACCOUNT,
    eventCategory: c.data ? 'Data' : 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${c.eventSource.split('.')[0]}.${REGION}.amazonaws.com` },
  };
  if (c.resources) r.resources = c.resources.map((x) => ({ accountId: ACCOUNT, ...x }));
  if (c.denied) {
    const who = (id as any).arn;
    r.errorCode = c.eventSource.startsWith('ec2') ? 'Client.UnauthorizedOperation' : 'AccessDenied';
    r.errorMessage = c.denied.reason === 'boundary'
      ? `User: ${who} is not authorized to perform: ${c.denied.action} on resource: ${c.denied.resource} with an explicit deny in a permissions boundary`
      : c.denied.reason === 'explicit'
        ? `User: ${who} is not authorized to perform: ${c.denied.action} on resource: ${c.denied.resource} with an explicit deny in an identity-based policy`
        : `User: ${who} is not authorized to perform: ${c.denied.action} on resource: ${c.denied.resource} because no identity-based policy allows the ${c.denied.action} action`;
  }
  return r;
}

// Shapes of the calls the example fleet's agents make.

export function dynamoGetItem(caller: Caller, time: Date, table: string, denied = false): CallSpec {
  const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
  return {
    caller, time, eventSource: 'dynamodb.amazonaws.com', eventName: 'GetItem', data: true,
    requestParameters: { tableName: table, key: { ticketId: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, consistentRead: false },
    resources: [{ ARN: arn, type: 'AWS::DynamoDB::Table' }],
    denied: denied ? { action: 'dynamodb:GetItem', resource: arn } : undefined,
  };
}

export function dynamoQuery(caller: Caller, time: Date, table: string, index?: string): CallSpec {
  const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
  return {
    caller, time, eventSource: 'dynamodb.amazonaws.com', eventName: 'Query', data: true,
    requestParameters: { tableName: table, ...(index ? { indexName: index } : {}), keyConditionExpression: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    resources: [{ ARN: arn, type: 'AWS::DynamoDB::Table' }],
  };
}

export function dynamoDescribeTable(caller: Caller, time: Date, table: string): CallSpec {
  return { caller, time, eventSource: 'dynamodb.amazonaws.com', eventName: 'DescribeTable', requestParameters: { tableName: table } };
}

export function dynamoScan(caller: Caller, time: Date, table: string): CallSpec {
  const arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
  return {
    caller, time, eventSource: 'dynamodb.amazonaws.com', eventName: 'Scan', data: true,
    requestParameters: { tableName: table }, resources: [{ ARN: arn, type: 'AWS::DynamoDB::Table' }],
    denied: { action: 'dynamodb:Scan', resource: arn },
  };
}

export function s3GetObject(caller: Caller, time: Date, bucket: string, key: string, denied?: 'no-allow' | 'explicit'): CallSpec {
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  return {
    caller, time, eventSource: 's3.amazonaws.com', eventName: 'GetObject', data: true,
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${REGION}.amazonaws.com`, key },
    resources: [{ type: 'AWS::S3::Object', ARN: arn }, { type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
    denied: denied ? { action: 's3:GetObject', resource: arn, reason: denied } : undefined,
  };
}

export function s3ListObjects(caller: Caller, time: Date, bucket: string, prefix: string): CallSpec {
  return {
    caller, time, eventSource: 's3.amazonaws.com', eventName: 'ListObjectsV2', data: true,
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${REGION}.amazonaws.com`, prefix, 'list-type': '2' },
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${prefix}` }, { type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
  };
}

export function bedrockInvoke(caller: Caller, time: Date, modelId: string, eventName = 'InvokeModel'): CallSpec {
  return { caller, time, eventSource: 'bedrock.amazonaws.com', eventName, requestParameters: { modelId } };
}

export function sqsSendMessage(caller: Caller, time: Date, queue: string): CallSpec {
  return {
    caller, time, eventSource: 'sqs.amazonaws.com', eventName: 'SendMessage', data: true,
    requestParameters: { queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${queue}`, messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    resources: [{ ARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`, type: 'AWS::SQS::Queue' }],
  };
}

export function codepipelineGetState(caller: Caller, time: Date, pipeline: string): CallSpec {
  return { caller, time, eventSource: 'codepipeline.amazonaws.com', eventName: 'GetPipelineState', requestParameters: { name: pipeline } };
}

export function codepipelineStart(caller: Caller, time: Date, pipeline: string): CallSpec {
  const arn = `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${pipeline}`;
  return {
    caller, time, eventSource: 'codepipeline.amazonaws.com', eventName: 'StartPipelineExecution', readOnly: false,
    requestParameters: { name: pipeline }, denied: { action: 'codepipeline:StartPipelineExecution', resource: arn },
  };
}

export function getCallerIdentity(caller: Caller, time: Date): CallSpec {
  return { caller, time, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', requestParameters: null as any };
}

/** AssumeRole of `roleArn` by `caller`, with the source identity set on the new session. */
export function assumeRole(caller: Caller, time: Date, roleArn: string, sourceIdentity?: string, denied = false): CallSpec {
  return {
    caller, time, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', readOnly: true,
    requestParameters: {
      roleArn, roleSessionName: 'task-1', durationSeconds: 900,
      ...(sourceIdentity ? { sourceIdentity } : {}),
      tags: [{ key: 'task-id', value: 'T-1' }, { key: 'on-behalf-of', value: sourceIdentity ?? 'unknown' }],
    },
    resources: [{ ARN: roleArn, type: 'AWS::IAM::Role' }],
    denied: denied ? { action: 'sts:AssumeRole', resource: roleArn } : undefined,
  };
}

/** The CloudTrail object key of a log file delivered at `time`. */
export function logKey(time: Date, account = ACCOUNT, region = REGION): string {
  const iso = time.toISOString();
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${y}${m}${d}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `AWSLogs/${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${stamp}_${randomUUID().replace(/-/g, '').slice(0, 16)}.json.gz`;
}

/** Writes records as one gzipped log file under `root`; returns its path. */
export function writeLogFile(root: string, records: Record<string, unknown>[], delivered: Date, account = ACCOUNT): string {
  const file = path.join(root, logKey(delivered, account));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ Records: records })));
  return file;
}

/** `n` days before `now`, plus `h` hours. */
export function daysAgo(now: Date, n: number, h = 0): Date {
  return new Date(now.getTime() - n * 86400000 + h * 3600000);
}
