/**
 * Benchmark baseline: a plain cdktf app declaring the same resources, with the same attribute
 * values (so the same policy documents, event patterns and sizes), as the library synthesized for
 * the same stage and fleet, through the same @cdktf/provider-aws classes, with no library logic.
 * It reads the library's cdk.tf.json as its template; the CPU spent reading and parsing that file
 * is measured and left out of its result.
 *   node dist/bench/plain-app.js <stage> <agents> <outdir> <template cdk.tf.json>
 *
 * References between resources stay the literal Terraform expressions the library emitted
 * (`${aws_iam_role.x.arn}`), as a hand-written app using `.arn` would produce them.
 */
import * as fs from 'fs';
import { App, LocalBackend, TerraformOutput, TerraformStack } from '../lib/private/cdk';
import { AwsProvider, awsProviderModule } from '../constructs/aws';
import { parseChildArgs, report, since } from './report';

type Json = Record<string, any>;

/** snake_case attribute names to the camelCase config keys of the provider classes; map keys (tags, variables) kept. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Attributes whose values are maps with user keys: their keys are kept as they are. */
const MAP_ATTRIBUTES = new Set(['tags', 'tags_all', 'variables', 'input_paths', 'default_tags']);

function toConfig(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => toConfig(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (k === '//') continue;
    if (parentKey !== undefined && MAP_ATTRIBUTES.has(parentKey)) out[k] = v;
    else out[camel(k)] = toConfig(v, k);
  }
  return out;
}

/** The provider class of a type: resource `aws_s3_bucket_versioning` lives in `lib/s3-bucket-versioning`, data `aws_caller_identity` in `lib/data-aws-caller-identity`. */
function classOf(type: string, kind: 'resource' | 'data'): any {
  const dir = kind === 'data' ? `data-${type.replace(/_/g, '-')}` : type.replace(/^aws_/, '').replace(/_/g, '-');
  const mod = awsProviderModule(dir);
  const cls = Object.values<any>(mod).find((c) => typeof c === 'function' && c.tfResourceType === type);
  if (!cls) throw new Error(`no provider class for ${kind} ${type}`);
  return cls;
}

function main(): void {
  const { outdir } = parseChildArgs(process.argv);
  const templatePath = process.argv[5];
  const c0 = process.cpuUsage();
  const template: Json = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const c1 = process.cpuUsage(c0);
  const t0 = performance.now();
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench');
  new LocalBackend(stack, { path: 'terraform.bench.tfstate' });
  const provider = template.provider.aws[0];
  new AwsProvider(stack, 'aws', toConfig(provider) as any);
  for (const kind of ['data', 'resource'] as const) {
    for (const [type, byName] of Object.entries<Json>(template[kind] ?? {})) {
      const Cls = classOf(type, kind);
      for (const [name, attributes] of Object.entries<Json>(byName)) {
        const { depends_on: _d, lifecycle: _l, provider: _p, ...rest } = attributes;
        new Cls(stack, name, toConfig(rest));
      }
    }
  }
  for (const [name, o] of Object.entries<Json>(template.output ?? {})) {
    new TerraformOutput(stack, name, { value: o.value, description: o.description });
  }
  const construct = since(t0);
  const t1 = performance.now();
  app.synth();
  const synth = since(t1);
  report({ construct, synth }, c1.user + c1.system);
}

if (require.main === module) {
  main();
}
