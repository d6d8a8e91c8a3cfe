/**
 * Terraform facts: what synthesized Terraform says about agent identities.
 *
 * Reads the JSON of a cdktf stack (`cdk.tf.json`), a plain `*.tf.json`
 * configuration, or `terraform show -json` of a plan (planned values and, for
 * values unknown until apply, the configuration's references), and states it as
 * the `StackFacts` the stage check judges. The assessor, the diff and the graph
 * read these facts; the verdicts come from `checkStage` alone (one source of
 * truth with the constructs' synth-time check).
 *
 * Pure: no cdktf constructs, no file system. Terraform references
 * (`${aws_iam_role.x.arn}`) stay strings; they are only followed to find the resource they name.
 *
 * How agent identities are recognised (in this order):
 * 1. an `aws_iam_role` tagged `agent:id` (the tag value is the agent's name);
 * 2. an `aws_iam_role` whose path starts with `/agents/`;
 * 3. only in configurations with no role recognised by 1 or 2 (configurations this library did
 *    not write): an `aws_iam_role` whose trust policy lets some principal assume it and whose
 *    name, description or tags contain a word such as agent, bot, assistant, copilot, llm or ai
 *    (`support-bot`, `TicketAgentRole`, tag `Purpose = "chatbot"`), or that an
 *    `aws_bedrockagent_agent` runs as; when several workloads (Lambda functions, ECS task
 *    definitions, instance profiles, Bedrock agents) run as one such role, each workload is an
 *    agent on that shared role;
 * 4. an `aws_iam_user` that has an `aws_iam_access_key`, or whose name or tags look like an agent
 *    by the words of 3: an ad hoc agent identity with long-lived credentials.
 *
 * Stage-4 facts are read by what the resources do, not by their names: the revoker is a Lambda
 * whose role may `iam:PutRolePolicy`, its ledger a DynamoDB table it writes, the broker a Lambda
 * whose role may `sts:AssumeRole` roles under `/agents/`. Break-glass roles are not marked in
 * Terraform; the principals listed beside the broker's role in an agent's trust statement are
 * taken as break-glass roles.
 */
import { ControlCatalog, MaturityStage } from './maturity';
import { PolicyDoc, Statement } from './policy';
import { AgentFacts, AGENT_TAGS, checkStage, Finding, RevocationFacts, StackFacts, TrailFacts, uncheckedControls } from './stage-check';
import { TOKEN_AGE_SID } from './token-age';

/** Input that is not Terraform this module can read; the message is one line, fit for a user. */
export class TerraformInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerraformInputError';
  }
}

/** Where a configuration came from. */
export type TerraformFormat = 'cdktf' | 'terraform-json' | 'plan' | 'state';

/** One resource (or data source) of a configuration. */
export interface TerraformResource {
  /** Resource type, `aws_iam_role`; data sources as `data.aws_iam_policy_document`. */
  readonly type: string;
  /** Local name. */
  readonly name: string;
  /** Full address: `module.x.aws_iam_role.name["key"]`. */
  readonly address: string;
  /** Module prefix (`""` at the root, `module.x.` inside a module): references resolve within it. */
  readonly module: string;
  /** Attribute values (configuration values, or planned values plus references for unknown ones). */
  readonly values: Record<string, any>;
}

/** One Terraform configuration (one stack). */
export interface TerraformConfig {
  readonly stack: string;
  readonly source: string;
  readonly format: TerraformFormat;
  readonly resources: TerraformResource[];
  readonly outputs: Record<string, unknown>;
  /** Attributes a plan leaves unknown until apply, by resource address. */
  readonly unknown: Record<string, string[]>;
}

/** Top-level keys of Terraform's JSON configuration syntax. */
const TF_JSON_KEYS = new Set(['//', 'resource', 'data', 'provider', 'terraform', 'module', 'output', 'variable', 'locals', 'check', 'import', 'moved', 'removed', 'ephemeral']);

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Terraform escapes a literal `${` as `$${`; undo it in every string of a value. */
function unescapeInterpolation(v: any): any {
  if (typeof v === 'string') return v.replace(/\$\$\{/g, '${');
  if (Array.isArray(v)) return v.map(unescapeInterpolation);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeInterpolation(x)]));
  return v;
}

/**
 * Reads one parsed JSON document as a Terraform configuration. Throws TerraformInputError when it
 * is not Terraform JSON, a plan or a state, or when it holds resources but none of the AWS provider.
 */
export function parseTerraformJson(doc: unknown, stack: string, source: string): TerraformConfig {
  if (!isObject(doc)) {
    throw new TerraformInputError(`${source} is not Terraform JSON: expected an object with "resource" (cdk.tf.json, *.tf.json) or "planned_values" (terraform show -json)`);
  }
  let config: TerraformConfig;
  if ('planned_values' in doc || ('format_version' in doc && ('resource_changes' in doc || 'values' in doc || 'terraform_version' in doc))) {
    config = parsePlan(doc, stack, source);
  } else {
    const keys = Object.keys(doc);
    const tfKeys = keys.filter((k) => TF_JSON_KEYS.has(k) && k !== '//');
    const foreign = keys.filter((k) => !TF_JSON_KEYS.has(k));
    if (tfKeys.length === 0 || foreign.length > 0) {
      const shown = foreign.slice(0, 3).map((k) => `"${k}"`).join(', ');
      throw new TerraformInputError(`${source} is not Terraform JSON: ${foreign.length > 0 ? `unexpected top-level key${foreign.length > 1 ? 's' : ''} ${shown}` : 'no resource, data or provider block'}; expected a cdk.tf.json, a *.tf.json or the output of terraform show -json`);
    }
    config = parseConfiguration(doc, stack, source);
  }
  return config;
}

function resourceBlocks(block: unknown, mode: 'managed' | 'data', prefix: string, source: string): TerraformResource[] {
  const out: TerraformResource[] = [];
  if (block === undefined) return out;
  if (!isObject(block)) throw new TerraformInputError(`${source} is not Terraform JSON: "${mode === 'data' ? 'data' : 'resource'}" must be an object of resource types`);
  for (const [type, byName] of Object.entries(block)) {
    // Terraform's JSON syntax also allows a list of single-key objects.
    const entries: [string, any][] = Array.isArray(byName)
      ? byName.flatMap((o) => (isObject(o) ? Object.entries(o) : []))
      : isObject(byName) ? Object.entries(byName) : [];
    for (const [name, body] of entries) {
      const values = Array.isArray(body) ? (body[0] ?? {}) : body;
      if (!isObject(values)) continue;
      const t = mode === 'data' ? `data.${type}` : type;
      out.push({ type: t, name, address: `${prefix}${t}.${name}`, module: prefix, values: unescapeInterpolation(values) });
    }
  }
  return out;
}

