/**
 * Contextual access: conditions set once per agent and applied to every
 * grant (regions, network origin, a validity window, calling service).
 */
import { isUnresolved } from './private/token';
import { agentProblem } from './errors';
import { isKnownRegion } from './regions';
import { ConditionBlock, Statement } from './policy';

/** Where, from where, when and through what an agent may act. Every set field applies to every grant. */
export interface AgentContext {
  /**
   * Regions the agent may call (aws:RequestedRegion).
   * @default - at stage 3 and above, the stack's region; no restriction at stage 2
   */
  readonly allowedRegions?: string[];
  /**
   * VPC endpoint ids the agent's calls must come through (aws:SourceVpce).
   * @default - no network restriction
   */
  readonly sourceVpce?: string[];
  /**
   * VPC ids the agent's calls must come from (aws:SourceVpc).
   * @default - no network restriction
   */
  readonly sourceVpc?: string[];
  /**
   * CIDR ranges the agent's calls must come from (aws:SourceIp; public addresses, not through VPC endpoints).
   * @default - no network restriction
   */
  readonly sourceIp?: string[];
  /**
   * Start of the window in which the agent may act (aws:CurrentTime), ISO 8601.
   * @default - no start
   */
  readonly notBefore?: string;
  /**
   * End of the window in which the agent may act (aws:CurrentTime), ISO 8601.
   * @default - no end (see expiresAt for the agent's lifetime)
   */
  readonly notAfter?: string;
  /**
   * Services through which the agent must act (aws:CalledVia), for example `athena.amazonaws.com`.
   * @default - direct calls allowed
   */
  readonly calledVia?: string[];
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/**
 * Whether a string is an ISO 8601 date (`2027-06-30`) or date-time with a zone
 * (`2027-06-30T18:00:00Z`, `2027-06-30T18:00:00+02:00`) that exists on the calendar:
 * `2027-02-30` or `2027-06-30T24:00:00Z` are not (JavaScript's Date.parse rolls them over).
 */
export function isIsoDate(s: string): boolean {
  const m = typeof s === 'string' ? ISO.exec(s) : null;
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, , oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59)) return false;
  if (oh !== undefined && (Number(oh) > 14 || Number(om) > 59)) return false;
  return !Number.isNaN(Date.parse(s));
}

/**
 * An ISO 8601 date or date-time as the UTC date-time IAM compares (`2027-06-30` gives
 * `2027-06-30T00:00:00Z`, `2027-06-30T18:00:00+02:00` gives `2027-06-30T16:00:00Z`).
 */
export function utcDateTime(s: string): string {
  return new Date(Date.parse(/T/.test(s) ? s : `${s}T00:00:00Z`)).toISOString().replace(/\.000Z$/, 'Z');
}

/** Why a string is not an ISO 8601 date the library accepts (for messages), or undefined when it is one. */
export function isoDateProblem(s: string): string | undefined {
  if (isIsoDate(s)) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) || /^\d{4}-\d{2}-\d{2}T/.test(s) && ISO.test(s)) return `"${s}" is not a day on the calendar`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) return `"${s}" has no time zone; end it with "Z" (UTC) or an offset such as "+02:00"`;
  return `"${s}" is not an ISO 8601 date`;
}

/** The condition block the context adds to each grant. */
export function contextConditions(ctx: AgentContext): ConditionBlock {
  const c: ConditionBlock = {};
  const add = (op: string, key: string, values: string[] | undefined) => {
    if (values && values.length > 0) {
      c[op] = { ...(c[op] ?? {}), [key]: [...values] };
    }
  };
  add('StringEquals', 'aws:RequestedRegion', ctx.allowedRegions);
  add('StringEquals', 'aws:SourceVpce', ctx.sourceVpce);
  add('StringEquals', 'aws:SourceVpc', ctx.sourceVpc);
  add('IpAddress', 'aws:SourceIp', ctx.sourceIp);
  add('DateGreaterThan', 'aws:CurrentTime', ctx.notBefore ? [isIsoDate(ctx.notBefore) ? utcDateTime(ctx.notBefore) : ctx.notBefore] : undefined);
  add('DateLessThan', 'aws:CurrentTime', ctx.notAfter ? [isIsoDate(ctx.notAfter) ? utcDateTime(ctx.notAfter) : ctx.notAfter] : undefined);
  add('ForAnyValue:StringEquals', 'aws:CalledVia', ctx.calledVia);
  return c;
}

/** Adds the context conditions to every Allow statement. */
export function applyContext(statements: Statement[], ctx: AgentContext): Statement[] {
  const extra = contextConditions(ctx);
  if (Object.keys(extra).length === 0) return statements;
  return statements.map((s) => {
    if (s.Effect !== 'Allow') return s;
    const merged: ConditionBlock = { ...(s.Condition ?? {}) };
    for (const [op, keys] of Object.entries(extra)) {
      merged[op] = { ...(merged[op] ?? {}), ...keys };
    }
    const routed = routedRegions(s);
    if (routed.length > 0 && merged.StringEquals?.['aws:RequestedRegion']) {
      merged.StringEquals = { ...merged.StringEquals, 'aws:RequestedRegion': [...new Set([...merged.StringEquals['aws:RequestedRegion'], ...routed])] };
    }
    return { ...s, Condition: merged };
  });
}

