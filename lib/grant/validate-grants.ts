/**
 * Synth-time checks of an agent's grants against the AWS service reference, statement by
 * statement: its lists and Terraform escapes, its actions, its resources (ARN shape and fit to the
 * actions) and its conditions (operators, keys, and whether each key applies to each action).
 */
import { isUnresolved } from '../private/token';
import { agentProblem } from '../errors';
import {
  ActionInfo, actionResourceTypes, conditionKeyAppliesTo, conditionKeyExists, expandAction, isMultivaluedKey, resourceArnTemplates,
  resourceTypesOfArn, serviceExists, suggestAction,
} from '../iam-reference';
import { arnShapeProblems } from './arn-shape';
import { holdsWhenMissing, isConditionOperator } from './condition-operators';
import { Grant, GrantProps } from './grant';
import { isWildcardAction, secretArnPattern } from './statements';
import { hasStringToken } from '../token-encoding';

/** Where a check reports a problem: the field (`permissions[0].actions`) and the message. */
type Report = (field: string, message: string) => void;

/**
 * Problems with an agent's grants against the AWS service reference: unknown
 * actions (with the nearest name), NotAction-style "!" actions, unacknowledged
 * wildcards, "*" resources where resource-level permissions exist, malformed
 * ARNs and ARNs of another resource type than the actions take, unknown
 * condition operators and keys, keys that do not apply to every action of the
 * grant, set operators on single-valued keys, and two conditions on one
 * operator and key (which IAM could only read as OR). `field` names the list
 * in messages (`permissions`, or `sessionPolicies[0].permissions`).
 */
export function validateGrants(agent: string, grants: Grant[], partition: string, field: string = 'permissions'): string[] {
  const problems: string[] = [];
  const report: Report = (f, message) => { problems.push(agentProblem(agent, f, message)); };
  grants.forEach((grant, gi) => {
    grant.statements.forEach((s, si) => {
      const where = grant.statements.length > 1 ? `${field}[${gi}].statements[${si}]` : `${field}[${gi}]`;
      checkListsAndEscapes(s, where, report);
      const { infos, unknownScope } = checkActions(s, where, report);
      checkResources(s, where, partition, infos, unknownScope, report);
      checkConditions(s, where, infos, report);
    });
  });
  return problems;
}

