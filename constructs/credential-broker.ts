/**
 * CredentialBroker: continuous authentication. A risk Lambda turns every
 * detection into decaying risk points per agent; the broker Lambda, behind an
 * IAM-authenticated function URL, is the only principal (besides break-glass
 * roles) that may assume agent roles, and decides per task from the current
 * risk: a normal session, a short read-only one until a person approves the
 * agent again, or none (and revocation).
 */
import { Construct } from 'constructs';
import { DynamodbResourcePolicy, DynamodbTable, LambdaFunctionUrl } from './aws';
import { guardedTablePolicy } from '../lib/table-guard';
import { policyJson } from '../lib/policy';
import { riskTableName } from '../lib/risk';
import { DelegationTokenOptions } from '../lib/verified-delegation';
import { HardenedFunction } from './hardened-function';
import { agentTable } from './agent-table';
import { markLibraryOwned } from './terraform-literals';
import {
  agentRoleArnPattern, BROKER_ENVIRONMENT, brokerFunctionName, lambdaVariables, registryParameterPrefix, RISK_ENVIRONMENT, riskFunctionName, ssmParameterArn,
} from '../lib/naming';

/** @internal */
export interface CredentialBrokerProps {
  readonly environment: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly keyArn: string;
  readonly topicArn: string;
  readonly revokerArn: string;
  readonly revokerName: string;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Roles that may write approvals into the risk table (besides the risk Lambda). */
  readonly responderRoleArns: string[];
  /** The people's identity provider whose tokens the broker verifies. @default - none */
  readonly delegationToken?: DelegationTokenOptions;
}

/** @internal */
export class CredentialBroker extends Construct {
  public readonly riskTable: DynamodbTable;
  public readonly risk: HardenedFunction;
  public readonly broker: HardenedFunction;
  public readonly url: LambdaFunctionUrl;
  /** The risk table's resource policy (deny item writes but by the risk Lambda and the responders). */
  public readonly riskTablePolicy: DynamodbResourcePolicy;

  constructor(scope: Construct, id: string, props: CredentialBrokerProps) {
    super(scope, id);
    markLibraryOwned(this);
    const env = props.environment;
    const p = props.partition;
    // Event records (idempotency keys) expire after 7 days through DynamoDB TTL on `expiresAt`.
    this.riskTable = agentTable(this, 'risk-table', riskTableName(env), props.keyArn, props.deletionProtection ?? true, 'expiresAt');
    const common = { environment: env, riskTable: this.riskTable.name, revokerFunction: props.revokerName };
    this.risk = new HardenedFunction(this, 'risk', {
      functionName: riskFunctionName(env),
      handlerDir: 'risk',
      description: `Scores the risk of ${env} agents from detections (decaying points by severity)`,
      keyArn: props.keyArn,
      alarmTopicArn: props.topicArn,
      reservedConcurrency: 5,
      statements: [
        { Sid: 'RiskScores', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: [this.riskTable.arn] },
        { Sid: 'TriggerRevocation', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [props.revokerArn] },
      ],
      environment: lambdaVariables(RISK_ENVIRONMENT, common),
    });
    this.broker = new HardenedFunction(this, 'broker', {
      functionName: brokerFunctionName(env),
      handlerDir: 'broker',
      description: `Issues per-task credentials for ${env} agents after a risk decision`,
      keyArn: props.keyArn,
      alarmTopicArn: props.topicArn,
      reservedConcurrency: 20,
      timeoutSeconds: 15,
      statements: [
        {
          Sid: 'AssumeAgentRolesPerTask', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Resource: [agentRoleArnPattern(p, props.accountId, env)],
        },
        {
          Sid: 'ReadRegistryAndTemplates', Effect: 'Allow', Action: ['ssm:GetParameter'],
          Resource: [ssmParameterArn(p, props.region, props.accountId, `${registryParameterPrefix(env)}*`)],
        },
        { Sid: 'ReadRiskAndApprovals', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [this.riskTable.arn] },
        { Sid: 'TriggerRevocation', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [props.revokerArn] },
      ],
      // The people's identity provider, when the stack declares one: the broker verifies their tokens.
      environment: lambdaVariables(BROKER_ENVIRONMENT, { ...common, delegationToken: props.delegationToken ? JSON.stringify(props.delegationToken) : undefined }),
    });
    // Approvals loosen: only the responders (and the risk Lambda, for scores) write the risk table.
    this.riskTablePolicy = new DynamodbResourcePolicy(this, 'risk-table-policy', {
      resourceArn: this.riskTable.arn,
      policy: policyJson(guardedTablePolicy(this.riskTable.arn, [this.risk.role.arn, ...props.responderRoleArns])),
    });
    // IAM-authenticated: callers sign with SigV4 and need lambda:InvokeFunctionUrl on this function.
    this.url = new LambdaFunctionUrl(this, 'url', { functionName: this.broker.function.functionName, authorizationType: 'AWS_IAM' });
  }
}