function parseConfiguration(doc: Record<string, any>, stack: string, source: string): TerraformConfig {
  const resources = [...resourceBlocks(doc.resource, 'managed', '', source), ...resourceBlocks(doc.data, 'data', '', source)];
  const outputs: Record<string, unknown> = {};
  if (isObject(doc.output)) {
    for (const [k, v] of Object.entries(doc.output)) outputs[k] = isObject(v) ? unescapeInterpolation(v.value) : undefined;
  }
  const cdktf = isObject(doc['//']) && isObject(doc['//'].metadata) && 'stackName' in doc['//'].metadata;
  const config = { stack, source, format: (cdktf ? 'cdktf' : 'terraform-json') as TerraformFormat, resources, outputs, unknown: {} };
  requireAws(config, providersOf(resources.map((r) => r.type)));
  return config;
}

/** Provider name of a resource type (`aws_iam_role` -> `aws`). */
function providerOfType(type: string): string {
  return type.replace(/^data\./, '').split('_')[0];
}

function providersOf(types: string[]): string[] {
  return [...new Set(types.map(providerOfType))].sort();
}

function requireAws(config: TerraformConfig, providers: string[]): void {
  if (config.resources.length > 0 && !providers.includes('aws')) {
    throw new TerraformInputError(`${config.source} has no AWS resources (provider${providers.length > 1 ? 's' : ''} ${providers.join(', ')}); agent-iam reads AWS IAM configurations only`);
  }
}

interface PlanModule {
  readonly address?: string;
  readonly resources?: any[];
  readonly child_modules?: PlanModule[];
}

function parsePlan(doc: Record<string, any>, stack: string, source: string): TerraformConfig {
  const root: PlanModule | undefined = doc.planned_values?.root_module ?? doc.values?.root_module;
  if (!isObject(root) && !Array.isArray(doc.resource_changes)) {
    throw new TerraformInputError(`${source} is not a Terraform plan: no planned_values.root_module (run terraform show -json on a saved plan)`);
  }
  const resources: TerraformResource[] = [];
  const providers = new Set<string>();
  const unknown: Record<string, string[]> = {};
  const afterUnknown = new Map<string, Record<string, any>>();
  for (const rc of doc.resource_changes ?? []) {
    if (isObject(rc) && typeof rc.address === 'string' && isObject(rc.change?.after_unknown)) afterUnknown.set(rc.address, rc.change.after_unknown);
  }
  const refs = configurationReferences(doc.configuration?.root_module, '');
  const walk = (m: PlanModule | undefined) => {
    if (!isObject(m)) return;
    for (const r of m.resources ?? []) {
      if (!isObject(r) || typeof r.type !== 'string' || typeof r.address !== 'string') continue;
      if (typeof r.provider_name === 'string') providers.add(r.provider_name.split('/').pop()!);
      const address: string = r.address;
      const moduleMatch = /^((?:module\.[^.]+(?:\[[^\]]*\])?\.)*)/.exec(address);
      const module = (moduleMatch?.[1] ?? '').replace(/\[[^\]]*\]/g, '');
      const type = r.mode === 'data' ? `data.${r.type}` : r.type;
      const values: Record<string, any> = { ...(isObject(r.values) ? unescapeInterpolation(r.values) : {}) };
      // Values unknown until apply: use the configuration's reference instead (`${aws_iam_policy.p.arn}`).
      const unknownAttrs = Object.entries(afterUnknown.get(address) ?? {}).filter(([, v]) => v === true).map(([k]) => k);
      const configRefs = refs.get(`${module}${type}.${r.name}`) ?? {};
      for (const [attr, ref] of Object.entries(configRefs)) {
        if (values[attr] === undefined || values[attr] === null) values[attr] = ref;
      }
      const stillUnknown = unknownAttrs.filter((a) => !(a in configRefs) && (values[a] === undefined || values[a] === null));
      if (stillUnknown.length > 0) unknown[address] = stillUnknown;
      resources.push({ type, name: r.name, address, module, values });
    }
    for (const c of m.child_modules ?? []) walk(c);
  };
  walk(root);
  if (resources.length === 0 && Array.isArray(doc.resource_changes)) {
    for (const rc of doc.resource_changes) {
      if (isObject(rc) && typeof rc.provider_name === 'string') providers.add(rc.provider_name.split('/').pop()!);
    }
  }
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.planned_values?.outputs ?? doc.values?.outputs ?? {})) outputs[k] = isObject(v) ? v.value : undefined;
  const config: TerraformConfig = { stack, source, format: doc.planned_values ? 'plan' : 'state', resources, outputs, unknown };
  const names = [...providers].sort();
  if ((resources.length > 0 || names.length > 0) && !names.includes('aws')) {
    throw new TerraformInputError(`${source} has no AWS resources (provider${names.length > 1 ? 's' : ''} ${names.join(', ')}); agent-iam reads AWS IAM configurations only`);
  }
  return config;
}

/** `references` of a plan's configuration, as `${ref}` strings by resource and attribute. */
function configurationReferences(module: any, prefix: string, out = new Map<string, Record<string, string>>()): Map<string, Record<string, string>> {
  if (!isObject(module)) return out;
  for (const r of module.resources ?? []) {
    if (!isObject(r) || typeof r.address !== 'string' || !isObject(r.expressions)) continue;
    const attrs: Record<string, string> = {};
    for (const [attr, expr] of Object.entries(r.expressions)) {
      const list: string[] = isObject(expr) && Array.isArray(expr.references) ? expr.references : [];
      // The most specific reference first: `aws_iam_policy.p.arn` before `aws_iam_policy.p`.
      const ref = list.find((x) => x.split('.').length >= 3) ?? list[0];
      if (ref) attrs[attr] = `\${${ref}}`;
    }
    const address = r.mode === 'data' ? `${prefix}${r.address}` : `${prefix}${r.address}`;
    out.set(address, attrs);
  }
  for (const [name, call] of Object.entries(module.module_calls ?? {})) {
    configurationReferences((call as any)?.module, `${prefix}module.${name}.`, out);
  }
  return out;
}

