/**
 * RevocationPath: the revoker Lambda and its ledger. High-severity detections
 * and the manual kill switch reach the same handler, which writes
 * AWSRevokeOlderSessions (and, for critical findings, a quarantine deny) on an
 * agent role, records it in the ledger and announces it on SNS. Its role may
 * only read and write inline policies of roles under the agents' path: never
 * trust policies, boundaries or attachments.
 */
import { Construct } from 'constructs';
import { DynamodbResourcePolicy, DynamodbTable } from './aws';
import { guardedTablePolicy } from '../lib/table-guard';
import { policyJson } from '../lib/policy';
import { Statement } from '../lib/policy';
import { ledgerTableName, REVOKER_FORBIDDEN_ACTIONS, revokerFunctionName } from '../lib/revocation';
import { HardenedFunction } from './hardened-function';
import { agentTable } from './agent-table';
import { markLibraryOwned } from './terraform-literals';
import { agentRoleArnPattern, lambdaVariables, REVOKER_ENVIRONMENT } from '../lib/naming';

/** @internal */
export interface RevocationPathProps {
  readonly environment: string;
  readonly partition: string;
  readonly accountId: string;
  readonly keyArn: string;
  readonly topicArn: string;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Roles that may write restore requests into the ledger (besides the revoker). */
  readonly responderRoleArns: string[];
}

/** @internal */
export class RevocationPath extends Construct {
  public readonly ledger: DynamodbTable;
  public readonly revoker: HardenedFunction;

  constructor(scope: Construct, id: string, props: RevocationPathProps) {
    super(scope, id);
    markLibraryOwned(this);
    const env = props.environment;
    this.ledger = agentTable(this, 'ledger', ledgerTableName(env), props.keyArn, props.deletionProtection ?? true);
    const agentRoles = agentRoleArnPattern(props.partition, props.accountId, env);
    const statements: Statement[] = [
      {
        Sid: 'InlinePoliciesOfAgentRolesOnly', Effect: 'Allow',
        Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'], Resource: [agentRoles],
      },
      { Sid: 'NeverTrustBoundaryOrAttachments', Effect: 'Deny', Action: REVOKER_FORBIDDEN_ACTIONS, Resource: ['*'] },
      {
        Sid: 'Ledger', Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], Resource: [this.ledger.arn],
      },
      { Sid: 'Announce', Effect: 'Allow', Action: ['sns:Publish'], Resource: [props.topicArn] },
    ];
    this.revoker = new HardenedFunction(this, 'revoker', {
      functionName: revokerFunctionName(env),
      handlerDir: 'revoker',
      description: `Revokes live sessions of ${env} agents (AWSRevokeOlderSessions) on high-severity detections and the kill switch`,
      keyArn: props.keyArn,
      alarmTopicArn: props.topicArn,
      reservedConcurrency: 10,
      timeoutSeconds: 60,
      statements,
      environment: lambdaVariables(REVOKER_ENVIRONMENT, { environment: env, ledgerTable: this.ledger.name, topicArn: props.topicArn }),
    });
    // Only the revoker and the responders write the ledger: a restore request there is a responder's.
    this.ledgerPolicy = new DynamodbResourcePolicy(this, 'ledger-policy', {
      resourceArn: this.ledger.arn,
      policy: policyJson(guardedTablePolicy(this.ledger.arn, [this.revoker.role.arn, ...props.responderRoleArns])),
    });
  }

  /** The ledger's resource policy (deny item writes but by the revoker and the responders). */
  public readonly ledgerPolicy: DynamodbResourcePolicy;
}
