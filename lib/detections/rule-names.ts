/**
 * EventBridge rule names of detection patterns: `agent-iam-<env>-<name>`, within the 64
 * characters EventBridge allows, and the prefix every one of them shares (for source-ARN
 * conditions).
 */

/** Longest EventBridge rule name. */
export const RULE_NAME_MAX = 64;

/** The prefix of every detection rule name of an environment (`agent-iam-<env>-det-`), for source-ARN conditions. */
export function detectionRuleNamePrefix(environment: string): string {
  return `agent-iam-${environment}-det-`.replace(/[^.\-_A-Za-z0-9]/g, '-');
}

/** FNV-1a, 32 bits: a short stable suffix for names that must be cut. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The EventBridge rule name of a detection pattern: `agent-iam-<env>-<name>`, characters outside
 * `[.\-_A-Za-z0-9]` replaced by `-`, cut to 64 characters with a hash of the full name when longer.
 */
export function ruleName(environment: string, name: string): string {
  const full = `agent-iam-${environment}-${name}`.replace(/[^.\-_A-Za-z0-9]/g, '-');
  if (full.length <= RULE_NAME_MAX) return full;
  const hash = shortHash(full);
  return `${full.slice(0, RULE_NAME_MAX - hash.length - 1)}-${hash}`;
}