/** Several configurations read as one (a directory of *.tf.json files, as Terraform merges them). */
export function mergeConfigurations(stack: string, source: string, configs: TerraformConfig[]): TerraformConfig {
  return {
    stack,
    source,
    format: configs.some((c) => c.format === 'cdktf') ? 'cdktf' : configs[0]?.format ?? 'terraform-json',
    resources: configs.flatMap((c) => c.resources),
    outputs: Object.assign({}, ...configs.map((c) => c.outputs)),
    unknown: Object.assign({}, ...configs.map((c) => c.unknown)),
  };
}

// ---------------------------------------------------------------------------------------------
// References and lookups

interface Ref {
  readonly type: string;
  readonly name: string;
  readonly attr?: string;
}

/** `${aws_iam_role.x.arn}` -> { type, name, attr }; `${data.t.x.json}` -> { type: 'data.t', ... }. */
export function parseRef(v: unknown): Ref | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{((?:data\.)?[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.([a-z0-9_]+))?[^}]*\}/.exec(v.trim());
  return m ? { type: m[1], name: m[2], attr: m[3] } : undefined;
}

class ResourceIndex {
  private readonly byKey = new Map<string, TerraformResource[]>();
  private readonly byType = new Map<string, TerraformResource[]>();

  constructor(public readonly resources: TerraformResource[]) {
    for (const r of resources) {
      const k = `${r.module}${r.type}.${r.name}`;
      this.byKey.set(k, [...(this.byKey.get(k) ?? []), r]);
      this.byType.set(r.type, [...(this.byType.get(r.type) ?? []), r]);
    }
  }

  ofType(type: string): TerraformResource[] {
    return this.byType.get(type) ?? [];
  }

  /**
   * The resource of `type` a value points at: a reference, or a literal equal to one of the
   * resource's identifying attributes (name, ARN tail, bucket).
   */
  resolve(value: unknown, types: string[], from: TerraformResource | undefined, literalKeys: string[] = ['name']): TerraformResource | undefined {
    const ref = parseRef(value);
    if (ref) {
      if (!types.includes(ref.type)) return undefined;
      return this.byKey.get(`${from?.module ?? ''}${ref.type}.${ref.name}`)?.[0] ?? this.byKey.get(`${ref.type}.${ref.name}`)?.[0];
    }
    if (typeof value !== 'string' || value === '') return undefined;
    const tail = value.startsWith('arn:') ? value.split(/[/:]/).pop()! : value;
    for (const t of types) {
      for (const k of [...literalKeys, 'arn']) {
        const lookup = this.literals(t, k);
        const hit = lookup.get(value) ?? (k === 'arn' ? undefined : lookup.get(tail));
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /**
   * The resources of `type` that `attr` of each `sourceType` resource points at, computed once:
   * target -> sources (for attachments: role -> its policies).
   */
  pointing(sourceType: string, attr: string, targetType: string, literalKeys: string[] = ['name']): Map<TerraformResource, TerraformResource[]> {
    const key = `${sourceType}|${attr}|${targetType}`;
    let map = this.pointingCache.get(key);
    if (!map) {
      map = new Map();
      for (const src of this.ofType(sourceType)) {
        for (const v of asArray(src.values[attr])) {
          const target = this.resolve(v, [targetType], src, literalKeys);
          if (target) map.set(target, [...(map.get(target) ?? []), src]);
        }
      }
      this.pointingCache.set(key, map);
    }
    return map;
  }

  private readonly pointingCache = new Map<string, Map<TerraformResource, TerraformResource[]>>();
  private readonly literalCache = new Map<string, Map<string, TerraformResource>>();

  private literals(type: string, key: string): Map<string, TerraformResource> {
    const k = `${type}|${key}`;
    let map = this.literalCache.get(k);
    if (!map) {
      map = new Map();
      for (const r of this.ofType(type)) {
        const v = r.values[key];
        if (typeof v === 'string' && !map.has(v)) map.set(v, r);
      }
      this.literalCache.set(k, map);
    }
    return map;
  }
}

function asArray<T = any>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

function first(v: unknown): Record<string, any> | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  return isObject(x) ? x : undefined;
}

function tagsOf(r: TerraformResource): Record<string, string> {
  const t = { ...(isObject(r.values.tags_all) ? r.values.tags_all : {}), ...(isObject(r.values.tags) ? r.values.tags : {}) };
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)]));
}

// ---------------------------------------------------------------------------------------------
// Policy documents

/** A policy document as read, with where it came from. */
export interface PolicySource {
  /** Inline policy name, managed policy name or ARN. */
  readonly name: string;
  readonly kind: 'inline' | 'managed' | 'aws-managed' | 'external' | 'unreadable';
  /** Address of the resource holding the document, when it is in the configuration. */
  readonly address?: string;
  /** The document, or undefined when it is not in the configuration or cannot be read. */
  readonly doc?: PolicyDoc;
  /** Set for AWS-managed policies whose document is approximated by this module. */
  readonly approximated?: boolean;
}

function strings(v: unknown): string[] {
  return asArray(v).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

function normaliseStatement(s: any): Statement | undefined {
  if (!isObject(s)) return undefined;
  const out: Statement = { Effect: s.Effect === 'Deny' ? 'Deny' : 'Allow' };
  if (typeof s.Sid === 'string' && s.Sid) out.Sid = s.Sid;
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (s[k] !== undefined) out[k] = strings(s[k]);
  }
  const principal = s.Principal ?? (s.NotPrincipal !== undefined && out.Effect === 'Allow' ? '*' : undefined);
  if (principal === '*') {
    out.Principal = { AWS: ['*'] };
  } else if (isObject(principal)) {
    out.Principal = Object.fromEntries(Object.entries(principal).map(([k, v]) => [k, strings(v)]));
  }
  if (isObject(s.Condition)) {
    const c: Record<string, Record<string, string[]>> = {};
    for (const [op, keys] of Object.entries(s.Condition)) {
      if (!isObject(keys)) continue;
      c[op] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, asArray(v).map(String)]));
    }
    out.Condition = c;
  }
  return out;
}

