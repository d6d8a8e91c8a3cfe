/**
 * The concrete event patterns of an environment: every rule of the catalog made concrete, per-agent
 * rules grouped by the facts agents share, lists of agents split to fit EventBridge's pattern quota.
 */
import { agentRoleName } from '../naming';
import { DETECTION_RULES, DetectionRule } from './catalog';
import { DetectionAgent, DetectionContext } from './context';
import { agentRoleArnPrefix, EventPattern } from './event-patterns';
import { chunkBySize, EVENT_PATTERN_MAX } from './pattern-size';
import { shortHash } from './rule-names';
import { GROUP_PATTERNS, NAMED_PATTERNS, STACK_PATTERNS } from './rule-patterns';

/** A rule made concrete for an environment (and, for per-agent rules, one group of agents sharing the facts judged). */
export interface DetectionPattern {
  readonly rule: DetectionRule;
  /**
   * For rules on per-agent facts: the agents this pattern judges, sorted (every agent when the
   * pattern matches on the agents' path).
   */
  readonly agents?: string[];
  /** Short unique name within the environment, always starting `det-` (for example `det-3.09`, `det-3.10-1a2b3c4d-2`); see `ruleName`. */
  readonly name: string;
  readonly pattern: EventPattern;
}

function uniqSorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

/** The patterns of one rule on per-agent facts: one per group of agents sharing the facts, split to fit. */
function groupPatterns(ctx: DetectionContext, rule: DetectionRule, slug: string, max: number): DetectionPattern[] {
  const g = GROUP_PATTERNS[rule.id];
  const groups = new Map<string, { facts: string[]; agents: DetectionAgent[] }>();
  for (const agent of ctx.agents) {
    const raw = g.facts(agent);
    if (raw === undefined) continue;
    const facts = uniqSorted(raw);
    const key = JSON.stringify(facts);
    if (!groups.has(key)) groups.set(key, { facts, agents: [] });
    groups.get(key)!.agents.push(agent);
  }
  const out: DetectionPattern[] = [];
  for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const names = group.agents.map((a) => a.name).sort();
    if (group.agents.length === ctx.agents.length) {
      // Every agent shares the facts: match on the path, whatever the number of agents.
      const pattern = g.pattern(ctx, group.facts, [{ prefix: agentRoleArnPrefix(ctx) }]);
      if (pattern) out.push({ rule, agents: names, name: slug, pattern });
      continue;
    }
    const byArn = new Map(group.agents.map((a) => [a.roleArn, a.name]));
    const build = (arns: string[]) => g.pattern(ctx, group.facts, arns) ?? {};
    const chunks = chunkBySize([...byArn.keys()].sort(), build, ctx, max);
    chunks.forEach((arns, i) => {
      const pattern = g.pattern(ctx, group.facts, arns);
      const name = `${slug}-${shortHash(key)}${chunks.length > 1 ? `-${i + 1}` : ''}`;
      if (pattern) out.push({ rule, agents: arns.map((a) => byArn.get(a)!).sort(), name, pattern });
    });
  }
  return out;
}

function namedPatterns(ctx: DetectionContext, rule: DetectionRule, slug: string, max: number): DetectionPattern[] {
  if (ctx.agents.length === 0) return [];
  const build = NAMED_PATTERNS[rule.id];
  const byRole = new Map(ctx.agents.map((a) => [agentRoleName(a.name, ctx.environment), a.name]));
  const chunks = chunkBySize([...byRole.keys()].sort(), (names) => build(ctx, names), ctx, max);
  return chunks.map((roles, i) => ({
    rule, agents: roles.map((r) => byRole.get(r)!).sort(), name: chunks.length > 1 ? `${slug}-${i + 1}` : slug, pattern: build(ctx, roles),
  }));
}

/**
 * The concrete event patterns of an environment: one per environment-wide rule; for rules on
 * per-agent facts, one per group of agents sharing those facts (matching on the agents' path when
 * the group is every agent), each split into as few patterns as `maxPatternSize` allows.
 */
export function detectionPatterns(ctx: DetectionContext): DetectionPattern[] {
  const max = ctx.maxPatternSize ?? EVENT_PATTERN_MAX;
  const out: DetectionPattern[] = [];
  for (const rule of DETECTION_RULES) {
    const slug = rule.id.toLowerCase();
    if (GROUP_PATTERNS[rule.id]) {
      out.push(...groupPatterns(ctx, rule, slug, max));
    } else if (NAMED_PATTERNS[rule.id]) {
      out.push(...namedPatterns(ctx, rule, slug, max));
    } else {
      const pattern = STACK_PATTERNS[rule.id]?.(ctx);
      if (pattern) out.push({ rule, name: slug, pattern });
    }
  }
  return out;
}
