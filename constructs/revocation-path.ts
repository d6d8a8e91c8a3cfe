/**
 * RevocationPath: the revoker Lambda and its ledger. High-severity detections
 * and the manual kill switch reach the same handler, which writes
 * AWSRevokeOlderSessions (and, for critical findings, a quarantine deny) on an
 * agent role, records it in the ledger and announces it on SNS. Its role may
 * only read and write inline policies of roles under the agents' path: never
 * trust policies, boundaries or attachments.
 */
import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Statement } from '../lib/policy';
import { HardenedFunction } from './hardened-function';
import { agentTable } from './agent-table';

/** Actions the revoker's role may never have: each would let an abused revoker let a stranger in or lift the cap. */
export const REVOKER_FORBIDDEN_ACTIONS = [
  'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary', 'iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:PassRole',
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:TagRole', 'iam:UntagRole',
];

/** @internal */
export interface RevocationPathProps {
  readonly environment: string;
  readonly partition: string;
  readonly accountId: string;
  readonly keyArn: string;
  readonly topicArn: string;
  /** @default true */
  readonly deletionProtection?: boolean;
}

/** @internal */
export class RevocationPath extends Construct {
  public readonly ledger: DynamodbTable;
  public readonly revoker: HardenedFunction;
  /** The IAM actions the revoker's role is allowed (for the stage check). */
  public readonly revokerActions: string[];

  constructor(scope: Construct, id: string, props: RevocationPathProps) {
    super(scope, id);
    const env = props.environment;
    this.ledger = agentTable(this, 'ledger', `agent-iam-revocations-${env}`, props.keyArn, props.deletionProtection ?? true);
    const agentRoles = `arn:${props.partition}:iam::${props.accountId}:role/agents/${env}/*`;
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
    this.revokerActions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action ?? []);
    this.revoker = new HardenedFunction(this, 'revoker', {
      functionName: `agent-iam-revoker-${env}`,
      handlerDir: 'revoker',
      description: `Revokes live sessions of ${env} agents (AWSRevokeOlderSessions) on high-severity detections and the kill switch`,
      keyArn: props.keyArn,
      alarmTopicArn: props.topicArn,
      reservedConcurrency: 10,
      timeoutSeconds: 60,
      statements,
      environment: { ENVIRONMENT: env, LEDGER_TABLE: this.ledger.name, TOPIC_ARN: props.topicArn },
    });
  }
}
