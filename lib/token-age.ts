/**
 * Token age limit: the one policy document that makes a session older than an
 * agent's TTL useless, whatever duration its caller asked for. Shared by the
 * construct (initial document), the token-age Lambda (every tick) and the tests.
 */
import { policyDoc, PolicyDoc } from './policy';

/** How often the token-age Lambda rewrites the policies, by default (seconds). */
export const TOKEN_AGE_TICK_SECONDS = 60;

/** IAM keeps at most this many versions of a managed policy. */
export const POLICY_VERSION_LIMIT = 5;

/** Sid of the token-age statement (also how the assessor recognises it). */
export const TOKEN_AGE_SID = 'DenySessionsOlderThanTtl';

/** The instant before which sessions are denied: `now - ttlSeconds`, whole seconds, ISO 8601 UTC. */
export function tokenAgeCutoff(now: Date, ttlSeconds: number): string {
  const t = Math.floor(now.getTime() / 1000) * 1000 - ttlSeconds * 1000;
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Deny everything to sessions issued before `now - ttlSeconds`. */
export function tokenAgePolicy(now: Date, ttlSeconds: number): PolicyDoc {
  return policyDoc([{
    Sid: TOKEN_AGE_SID,
    Effect: 'Deny',
    Action: ['*'],
    Resource: ['*'],
    Condition: { DateLessThan: { 'aws:TokenIssueTime': [tokenAgeCutoff(now, ttlSeconds)] } },
  }]);
}

// The token-age policy's name is built in lib/naming.
export { tokenAgePolicyName } from './naming';

/** What the token-age Lambda is told to keep up to date (its POLICIES environment variable, as JSON). */
export interface TokenAgeTarget {
  readonly policyArn: string;
  readonly ttlSeconds: number;
}
