/**
 * cdktf-agent-iam: every AI agent gets a real cloud identity on AWS, and a
 * whole IAM maturity stage synthesizes as Terraform.
 */
export { AwsLimits } from './limits';
export type { AccountQuotaValues } from './limits';
export { MaturityStage, Risk, ControlScope, ControlCatalog } from './maturity';
export type { Control } from './maturity';
export { Grant } from './grant';
export type { GrantProps, GrantCondition } from './grant';
export type { AccountRootAcknowledgement, AgentDelegation, ServiceDelegation, OidcDelegation, ThirdPartyDelegation } from './delegation';
export type { DelegationTokenOptions } from './verified-delegation';
export type { AgentContext } from './context';
export type { SessionPolicyTemplate } from './session-policy';
export { AgentIdentity, DataClassification } from '../constructs/agent-identity';
export type { AgentIdentityProps } from '../constructs/agent-identity';
export { AgentAuditTrail } from '../constructs/agent-audit-trail';
export type { AgentAuditTrailProps } from '../constructs/agent-audit-trail';
export { AgentIamStack } from '../constructs/agent-iam-stack';
export type { AdaptiveOptions, AgentIamStackProps, AuditOptions, DetectionOptions, StateBackendOptions, TokenAgeOptions } from '../constructs/agent-iam-stack';
