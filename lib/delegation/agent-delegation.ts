/**
 * Who may act as an agent, as the user declares it: AWS principals, services, OIDC-federated
 * workloads and third parties, with the source-identity pattern and the acknowledged account
 * roots. Plain readonly structs (jsii); `trust-policy.ts` turns them into the role's trust
 * policy, `validate-delegation.ts` checks them.
 */

/** An AWS service that runs the agent and assumes its role directly. */
export interface ServiceDelegation {
  /** Service principal, for example `ecs-tasks.amazonaws.com`, `lambda.amazonaws.com`, `bedrock-agentcore.amazonaws.com`. */
  readonly service: string;
  /**
   * ARN pattern of the service resources allowed to assume the role (the
   * confused-deputy guard `aws:SourceArn`), for services that send it.
   * @default - every resource of that service in this account and region
   */
  readonly sourceArn?: string;
}

/** A federated workload (EKS service account, CI pipeline) assuming the role with an OIDC token. */
export interface OidcDelegation {
  /** ARN of the IAM OIDC identity provider. */
  readonly providerArn: string;
  /**
   * Issuer host and path as IAM writes it in condition keys (`oidc.eks.us-east-1.amazonaws.com/id/ABC`).
   * @default - taken from providerArn; required when providerArn is an unresolved reference
   */
  readonly issuer?: string;
  /** Allowed `sub` claims (for example `system:serviceaccount:agents:support-triage`). Required. */
  readonly subjects: string[];
  /** Allowed `aud` claims (for example `sts.amazonaws.com`). Required. */
  readonly audiences: string[];
  /**
   * Whether the IdP sends the `https://aws.amazon.com/source_identity` claim.
   * When true the trust policy requires a source identity from this provider too.
   * @default false
   */
  readonly sendsSourceIdentity?: boolean;
}

/** A principal in another organisation (a vendor) that assumes the role with an external id. */
export interface ThirdPartyDelegation {
  /** The vendor's account or role ARN. */
  readonly principal: string;
  /** The external id agreed with the vendor (2-1,224 characters). */
  readonly externalId: string;
}

/**
 * A written acknowledgement that an account-root principal (`arn:<partition>:iam::<account>:root`
 * or a bare account id) may assume the agent: it trusts every role and user of that account whose
 * own IAM policies allow sts:AssumeRole on the agent, now and in the future.
 */
export interface AccountRootAcknowledgement {
  /** The account-root principal, exactly as written in awsPrincipals or thirdParties. */
  readonly principal: string;
  /** Why trusting the whole account is acceptable (recorded in the code review; at least 10 characters). */
  readonly reason: string;
  /**
   * External id the account must pass (2-1,224 characters of letters, digits and +=,.@:/-).
   * Required for another account's root; for a principal in awsPrincipals it is added as an
   * `sts:ExternalId` condition.
   * @default - none (allowed only for this stack's own account)
   */
  readonly externalId?: string;
}

/** Who may assume an agent's role. At least one principal is required. */
export interface AgentDelegation {
  /**
   * IAM role ARNs in your organisation that act as the agent: an orchestrator,
   * the agent's runtime role, a human SSO role. Each must pass a source identity.
   * @default - none
   */
  readonly awsPrincipals?: string[];
  /**
   * AWS services that run the agent and assume its role directly (no source identity possible).
   * @default - none
   */
  readonly services?: ServiceDelegation[];
  /**
   * OIDC-federated workloads.
   * @default - none
   */
  readonly oidc?: OidcDelegation[];
  /**
   * Third parties, each with an external id.
   * @default - none
   */
  readonly thirdParties?: ThirdPartyDelegation[];
  /**
   * Pattern (StringLike) the source identity must match, for example `user-*` or `*@example.com`.
   * STS accepts source identities of 2-64 characters of letters, digits and `_+=,.@-`: a pattern
   * that no such value can match (`user:*`) is a synth error.
   * @default "*" (any source identity, but one must be set)
   */
  readonly sourceIdentityPattern?: string;
  /**
   * Account-root principals (in awsPrincipals or thirdParties) you accept, each with a reason;
   * any other account-root principal is a synth error.
   * @default - none
   */
  readonly accountRootAcknowledgements?: AccountRootAcknowledgement[];
  /**
   * Stage 4 without `adaptive.delegationToken`: StringLike patterns of whom the agent's callers may
   * name as `onBehalfOf` at the credential broker (for example `*@example.com`); the broker
   * refuses any other name. Required at stage 4 unless the stack verifies people's tokens.
   * @default - none
   */
  readonly onBehalfOfPatterns?: string[];
}
