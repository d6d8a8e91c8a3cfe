/**
 * The agent registry entry: what a stage-3+ stack publishes per agent (a SecureString at
 * `registryParameterName(env, agent)` and the `agent_registry` output) and what the credential
 * broker reads back. One shape for the writer and the readers. Pure and runtime-safe (the broker
 * bundles it).
 */
import type { MaturityStage } from './maturity';

/** One agent's registry entry, serialised as JSON in this field order. */
export interface AgentRegistryEntry {
  /** The agent's name (`support-triage`). */
  readonly id: string;
  /** Who answers for the agent (a team or a person). */
  readonly owner: string;
  /** What the agent is for, in a sentence. */
  readonly purpose: string;
  /** `public`, `internal`, `confidential` or `restricted` (DataClassification). */
  readonly dataClassification: string;
  /** The stack's maturity stage (3 or 4). */
  readonly stage: MaturityStage;
  /** The environment (`dev`). */
  readonly environment: string;
  /** The agent role's ARN (an unresolved reference at synth, the ARN once deployed). */
  readonly roleArn: string;
  /** The session lifetime the token-age policy and the broker enforce, seconds. */
  readonly sessionTtlSeconds: number;
  /** The role's MaxSessionDuration, seconds. */
  readonly maxSessionDurationSeconds: number;
  /** ISO date the identity expires, or null when it does not. */
  readonly expiresAt: string | null;
  /** Regions the agent may act in; empty: no region condition. */
  readonly allowedRegions: readonly string[];
  /** The token-age policy attached to the role, or null. */
  readonly tokenAgePolicyArn: string | null;
  /** Names of the session-policy templates (parameters under `sessionPolicyParameterName`). */
  readonly sessionPolicies: readonly string[];
  /** IAM ARNs of the roles (or users) allowed to ask the broker for this agent's credentials. */
  readonly callers: readonly string[];
  /** StringLike patterns of whom callers may name in onBehalfOf (used without a delegation token). */
  readonly onBehalfOfPatterns: readonly string[];
}

/** The fields of an entry in the order the stack writes them (a test holds the published entries to it). */
export const AGENT_REGISTRY_ENTRY_FIELDS: readonly (keyof AgentRegistryEntry)[] = [
  'id', 'owner', 'purpose', 'dataClassification', 'stage', 'environment', 'roleArn', 'sessionTtlSeconds',
  'maxSessionDurationSeconds', 'expiresAt', 'allowedRegions', 'tokenAgePolicyArn', 'sessionPolicies', 'callers', 'onBehalfOfPatterns',
];

/**
 * What the broker relies on, checked when it reads an entry: an entry written by an earlier
 * version may lack the other fields (and `onBehalfOfPatterns`, `sessionPolicies`).
 */
export type BrokerRegistryEntry = Pick<AgentRegistryEntry, 'id' | 'roleArn' | 'sessionTtlSeconds' | 'callers'>
  & Partial<Pick<AgentRegistryEntry, 'onBehalfOfPatterns' | 'sessionPolicies'>>;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Parses a registry parameter's value for the broker. Throws, naming the parameter, when the
 * fields the broker needs are missing or mistyped.
 */
export function parseBrokerRegistryEntry(parameterName: string, raw: string): BrokerRegistryEntry {
  const e = JSON.parse(raw);
  if (typeof e?.roleArn !== 'string' || typeof e?.sessionTtlSeconds !== 'number' || !isStringArray(e?.callers)) {
    throw new Error(`registry entry ${parameterName} lacks roleArn, sessionTtlSeconds or callers (an array of IAM ARNs)`);
  }
  if (e.onBehalfOfPatterns !== undefined && !isStringArray(e.onBehalfOfPatterns)) {
    throw new Error(`registry entry ${parameterName}: onBehalfOfPatterns must be an array of patterns`);
  }
  return e as BrokerRegistryEntry;
}