/** A policy document from a JSON string or object; undefined when it is not one. */
export function readPolicyDocument(v: unknown): PolicyDoc | undefined {
  let doc: any = v;
  if (typeof v === 'string') {
    try {
      doc = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (!isObject(doc) || doc.Statement === undefined) return undefined;
  const statements = asArray(doc.Statement).map(normaliseStatement).filter((s): s is Statement => !!s);
  return { Version: '2012-10-17', Statement: statements };
}

/** Statements of an `aws_iam_policy_document` data source, in policy form. */
function policyDocumentData(r: TerraformResource, index: ResourceIndex, depth = 0): PolicyDoc | undefined {
  const json = readPolicyDocument(r.values.json);
  if (json) return json;
  if (depth > 4) return undefined;
  const statements: Statement[] = [];
  for (const src of [...asArray(r.values.source_policy_documents), ...asArray(r.values.source_json)]) {
    statements.push(...(resolvePolicyValue(src, index, r, depth + 1)?.Statement ?? []));
  }
  for (const s of asArray<any>(r.values.statement)) {
    if (!isObject(s)) continue;
    const st: Statement = { Effect: s.effect === 'Deny' ? 'Deny' : 'Allow' };
    if (s.sid) st.Sid = String(s.sid);
    if (s.actions !== undefined) st.Action = strings(s.actions);
    if (s.not_actions !== undefined) st.NotAction = strings(s.not_actions);
    if (s.resources !== undefined) st.Resource = strings(s.resources);
    if (s.not_resources !== undefined) st.NotResource = strings(s.not_resources);
    const principals = asArray<any>(s.principals).filter(isObject);
    if (principals.length > 0) {
      st.Principal = {};
      for (const p of principals) {
        const kind = p.type === '*' ? 'AWS' : String(p.type);
        st.Principal[kind] = [...(st.Principal[kind] ?? []), ...strings(p.identifiers)];
      }
    }
    if (asArray(s.not_principals).length > 0 && st.Effect === 'Allow') st.Principal = { AWS: ['*'] };
    for (const c of asArray<any>(s.condition).filter(isObject)) {
      st.Condition = st.Condition ?? {};
      const op = String(c.test);
      st.Condition[op] = st.Condition[op] ?? {};
      st.Condition[op][String(c.variable)] = [...(st.Condition[op][String(c.variable)] ?? []), ...strings(c.values)];
    }
    statements.push(st);
  }
  for (const o of asArray(r.values.override_policy_documents)) {
    statements.push(...(resolvePolicyValue(o, index, r, depth + 1)?.Statement ?? []));
  }
  return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** A policy attribute's document: JSON, or a reference to an aws_iam_policy_document. */
function resolvePolicyValue(v: unknown, index: ResourceIndex, from: TerraformResource, depth = 0): PolicyDoc | undefined {
  const direct = readPolicyDocument(v);
  if (direct) return direct;
  const data = index.resolve(v, ['data.aws_iam_policy_document'], from);
  return data ? policyDocumentData(data, index, depth) : undefined;
}

/**
 * AWS-managed policies whose documents are approximated: AdministratorAccess is exactly Allow *
 * on *; the others by their main grant (the real documents add a few read actions elsewhere).
 */
const AWS_MANAGED: Record<string, Statement[]> = {
  AdministratorAccess: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
  PowerUserAccess: [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: ['*'] }],
  IAMFullAccess: [{ Effect: 'Allow', Action: ['iam:*'], Resource: ['*'] }],
  AmazonS3FullAccess: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }],
  AmazonDynamoDBFullAccess: [{ Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['*'] }],
  AmazonSQSFullAccess: [{ Effect: 'Allow', Action: ['sqs:*'], Resource: ['*'] }],
  AmazonSNSFullAccess: [{ Effect: 'Allow', Action: ['sns:*'], Resource: ['*'] }],
  AWSLambda_FullAccess: [{ Effect: 'Allow', Action: ['lambda:*'], Resource: ['*'] }],
  AmazonBedrockFullAccess: [{ Effect: 'Allow', Action: ['bedrock:*'], Resource: ['*'] }],
  AmazonEC2FullAccess: [{ Effect: 'Allow', Action: ['ec2:*'], Resource: ['*'] }],
  SecretsManagerReadWrite: [{ Effect: 'Allow', Action: ['secretsmanager:*'], Resource: ['*'] }],
};

/** The name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/job-function/X` -> `X`), or undefined. */
export function awsManagedPolicyName(arn: string): string | undefined {
  const m = /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? m[1] : undefined;
}

function policyByArn(value: unknown, index: ResourceIndex, from: TerraformResource): PolicySource {
  const customer = index.resolve(value, ['aws_iam_policy'], from, ['name', 'name_prefix']);
  if (customer) {
    const doc = resolvePolicyValue(customer.values.policy, index, customer);
    return { name: String(customer.values.name ?? customer.name), kind: doc ? 'managed' : 'unreadable', address: customer.address, doc };
  }
  const data = index.resolve(value, ['data.aws_iam_policy'], from);
  const arn = String(data ? (data.values.arn ?? (data.values.name ? `arn:aws:iam::aws:policy/${data.values.name}` : '')) : value);
  const managed = awsManagedPolicyName(arn);
  if (managed) {
    const statements = AWS_MANAGED[managed];
    return statements
      ? { name: arn, kind: 'aws-managed', doc: { Version: '2012-10-17', Statement: statements }, approximated: managed !== 'AdministratorAccess' }
      : { name: arn, kind: 'aws-managed' };
  }
  return { name: arn, kind: 'external' };
}

// ---------------------------------------------------------------------------------------------
// Environment facts

/** How an agent identity was recognised (see the module comment). */
export type Recognition = 'agent:id tag' | 'agents path' | 'name or tags' | 'bedrock agent' | 'access key';

