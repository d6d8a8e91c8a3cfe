/**
 * HardenedFunction: how every Lambda of this library runs. A deterministic
 * esbuild bundle shipped as a TerraformAsset, a dead-letter queue, reserved
 * concurrency, X-Ray tracing, a KMS-encrypted log group with retention,
 * KMS-encrypted environment variables, an alarm on errors, and an execution
 * role holding only the statements its caller passes plus what running needs.
 */
import * as path from 'path';
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from '../lib/private/cdk';
import { CloudwatchLogGroup, CloudwatchMetricAlarm, IamRole, IamRolePolicy, LambdaFunction, SqsQueue } from './aws';
import { policyDoc, policyJson, Statement } from '../lib/policy';
import { bundleLambda } from './lambda-bundle';
import { DEFAULT_LAMBDA_RUNTIME, LAMBDA_RUNTIME_CONTEXT } from '../lib/lambda-runtime';
import { markLibraryOwned } from './terraform-literals';
import { functionDeadLetterQueueName, lambdaLogGroupName, LIBRARY_ROLE_PATH } from '../lib/naming';

/** @internal */
export interface HardenedFunctionProps {
  /** Function name (also names the role, log group and queue). */
  readonly functionName: string;
  /** Folder of the handler under lambda/ (for example `token-age`). */
  readonly handlerDir: string;
  readonly description: string;
  /** KMS key for logs, environment and the dead-letter queue. */
  readonly keyArn: string;
  /** Statements of the execution role beyond logs, tracing, DLQ and key use. */
  readonly statements: Statement[];
  readonly environment?: { [key: string]: string };
  /** @default 1 */
  readonly reservedConcurrency?: number;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 365 */
  readonly logRetentionDays?: number;
  /** Topic the error alarm notifies. @default - no alarm actions */
  readonly alarmTopicArn?: string;
  /**
   * The function runs on a schedule at least this often (seconds): an alarm fires when it has not
   * run for three such periods, missing data breaching (a disabled schedule, removed target,
   * concurrency 0 or deleted function all look like silence).
   * @default - not scheduled: no missing-tick alarm
   */
  readonly expectedEverySeconds?: number;
}

/** @internal */
export class HardenedFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly deadLetterQueue: SqsQueue;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly sourceCodeHash: string;

  constructor(scope: Construct, id: string, props: HardenedFunctionProps) {
    super(scope, id);
    markLibraryOwned(this);
    const { functionName: name, keyArn } = props;
    const bundle = bundleLambda(props.handlerDir, path.join(__dirname, '..', 'lambda', props.handlerDir));
    this.sourceCodeHash = bundle.sourceCodeHash;
    const asset = new TerraformAsset(this, 'code', { path: bundle.zipPath, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: lambdaLogGroupName(name), retentionInDays: props.logRetentionDays ?? 365, kmsKeyId: keyArn,
    });
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: functionDeadLetterQueueName(name), kmsMasterKeyId: keyArn, messageRetentionSeconds: 1209600,
    });
    this.role = new IamRole(this, 'role', {
      name,
      path: LIBRARY_ROLE_PATH,
      description: props.description.slice(0, 1000),
      assumeRolePolicy: policyJson(policyDoc([{
        Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'],
      }])),
    });
    new IamRolePolicy(this, 'role-policy', {
      name: 'function',
      role: this.role.id,
      policy: policyJson(policyDoc([
        ...props.statements,
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${this.logGroup.arn}:log-stream:*`] },
        { Sid: 'DeadLetter', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.deadLetterQueue.arn] },
        { Sid: 'UseKeyForEnvAndQueue', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [keyArn] },
        // X-Ray trace segments cannot be scoped to a resource.
        { Sid: 'Tracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] },
      ])),
    });
    this.function = new LambdaFunction(this, 'function', {
      functionName: name,
      description: props.description.slice(0, 256),
      role: this.role.arn,
      runtime: this.node.tryGetContext(LAMBDA_RUNTIME_CONTEXT) ?? DEFAULT_LAMBDA_RUNTIME,
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: bundle.sourceCodeHash,
      architectures: ['arm64'],
      memorySize: 256,
      timeout: props.timeoutSeconds ?? 60,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 1,
      kmsKeyArn: keyArn,
      tracingConfig: { mode: 'Active' },
      deadLetterConfig: { targetArn: this.deadLetterQueue.arn },
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      environment: props.environment ? { variables: props.environment } : undefined,
      dependsOn: [this.logGroup],
    });
    new CloudwatchMetricAlarm(this, 'errors', {
      alarmName: `${name}-errors`,
      alarmDescription: `${name} failed; its guarantee (see README) does not hold until it succeeds again`,
      namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: name },
      statistic: 'Sum', period: 60, evaluationPeriods: 1, threshold: 0, comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: props.alarmTopicArn ? [props.alarmTopicArn] : undefined,
    });
    // Concurrency set to 0 (or exhausted) throttles every invocation: the function is switched off.
    new CloudwatchMetricAlarm(this, 'throttles', {
      alarmName: `${name}-throttles`,
      alarmDescription: `${name} was throttled: invocations were refused (reserved concurrency 0 or exhausted); its guarantee does not hold`,
      namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: name },
      statistic: 'Sum', period: 60, evaluationPeriods: 1, threshold: 0, comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: props.alarmTopicArn ? [props.alarmTopicArn] : undefined,
    });
    if (props.expectedEverySeconds !== undefined) {
      const period = Math.max(60, Math.ceil(props.expectedEverySeconds / 60) * 60);
      new CloudwatchMetricAlarm(this, 'missing-ticks', {
        alarmName: `${name}-missing-ticks`,
        alarmDescription: `${name} has not run for ${3 * period} s though it is scheduled every ${props.expectedEverySeconds} s: `
          + 'schedule disabled, target removed, concurrency 0 or function deleted',
        namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: { FunctionName: name },
        statistic: 'Sum', period, evaluationPeriods: 3, threshold: 1, comparisonOperator: 'LessThanThreshold',
        // Silence is the failure: no data breaches.
        treatMissingData: 'breaching',
        alarmActions: props.alarmTopicArn ? [props.alarmTopicArn] : undefined,
      });
    }
  }
}
