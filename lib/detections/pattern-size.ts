/**
 * How big EventBridge counts an event pattern once Terraform resolves its references, the
 * default quota, and splitting a list of agents over as few patterns as that quota allows.
 */
import { AwsLimits } from '../limits';
import { DetectionContext } from './context';
import { EventPattern } from './event-patterns';

/** Longest event pattern EventBridge accepts by default (a quota increase allows 4096). */
export const EVENT_PATTERN_MAX = 2048;

/**
 * The size EventBridge counts for a pattern once Terraform resolves it: the account id (often a
 * reference) counts 12 characters, any other unresolved reference or token
 * `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE`.
 */
export function eventPatternSize(pattern: EventPattern, ctx: Pick<DetectionContext, 'accountId'>): number {
  return resolvedSize(JSON.stringify(pattern), ctx);
}

function resolvedSize(json: string, ctx: Pick<DetectionContext, 'accountId'>): number {
  if (!/^\d{12}$/.test(ctx.accountId) && ctx.accountId.length > 0) json = json.split(ctx.accountId).join('000000000000');
  let size = json.length;
  for (const m of json.match(/\$\{[^}]*\}/g) ?? []) size += AwsLimits.UNRESOLVED_TOKEN_ESTIMATE - m.length;
  return size;
}

/**
 * Splits `items` into the fewest consecutive chunks whose pattern, built by `build`, stays within
 * `max` characters (a chunk of one item is kept even when over: the size check reports it).
 */
export function chunkBySize(items: string[], build: (chunk: string[]) => EventPattern, ctx: DetectionContext, max: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = eventPatternSize(build([]), ctx);
  for (const item of items) {
    // One more list item: its JSON string and a comma.
    const grow = resolvedSize(JSON.stringify(item), ctx) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + grow > max) {
      chunks.push(current);
      current = [];
      size = eventPatternSize(build([]), ctx);
    }
    size += resolvedSize(JSON.stringify(item), ctx) + (current.length > 0 ? 1 : 0);
    current.push(item);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