/** An agent identity as read from Terraform, with the facts the stage check judges. */
export interface TerraformAgent {
  readonly facts: AgentFacts;
  readonly kind: 'role' | 'iam-user';
  /** Address of the role or user. */
  readonly address: string;
  readonly recognisedBy: Recognition;
  /** Role path, when set. */
  readonly path?: string;
  /** The role's MaxSessionDuration in seconds (AWS default 3600 when unset). */
  readonly maxSessionDuration?: number;
  /** The `agent:session-ttl` tag, in seconds. */
  readonly sessionTtl?: number;
  /** Every identity policy of the identity, readable or not. */
  readonly policySources: PolicySource[];
  /** Whether a token-age policy (Deny on an old aws:TokenIssueTime) is attached. */
  readonly tokenAge: boolean;
  /** Workload (Lambda, ECS task, Bedrock agent) running as the role, for shared roles. */
  readonly workload?: string;
}

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

/** Everything read from one environment's Terraform. */
export interface TerraformEnvironment {
  readonly stack: string;
  readonly source: string;
  readonly format: TerraformFormat;
  /** The stage the environment declares (`agent:maturity-stage` on its agent roles); undefined for foreign configurations. */
  readonly declaredStage?: MaturityStage;
  readonly facts: StackFacts;
  readonly agents: TerraformAgent[];
  readonly detections: DetectionWiring[];
  /** The revoker Lambda's address, if any. */
  readonly revokerAddress?: string;
  /** The credential broker Lambda's address, if any. */
  readonly brokerAddress?: string;
  readonly notes: AdHocFinding[];
  readonly resourceCount: number;
}

/** Attributes of a role or user the stage check reads (unknown ones are reported). */
const JUDGED_ATTRIBUTES = ['assume_role_policy', 'permissions_boundary', 'max_session_duration', 'tags', 'path', 'name', 'inline_policy'];

const AGENT_WORDS = new Set(['agent', 'agents', 'bot', 'bots', 'chatbot', 'assistant', 'copilot', 'llm', 'gpt', 'genai', 'ai', 'autonomous']);

/** Whether a name, description or tag text suggests an AI agent or bot (word match, camelCase split). */
export function looksLikeAgent(text: string): boolean {
  const words = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return words.some((w) => AGENT_WORDS.has(w) || (w.length > 3 && w.endsWith('bot')));
}

function agentLike(r: TerraformResource): boolean {
  const texts = [String(r.values.name ?? r.name), String(r.values.name_prefix ?? ''), String(r.values.description ?? ''), r.name];
  for (const [k, v] of Object.entries(tagsOf(r))) texts.push(k, v);
  return texts.some(looksLikeAgent);
}

function trustAllowsSomeone(doc: PolicyDoc | undefined): boolean {
  return (doc?.Statement ?? []).some((s) => s.Effect === 'Allow' && !!s.Principal && Object.keys(s.Principal).length > 0);
}

const WORKLOAD_ROLE_ATTRS: Record<string, { attrs: string[]; name: string[] }> = {
  aws_lambda_function: { attrs: ['role'], name: ['function_name'] },
  aws_ecs_task_definition: { attrs: ['task_role_arn'], name: ['family'] },
  aws_iam_instance_profile: { attrs: ['role'], name: ['name'] },
  aws_bedrockagent_agent: { attrs: ['agent_resource_role_arn'], name: ['agent_name'] },
  aws_sfn_state_machine: { attrs: ['role_arn'], name: ['name'] },
};

function roleName(r: TerraformResource): string {
  return String(r.values.name ?? r.values.name_prefix ?? r.name);
}

function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n;
}