/** Empty action or resource lists, and values escaped for Terraform by hand. */
function checkListsAndEscapes(s: GrantProps, where: string, report: Report): void {
  const actions = s.actions ?? [];
  const resources = s.resources ?? [];
  if (actions.length === 0) report(`${where}.actions`, 'is empty; name at least one action such as "s3:GetObject"');
  if (resources.length === 0) report(`${where}.resources`, 'is empty; name the resource ARNs the actions apply to');
  // The library escapes every string once for Terraform: text escaped by hand would reach IAM with a stray "$" or "%".
  const preEscaped = (v: string, f: string) => {
    const m = /(\$\$\{|%%\{)/.exec(v);
    if (m && !isUnresolved(v)) {
      report(f, `"${v}" contains "${m[1]}", Terraform's escape; write "${m[1].slice(1)}" as IAM reads it (for example "\${aws:username}"): the library escapes it for Terraform itself`);
    }
  };
  for (const r of resources) preEscaped(r, `${where}.resources`);
  (s.conditions ?? []).forEach((c, ci) => (c.values ?? []).forEach((v) => preEscaped(v, `${where}.conditions[${ci}]`)));
}

/**
 * Each action against the service reference: NotAction-style "!", unacknowledged wildcards,
 * malformed and unknown actions (with the nearest name). Returns what the known actions are, and
 * whether some action's scope cannot be known (a token, a wildcard, a "!").
 */
function checkActions(s: GrantProps, where: string, report: Report): { infos: ActionInfo[]; unknownScope: boolean } {
  const actions = s.actions ?? [];
  const infos: ActionInfo[] = [];
  let unknownScope = false;
  for (const a of actions) {
    if (isUnresolved(a)) { unknownScope = true; continue; }
    if (a.startsWith('!')) {
      unknownScope = true;
      report(`${where}.actions`,
        `"${a}" reads as NotAction ("every action except ${a.slice(1)}"), which this library does not support: it grants every action AWS adds later. Name the actions the agent needs`);
      continue;
    }
    if (isWildcardAction(a)) {
      unknownScope = true;
      if (!s.wildcardReason || s.wildcardReason.trim() === '') {
        report(`${where}.actions`,
          `"${a}" grants every ${a === '*' ? 'action of every service' : `action of ${a.split(':')[0]}`}, including those AWS adds later; name the actions the agent needs, or set wildcardReason to acknowledge it`);
      }
      continue;
    }
    const i = a.indexOf(':');
    if (i <= 0) {
      report(`${where}.actions`, `"${a}" is not an action; write "service:Action", for example "s3:GetObject"`);
      continue;
    }
    const expanded = expandAction(a);
    if (expanded.length === 0) {
      const hint = /[*?]/.test(a) ? '' : suggestAction(a);
      const service = a.slice(0, i);
      report(`${where}.actions`, !serviceExists(service)
        ? `service "${service}" of "${a}" does not exist${hint ? `; did you mean "${hint}"?` : ''}`
        : `action "${a}" does not exist${hint ? `; did you mean "${hint}"?` : `; see the ${service} actions in the AWS Service Authorization Reference`}`);
      continue;
    }
    infos.push(...expanded);
  }
  return { infos, unknownScope };
}

/** Each resource: "*" where the actions support resource-level permissions, ARN shape, and fit to the actions. */
function checkResources(s: GrantProps, where: string, partition: string, infos: ActionInfo[], unknownScope: boolean, report: Report): void {
  const resources = s.resources ?? [];
  // Each ARN must name a resource type one of the grant's actions takes.
  const scoped = infos.filter((x) => x.resourceTypes.length > 0);
  const takes = new Set(scoped.flatMap(actionResourceTypes));
  for (const r of resources) {
    if (isUnresolved(r)) continue;
    if (r === '*') {
      if (scoped.length > 0) {
        const names = [...new Set(scoped.map((x) => `${x.service}:${x.name}`))].slice(0, 5);
        report(`${where}.resources`,
          `"*" for ${names.map((n) => `"${n}"`).join(', ')}${scoped.length > 5 ? ' and others' : ''}, which support resource-level permissions; name the resource ARNs (put actions that AWS cannot scope in a grant of their own)`);
      }
      continue;
    }
    const shape = arnShapeProblems(r, partition);
    if (shape.length > 0) {
      shape.forEach((m) => report(`${where}.resources`, m));
      continue;
    }
    if (scoped.length > 0 && !unknownScope && !hasStringToken(r)) {
      const types = resourceTypesOfArn(secretArnPattern(r));
      if (!types.some((t) => takes.has(t))) {
        const templates = [...new Set(scoped.flatMap(resourceArnTemplates))];
        const named = types.length > 0 ? ` (this ARN names resource type ${types.map((t) => `"${t}"`).join(' or ')}, which these actions do not take)` : '';
        report(`${where}.resources`,
          `"${r}" is not a resource of any action in this grant; expected for example ${templates.slice(0, 2).map((t) => `"${t}"`).join(' or ')}${named}`);
      }
    }
  }
}

/**
 * Each condition: operator, values, repeats of one operator and key, key existence, set operators
 * on single-valued keys, and keys that do not apply to every action of the grant.
 */
function checkConditions(s: GrantProps, where: string, infos: ActionInfo[], report: Report): void {
  const services = [...new Set(infos.map((x) => x.service))];
  const seen = new Map<string, number>();
  (s.conditions ?? []).forEach((c, ci) => {
    const cwhere = `${where}.conditions[${ci}]`;
    if (!isConditionOperator(c.test)) {
      report(cwhere, `operator "${c.test}" is not an IAM condition operator; for example "StringEquals", "StringLike", "ArnLike", "IpAddress"`);
    }
    if (!c.values || c.values.length === 0) {
      report(cwhere, `"${c.variable}" has no values; give at least one`);
    }
    if (isUnresolved(c.variable) || isUnresolved(c.test)) return;
    const pair = `${c.test}|${c.variable.toLowerCase()}`;
    const first = seen.get(pair);
    if (first !== undefined) {
      report(cwhere,
        `repeats ${c.test} on "${c.variable}" (as conditions[${first}] does); IAM holds one value list per operator and key and reads it as OR, so the two conditions cannot both be required. `
        + 'List the alternatives in one condition if either may match, or split the grant (a StringLike pattern can often express both)');
    } else {
      seen.set(pair, ci);
    }
    if (!conditionKeyExists(c.variable, services)) {
      report(cwhere, `condition key "${c.variable}" does not exist globally or for ${services.join(', ') || 'these actions'}`);
      return;
    }
    if (/^(ForAllValues|ForAnyValue):/.test(c.test) && isMultivaluedKey(c.variable) === false) {
      report(cwhere,
        `${c.test.split(':')[0]} on "${c.variable}", which holds one value: set operators are for multivalued keys (such as aws:TagKeys), and ForAllValues is true when the key is missing, opening the grant. Use "${c.test.split(':').slice(1).join(':')}"`);
    }
    const unsupported = [...new Set(infos.filter((x) => !conditionKeyAppliesTo(c.variable, x)).map((x) => `${x.service}:${x.name}`))];
    if (unsupported.length > 0) {
      const effect = holdsWhenMissing(c.test)
        ? 'so the condition never restricts them'
        : 'so the grant never allows them';
      const none = unsupported.length === new Set(infos.map((x) => `${x.service}:${x.name}`)).size;
      report(cwhere,
        `condition key "${c.variable}" does not apply to ${unsupported.slice(0, 3).map((n) => `"${n}"`).join(', ')}${unsupported.length > 3 ? ` and ${unsupported.length - 3} more` : ''} `
        + `(the AWS Service Authorization Reference lists it for neither the action nor its resource types), ${effect}. `
        + (none ? 'Use a key these actions support, or remove the condition' : 'Put those actions in a grant of their own without this condition'));
    }
  });
}
