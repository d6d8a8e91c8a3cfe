/**
 * The AWS services that may run an agent and assume its role directly, with the confused-deputy
 * guard each supports. A service missing here is refused at synth until it is added with its guard.
 */

/** How a service assumes a role: the confused-deputy keys it sends, and whether it tags the session. */
export interface ServiceGuard {
  /** The service sends `aws:SourceAccount`. */
  readonly sourceAccount: boolean;
  /** The service sends `aws:SourceArn` of a resource of this service (`arn:<p>:<service>:<region>:<account>:...`). */
  readonly sourceArnService?: string;
  /** The resource part of the default `aws:SourceArn`. @default "*" */
  readonly sourceArnResource?: string;
  /** AWS requires `sts:TagSession` beside `sts:AssumeRole`. */
  readonly tagSession?: boolean;
}

/**
 * The AWS services that run workloads and assume a role for them, with their confused-deputy
 * guards (which keys each service sends when it assumes a role) and whether AWS requires
 * `sts:TagSession` beside `sts:AssumeRole` (EKS Pod Identity tags every session with the pod's
 * cluster, namespace and service account). Sources: each service's "service role" page in the
 * AWS documentation; EKS: "Create IAM role with trust policy required by EKS Pod Identity".
 */
const SERVICE_GUARDS: Record<string, ServiceGuard> = {
  'ecs-tasks.amazonaws.com': { sourceAccount: true, sourceArnService: 'ecs' },
  'bedrock-agentcore.amazonaws.com': { sourceAccount: true, sourceArnService: 'bedrock-agentcore' },
  'bedrock.amazonaws.com': { sourceAccount: true, sourceArnService: 'bedrock' },
  // Lambda assumes execution roles without aws:SourceArn/aws:SourceAccount, so no guard can be required.
  'lambda.amazonaws.com': { sourceAccount: false },
  // Pod Identity: AssumeRole and TagSession, as AWS requires; narrow it with sourceArn if your clusters send it.
  'pods.eks.amazonaws.com': { sourceAccount: false, tagSession: true },
  'ec2.amazonaws.com': { sourceAccount: false },
  'states.amazonaws.com': { sourceAccount: true, sourceArnService: 'states' },
  'sagemaker.amazonaws.com': { sourceAccount: false },
  'codebuild.amazonaws.com': { sourceAccount: true, sourceArnService: 'codebuild' },
  'glue.amazonaws.com': { sourceAccount: false },
  'batch.amazonaws.com': { sourceAccount: false },
  'events.amazonaws.com': { sourceAccount: true, sourceArnService: 'events' },
  'scheduler.amazonaws.com': { sourceAccount: true, sourceArnService: 'scheduler' },
  'pipes.amazonaws.com': { sourceAccount: true, sourceArnService: 'pipes' },
  'apprunner.amazonaws.com': { sourceAccount: false },
  'tasks.apprunner.amazonaws.com': { sourceAccount: false },
  'build.apprunner.amazonaws.com': { sourceAccount: false },
  'edgelambda.amazonaws.com': { sourceAccount: false },
  'elasticmapreduce.amazonaws.com': { sourceAccount: false },
  'emr-serverless.amazonaws.com': { sourceAccount: false },
  'airflow.amazonaws.com': { sourceAccount: false },
  'airflow-env.amazonaws.com': { sourceAccount: false },
  'firehose.amazonaws.com': { sourceAccount: false },
  'kendra.amazonaws.com': { sourceAccount: false },
  'q.amazonaws.com': { sourceAccount: false },
  'qbusiness.amazonaws.com': { sourceAccount: false },
  'appsync.amazonaws.com': { sourceAccount: false },
  'apigateway.amazonaws.com': { sourceAccount: false },
  'codepipeline.amazonaws.com': { sourceAccount: false },
  'cloudformation.amazonaws.com': { sourceAccount: false },
  'ssm.amazonaws.com': { sourceAccount: false },
  'datasync.amazonaws.com': { sourceAccount: false },
  'transfer.amazonaws.com': { sourceAccount: false },
  'mediaconvert.amazonaws.com': { sourceAccount: false },
  'comprehend.amazonaws.com': { sourceAccount: false },
  'textract.amazonaws.com': { sourceAccount: false },
  'transcribe.amazonaws.com': { sourceAccount: false },
  'rekognition.amazonaws.com': { sourceAccount: false },
  'personalize.amazonaws.com': { sourceAccount: false },
  'forecast.amazonaws.com': { sourceAccount: false },
  'iot.amazonaws.com': { sourceAccount: false },
  'lex.amazonaws.com': { sourceAccount: false },
  'connect.amazonaws.com': { sourceAccount: false },
};

/** The service principals the library knows (a role trusted by one of them can run an agent). */
export const KNOWN_SERVICE_PRINCIPALS: readonly string[] = Object.keys(SERVICE_GUARDS);

/** The guard of a service principal (its `.cn` form included), or undefined when the library does not know it. */
export function serviceGuard(service: string): ServiceGuard | undefined {
  return SERVICE_GUARDS[service.replace(/\.cn$/, '')];
}
