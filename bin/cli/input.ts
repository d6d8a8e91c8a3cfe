/**
 * Reading Terraform from disk: a cdktf.out folder (its manifest, or stacks/<name>/cdk.tf.json), a
 * folder of `.tf` and `.tf.json` files (one configuration, as Terraform merges them; HCL read
 * before plan, see lib/assess/hcl.ts), or one file (cdk.tf.json, *.tf.json, a `.tf` file, or the
 * output of `terraform show -json`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigurationFile, parseConfigurationFiles, parseTerraformJson, readEnvironment, TerraformConfig, TerraformEnvironment } from '../../lib/assess';
import { CliError, Progress } from './context';

function readJson(file: string, progress: Progress): unknown {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    progress.update(`reading ${file} (${(size / 1e6).toFixed(1)} MB)`, true);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.trim() === '') throw new CliError(`${file} is empty; expected Terraform JSON or terraform show -json output`);
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = String((e as Error).message).split('\n')[0];
    throw new CliError(`${file} is not JSON (${why}); expected a cdk.tf.json, a *.tf.json or terraform show -json output`);
  }
}

function stackNameOf(file: string): string {
  const base = path.basename(file);
  if (base === 'cdk.tf.json') return path.basename(path.dirname(path.resolve(file)));
  return base.replace(/\.tf\.json$/, '').replace(/\.tf$/, '').replace(/\.json$/, '');
}

function readText(file: string, progress: Progress): ConfigurationFile {
  try {
    progress.update(`reading ${file}`, true);
    return { name: file, text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    throw new CliError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function configOf(file: string, stack: string, progress: Progress): TerraformConfig {
  return parseTerraformJson(readJson(file, progress), stack, file);
}

/** The configurations under a path, one per stack. */
export async function loadConfigurations(target: string, progress: Progress): Promise<TerraformConfig[]> {
  if (!fs.existsSync(target)) throw new CliError(`${target}: no such file or directory`);
  const stat = fs.statSync(target);
  if (stat.isFile() && target.endsWith('.tf')) return [await parseConfigurationFiles([readText(target, progress)], stackNameOf(target), target)];
  if (stat.isFile()) return [configOf(target, stackNameOf(target), progress)];
  if (!stat.isDirectory()) throw new CliError(`${target}: not a file or directory`);

  const manifestFile = path.join(target, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const manifest = readJson(manifestFile, progress) as any;
    const stacks = manifest && typeof manifest.stacks === 'object' && manifest.stacks !== null ? Object.entries<any>(manifest.stacks) : undefined;
    if (!stacks) throw new CliError(`${manifestFile} is not a cdktf manifest (no "stacks")`);
    if (stacks.length === 0) throw new CliError(`${target} holds no stacks (its manifest lists none); run cdktf synth (npm start) first`);
    return stacks.map(([id, entry]) => {
      const file = path.join(target, String(entry?.synthesizedStackPath ?? path.join('stacks', id, 'cdk.tf.json')));
      if (!fs.existsSync(file)) throw new CliError(`${file}: listed in ${manifestFile} but missing; synthesize again`);
      return configOf(file, String(entry?.name ?? id), progress);
    });
  }
  const stacksDir = path.join(target, 'stacks');
  if (fs.existsSync(stacksDir) && fs.statSync(stacksDir).isDirectory()) {
    const files = fs.readdirSync(stacksDir).sort().map((d) => path.join(stacksDir, d, 'cdk.tf.json')).filter((f) => fs.existsSync(f));
    if (files.length > 0) return files.map((f) => configOf(f, path.basename(path.dirname(f)), progress));
  }
  const files = fs.readdirSync(target).filter((f) => f.endsWith('.tf.json') || f.endsWith('.tf')).sort().map((f) => path.join(target, f));
  if (files.length > 0) {
    const name = path.basename(path.resolve(target));
    return [await parseConfigurationFiles(files.map((f) => readText(f, progress)), name, target)];
  }
  throw new CliError(`${target} holds no Terraform: expected a cdktf.out folder with stacks/<name>/cdk.tf.json, .tf or .tf.json files, or a terraform show -json file`);
}

/** The environments under a path. */
export async function loadEnvironments(target: string, progress: Progress): Promise<TerraformEnvironment[]> {
  const configs = await loadConfigurations(target, progress);
  const envs = configs.map((c) => {
    progress.update(`reading stack ${c.stack}: ${c.resources.length} resources`, true);
    return readEnvironment(c);
  });
  progress.done();
  // Lowest stage first (dev, staging, prod), then by name; foreign configurations first.
  return envs.sort((a, b) => (a.declaredStage ?? 0) - (b.declaredStage ?? 0) || a.stack.localeCompare(b.stack));
}
