/**
 * What the detection rules of one environment are built from: the agents (their roles, declared
 * principals and regions) and the environment's audit resources.
 *
 * Pure: no cdktf. Context values (account id, ARNs, bucket name) may be Terraform references or
 * tokens, so patterns are built by concatenation only and never parse them.
 */

/** One agent, as the detection rules see it. */
export interface DetectionAgent {
  /** The agent name (for example `research`); its role is `agent-<name>-<env>`. */
  readonly name: string;
  /** The agent role ARN, with its `/agents/<env>/` path. */
  readonly roleArn: string;
  /** IAM ARNs of the principals declared to assume the agent (roles, users). */
  readonly declaredPrincipalArns: string[];
  /** Regions the agent may act in; no region rule without them. */
  readonly allowedRegions?: string[];
}

/** What the detection rules of one environment watch. */
export interface DetectionContext {
  readonly partition: string;
  readonly accountId: string;
  readonly environment: string;
  /** Name of the audit trail's bucket; no bucket rule without it. */
  readonly auditBucketName?: string;
  /** ARN of the audit trail's KMS key; no key rule without it. */
  readonly auditKeyArn?: string;
  readonly agents: DetectionAgent[];
  /** Stage 4: roles people use when the broker is down; their AssumeRole of an agent raises DET-3.15. */
  readonly breakGlassRoleArns?: string[];
  /**
   * Longest event pattern EventBridge accepts in the account, characters once Terraform resolves
   * references (the account id counts 12, other references `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE`).
   * @default EVENT_PATTERN_MAX (2048, the default quota)
   */
  readonly maxPatternSize?: number;
}
