/**
 * Informational findings: ad hoc patterns the control catalog does not name (long sessions,
 * AWS-managed or unreadable policies, shared roles, values unknown until apply). They never
 * change the stage. Pure.
 */
import { uncheckedControls } from '../stage-check';
import { TerraformConfig } from './config';
import type { TerraformAgent } from './agents';

/** An informational finding for ad hoc patterns the catalog does not name (never changes the stage). */
export interface AdHocFinding {
  /** `ADHOC-...`: not a catalog control. */
  readonly id: string;
  readonly agent?: string;
  readonly message: string;
}

/** Informational findings' ids. */
export const ADHOC = {
  longSession: 'ADHOC-LONG-SESSION',
  broadManagedPolicy: 'ADHOC-AWS-MANAGED-POLICY',
  externalPolicy: 'ADHOC-POLICY-NOT-IN-CONFIG',
  unreadablePolicy: 'ADHOC-POLICY-UNREADABLE',
  sharedRole: 'ADHOC-SHARED-ROLE',
  unknownUntilApply: 'ADHOC-UNKNOWN-UNTIL-APPLY',
  uncheckedControl: 'ADHOC-UNCHECKED-CONTROL',
  noAgents: 'ADHOC-NO-AGENTS',
  unknownBeforePlan: 'ADHOC-UNKNOWN-BEFORE-PLAN',
};

/** The label every informational finding carries in reports. */
export const ADHOC_LABEL = 'informational: an ad hoc pattern the control catalog does not name; it does not change the stage';

/** Attributes of a role or user the stage check reads (unknown ones are reported). */
const JUDGED_ATTRIBUTES = ['assume_role_policy', 'permissions_boundary', 'max_session_duration', 'tags', 'path', 'name', 'inline_policy'];

/** A reference to a resource or data source attribute: read before plan. Anything else in `${...}` is not. */
const RESOURCE_REFERENCE = /^(?!(?:var|local|each|count|path|terraform|self|module)\.)(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?(?:\.[a-z0-9_]+|\[\d+\])*$/;

const IAM_VARIABLE = /^(?:[\w.-]+:[\w/.:-]+|[*?$])$/;

/** Expressions in a value that only a plan evaluates (variables, locals, function calls, for expressions), as written. */
export function planTimeExpressions(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') {
    for (const m of v.matchAll(/\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)) {
      const inner = m[1].trim();
      // IAM policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`) are IAM's, not Terraform's.
      if (IAM_VARIABLE.test(inner)) continue;
      if (!RESOURCE_REFERENCE.test(inner)) out.push(inner.length > 60 ? `${inner.slice(0, 57)}...` : inner);
    }
  } else if (Array.isArray(v)) {
    v.forEach((x) => planTimeExpressions(x, out));
  } else if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach((x) => planTimeExpressions(x, out));
  }
  return out;
}

/** What of an agent a configuration leaves to plan: judged attributes and policies holding plan-time expressions, instances. */
function beforePlanNotes(a: TerraformAgent, config: TerraformConfig): AdHocFinding[] {
  if (config.format === 'plan' || config.format === 'state') return [];
  const r = config.resources.find((x) => x.address === a.address);
  const notes: AdHocFinding[] = [];
  const unknown = JUDGED_ATTRIBUTES.filter((k) => r && planTimeExpressions(r.values[k]).length > 0);
  const policies = a.policySources.filter((s) => s.doc && planTimeExpressions(s.doc).length > 0);
  const line = 'known only at plan; judged as written (run terraform plan and assess `terraform show -json` of it to judge the values)';
  if (r && (r.values.for_each !== undefined || r.values.count !== undefined)) {
    notes.push({ id: ADHOC.unknownBeforePlan, agent: a.facts.agent, message: `${a.address} has ${r.values.for_each !== undefined ? 'for_each' : 'count'}: its instances are ${line}` });
  }
  if (unknown.length > 0) {
    notes.push({ id: ADHOC.unknownBeforePlan, agent: a.facts.agent, message: `${unknown.join(', ')} of ${a.address} hold ${[...new Set(unknown.flatMap((k) => planTimeExpressions(r!.values[k])))].map((x) => `\`${x}\``).join(', ')}, ${line}` });
  }
  for (const p of policies) {
    notes.push({ id: ADHOC.unknownBeforePlan, agent: a.facts.agent, message: `policy ${p.name} holds ${[...new Set(planTimeExpressions(p.doc))].map((x) => `\`${x}\``).join(', ')}, ${line}` });
  }
  const unreadable = a.policySources.filter((s) => s.kind === 'unreadable' && s.address).map((s) => config.resources.find((x) => x.address === s.address))
    .filter((x) => x && planTimeExpressions(x.values.policy).length > 0);
  for (const x of unreadable) {
    notes.push({ id: ADHOC.unknownBeforePlan, agent: a.facts.agent, message: `policy of ${x!.address} is \`${planTimeExpressions(x!.values.policy)[0]}\`, ${line}` });
  }
  return notes;
}

/** Informational findings about each agent: long sessions, policies not judged, values unknown until apply or before plan. */
export function agentNotes(agents: TerraformAgent[], config: TerraformConfig): AdHocFinding[] {
  const notes: AdHocFinding[] = [];
  for (const a of agents) notes.push(...beforePlanNotes(a, config));
  for (const a of agents) {
    if (a.maxSessionDuration !== undefined && a.maxSessionDuration > 3600) {
      notes.push({ id: ADHOC.longSession, agent: a.facts.agent, message: `max_session_duration is ${a.maxSessionDuration} s (${(a.maxSessionDuration / 3600).toFixed(1)} h); a leaked session stays usable that long` });
    }
    for (const s of a.policySources) {
      if (s.kind === 'aws-managed') {
        notes.push({ id: ADHOC.broadManagedPolicy, agent: a.facts.agent, message: s.doc
          ? `AWS-managed policy ${s.name} is attached${s.approximated ? ' (judged by its main grant)' : ''}; AWS changes it without review`
          : `AWS-managed policy ${s.name} is attached; its document is not in the configuration and is not judged` });
      } else if (s.kind === 'external') {
        notes.push({ id: ADHOC.externalPolicy, agent: a.facts.agent, message: `policy ${s.name} is attached but not defined in this configuration; it is not judged` });
      } else if (s.kind === 'unreadable') {
        notes.push({ id: ADHOC.unreadablePolicy, agent: a.facts.agent, message: `policy ${s.name}${s.address ? ` (${s.address})` : ''} is not a JSON document or aws_iam_policy_document; it is not judged` });
      }
    }
    const unknown = (config.unknown[a.address] ?? []).filter((x) => JUDGED_ATTRIBUTES.includes(x));
    if (unknown.length > 0) {
      notes.push({ id: ADHOC.unknownUntilApply, agent: a.facts.agent, message: `${unknown.join(', ')} of ${a.address} are unknown until apply; judged as absent` });
    }
  }
  return notes;
}

/** Controls of the catalog that have no check (reported, never counted as met). */
export function uncheckedNotes(): AdHocFinding[] {
  return uncheckedControls().map((id) => ({ id: ADHOC.uncheckedControl, message: `control ${id} has no check in this version; its stage cannot be reached` }));
}
