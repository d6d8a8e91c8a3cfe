/**
 * `npm run validate:tf [-- <cdktf.out | stack folder>...]`: `terraform init` +
 * `terraform validate -json` with the real hashicorp/aws provider on every
 * synthesized stack (default: every stack under cdktf.out/stacks/). Prints the
 * provider's own message with the resource address for every diagnostic, and
 * exits 1 on any error (2 when the engines themselves cannot run).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  acceptedRuntimes, describeProvider, engineWorkspace, findProvider, runtimeOverrides, stacksFromArguments,
  terraform, terraformVersion, workingCopy,
} from './terraform';

interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename: string; start: { line: number } };
  snippet?: { context?: string };
}

/** One diagnostic as a line: where (address, or the JSON path Terraform names), what the provider said. */
export function formatDiagnostic(stack: string, d: Diagnostic): string {
  const where = d.address ?? d.snippet?.context ?? '(configuration)';
  const at = d.range ? ` (${d.range.filename}:${d.range.start.line})` : '';
  const detail = d.detail ? `: ${d.detail.replace(/\s+/g, ' ').trim()}` : '';
  return `${stack}: ${d.severity}: ${where}${at}: ${d.summary}${detail}`;
}

async function main(): Promise<number> {
  let stacks: Map<string, string>;
  try {
    stacks = stacksFromArguments(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`validate:tf: ${(e as Error).message}\n`);
    return 2;
  }
  let provider;
  try {
    process.stdout.write(`terraform: ${terraformVersion()}\n`);
    provider = await findProvider();
  } catch (e) {
    process.stderr.write(`validate:tf: ${(e as Error).message}\n`);
    return 2;
  }
  for (const line of describeProvider(provider)) process.stdout.write(`${line}\n`);
  const ws = engineWorkspace(provider, 'validate');
  // Which Lambda runtimes this provider release accepts matters only when it is not the bindings' release and a stack has functions.
  const hasFunctions = [...stacks.values()].some((d) => Object.keys(JSON.parse(fs.readFileSync(path.join(d, 'cdk.tf.json'), 'utf8')).resource?.aws_lambda_function ?? {}).length > 0);
  const accepted = provider.version === provider.targetVersion || !hasFunctions ? undefined : await acceptedRuntimes(provider, ws);
  let errors = 0;
  for (const [name, dir] of stacks) {
    const work = path.join(ws.root, name);
    const runtime = accepted ? runtimeOverrides(dir, accepted) : { override: {}, notes: [] };
    workingCopy(dir, work, provider, runtime.override);
    for (const n of runtime.notes) process.stdout.write(`${name}: ${n}\n`);
    const init = await terraform(['init', '-backend=false', '-input=false', '-no-color'], work, ws.env);
    if (init.code !== 0) {
      process.stdout.write(`${name}: error: terraform init failed:\n${init.stderr || init.stdout}\n`);
      errors++;
      continue;
    }
    const v = await terraform(['validate', '-json', '-no-color'], work, ws.env);
    let result: { valid: boolean; error_count: number; warning_count: number; diagnostics: Diagnostic[] };
    try {
      result = JSON.parse(v.stdout);
    } catch {
      process.stdout.write(`${name}: error: terraform validate printed no JSON:\n${v.stderr || v.stdout}\n`);
      errors++;
      continue;
    }
    for (const d of result.diagnostics) process.stdout.write(`${formatDiagnostic(name, d)}\n`);
    const resources = Object.values(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')).resource ?? {})
      .reduce((n: number, byName: any) => n + Object.keys(byName).length, 0);
    process.stdout.write(`${name}: ${result.valid ? 'valid' : 'INVALID'}: ${resources} resources, ${result.error_count} errors, ${result.warning_count} warnings (init ${init.seconds.toFixed(1)} s, validate ${v.seconds.toFixed(1)} s)\n`);
    errors += result.error_count + (result.valid ? 0 : result.error_count === 0 ? 1 : 0);
  }
  if (!process.env.AGENT_IAM_ENGINE_DIR) fs.rmSync(ws.root, { recursive: true, force: true });
  process.stdout.write(errors === 0 ? `validate:tf: ${stacks.size} stack(s) valid\n` : `validate:tf: ${errors} error(s)\n`);
  return errors === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => {
    process.stderr.write(`validate:tf: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  });
}