/** Reads one configuration's agents, trails, registry, detections and revocation path. */
export function readEnvironment(config: TerraformConfig): TerraformEnvironment {
  const index = new ResourceIndex(config.resources);
  const notes: AdHocFinding[] = [];
  const roles = index.ofType('aws_iam_role');

  // Policies attached to roles, users and groups.
  const inlineOf = (type: string, attr: string, target: TerraformResource): PolicySource[] => (index.pointing(type, attr, target.type).get(target) ?? [])
    .map((p) => {
      const doc = resolvePolicyValue(p.values.policy, index, p);
      return { name: String(p.values.name ?? p.name), kind: doc ? 'inline' : 'unreadable', address: p.address, doc } as PolicySource;
    });
  const attachedOf = (type: string, attr: string, target: TerraformResource): PolicySource[] => (index.pointing(type, attr, target.type).get(target) ?? [])
    .map((p) => policyByArn(p.values.policy_arn, index, p));
  const legacyAttachments = (attr: 'roles' | 'users' | 'groups', target: TerraformResource): PolicySource[] => (index.pointing('aws_iam_policy_attachment', attr, target.type).get(target) ?? [])
    .map((p) => policyByArn(p.values.policy_arn, index, p));

  const rolePolicies = (r: TerraformResource): PolicySource[] => [
    ...inlineOf('aws_iam_role_policy', 'role', r),
    ...asArray<any>(r.values.inline_policy).filter((p) => isObject(p) && p.policy !== undefined).map((p) => {
      const doc = resolvePolicyValue(p.policy, index, r);
      return { name: String(p.name ?? 'inline_policy'), kind: doc ? 'inline' : 'unreadable', address: r.address, doc } as PolicySource;
    }),
    ...attachedOf('aws_iam_role_policy_attachment', 'role', r),
    ...legacyAttachments('roles', r),
    ...asArray(r.values.managed_policy_arns).map((arn) => policyByArn(arn, index, r)),
  ];

  // Workloads running as each role (to find shared roles).
  const workloadsOf = new Map<TerraformResource, { address: string; name: string; type: string }[]>();
  for (const [type, spec] of Object.entries(WORKLOAD_ROLE_ATTRS)) {
    for (const w of index.ofType(type)) {
      for (const attr of spec.attrs) {
        const role = index.resolve(w.values[attr], ['aws_iam_role'], w, ['name', 'arn']);
        if (!role) continue;
        const name = String(spec.name.map((k) => w.values[k]).find((x) => typeof x === 'string') ?? w.name);
        workloadsOf.set(role, [...(workloadsOf.get(role) ?? []), { address: w.address, name, type }]);
      }
    }
  }

  const tagged = roles.filter((r) => tagsOf(r)[AGENT_TAGS.id] || String(r.values.path ?? '').startsWith('/agents/'));
  const agents: TerraformAgent[] = [];
  const addRole = (r: TerraformResource, recognisedBy: Recognition, agentName: string, workload?: string) => {
    const trust = resolvePolicyValue(r.values.assume_role_policy, index, r) ?? { Version: '2012-10-17', Statement: [] };
    const sources = rolePolicies(r);
    const tags = tagsOf(r);
    const policies = sources.filter((s) => s.doc).map((s) => s.doc!);
    agents.push({
      facts: {
        agent: agentName,
        roleName: roleName(r),
        tags,
        trustPolicy: trust,
        permissionsBoundary: typeof r.values.permissions_boundary === 'string' && r.values.permissions_boundary !== '' ? r.values.permissions_boundary : undefined,
        policies,
      },
      kind: 'role',
      address: r.address,
      recognisedBy,
      path: typeof r.values.path === 'string' ? r.values.path : undefined,
      maxSessionDuration: numberOf(r.values.max_session_duration),
      sessionTtl: numberOf(tags[AGENT_TAGS.sessionTtl]),
      policySources: sources,
      tokenAge: policies.some((d) => d.Statement.some((s) => s.Effect === 'Deny' && (s.Sid === TOKEN_AGE_SID
        || Object.keys(s.Condition?.DateLessThan ?? {}).some((k) => k.toLowerCase() === 'aws:tokenissuetime')))),
      workload,
    });
  };
  if (tagged.length > 0) {
    for (const r of tagged) {
      const id = tagsOf(r)[AGENT_TAGS.id];
      addRole(r, id ? 'agent:id tag' : 'agents path', id || roleName(r));
    }
  } else {
    for (const r of roles) {
      const trust = resolvePolicyValue(r.values.assume_role_policy, index, r);
      const workloads = workloadsOf.get(r) ?? [];
      const bedrock = workloads.some((w) => w.type === 'aws_bedrockagent_agent');
      if (!bedrock && !(agentLike(r) && trustAllowsSomeone(trust))) continue;
      const recognisedBy: Recognition = bedrock ? 'bedrock agent' : 'name or tags';
      if (workloads.length > 1) {
        notes.push({ id: ADHOC.sharedRole, message: `role ${roleName(r)} is shared by ${workloads.length} workloads (${workloads.map((w) => w.address).join(', ')}); each is judged as an agent on a shared role` });
        for (const w of workloads) addRole(r, recognisedBy, w.name, w.address);
      } else {
        addRole(r, recognisedBy, roleName(r), workloads[0]?.address);
      }
    }
  }

  // IAM users and access keys.
  const users = index.ofType('aws_iam_user');
  const keys = index.ofType('aws_iam_access_key');
  for (const u of users) {
    const hasKey = index.pointing('aws_iam_access_key', 'user', 'aws_iam_user').has(u);
    if (!hasKey && !agentLike(u)) continue;
    const groups = [
      ...(index.pointing('aws_iam_user_group_membership', 'user', 'aws_iam_user').get(u) ?? []).flatMap((m) => asArray(m.values.groups)),
      ...(index.pointing('aws_iam_group_membership', 'users', 'aws_iam_user').get(u) ?? []).map((m) => m.values.group),
    ].map((g) => index.resolve(g, ['aws_iam_group'], u, ['name'])).filter((g): g is TerraformResource => !!g);
    const sources = [
      ...inlineOf('aws_iam_user_policy', 'user', u),
      ...attachedOf('aws_iam_user_policy_attachment', 'user', u),
      ...legacyAttachments('users', u),
      ...groups.flatMap((g) => [...inlineOf('aws_iam_group_policy', 'group', g), ...attachedOf('aws_iam_group_policy_attachment', 'group', g), ...legacyAttachments('groups', g)]),
    ];
    const name = String(u.values.name ?? u.name);
    agents.push({
      facts: {
        agent: name,
        roleName: `user/${name}`,
        tags: tagsOf(u),
        trustPolicy: { Version: '2012-10-17', Statement: [] },
        permissionsBoundary: typeof u.values.permissions_boundary === 'string' && u.values.permissions_boundary ? u.values.permissions_boundary : undefined,
        policies: sources.filter((s) => s.doc).map((s) => s.doc!),
      },
      kind: 'iam-user',
      address: u.address,
      recognisedBy: 'access key',
      path: typeof u.values.path === 'string' ? u.values.path : undefined,
      policySources: sources,
      tokenAge: false,
    });
  }

  // Informational findings per agent.
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

  const detections = detectionWiring(index, agents);
  const stage4 = adaptiveFacts(index, detections);
  const declared = agents.map((a) => numberOf(String(a.facts.tags[AGENT_TAGS.stage] ?? '').split('-')[0])).filter((n): n is number => n !== undefined);
  const declaredStage = declared.length > 0 ? (Math.max(...declared) as MaturityStage) : undefined;
  const registryNames = new Set<string>([
    ...index.ofType('aws_ssm_parameter').map((p) => /^\/agent-iam\/[^/]+\/agents\/([^/]+)$/.exec(String(p.values.name ?? ''))?.[1]).filter((x): x is string => !!x),
    ...(isObject(config.outputs.agent_registry) ? Object.keys(config.outputs.agent_registry) : []),
  ]);
  const facts: StackFacts = {
    stack: config.stack,
    stage: declaredStage ?? MaturityStage.AD_HOC,
    agents: agents.map((a) => a.facts),
    iamUsers: users.map((u) => u.address),
    accessKeys: keys.map((k) => k.address),
    trails: index.ofType('aws_cloudtrail').map((t) => trailFacts(t, index)),
    registry: agents.length > 0 && agents.every((a) => registryNames.has(a.facts.agent)),
    detectionRuleIds: [...new Set(detections.filter((d) => d.enabled).map((d) => d.ruleId))].sort(),
    ...stage4.facts,
  };
  if (agents.length === 0) {
    notes.push({ id: ADHOC.noAgents, message: 'no agent identity found (no role tagged agent:id or under /agents/, no role or user that looks like an agent or bot)' });
  }
  return {
    stack: config.stack, source: config.source, format: config.format, declaredStage, facts, agents, detections,
    revokerAddress: stage4.revokerAddress, brokerAddress: stage4.brokerAddress, notes, resourceCount: config.resources.filter((r) => !r.type.startsWith('data.')).length,
  };
}

