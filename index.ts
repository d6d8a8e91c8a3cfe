/**
 * cdktf-agent-iam: every AI agent gets a real cloud identity on AWS, and a
 * whole IAM maturity stage synthesizes as Terraform.
 */
export { AwsLimits } from './lib/limits';
export type { AccountQuotaValues } from './lib/limits';
export { MaturityStage, Risk, ControlScope, ControlCatalog } from './lib/maturity';
export type { Control } from './lib/maturity';
export { Grant } from './lib/grant';
export type { GrantProps, GrantCondition } from './lib/grant';
export type { AccountRootAcknowledgement, AgentDelegation, ServiceDelegation, OidcDelegation, ThirdPartyDelegation } from './lib/delegation';
export type { AgentContext } from './lib/context';
export type { SessionPolicyTemplate } from './lib/session-policy';
export type { DelegationTokenOptions } from './lib/verified-delegation';
export { AgentIdentity, DataClassification } from './constructs/agent-identity';
export type { AgentIdentityProps } from './constructs/agent-identity';
export { AgentAuditTrail } from './constructs/agent-audit-trail';
export type { AgentAuditTrailProps } from './constructs/agent-audit-trail';
export { AgentIamStack } from './constructs/agent-iam-stack';
export type { AdaptiveOptions, AgentIamStackProps, AuditOptions, DetectionOptions, StateBackendOptions, TokenAgeOptions } from './constructs/agent-iam-stack';
