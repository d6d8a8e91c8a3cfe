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
      const module = (moduleMatch?.[1] ?? '').replace(/\[[^\]]*\]/g, '');
      const type = r.mode === 'data' ? `data.${r.type}` : r.type;
      // A plan's values are evaluated: Terraform already read its escapes, so there are none to undo.
      const values: Record<string, any> = { ...(isObject(r.values) ? r.values : {}) };
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
  requireAws(source, resources.length + names.length, names);
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