function bucketSatellite(index: ResourceIndex, type: string, bucket: TerraformResource | undefined, bucketName: unknown): TerraformResource[] {
  return index.ofType(type).filter((r) => (bucket && index.resolve(r.values.bucket, ['aws_s3_bucket'], r, ['bucket']) === bucket)
    || (typeof bucketName === 'string' && !parseRef(bucketName) && r.values.bucket === bucketName));
}

function trailFacts(t: TerraformResource, index: ResourceIndex): TrailFacts {
  const v = t.values;
  const bucket = index.resolve(v.s3_bucket_name, ['aws_s3_bucket'], t, ['bucket']);
  const sat = (type: string) => bucketSatellite(index, type, bucket, v.s3_bucket_name);
  const versioned = sat('aws_s3_bucket_versioning').some((r) => first(r.values.versioning_configuration)?.status === 'Enabled')
    || first(bucket?.values.versioning)?.enabled === true;
  const sseRules = [
    ...sat('aws_s3_bucket_server_side_encryption_configuration').flatMap((r) => asArray<any>(r.values.rule)),
    ...asArray<any>(first(bucket?.values.server_side_encryption_configuration)?.rule),
  ];
  const kmsBucket = sseRules.some((rule) => /^aws:kms/.test(String(first(rule?.apply_server_side_encryption_by_default)?.sse_algorithm ?? '')));
  const pab = sat('aws_s3_bucket_public_access_block').some((r) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => r.values[k] === true))
    || index.ofType('aws_s3_account_public_access_block').some((r) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => r.values[k] === true));
  const owner = sat('aws_s3_bucket_ownership_controls').some((r) => first(r.values.rule)?.object_ownership === 'BucketOwnerEnforced');
  const policies = [...sat('aws_s3_bucket_policy').map((r) => resolvePolicyValue(r.values.policy, index, r)), bucket ? resolvePolicyValue(bucket.values.policy, index, bucket) : undefined];
  const tlsOnly = policies.some((d) => (d?.Statement ?? []).some((s) => s.Effect === 'Deny'
    && Object.entries(s.Condition?.Bool ?? {}).some(([k, vals]) => k.toLowerCase() === 'aws:securetransport' && vals.includes('false'))));
  const queues = sat('aws_s3_bucket_notification').flatMap((n) => asArray<any>(n.values.queue).map((q) => index.resolve(q?.queue_arn, ['aws_sqs_queue'], n, ['name'])));
  const siemQueueEncrypted = queues.some((q) => !!q && (!!q.values.kms_master_key_id || q.values.sqs_managed_sse_enabled === true));
  const logGroupArn = v.cloud_watch_logs_group_arn;
  const logGroup = index.resolve(logGroupArn, ['aws_cloudwatch_log_group'], t, ['name']);
  const retention = numberOf(logGroup?.values.retention_in_days);
  const cloudWatchLogs = typeof logGroupArn === 'string' && logGroupArn !== '' && !!v.cloud_watch_logs_role_arn
    && (retention === undefined || retention === 0 || retention >= 365);
  return {
    multiRegion: v.is_multi_region_trail === true,
    logFileValidation: v.enable_log_file_validation === true,
    kmsEncrypted: typeof v.kms_key_id === 'string' && v.kms_key_id !== '',
    bucketVersioned: versioned,
    bucketKmsEncrypted: kmsBucket,
    bucketPublicAccessBlocked: pab,
    bucketOwnerEnforced: owner,
    bucketTlsOnly: tlsOnly,
    siemQueueEncrypted,
    cloudWatchLogs,
  };
}

const DETECTION_TAG = 'agent-iam:detection';

function detectionWiring(index: ResourceIndex, agents: TerraformAgent[]): DetectionWiring[] {
  const out: DetectionWiring[] = [];
  const targetsOf = index.pointing('aws_cloudwatch_event_target', 'rule', 'aws_cloudwatch_event_rule');
  const roles = agents.filter((a) => a.kind === 'role');
  const byRoleName = new Map<string, TerraformAgent[]>();
  for (const a of roles) byRoleName.set(a.facts.roleName, [...(byRoleName.get(a.facts.roleName) ?? []), a]);
  const paths = [...new Set(roles.map((a) => a.path).filter((p): p is string => !!p && p !== '/'))];
  for (const rule of index.ofType('aws_cloudwatch_event_rule')) {
    const ruleId = tagsOf(rule)[DETECTION_TAG];
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

/** Allow statements of the identity policies of a role (inline and attached). */
function roleAllows(role: TerraformResource, index: ResourceIndex): Statement[] {
  const inline = (index.pointing('aws_iam_role_policy', 'role', 'aws_iam_role').get(role) ?? []).map((p) => resolvePolicyValue(p.values.policy, index, p));
  const attached = (index.pointing('aws_iam_role_policy_attachment', 'role', 'aws_iam_role').get(role) ?? []).map((p) => policyByArn(p.values.policy_arn, index, p).doc);
  return [...inline, ...attached].flatMap((d) => d?.Statement ?? []).filter((s) => s.Effect === 'Allow');
}

function allowsAction(statements: Statement[], action: string, resourceIncludes?: string): boolean {
  return statements.some((s) => (s.Action ?? []).includes(action) && (!resourceIncludes || (s.Resource ?? []).some((r) => r.includes(resourceIncludes))));
}

/**
 * Stage-4 facts: the revoker (a Lambda whose role may write inline policies: iam:PutRolePolicy),
 * its ledger (a DynamoDB table it writes), the broker (a Lambda whose role may sts:AssumeRole
 * roles under /agents/), and risk scoring (a Lambda fed by detections that writes a table the
 * broker reads).
 */
function adaptiveFacts(index: ResourceIndex, detections: DetectionWiring[]): { facts: Partial<StackFacts>; revokerAddress?: string; brokerAddress?: string } {
  const fns = index.ofType('aws_lambda_function').map((f) => {
    const role = index.resolve(f.values.role, ['aws_iam_role'], f, ['name', 'arn']);
    return { f, role, allows: role ? roleAllows(role, index) : [] };
  });
  const targetsFn = (arn: string, f: TerraformResource) => index.resolve(arn, ['aws_lambda_function'], f, ['function_name']) === f
    || (typeof f.values.function_name === 'string' && arn.endsWith(`:function:${f.values.function_name}`));
  const revoker = fns.find((x) => allowsAction(x.allows, 'iam:PutRolePolicy'));
  const broker = fns.find((x) => allowsAction(x.allows, 'sts:AssumeRole', ':role/agents/'));
  const facts: { revocation?: RevocationFacts; brokerPrincipals?: string[]; riskScoring?: boolean } = {};
  if (revoker) {
    const tables = index.ofType('aws_dynamodb_table').filter((t) => revoker.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(PutItem|UpdateItem)$/.test(a))
      && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t)));
    const pitr = tables.some((t) => first(t.values.point_in_time_recovery)?.enabled === true);
    const kms = tables.some((t) => first(t.values.server_side_encryption)?.enabled === true && !!first(t.values.server_side_encryption)?.kms_key_arn);
    facts.revocation = {
      wiredRuleIds: [...new Set(detections.filter((d) => d.enabled && d.targets.some((t) => targetsFn(t.arn, revoker.f))).map((d) => d.ruleId))].sort(),
      // The kill switch is a direct invocation of the revoker (`agent-iam revoke`): it exists with the revoker.
      killSwitch: revoker.f.values.reserved_concurrent_executions !== 0,
      ledgerPointInTimeRecovery: pitr,
      ledgerKmsEncrypted: kms,
      notifies: allowsAction(revoker.allows, 'sns:Publish'),
      revokerActions: revoker.allows.flatMap((s) => s.Action ?? []),
    };
  }
  if (broker && broker.role) {
    // References are module-relative, as they appear in the agents' trust policies.
    const brokerArn = `\${aws_iam_role.${broker.role.name}.arn}`;
    // Break-glass roles are declared beside the broker in the agents' trust statements.
    const beside = new Set<string>();
    for (const role of index.ofType('aws_iam_role')) {
      const trust = resolvePolicyValue(role.values.assume_role_policy, index, role);
      for (const s of trust?.Statement ?? []) {
        const aws = s.Principal?.AWS ?? [];
        if (aws.some((p) => index.resolve(p, ['aws_iam_role'], role, ['name']) === broker.role)) aws.forEach((p) => beside.add(p));
      }
    }
    facts.brokerPrincipals = [...new Set([brokerArn, ...beside])];
    const brokerReads = (t: TerraformResource) => broker.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(GetItem|Query)$/.test(a))
      && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t));
    facts.riskScoring = fns.some((x) => x !== revoker
      && detections.some((d) => d.enabled && d.targets.some((t) => targetsFn(t.arn, x.f)))
      && index.ofType('aws_dynamodb_table').some((t) => brokerReads(t) && x.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(PutItem|UpdateItem)$/.test(a))
        && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t))));
  }
  return { facts, revokerAddress: revoker?.f.address, brokerAddress: broker?.f.address };
}