/**
 * Regions a statement's requests reach through a Bedrock cross-region inference profile: a
 * statement that allows foundation models only through a named profile
 * (`bedrock:InferenceProfileArn`) is requested in each destination region, where
 * aws:RequestedRegion is that region. Empty for every other statement.
 */
export function routedRegions(s: Statement): string[] {
  const viaProfile = Object.entries(s.Condition ?? {}).some(([op, keys]) => /^String(Equals|Like)$/.test(op) && Object.keys(keys).some((k) => k.toLowerCase() === 'bedrock:inferenceprofilearn'));
  if (!viaProfile) return [];
  return [...new Set((s.Resource ?? []).map((r) => r.split(':')[3]).filter((r): r is string => !!r && isKnownRegion(r)))];
}

/**
 * Resources of the grants that sit in a region the agent may not call: with an
 * aws:RequestedRegion condition on the statement, every request to them is denied. Returns
 * `[resource, region, allowed regions]` triples.
 */
export function resourcesOutsideRegions(statements: Statement[]): [string, string, string[]][] {
  const out: [string, string, string[]][] = [];
  for (const s of statements) {
    const allowed = s.Effect === 'Allow' ? s.Condition?.StringEquals?.['aws:RequestedRegion'] : undefined;
    if (!allowed) continue;
    for (const r of s.Resource ?? []) {
      if (isUnresolved(r)) continue;
      const region = r.split(':')[3];
      if (region && isKnownRegion(region) && !allowed.includes(region)) out.push([r, region, allowed]);
    }
  }
  return out;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

/** Problems with an agent's context, and with grants that set a context key themselves. */
export function validateContext(agent: string, ctx: AgentContext, grantConditionKeys: string[]): string[] {
  const problems: string[] = [];
  const f = (field: string, msg: string) => problems.push(agentProblem(agent, `context.${field}`, msg));
  (ctx.allowedRegions ?? []).forEach((r, i) => {
    if (!isUnresolved(r) && !isKnownRegion(r)) {
      f(`allowedRegions[${i}]`, `"${r}" is not an AWS region name; use names such as "us-east-1" or "eu-west-1"`);
    }
  });
  if (ctx.allowedRegions && ctx.allowedRegions.length === 0) {
    f('allowedRegions', 'is empty, which would deny every call; list at least one region or omit it');
  }
  const network = [ctx.sourceVpce, ctx.sourceVpc, ctx.sourceIp].filter((x) => x && x.length > 0).length;
  if (network > 1) {
    f('', 'sets more than one of sourceVpce, sourceVpc and sourceIp; a call comes through one of them, so all would have to hold at once. Choose one');
  }
  (ctx.sourceVpce ?? []).forEach((v, i) => { if (!isUnresolved(v) && !/^vpce-[0-9a-f]{8,17}$/.test(v)) f(`sourceVpce[${i}]`, `"${v}" is not a VPC endpoint id (vpce-...)`); });
  (ctx.sourceVpc ?? []).forEach((v, i) => { if (!isUnresolved(v) && !/^vpc-[0-9a-f]{8,17}$/.test(v)) f(`sourceVpc[${i}]`, `"${v}" is not a VPC id (vpc-...)`); });
  (ctx.sourceIp ?? []).forEach((v, i) => { if (!isUnresolved(v) && !CIDR.test(v)) f(`sourceIp[${i}]`, `"${v}" is not a CIDR range such as "203.0.113.0/24"`); });
  for (const k of ['notBefore', 'notAfter'] as const) {
    const v = ctx[k];
    if (v !== undefined && !isIsoDate(v)) f(k, `${isoDateProblem(v)}; write for example "2027-01-31T18:00:00Z"`);
  }
  if (ctx.notBefore && ctx.notAfter && isIsoDate(ctx.notBefore) && isIsoDate(ctx.notAfter) && Date.parse(ctx.notBefore) >= Date.parse(ctx.notAfter)) {
    f('notAfter', 'is not after notBefore; the window would be empty');
  }
  (ctx.calledVia ?? []).forEach((v, i) => { if (!/^[a-z0-9.-]+\.amazonaws\.com$/.test(v)) f(`calledVia[${i}]`, `"${v}" is not a service principal such as "athena.amazonaws.com"`); });
  const own = new Set(Object.values(contextConditions(ctx)).flatMap((keys) => Object.keys(keys)).map((k) => k.toLowerCase()));
  for (const k of grantConditionKeys) {
    if (own.has(k.toLowerCase())) {
      problems.push(agentProblem(agent, 'permissions', `a grant sets condition key "${k}", which the agent's context also sets; set it once, in context`));
    }
  }
  return problems;
}
