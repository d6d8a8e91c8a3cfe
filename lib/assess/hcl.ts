/**
 * HCL input: `.tf` files (Terraform's native syntax) converted to Terraform's JSON configuration
 * syntax by `@cdktn/hcl2json` (HashiCorp's HCL parser compiled to WebAssembly, the converter of
 * CDK Terrain), then read like any `*.tf.json`.
 *
 * What is read before plan, and what is not (the line `assess` and `diff` draw):
 * - literal values, blocks (`statement { ... }` of `aws_iam_policy_document`) and references to
 *   resources and data sources (`aws_iam_role.x.arn`, `data.aws_iam_policy_document.p.json`) are
 *   read as in JSON configurations;
 * - `jsonencode({ ... })` is evaluated when its argument is a literal object (references inside
 *   it stay references);
 * - everything else is an expression Terraform evaluates at plan: variables, locals, function
 *   calls other than jsonencode, `for` expressions, conditionals, `count`/`for_each` instances,
 *   `dynamic` blocks. Those values are left as written, and `readEnvironment` reports each judged
 *   attribute that holds one (ADHOC-UNKNOWN-BEFORE-PLAN); judge a plan (`terraform show -json`)
 *   to see them.
 *
 * No file system: callers pass the files' text. The converter is loaded on first use.
 */
import { mergeConfigurations, TerraformConfig, TerraformInputError } from './config';
import { parseConfigurationJson } from './terraform-json';
import { isObject } from './values';

/** One `.tf` or `.tf.json` file of a configuration folder. */
export interface ConfigurationFile {
  /** File name (for messages). */
  readonly name: string;
  readonly text: string;
}

type Hcl2Json = { parse(filename: string, contents: string): Promise<Record<string, any>> };

let converter: Hcl2Json | undefined;
function hcl2json(): Hcl2Json {
  // Loaded on first use: the WebAssembly module is large and only HCL input needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  converter = converter ?? (require('@cdktn/hcl2json') as Hcl2Json);
  return converter;
}

const JSONENCODE = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/;

/** The value of `jsonencode(<arg>)` when <arg> is a literal object or list; undefined otherwise. */
async function evaluateJsonencode(expression: string, file: string): Promise<string | undefined> {
  const m = JSONENCODE.exec(expression);
  if (!m) return undefined;
  let doc: Record<string, any>;
  try {
    doc = await hcl2json().parse(file, `locals {\n  v = ${m[1]}\n}\n`);
  } catch {
    return undefined;
  }
  const v = Array.isArray(doc.locals) ? doc.locals[0]?.v : undefined;
  if (v === undefined || (typeof v === 'string' && v.startsWith('${'))) return undefined;
  return JSON.stringify(await evaluateStatic(v, file));
}

/** Replaces every `jsonencode(...)` with a literal argument by its JSON text, in place order. */
async function evaluateStatic(v: unknown, file: string): Promise<unknown> {
  if (typeof v === 'string') return (await evaluateJsonencode(v, file)) ?? v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) out.push(await evaluateStatic(x, file));
    return out;
  }
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await evaluateStatic(x, file);
    return out;
  }
  return v;
}

/** Converts one `.tf` file to Terraform JSON, `jsonencode` of literals evaluated. */
export async function hclToJson(file: ConfigurationFile): Promise<Record<string, any>> {
  let doc: Record<string, any>;
  try {
    doc = await hcl2json().parse(file.name, file.text);
  } catch (e) {
    const why = String((e as Error)?.message ?? e).replace(/^.*?errors on input[^:]*:\s*/s, '').split('\n')[0];
    throw new TerraformInputError(`${file.name} is not valid HCL: ${why}`);
  }
  return (await evaluateStatic(doc, file.name)) as Record<string, any>;
}

/**
 * Reads a folder's `.tf` and `.tf.json` files as one configuration, as Terraform merges them.
 * Throws TerraformInputError naming the file that is not HCL, not JSON or not Terraform.
 */
export async function parseConfigurationFiles(files: ConfigurationFile[], stack: string, source: string): Promise<TerraformConfig> {
  const configs: TerraformConfig[] = [];
  for (const f of files) {
    let doc: unknown;
    if (f.name.endsWith('.tf.json')) {
      try {
        doc = JSON.parse(f.text);
      } catch (e) {
        throw new TerraformInputError(`${f.name} is not JSON (${String((e as Error).message).split('\n')[0]})`);
      }
    } else {
      doc = await hclToJson(f);
    }
    // A file of comments only, or of variables only, adds nothing.
    if (isObject(doc) && Object.keys(doc).filter((k) => k !== '//').length === 0) continue;
    const config = parseConfigurationJson(doc, stack, f.name);
    configs.push(f.name.endsWith('.tf.json') ? config : { ...config, format: 'hcl' });
  }
  const merged = mergeConfigurations(stack, source, configs);
  return { ...merged, format: configs.some((c) => c.format === 'hcl') ? 'hcl' : merged.format };
}
