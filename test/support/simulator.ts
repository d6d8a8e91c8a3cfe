/**
 * The test oracle: @cloud-copilot/iam-simulate (AGPL, a devDependency only)
 * evaluates synthesized policies as IAM would.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT } from './stacks';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface Request {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly identityPolicies?: { name: string; policy: any }[];
  readonly boundary?: any;
  readonly resourcePolicy?: any;
  readonly resourceAccount?: string;
  /** A session policy passed at AssumeRole (narrows the identity policies). */
  readonly sessionPolicy?: any;
}

/**
 * The simulator's decision for one request; throws on a simulation error (bad input to the oracle).
 * As IAM does for every request of a role (or its sessions), `aws:PrincipalArn` is the role's ARN
 * when the principal is given as one and the context does not set it.
 */
export async function decide(r: Request): Promise<Decision> {
  const isRole = /^arn:[a-z-]+:iam::\d{12}:role\//.test(r.principal);
  const context = { ...(isRole ? { 'aws:PrincipalArn': r.principal } : {}), ...(r.context ?? {}) };
  const result = await runSimulation({
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.resourceAccount ?? ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: r.identityPolicies ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: r.resourcePolicy,
    sessionPolicy: r.sessionPolicy,
    permissionBoundaryPolicies: r.boundary ? [{ name: 'boundary', policy: r.boundary }] : undefined,
  }, {});
  if (result.resultType === 'error') {
    throw new Error(`simulation error for ${r.action} on ${r.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
