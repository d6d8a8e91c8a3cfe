/**
 * `terraform show -json` of a saved plan (or of a state) read into a `TerraformConfig`: planned
 * values, and for values unknown until apply the configuration's references. Pure.
 */
import { requireAws, TerraformConfig, TerraformInputError, TerraformResource } from './config';
import { isObject } from './values';

interface PlanModule {
  readonly address?: string;
  readonly resources?: any[];
  readonly child_modules?: PlanModule[];
}

export function parsePlan(doc: Record<string, any>, stack: string, source: string): TerraformConfig {
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
      // Module instances keep their key (`module.agent["a"].`): references inside resolve within the instance.
      const module = moduleMatch?.[1] ?? '';
      const configModule = module.replace(/\[[^\]]*\]/g, '');
      const type = r.mode === 'data' ? `data.${r.type}` : r.type;
      // A plan's values are evaluated: Terraform already read its escapes, so there are none to undo.
      const values: Record<string, any> = { ...(isObject(r.values) ? r.values : {}) };
      // Values unknown until apply: use the configuration's reference instead (`${aws_iam_policy.p.arn}`).
      const unknownAttrs = Object.entries(afterUnknown.get(address) ?? {}).filter(([, v]) => v === true).map(([k]) => k);
      const configRefs = referencesOf(refs.get(`${configModule}${type}.${r.name}`) ?? {}, r.index);
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
  requireAws(source, resources.length + names.length, names);
  return config;
}

/**
 * One instance's references, as `${ref}` strings by attribute: the most specific reference first
 * (`aws_iam_policy.p.arn` before `aws_iam_policy.p`); for `for_each` and `count` instances,
 * a reference indexed by `each.key` or `count.index` (Terraform lists `["aws_iam_policy.p",
 * "each.key"]` for `aws_iam_policy.p[each.key].arn`) names the instance with the same key.
 */
function referencesOf(byAttr: Record<string, string[]>, index: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attr, list] of Object.entries(byAttr)) {
    const targets = list.filter((x) => !/^(each|count|var|local|path|terraform|self)\./.test(x));
    let ref = targets.find((x) => x.replace(/^(module\.[^.]+\.)+/, '').split('.').length >= 3) ?? targets[0];
    if (!ref) continue;
    const key = typeof index === 'string' ? `["${index}"]` : typeof index === 'number' ? `[${index}]` : undefined;
    const byKey = (typeof index === 'string' && list.includes('each.key')) || (typeof index === 'number' && list.includes('count.index'));
    if (key && byKey && !ref.includes('[') && !ref.startsWith('module.')) {
      const parts = ref.split('.');
      const at = parts[0] === 'data' ? 3 : 2;
      ref = [parts.slice(0, at).join('.') + key, ...parts.slice(at)].join('.');
    }
    out[attr] = `\${${ref}}`;
  }
  return out;
}

/**
 * A reference to a child module's output (`module.grants.policy_arn`) as the reference the output
 * holds, prefixed with the module path (`module.grants.aws_iam_policy.this.arn`), through nested
 * modules; other references unchanged.
 */
function throughModuleOutputs(module: any, ref: string, depth = 0): string {
  const m = /^module\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(ref);
  if (!m || depth > 16) return ref;
  const child = module?.module_calls?.[m[1]]?.module;
  const refs: unknown = child?.outputs?.[m[2]]?.expression?.references;
  if (!Array.isArray(refs)) return ref;
  const list = refs.filter((x): x is string => typeof x === 'string' && !/^(var|local|each|count|path)\./.test(x));
  const inner = list.find((x) => x.split('.').length >= 3) ?? list[0];
  return inner ? `module.${m[1]}.${throughModuleOutputs(child, inner, depth + 1)}` : ref;
}

/** `references` of a plan's configuration, by resource (module-prefixed, no instance key) and attribute. */
function configurationReferences(module: any, prefix: string, out = new Map<string, Record<string, string[]>>()): Map<string, Record<string, string[]>> {
  if (!isObject(module)) return out;
  for (const r of module.resources ?? []) {
    if (!isObject(r) || typeof r.address !== 'string' || !isObject(r.expressions)) continue;
    const attrs: Record<string, string[]> = {};
    for (const [attr, expr] of Object.entries(r.expressions)) {
      const list: string[] = isObject(expr) && Array.isArray(expr.references) ? expr.references.filter((x: unknown) => typeof x === 'string') : [];
      if (list.length > 0) attrs[attr] = list.map((x) => throughModuleOutputs(module, x));
    }
    out.set(`${prefix}${r.address}`, attrs);
  }
  for (const [name, call] of Object.entries(module.module_calls ?? {})) {
    configurationReferences((call as any)?.module, `${prefix}module.${name}.`, out);
  }
  return out;
}
