/**
 * What an AgentIdentity reads from the AgentIamStack it lives in: plain values, no callbacks.
 * The stack builds it once; the identity reads it at construction.
 * @internal
 */
import { MaturityStage } from '../lib/maturity';

/** @internal */
export interface AgentEnvironment {
  readonly environment: string;
  readonly stage: MaturityStage;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The permissions boundary's ARN (one token, shared by every agent role). */
  readonly permissionsBoundaryArn: string;
  /** The provider's default_tags (they count against each role's 50 tags). */
  readonly defaultTags: Record<string, string>;
  /** Stage 4: the only principals that may assume agent roles (the broker's role, break-glass roles). */
  readonly brokerPrincipals?: string[];
}
