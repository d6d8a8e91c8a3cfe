/**
 * What an AgentIdentity needs from the environment it lives in. AgentIamStack
 * provides it; the lookup walks up the construct tree, so identities can sit
 * at any depth inside the stack.
 */
import { IConstruct } from 'constructs';
import { MaturityStage } from '../lib/maturity';

/** @internal */
export interface AgentIamContext {
  readonly environment: string;
  readonly stage: MaturityStage;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly permissionsBoundaryArn: string;
  /** The provider's default_tags (they land on every role). */
  readonly defaultTags: Record<string, string>;
  registerAgent(agent: IConstruct): void;
  /** The ARN of the token-age policy for a TTL (stage 3+), created on first request. */
  tokenAgePolicyArn(ttlSeconds: number): string;
  /** Stage 4: the only principals that may assume agent roles (the broker's role, break-glass roles). */
  readonly brokerPrincipals?: string[];
}

const CONTEXT = Symbol.for('cdktf-agent-iam.AgentIamContext');

/** @internal */
export function provideContext(scope: IConstruct, ctx: AgentIamContext): void {
  Object.defineProperty(scope, CONTEXT, { value: ctx, enumerable: false });
}

/** @internal */
export function findContext(scope: IConstruct): AgentIamContext | undefined {
  for (const s of scope.node.scopes.slice().reverse()) {
    const ctx = (s as any)[CONTEXT] as AgentIamContext | undefined;
    if (ctx) return ctx;
  }
  return undefined;
}