// ---------------------------------------------------------------------------------------------
// Stages

/** The stages the catalog names above ad hoc, ascending. */
export function catalogStages(): MaturityStage[] {
  return [...new Set(ControlCatalog.all().map((c) => c.stage))].filter((s) => s > MaturityStage.AD_HOC).sort((a, b) => a - b);
}

/**
 * The highest stage N such that `checkStage(facts, N)` finds nothing (checkStage judges stages
 * 2..N together); 1 (ad hoc) when stage 2 fails. A stage with a catalog control that has no check
 * is never reached (it cannot be judged). With `agent`, the stage of that agent: its own controls
 * and the environment-wide ones.
 */
export function stageReached(facts: StackFacts, agent?: string): MaturityStage {
  const stages = stagesReached(facts);
  return agent === undefined ? stages.stack : stages.agents.get(agent) ?? MaturityStage.AD_HOC;
}

/** Stages reached by an environment and by each of its agents, from one stage check per stage. */
export interface StagesReached {
  readonly stack: MaturityStage;
  /** By agent name: the stage reached by the agent together with the environment-wide controls. */
  readonly agents: Map<string, MaturityStage>;
}

/** The same verdicts as `stageReached`, for the environment and every agent at once. */
export function stagesReached(facts: StackFacts): StagesReached {
  const unchecked = new Set(uncheckedControls());
  const agents = new Map<string, MaturityStage>(facts.agents.map((a) => [a.agent, MaturityStage.AD_HOC]));
  let stack: MaturityStage = MaturityStage.AD_HOC;
  let open = new Set(agents.keys());
  let stackOpen = true;
  for (const stage of catalogStages()) {
    if (ControlCatalog.all().some((c) => c.stage === stage && unchecked.has(c.id))) break;
    const findings = checkStage(facts, stage);
    if (findings.some((f) => f.agent === undefined)) break;
    const failing = new Set(findings.map((f) => f.agent!));
    open = new Set([...open].filter((a) => !failing.has(a)));
    for (const a of open) agents.set(a, stage);
    if (stackOpen && findings.length === 0) stack = stage; else stackOpen = false;
    if (open.size === 0 && !stackOpen) break;
  }
  return { stack, agents };
}

/** The stage whose failing controls a report lists: the declared or required stage, else the next one. */
export function targetStage(reached: MaturityStage, declared?: MaturityStage, minStage?: MaturityStage): MaturityStage {
  const stages = catalogStages();
  const top = stages[stages.length - 1] ?? MaturityStage.FOUNDATION;
  const wanted = Math.max(declared ?? 0, minStage ?? 0, Math.min(reached + 1, top));
  return Math.min(Math.max(wanted, MaturityStage.FOUNDATION), top) as MaturityStage;
}

/** The findings that keep an environment from `stage`, with IAM users' trust finding worded for users. */
export function findingsFor(env: TerraformEnvironment, stage: MaturityStage): Finding[] {
  const users = new Set(env.agents.filter((a) => a.kind === 'iam-user').map((a) => a.facts.agent));
  return checkStage(env.facts, stage).map((f) => (f.controlId === 'AIAM-2.04' && f.agent && users.has(f.agent) && f.message === 'trust policy declares no principal'
    ? { ...f, message: 'is an IAM user: whoever holds its access key acts as the agent; no trust policy limits who' }
    : f));
}

/** Controls of the catalog that have no check (reported, never counted as met). */
export function uncheckedNotes(): AdHocFinding[] {
  return uncheckedControls().map((id) => ({ id: ADHOC.uncheckedControl, message: `control ${id} has no check in this version; its stage cannot be reached` }));
}
