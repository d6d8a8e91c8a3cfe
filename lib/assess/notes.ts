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
};

/** The label every informational finding carries in reports. */
export const ADHOC_LABEL = 'informational: an ad hoc pattern the control catalog does not name; it does not change the stage';

/** Attributes of a role or user the stage check reads (unknown ones are reported). */
const JUDGED_ATTRIBUTES = ['assume_role_policy', 'permissions_boundary', 'max_session_duration', 'tags', 'path', 'name', 'inline_policy'];

/** Informational findings about each agent: long sessions, policies not judged, values unknown until apply. */
export function agentNotes(agents: TerraformAgent[], config: TerraformConfig): AdHocFinding[] {
  const notes: AdHocFinding[] = [];
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
