/**
 * The permissions boundary shared by a stack's agents: the most any agent can
 * ever do, whatever identity policy it is given later (by mistake, or by an
 * attacker who controls something that writes IAM policies).
 */
import { AwsLimits } from './limits';
import { agentRoleArnPattern, LIBRARY_NAME_PREFIX, REGISTRY_ROOT, ssmParameterArn, formatArn } from './naming';
import { mergeStatements, policyDoc, PolicyDoc, policySize, Statement } from './policy';

/** One agent's grants, as the boundary scopes its allow to them. */
export interface BoundaryAgent {
  /** The agent role's ARN (with its path): the boundary's allow for these grants applies to it only (`aws:PrincipalArn`). */
  readonly roleArn: string;
  /** The agent's identity-policy statements (Allow statements are read; conditions are left to the identity policy). */
  readonly statements: Statement[];
}

/** What the boundary protects, as ARNs (usually references to the stack's resources). */
export interface BoundaryContext {
  readonly partition: string;
  readonly accountId: string;
  readonly environment: string;
  /** Services the stack's agents are granted: the boundary's allow when the scoped forms do not fit one managed policy. */
  readonly services: string[];
  /**
   * The agents and their grants: the boundary allows each agent what its grants name (actions on
   * resources) while that fits one managed policy.
   * @default - the services' form only
   */
  readonly agents?: BoundaryAgent[];
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

/**
 * Writes of resource-based policies and grants of access to other principals: persistence that
 * outlives a revocation (a bucket policy letting an outside account in stays after the agent's
 * sessions die), so no agent may ever make them, on any resource.
 */
export const RESOURCE_POLICY_WRITE_ACTIONS = [
  's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketAcl', 's3:PutObjectAcl', 's3:PutObjectVersionAcl',
  's3:PutAccessPointPolicy', 's3:DeleteAccessPointPolicy', 's3:PutBucketPublicAccessBlock', 's3:PutAccountPublicAccessBlock',
  's3:PutBucketOwnershipControls', 's3:PutMultiRegionAccessPointPolicy',
  'dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy',
  'sqs:AddPermission', 'sqs:RemovePermission', 'sqs:SetQueueAttributes',
  'sns:AddPermission', 'sns:RemovePermission', 'sns:SetTopicAttributes',
  'lambda:AddPermission', 'lambda:RemovePermission', 'lambda:AddLayerVersionPermission', 'lambda:RemoveLayerVersionPermission',
  'lambda:CreateFunctionUrlConfig', 'lambda:UpdateFunctionUrlConfig',
  'kms:PutKeyPolicy', 'kms:CreateGrant',
  'secretsmanager:PutResourcePolicy', 'secretsmanager:DeleteResourcePolicy',
  'ecr:SetRepositoryPolicy', 'ecr:DeleteRepositoryPolicy', 'ecr:PutRegistryPolicy',
  'events:PutPermission', 'events:RemovePermission', 'logs:PutResourcePolicy',
  'kinesis:PutResourcePolicy', 'glue:PutResourcePolicy', 'glacier:SetVaultAccessPolicy', 'backup:PutBackupVaultAccessPolicy',
  'ram:CreateResourceShare', 'ram:AssociateResourceShare', 'apigateway:UpdateRestApiPolicy', 'es:UpdateDomainConfig',
  'ssm:PutResourcePolicy', 'codeartifact:PutRepositoryPermissionsPolicy', 'codeartifact:PutDomainPermissionsPolicy',
  'bedrock:PutResourcePolicy', 'elasticfilesystem:PutFileSystemPolicy',
];

/**
 * The library's own resources in an account (every environment): its functions, rules, tables,
 * queues, topics, log groups, alarms, key aliases and registry parameters are all named
 * `agent-iam-*` (`/agent-iam/` for parameters). No agent may touch any of them.
 */
export function controlPlaneResources(partition: string, accountId: string): string[] {
  // Two globs cover them all (and fit the boundary's one managed policy): `*agent-iam-*` in any
  // service and region of the account (function:agent-iam-..., rule/agent-iam-..., table/...,
  // queues, topics, log-group:/aws/lambda/agent-iam-..., alarm:..., alias/...), and the registry.
  return [
    formatArn({ partition, service: '*', region: '*', account: accountId, resource: `*${LIBRARY_NAME_PREFIX}-*` }),
    ssmParameterArn(partition, '*', accountId, `${REGISTRY_ROOT}*`),
  ];
}

/** Organisation and account changes. */
export const ACCOUNT_ACTIONS = ['organizations:*', 'account:*'];

/** The glob of agent role ARNs of an environment (the only roles an agent may assume); built in lib/naming. */
export { agentRoleArnPattern };

/** Which form the boundary's allow took. */
export type BoundaryScope = 'per-agent-resources' | 'resources' | 'services';

/** Allow statements of grants, conditions dropped (the identity policy keeps them); undefined when one cannot be scoped. */
function allowsOf(statements: Statement[]): Statement[] | undefined {
  const allows = statements.filter((s) => s.Effect === 'Allow');
  if (allows.some((s) => !s.Action || !s.Resource || s.NotAction || s.NotResource)) return undefined;
  return allows.map((s) => ({ Effect: 'Allow' as const, Action: [...s.Action!], Resource: [...s.Resource!] }));
}

/** The boundary's allow statements in each form, narrowest first. */
function allowForms(ctx: BoundaryContext): { scope: BoundaryScope; statements: Statement[] }[] {
  const whoami: Statement = { Sid: 'AllowCallerIdentity', Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: ['*'] };
  const services = [...new Set(ctx.services.map((s) => s.toLowerCase()))].sort().map((s) => `${s}:*`);
  const forms: { scope: BoundaryScope; statements: Statement[] }[] = [];
  const agents = ctx.agents ?? [];
  const perAgent = agents.map((a) => ({ a, allows: allowsOf(a.statements) }));
  if (agents.length > 0 && perAgent.every((x) => x.allows !== undefined)) {
    forms.push({
      scope: 'per-agent-resources',
      statements: [whoami, ...perAgent.flatMap(({ a, allows }, i) => mergeStatements(allows!).map((s, j) => ({
        ...s, Sid: `AllowGrantsOfAgent${i}x${j}`, Condition: { ArnEquals: { 'aws:PrincipalArn': [a.roleArn] } },
      })))],
    });
    forms.push({
      scope: 'resources',
      statements: [whoami, ...mergeStatements(perAgent.flatMap((x) => x.allows!)).map((s, j) => ({ ...s, Sid: `AllowGrantsOfAgents${j}` }))],
    });
  }
  forms.push({
    scope: 'services',
    statements: [{ Sid: 'AllowServicesAgentsUse', Effect: 'Allow', Action: [...new Set([...services, 'sts:GetCallerIdentity'])].sort(), Resource: ['*'] }],
  });
  return forms;
}

/** The boundary document, with the narrowest allow that fits one managed policy. */
export function boundaryPolicy(ctx: BoundaryContext): PolicyDoc {
  return scopedBoundary(ctx).doc;
}

/**
 * The boundary and the form its allow took: each agent only what its own grants name
 * (`per-agent-resources`), else what any agent's grants name (`resources`), else the granted
 * services on every resource (`services`), whichever is narrowest and fits
 * `AwsLimits.MANAGED_POLICY_MAX`. The denies are the same in every form.
 */
export function scopedBoundary(ctx: BoundaryContext): { doc: PolicyDoc; scope: BoundaryScope; size: number } {
  const denies = boundaryDenies(ctx);
  const forms = allowForms(ctx);
  for (const f of forms) {
    const doc = policyDoc([...f.statements, ...denies]);
    const size = boundarySize(ctx, doc);
    if (size <= AwsLimits.MANAGED_POLICY_MAX) return { doc, scope: f.scope, size };
  }
  const last = forms[forms.length - 1];
  const doc = policyDoc([...last.statements, ...denies]);
  return { doc, scope: last.scope, size: boundarySize(ctx, doc) };
}

/**
 * The boundary's size as IAM will count it: the account id is 12 digits whatever token stands for
 * it; other unresolved references count as AwsLimits.UNRESOLVED_TOKEN_ESTIMATE.
 */
function boundarySize(ctx: BoundaryContext, doc: PolicyDoc): number {
  if (/^\d{12}$/.test(ctx.accountId)) return policySize(doc);
  return policySize(JSON.parse(JSON.stringify(doc).split(ctx.accountId).join('000000000000')) as PolicyDoc);
}

function boundaryDenies(ctx: BoundaryContext): Statement[] {
  return [
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
    { Sid: 'DenyResourcePolicyWrites', Effect: 'Deny', Action: RESOURCE_POLICY_WRITE_ACTIONS, Resource: ['*'] },
    { Sid: 'DenyLibraryControlPlane', Effect: 'Deny', Action: ['*'], Resource: controlPlaneResources(ctx.partition, ctx.accountId) },
  ];
}
