/**
 * Detection wiring: the EventBridge rules of the detection catalog (tagged
 * `agent-iam:detection`), the agents each watches and where it delivers. Pure.
 */
import type { TerraformAgent } from './agents';
import { ResourceIndex, tagsOf } from './resource-index';
import { DETECTION_RULE_TAG } from '../naming';

/** An EventBridge rule of the detection catalog, and where it delivers. */
export interface DetectionWiring {
  readonly ruleId: string;
  readonly address: string;
  readonly ruleName: string;
  readonly enabled: boolean;
  /** Agents the rule watches (by name); every agent for environment-wide rules. */
  readonly agents: string[];
  readonly targets: { readonly targetId: string; readonly arn: string; readonly address: string; readonly kind: 'revoker' | 'risk' | 'people' | 'siem' | 'other' }[];
}


/** Every detection rule of a configuration, sorted by rule id and address. */
export function detectionWiring(index: ResourceIndex, agents: TerraformAgent[]): DetectionWiring[] {
  const out: DetectionWiring[] = [];
  const targetsOf = index.pointing('aws_cloudwatch_event_target', 'rule', 'aws_cloudwatch_event_rule');
  const roles = agents.filter((a) => a.kind === 'role');
  const byRoleName = new Map<string, TerraformAgent[]>();
  for (const a of roles) byRoleName.set(a.facts.roleName, [...(byRoleName.get(a.facts.roleName) ?? []), a]);
  const paths = [...new Set(roles.map((a) => a.path).filter((p): p is string => !!p && p !== '/'))];
  for (const rule of index.ofType('aws_cloudwatch_event_rule')) {
    const ruleId = tagsOf(rule)[DETECTION_RULE_TAG];
    if (!ruleId) continue;
    const pattern = String(rule.values.event_pattern ?? '');
    // Role ARNs the pattern names (`...:role/agents/prod/agent-x-prod"`): per-agent rules.
    const named = [...pattern.matchAll(/:role\/(?:[^"]*\/)?([^"/]+)"/g)].flatMap((m) => byRoleName.get(m[1]) ?? []);
    const prefixes = paths.filter((p) => pattern.includes(`role${p}`));
    const byPath = roles.filter((a) => a.path && prefixes.includes(a.path));
    const state = String(rule.values.state ?? 'ENABLED');
    out.push({
      ruleId,
      address: rule.address,
      ruleName: String(rule.values.name ?? rule.name),
      enabled: state !== 'DISABLED' && rule.values.is_enabled !== false,
      agents: [...new Set((named.length > 0 ? named : byPath.length > 0 ? byPath : agents).map((a) => a.facts.agent))],
      targets: (targetsOf.get(rule) ?? []).map((t) => {
        const id = String(t.values.target_id ?? t.name);
        const kind = (['revoker', 'risk', 'people', 'siem'] as const).find((k) => id === k) ?? 'other';
        return { targetId: id, arn: String(t.values.arn ?? ''), address: t.address, kind };
      }),
    });
  }
  return out.sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.address.localeCompare(b.address));
}

