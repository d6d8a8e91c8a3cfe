/**
 * Terraform JSON configuration syntax (`cdk.tf.json`, `*.tf.json`) read into a
 * `TerraformConfig`; `parseTerraformJson` also recognises plans and states and hands them to
 * ./plan. Pure: references (`${aws_iam_role.x.arn}`) stay strings.
 */
import { providerOfType, requireAws, TerraformConfig, TerraformFormat, TerraformInputError, TerraformResource } from './config';
import { parsePlan } from './plan';
import { isObject, unescapeInterpolation } from './values';

/** Top-level keys of Terraform's JSON configuration syntax. */
const TF_JSON_KEYS = new Set(['//', 'resource', 'data', 'provider', 'terraform', 'module', 'output', 'variable', 'locals', 'check', 'import', 'moved', 'removed', 'ephemeral']);

/**
 * Reads one parsed JSON document as a Terraform configuration. Throws TerraformInputError when it
 * is not Terraform JSON, a plan or a state, or when it holds resources but none of the AWS provider.
 */
export function parseTerraformJson(doc: unknown, stack: string, source: string): TerraformConfig {
  if (!isObject(doc)) {
    throw new TerraformInputError(`${source} is not Terraform JSON: expected an object with "resource" (cdk.tf.json, *.tf.json) or "planned_values" (terraform show -json)`);
  }
  if ('planned_values' in doc || ('format_version' in doc && ('resource_changes' in doc || 'values' in doc || 'terraform_version' in doc))) {
    return parsePlan(doc, stack, source);
  }
  return parseConfigurationJson(doc, stack, source);
}

/** Reads a document in Terraform's JSON configuration syntax (not a plan); throws TerraformInputError otherwise. */
export function parseConfigurationJson(doc: unknown, stack: string, source: string): TerraformConfig {
  if (!isObject(doc)) throw new TerraformInputError(`${source} is not Terraform JSON: expected an object of Terraform blocks`);
  const keys = Object.keys(doc);
  const tfKeys = keys.filter((k) => TF_JSON_KEYS.has(k) && k !== '//');
  const foreign = keys.filter((k) => !TF_JSON_KEYS.has(k));
  if (tfKeys.length === 0 || foreign.length > 0) {
    const shown = foreign.slice(0, 3).map((k) => `"${k}"`).join(', ');
    throw new TerraformInputError(`${source} is not Terraform JSON: ${foreign.length > 0 ? `unexpected top-level key${foreign.length > 1 ? 's' : ''} ${shown}` : 'no resource, data or provider block'}; expected a cdk.tf.json, a *.tf.json or the output of terraform show -json`);
  }
  return parseConfiguration(doc, stack, source);
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
  requireAws(source, resources.length, [...new Set(resources.map((r) => providerOfType(r.type)))].sort());
  return config;
}

