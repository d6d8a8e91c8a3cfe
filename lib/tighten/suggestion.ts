/**
 * A narrower grant list from what an agent did: the used actions on the used resources of each
 * statement, plus what CloudTrail cannot see (kept, because its absence proves nothing), as
 * `GrantProps` and as `Grant.allow({...})` TypeScript an owner can paste into the agent's
 * `permissions`. Never wider than the grants it starts from: each suggested grant is a subset of
 * one synthesized statement (its own resource patterns, the concrete actions called under its
 * action patterns, its own conditions).
 *
 * Conditions the agent's `context` adds to every grant (aws:RequestedRegion, aws:SourceVpce, ...)
 * are left out: the identity adds them again from `context`.
 */
import { contextConditions } from '../context';
import { GrantCondition, GrantProps, isWildcardAction } from '../grant';
import { actionPattern, isTerraformReference, resourcePattern } from './grant-match';
import { AgentUsage } from './usage';

/** Condition keys the agent's context adds to every grant (derived from `contextConditions`, the one source). */
export function contextConditionKeys(): Set<string> {
  const all = contextConditions({
    allowedRegions: ['x'], sourceVpce: ['x'], sourceVpc: ['x'], sourceIp: ['x'], notBefore: 'x', notAfter: 'x', calledVia: ['x'],
  });
  return new Set(Object.values(all).flatMap((byKey) => Object.keys(byKey)).map((k) => k.toLowerCase()));
}

/** A grant removed from the suggestion, and why. */
export interface RemovedGrant {
  readonly action: string;
  readonly resource: string;
  readonly why: string;
}

/** A session-policy template of an agent, as synthesized (templates may only narrow the grants). */
export interface SessionTemplate {
  readonly name: string;
  readonly statements: { readonly actions: string[]; readonly resources: string[] }[];
}

/** The templates that use a grant entry (an action pattern on a resource pattern). */
export function templatesUsing(templates: SessionTemplate[], action: string, resource: string): string[] {
  const granted = actionPattern(action);
  const covers = resourcePattern(resource);
  return templates.filter((t) => t.statements.some((st) => st.actions.some((a) => granted.test(a) || actionPattern(a).test(action))
    && st.resources.some((r) => r === resource || covers.test(r)))).map((t) => t.name);
}

/** The suggested grants of one agent. */
export interface GrantSuggestion {
  readonly stack: string;
  readonly agent: string;
  /** The suggested grants, for `Grant.allow`. */
  readonly grants: GrantProps[];
  /** Grant entries kept although never seen used, because CloudTrail does not record them. */
  readonly keptUnrecorded: RemovedGrant[];
  /** Grant entries removed: never called in the window. */
  readonly removed: RemovedGrant[];
  /** Grant entries never called but kept because a session-policy template uses them (narrow the template first). */
  readonly keptForTemplates: RemovedGrant[];
  /** Condition keys left out because the agent's context adds them. */
  readonly contextKeys: string[];
  /** Resources that are Terraform references in the synthesized output (replace them by the construct's attribute). */
  readonly references: string[];
  /** The suggestion as TypeScript: a `permissions: [...]` property with Grant.allow lines. */
  readonly typescript: string;
}

function conditionsOf(condition: Record<string, Record<string, string[]>> | undefined, drop: Set<string>, dropped: Set<string>): GrantCondition[] {
  const out: GrantCondition[] = [];
  for (const [test, byKey] of Object.entries(condition ?? {})) {
    for (const [variable, values] of Object.entries(byKey)) {
      if (drop.has(variable.toLowerCase())) {
        dropped.add(variable);
        continue;
      }
      out.push({ test, variable, values: [...values] });
    }
  }
  return out;
}

/** A TypeScript single-quoted string literal. */
export function tsString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function tsList(items: string[], indent: string): string {
  const one = `[${items.map(tsString).join(', ')}]`;
  if (one.length + indent.length < 100) return one;
  return `[\n${items.map((i) => `${indent}  ${tsString(i)},`).join('\n')}\n${indent}]`;
}

function comment(text: string, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && (line.length + w.length + 1 + indent.length + 3) > 110) {
      lines.push(line);
      line = w;
    } else {
      line = line ? `${line} ${w}` : w;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}// ${l.replace(/\*\//g, '* /')}`).join('\n');
}

/** Renders grants as `Grant.allow({...})` lines inside `permissions: [...]`. */
export function renderGrantsTypeScript(grants: GrantProps[], header: string[], notes: Map<number, string>, trailer: string[]): string {
  const out: string[] = header.map((h) => comment(h, ''));
  out.push('permissions: [');
  grants.forEach((g, i) => {
    const note = notes.get(i);
    if (note) out.push(comment(note, '  '));
    out.push('  Grant.allow({');
    out.push(`    actions: ${tsList(g.actions, '    ')},`);
    out.push(`    resources: ${tsList(g.resources, '    ')},`);
    if (g.conditions && g.conditions.length > 0) {
      out.push('    conditions: [');
      for (const c of g.conditions) out.push(`      { test: ${tsString(c.test)}, variable: ${tsString(c.variable)}, values: ${tsList(c.values, '      ')} },`);
      out.push('    ],');
    }
    if (g.wildcardReason) out.push(`    wildcardReason: ${tsString(g.wildcardReason)},`);
    out.push('  }),');
  });
  for (const t of trailer) out.push(comment(t, '  '));
  out.push('],');
  return `${out.join('\n')}\n`;
}

