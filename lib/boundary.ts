/**
 * The permissions boundary shared by a stack's agents: the most any agent can
 * ever do, whatever identity policy it is given later (by mistake, or by an
 * attacker who controls something that writes IAM policies).
 */
import { policyDoc, PolicyDoc } from './policy';

/** What the boundary protects, as ARNs (usually references to the stack's resources). */
export interface BoundaryContext {
  readonly partition: string;
  readonly accountId: string;
  readonly environment: string;
  /** Services the stack's agents are granted; the boundary allows only these. */
  readonly services: string[];
  readonly auditBucketArn: string;
  readonly auditKeyArn: string;
  readonly auditQueueArns: string[];
}

/** IAM writes: every action that creates, changes or removes identities, policies, boundaries or credentials. */
export const IAM_WRITE_ACTIONS = [
  'iam:Add*', 'iam:Attach*', 'iam:Change*', 'iam:Create*', 'iam:Deactivate*', 'iam:Delete*', 'iam:Detach*',
  'iam:Enable*', 'iam:PassRole', 'iam:Put*', 'iam:Remove*', 'iam:Reset*', 'iam:Resync*', 'iam:Set*', 'iam:Tag*',
  'iam:Untag*', 'iam:Update*', 'iam:Upload*',
];

/** Actions that would blind or falsify the audit trail and detection. */
export const AUDIT_TAMPER_ACTIONS = [
  'cloudtrail:DeleteTrail', 'cloudtrail:StopLogging', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors',
  'cloudtrail:PutInsightSelectors', 'cloudtrail:DeleteEventDataStore', 'cloudtrail:UpdateEventDataStore',
  'cloudtrail:StopEventDataStoreIngestion', 'cloudtrail:PutResourcePolicy', 'cloudtrail:DeleteResourcePolicy',
  'cloudtrail:RemoveTags',
  'logs:DeleteLogGroup', 'logs:DeleteLogStream', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy',
  'logs:DisassociateKmsKey', 'logs:AssociateKmsKey', 'logs:PutSubscriptionFilter', 'logs:DeleteSubscriptionFilter',
  'logs:PutMetricFilter', 'logs:DeleteMetricFilter', 'logs:PutResourcePolicy', 'logs:DeleteResourcePolicy',
  'logs:PutDataProtectionPolicy', 'logs:DeleteDataProtectionPolicy', 'logs:PutAccountPolicy', 'logs:DeleteAccountPolicy',
  'events:DeleteRule', 'events:DisableRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets',
  'events:DeleteEventBus', 'events:PutPermission', 'events:RemovePermission', 'events:UntagResource',
  'guardduty:DeleteDetector', 'guardduty:UpdateDetector', 'guardduty:DisassociateFromMasterAccount',
  'guardduty:DisassociateFromAdministratorAccount', 'guardduty:CreateFilter', 'guardduty:UpdateFilter',
  'guardduty:ArchiveFindings', 'guardduty:CreateIPSet', 'guardduty:UpdateIPSet',
  'config:DeleteConfigurationRecorder', 'config:StopConfigurationRecorder', 'config:DeleteDeliveryChannel',
];

/** Writes to the audit bucket (objects and configuration). */
export const AUDIT_STORE_ACTIONS = ['s3:Delete*', 's3:Put*', 's3:Replicate*', 's3:Restore*', 's3:Bypass*', 's3:Create*', 's3:Update*'];

/** Organisation and account changes. */
export const ACCOUNT_ACTIONS = ['organizations:*', 'account:*'];

/** The glob of agent role ARNs of an environment (the only roles an agent may assume). */
export function agentRoleArnPattern(partition: string, accountId: string, environment: string): string {
  return `arn:${partition}:iam::${accountId}:role/agents/${environment}/*`;
}

/** The boundary document. */
export function boundaryPolicy(ctx: BoundaryContext): PolicyDoc {
  const allowed = [...new Set(ctx.services.map((s) => s.toLowerCase()))].sort().map((s) => `${s}:*`);
  return policyDoc([
    {
      Sid: 'AllowServicesAgentsUse', Effect: 'Allow',
      Action: [...new Set([...allowed, 'sts:GetCallerIdentity'])].sort(), Resource: ['*'],
    },
    { Sid: 'DenyIamWrites', Effect: 'Deny', Action: IAM_WRITE_ACTIONS, Resource: ['*'] },
    {
      Sid: 'DenyAssumingNonAgentRoles', Effect: 'Deny', Action: ['sts:AssumeRole'],
      NotResource: [agentRoleArnPattern(ctx.partition, ctx.accountId, ctx.environment)],
    },
    { Sid: 'DenyAuditTampering', Effect: 'Deny', Action: AUDIT_TAMPER_ACTIONS, Resource: ['*'] },
    { Sid: 'DenyAuditStoreWrites', Effect: 'Deny', Action: AUDIT_STORE_ACTIONS, Resource: [ctx.auditBucketArn, `${ctx.auditBucketArn}/*`] },
    { Sid: 'DenyAuditKeyUse', Effect: 'Deny', Action: ['kms:*'], Resource: [ctx.auditKeyArn] },
    { Sid: 'DenyAuditQueueUse', Effect: 'Deny', Action: ['sqs:*'], Resource: [...ctx.auditQueueArns] },
    { Sid: 'DenyOrganizationAndAccountChanges', Effect: 'Deny', Action: ACCOUNT_ACTIONS, Resource: ['*'] },
  ]);
}
