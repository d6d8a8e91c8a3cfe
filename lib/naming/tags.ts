/**
 * Tag keys the library writes: on agent roles (`agent:*`, read back by the stage check and the
 * assessor), on detection rules (`agent-iam:*`) and as the provider's default tags.
 */

/** Tag keys the library writes on every agent role. */
export const AGENT_TAGS = {
  id: 'agent:id',
  owner: 'agent:owner',
  purpose: 'agent:purpose',
  environment: 'agent:environment',
  stage: 'agent:maturity-stage',
  managedBy: 'agent:managed-by',
  dataClassification: 'agent:data-classification',
  expiresAt: 'agent:expires-at',
  noExpiryReason: 'agent:no-expiry-reason',
  sessionTtl: 'agent:session-ttl',
};

/** The value of the `managed-by` tags: the package's name. */
export const MANAGED_BY = 'cdktf-agent-iam';

/** Tag key on every EventBridge rule of the detection catalog; its value is the rule id (`DET-3.01`). */
export const DETECTION_RULE_TAG = 'agent-iam:detection';

/** Tag key on every detection rule giving its severity. */
export const DETECTION_SEVERITY_TAG = 'agent-iam:severity';

/**
 * The provider `default_tags` every AgentIamStack sets. AWS applies them to every taggable
 * resource, so they count against a role's 50 tags (keys the role also sets count once).
 */
export function providerDefaultTags(environment: string): Record<string, string> {
  return { 'agent-iam:environment': environment, 'agent-iam:managed-by': MANAGED_BY };
}