function summarise(entries: RemovedGrant[]): string[] {
  const byResource = new Map<string, string[]>();
  for (const e of entries) byResource.set(e.resource, [...(byResource.get(e.resource) ?? []), e.action]);
  return [...byResource.entries()].map(([r, actions]) => `${actions.join(', ')} on ${r}`);
}

/** The suggested grants of one agent, from its usage. */
export function suggestGrants(u: AgentUsage, window: { since?: string; until?: string }, templates: SessionTemplate[] = []): GrantSuggestion {
  const drop = contextConditionKeys();
  const dropped = new Set<string>();
  const grants: GrantProps[] = [];
  const notes = new Map<number, string>();
  const references = new Set<string>();
  const keptUnrecorded: RemovedGrant[] = u.unrecorded.map((x) => ({ action: x.action, resource: x.resource, why: x.why }));
  const removed: RemovedGrant[] = [];
  const keptForTemplates: (RemovedGrant & { statement: number })[] = [];
  for (const x of u.unused) {
    const users = templatesUsing(templates, x.action, x.resource);
    if (users.length > 0) {
      keptForTemplates.push({ statement: x.statement, action: x.action, resource: x.resource, why: `session-policy template${users.length > 1 ? 's' : ''} ${users.join(', ')} ${users.length > 1 ? 'use' : 'uses'} it; a template may only narrow the grants, so narrow the template to drop it` });
    } else {
      removed.push({
        action: x.action, resource: x.resource,
        why: x.readOnly ? 'no call in the window (a read-only action: some services do not log every read call)' : 'no call in the window',
      });
    }
  }
  for (const s of u.statements) {
    if (!s.judged) continue;
    // Kept actions per resource: the concrete actions called, and the granted actions CloudTrail cannot see.
    const byResource = new Map<string, { actions: Set<string>; unrecorded: string[]; forTemplates: string[] }>();
    const entry = (r: string) => {
      let e = byResource.get(r);
      if (!e) byResource.set(r, e = { actions: new Set(), unrecorded: [], forTemplates: [] });
      return e;
    };
    for (const x of u.used.filter((y) => y.statement === s.statement)) entry(x.resource).actions.add(x.action);
    for (const x of u.unrecorded.filter((y) => y.statement === s.statement)) {
      const e = entry(x.resource);
      e.actions.add(x.action);
      e.unrecorded.push(x.action);
    }
    for (const x of keptForTemplates.filter((y) => y.statement === s.statement)) {
      const e = entry(x.resource);
      e.actions.add(x.action);
      e.forTemplates.push(`${x.action} (${templatesUsing(templates, x.action, x.resource).join(', ')})`);
    }
    // Resources with the same kept actions make one grant.
    const groups = new Map<string, { actions: string[]; resources: string[]; unrecorded: Set<string>; forTemplates: Set<string> }>();
    for (const r of s.resources) {
      const e = byResource.get(r);
      if (!e || e.actions.size === 0) continue;
      const actions = [...e.actions].sort();
      const key = actions.join(',');
      const g = groups.get(key) ?? { actions, resources: [], unrecorded: new Set<string>(), forTemplates: new Set<string>() };
      g.resources.push(r);
      e.unrecorded.forEach((a) => g.unrecorded.add(a));
      e.forTemplates.forEach((a) => g.forTemplates.add(a));
      groups.set(key, g);
      if (isTerraformReference(r)) references.add(r);
    }
    const conditions = conditionsOf(s.condition, drop, dropped);
    for (const g of groups.values()) {
      const wildcard = g.actions.some(isWildcardAction);
      grants.push({
        actions: g.actions,
        resources: g.resources,
        ...(conditions.length > 0 ? { conditions } : {}),
        ...(wildcard ? { wildcardReason: 'kept from the current grant: CloudTrail cannot show which of these actions are used' } : {}),
      });
      const why: string[] = [];
      if (g.unrecorded.size > 0) why.push(`kept unseen: CloudTrail does not record ${[...g.unrecorded].join(', ')} here (see the report), so an absence of calls proves nothing.`);
      if (g.forTemplates.size > 0) why.push(`kept for session-policy templates: ${[...g.forTemplates].join(', ')} never called, but a template may only narrow the grants; narrow the template to drop them.`);
      if (why.length > 0) notes.set(grants.length - 1, why.join(' '));
    }
  }
  const header = [
    `agent "${u.agent}" (stack ${u.stack}): suggested grants from ${u.calls} recorded call${u.calls === 1 ? '' : 's'}`
      + `${window.since ? ` since ${window.since}` : ''}${window.until ? ` up to ${window.until}` : ''}. Generated by agent-iam tighten; review before use, nothing was applied.`,
  ];
  if (dropped.size > 0) header.push(`Conditions on ${[...dropped].sort().join(', ')} are left out: the agent's context adds them to every grant.`);
  if (references.size > 0) header.push(`Resources written as Terraform references (${[...references].join(', ')}) are known only after apply: pass the construct's attribute instead.`);
  const trailer = removed.length > 0 ? [`removed (no call in the window): ${summarise(removed).join('; ')}.`] : [];
  if (grants.length === 0) trailer.push('no grant was used in the window and none is unseen by CloudTrail: check the window before removing the agent\'s grants.');
  return {
    stack: u.stack,
    agent: u.agent,
    grants,
    keptUnrecorded,
    removed,
    keptForTemplates: keptForTemplates.map(({ action, resource, why }) => ({ action, resource, why })),
    contextKeys: [...dropped].sort(),
    references: [...references],
    typescript: renderGrantsTypeScript(grants, header, notes, trailer),
  };
}
