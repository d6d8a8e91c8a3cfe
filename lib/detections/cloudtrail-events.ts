/**
 * The vocabulary of the events the detection rules match: EventBridge `detail-type`s, the
 * `aws.` source prefix, CloudTrail event names and error codes, and which services record the
 * home region. Facts about AWS, shared by every pattern and by the metric filter.
 */

/** `detail-type` of every CloudTrail event on EventBridge. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** `detail-type` of GuardDuty findings on EventBridge. */
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';

/**
 * CloudTrail `errorCode` values of an authorization failure, across services: IAM, STS, S3 and
 * most JSON services say `AccessDenied` or `AccessDeniedException` (the prefix covers both and
 * `AccessDeniedFault`), SNS `AuthorizationError`, EC2 `Client.UnauthorizedOperation` or
 * `UnauthorizedOperation`, Cognito `NotAuthorizedException`, API Gateway and others
 * `ForbiddenException` or `UnauthorizedException`, KMS grants `AccessDeniedException`.
 */
export const DENIAL_ERROR_CODE_PREFIXES = ['AccessDenied'];
/** Exact denial error codes beside the `AccessDenied` prefix; see DENIAL_ERROR_CODE_PREFIXES. */
export const DENIAL_ERROR_CODES = [
  'AuthorizationError', 'AuthorizationErrorException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation',
  'UnauthorizedAccess', 'UnauthorizedException', 'Client.UnauthorizedAccess', 'NotAuthorized', 'NotAuthorizedException',
  'Forbidden', 'ForbiddenException', 'InsufficientPrivilegesException', 'AuthorizationFailure', 'AccessForbidden',
];

/** An EventBridge filter matching any denial error code. */
export function denialErrorCodeFilter(): unknown[] {
  return [...DENIAL_ERROR_CODE_PREFIXES.map((p) => ({ prefix: p })), ...DENIAL_ERROR_CODES];
}

/**
 * Every pattern requires `source` to start with `aws.`: PutEvents refuses that prefix to
 * anyone but AWS services, so a custom event on the default bus cannot trigger a rule.
 */
export const AWS_SOURCE_PREFIX = 'aws.';

/** Lambda, EventBridge, DynamoDB and SNS writes that change how a control-plane resource behaves (CloudTrail names; Lambda's carry API-version suffixes). */
export const CONTROL_PLANE_WRITE_PREFIXES = ['Add', 'Create', 'Delete', 'Disable', 'Enable', 'Publish', 'Put', 'Remove', 'Restore', 'Set', 'Subscribe', 'Tag', 'Unsubscribe', 'Untag', 'Update'];

/** IAM calls that change what a token-age policy says or whether it applies. */
export const TOKEN_AGE_POLICY_EVENT_NAMES = [
  'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion', 'DeletePolicy', 'DetachRolePolicy',
];

/**
 * Services whose CloudTrail records carry the partition's home region as `awsRegion`, whatever
 * region the caller works in; the region rule ignores them.
 */
export const GLOBAL_EVENT_SOURCES = [
  'iam.amazonaws.com', 'organizations.amazonaws.com', 'account.amazonaws.com', 'cloudfront.amazonaws.com',
  'route53.amazonaws.com', 'support.amazonaws.com', 'health.amazonaws.com',
];

/** IAM API name prefixes of every call that creates, changes or removes an identity, policy or credential. */
export const IAM_WRITE_EVENT_PREFIXES = [
  'Add', 'Attach', 'Change', 'Create', 'Deactivate', 'Delete', 'Detach', 'Enable', 'Put', 'Remove', 'Reset',
  'Resync', 'Set', 'Tag', 'Untag', 'Update', 'Upload',
];

/** KMS calls that would destroy, disable or re-permission the audit key. */
export const AUDIT_KEY_EVENT_NAMES = [
  'ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'DisableKeyRotation', 'CreateGrant',
];
