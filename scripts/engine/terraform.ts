/**
 * The real engines: Terraform and the hashicorp/aws provider, found the way a
 * user's machine would find them, and working copies of synthesized stacks to
 * run them on.
 *
 * Provider resolution, in order:
 * 1. `AGENT_IAM_TF_PROVIDER_DIR`: a Terraform filesystem mirror you name
 *    (`terraform providers mirror DIR` on a machine with registry access makes one).
 * 2. The public Terraform registry, when it answers (a user's machine, CI with network).
 * 3. A filesystem mirror already on the machine: Terraform's implied local
 *    mirror folders (~/.terraform.d/plugins, $XDG_DATA_HOME/terraform/plugins,
 *    each of $XDG_DATA_DIRS/terraform/plugins), TF_PLUGIN_CACHE_DIR, then a
 *    bounded search of /opt, /usr/local, /srv and $HOME for a
 *    `registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/` folder.
 * Nothing found: the command fails and says what to install.
 *
 * The version the bindings target is the one `@cdktf/provider-aws` was
 * generated from (6.25.0). A mirror may hold another one; the working copy then
 * pins it in an override file, and every command says so in one line.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { awsProviderPackageJson } from '../../constructs/aws';
import { LAMBDA_RUNTIMES } from '../../lib/lambda-runtime';

export const AWS_PROVIDER_SOURCE = 'registry.terraform.io/hashicorp/aws';

/** Where the provider comes from, and which version. */
export interface ProviderChoice {
  readonly source: 'registry' | 'filesystem-mirror';
  /** The provider version Terraform will install. */
  readonly version: string;
  /** The version the cdktf bindings were generated from. */
  readonly targetVersion: string;
  /** The mirror folder (the one holding `registry.terraform.io/`), for a filesystem mirror. */
  readonly mirrorDir?: string;
  /** How it was found, for the log line. */
  readonly foundBy: string;
}

/** The provider version `@cdktf/provider-aws` was generated from. */
export function targetProviderVersion(): string {
  return awsProviderPackageJson().cdktf?.provider?.version ?? '6.25.0';
}

function platformDir(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return `${process.platform}_${arch}`;
}

/**
 * Provider versions in a mirror folder that have a package for this platform, in either layout
 * Terraform reads: unpacked (`<version>/<os>_<arch>/terraform-provider-aws_*`) or packed
 * (`terraform-provider-aws_<version>_<os>_<arch>.zip`, what `terraform providers mirror` writes).
 */
export function mirrorVersions(mirrorDir: string): string[] {
  const base = path.join(mirrorDir, AWS_PROVIDER_SOURCE);
  if (!fs.existsSync(base)) return [];
  const versions = new Set<string>();
  for (const e of fs.readdirSync(base)) {
    const dir = path.join(base, e, platformDir());
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory() && fs.readdirSync(dir).some((f) => f.startsWith('terraform-provider-aws'))) versions.add(e);
    const packed = new RegExp(`^terraform-provider-aws_(.+)_${platformDir()}\\.zip$`).exec(e);
    if (packed) versions.add(packed[1]);
  }
  return [...versions].sort(compareVersions);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  }
  return 0;
}

function registryAnswers(timeoutMs = 5000): Promise<boolean> {
  if (process.env.AGENT_IAM_TF_OFFLINE === '1') return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = https.get('https://registry.terraform.io/.well-known/terraform.json', { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Terraform's implied local mirror folders, and the plugin cache. */
function impliedMirrorDirs(): string[] {
  const home = os.homedir();
  const dataHome = process.env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const dataDirs = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return [
    path.join(home, '.terraform.d', 'plugins'),
    path.join(dataHome, 'terraform', 'plugins'),
    ...dataDirs.map((d) => path.join(d, 'terraform', 'plugins')),
    ...(process.env.TF_PLUGIN_CACHE_DIR ? [process.env.TF_PLUGIN_CACHE_DIR] : []),
  ];
}

/** Folders holding `registry.terraform.io/hashicorp/aws`, found under a root within a depth. */
function searchMirrors(root: string, depth: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, d: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name === '.git' || e.name === 'proc') continue;
      const full = path.join(dir, e.name);
      if (e.name === 'registry.terraform.io') {
        if (fs.existsSync(path.join(full, 'hashicorp', 'aws'))) found.push(dir);
        continue;
      }
      if (d > 0) walk(full, d - 1);
    }
  };
  walk(root, depth);
  return found;
}

/**
 * Finds the hashicorp/aws provider to run Terraform with (see the module doc
 * for the order).
 *
 * @throws Error saying what to install when no provider can be found
 */
export async function findProvider(): Promise<ProviderChoice> {
  const targetVersion = targetProviderVersion();
  const pick = (dir: string, foundBy: string): ProviderChoice | undefined => {
    const versions = mirrorVersions(dir);
    if (versions.length === 0) return undefined;
    const version = versions.includes(targetVersion) ? targetVersion : versions[versions.length - 1];
    return { source: 'filesystem-mirror', version, targetVersion, mirrorDir: dir, foundBy };
  };
  const named = process.env.AGENT_IAM_TF_PROVIDER_DIR;
  if (named) {
    const choice = pick(path.resolve(named), 'AGENT_IAM_TF_PROVIDER_DIR');
    if (!choice) {
      throw new Error(`AGENT_IAM_TF_PROVIDER_DIR=${named} holds no ${AWS_PROVIDER_SOURCE}/<version>/${platformDir()}/terraform-provider-aws_* binary nor a terraform-provider-aws_<version>_${platformDir()}.zip; `
        + 'make one with `terraform providers mirror <dir>` on a machine that reaches the registry, or unset the variable');
    }
    return choice;
  }
  if (await registryAnswers()) {
    return { source: 'registry', version: targetVersion, targetVersion, foundBy: 'the Terraform registry' };
  }
  for (const dir of impliedMirrorDirs()) {
    const choice = pick(dir, `Terraform's implied mirror folder ${dir}`);
    if (choice) return choice;
  }
  const roots = ['/opt', '/usr/local', '/srv', os.homedir()];
  for (const root of roots) {
    for (const dir of searchMirrors(root, 5)) {
      const choice = pick(dir, `a search of ${root}`);
      if (choice) return choice;
    }
  }
  throw new Error(`no ${AWS_PROVIDER_SOURCE} provider: the Terraform registry does not answer and no filesystem mirror was found `
    + `(searched ${[...impliedMirrorDirs(), ...roots].join(', ')}). Install one with \`terraform providers mirror <dir>\` `
    + `(version ${targetVersion}) on a machine that reaches the registry and set AGENT_IAM_TF_PROVIDER_DIR=<dir>`);
}

/** One line saying which provider is used, and whether it differs from the bindings' version. */
export function describeProvider(p: ProviderChoice): string[] {
  const lines = [`provider: hashicorp/aws ${p.version} from ${p.source === 'registry' ? 'the Terraform registry' : `filesystem mirror ${p.mirrorDir}`} (found by ${p.foundBy})`];
  if (p.version !== p.targetVersion) {
    lines.push(`provider: version ${p.version} differs from ${p.targetVersion}, the version @cdktf/provider-aws targets; `
      + 'the working copies pin it in an override file (validation rules and accepted values of that release apply)');
  }
  return lines;
}

/** The Terraform CLI configuration for a choice (written into the work folder). */
export function cliConfig(p: ProviderChoice): string {
  if (p.source === 'registry') return '';
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(p.mirrorDir)}`,
    `    include = [${JSON.stringify(AWS_PROVIDER_SOURCE)}]`,
    '  }',
    '  direct {',
    `    exclude = [${JSON.stringify(AWS_PROVIDER_SOURCE)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The result of one Terraform command. */
export interface TerraformRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Runs terraform in a folder with the engine's CLI configuration; never throws on a non-zero exit. */
export function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TerraformRun> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => reject(new Error(`terraform could not be started (${e.message}); install Terraform >= 1.10 and put it on PATH`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, seconds: (Date.now() - start) / 1000 }));
  });
}

/** The Terraform version on PATH, or a thrown error saying how to install it. */
export function terraformVersion(): string {
  try {
    const out = execFileSync('terraform', ['version', '-json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    return JSON.parse(out).terraform_version;
  } catch (e) {
    throw new Error(`terraform is not on PATH (${(e as Error).message.split('\n')[0]}); install Terraform >= 1.10`);
  }
}

/** A work area for the engine: one folder per stack, plus the CLI configuration. */
export interface EngineWorkspace {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Creates the work area (AGENT_IAM_ENGINE_DIR, or a fresh temporary folder). */
export function engineWorkspace(p: ProviderChoice, name: string): EngineWorkspace {
  const root = process.env.AGENT_IAM_ENGINE_DIR
    ? path.resolve(process.env.AGENT_IAM_ENGINE_DIR, name)
    : fs.mkdtempSync(path.join(os.tmpdir(), `agent-iam-${name}-`));
  fs.mkdirSync(root, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  if (p.source === 'filesystem-mirror') {
    const rc = path.join(root, 'terraformrc');
    fs.writeFileSync(rc, cliConfig(p));
    env.TF_CLI_CONFIG_FILE = rc;
  }
  return { root, env };
}

/**
 * The stacks named on the command line (default `cdktf.out`), relative to the folder the user ran
 * npm from: name -> folder. Two stacks of one name are an error, not a silent overwrite.
 *
 * @throws Error naming the input that holds no stack, or the duplicate name
 */
export function stacksFromArguments(args: string[]): Map<string, string> {
  const base = process.env.INIT_CWD ?? process.cwd();
  const stacks = new Map<string, string>();
  for (const input of args.length > 0 ? args : ['cdktf.out']) {
    const dir = path.resolve(base, input);
    if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist${args.length === 0 ? ' (run `npm start` to synthesize the example stacks first)' : ''}`);
    const found = synthesizedStacks(dir);
    if (found.size === 0) throw new Error(`${dir} holds no cdk.tf.json, nor stacks/<name>/cdk.tf.json (run \`npm start\` or \`cdktf synth\` first)`);
    for (const [name, d] of found) {
      if (stacks.has(name) && stacks.get(name) !== d) throw new Error(`two stacks are named "${name}": ${stacks.get(name)} and ${d}; run them one at a time`);
      stacks.set(name, d);
    }
  }
  return stacks;
}

/** The synthesized stacks under a cdktf output folder: name -> folder holding cdk.tf.json. */
export function synthesizedStacks(outdir: string): Map<string, string> {
  const stacksDir = path.join(outdir, 'stacks');
  const found = new Map<string, string>();
  if (fs.existsSync(path.join(outdir, 'cdk.tf.json'))) found.set(path.basename(outdir), outdir);
  if (!fs.existsSync(stacksDir)) return found;
  for (const name of fs.readdirSync(stacksDir).sort()) {
    if (fs.existsSync(path.join(stacksDir, name, 'cdk.tf.json'))) found.set(name, path.join(stacksDir, name));
  }
  return found;
}

/** The name of the override file the engine writes beside a working copy (test-only settings live here, never in the stack). */
export const ENGINE_OVERRIDE_FILE = 'agent_iam_engine_override.tf.json';

/**
 * Copies a synthesized stack (its `.tf.json` files and assets) into a working
 * folder, without state or `.terraform`, and writes the engine's override
 * file: the provider version pin when it differs from the stack's constraint,
 * merged with `extra` (test-only settings).
 */
export function workingCopy(stackDir: string, workDir: string, p: ProviderChoice, extra: Record<string, unknown> = {}): void {
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  for (const e of fs.readdirSync(stackDir, { withFileTypes: true })) {
    if (e.name === '.terraform' || e.name.endsWith('.tfstate') || e.name.includes('.tfstate.') || e.name === '.terraform.lock.hcl') continue;
    fs.cpSync(path.join(stackDir, e.name), path.join(workDir, e.name), { recursive: true });
  }
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const constraint: string | undefined = tf.terraform?.required_providers?.aws?.version;
  const override: Record<string, any> = JSON.parse(JSON.stringify(extra));
  if (constraint !== p.version) {
    override.terraform = { ...(override.terraform ?? {}), required_providers: { aws: { source: 'hashicorp/aws', version: p.version } } };
  }
  if (Object.keys(override).length > 0) {
    fs.writeFileSync(path.join(workDir, ENGINE_OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  }
}

/**
 * The Lambda runtimes of `LAMBDA_RUNTIMES` that the provider accepts, found by
 * validating a one-function configuration per runtime (the provider checks the
 * runtime against the AWS SDK's list it was built with).
 */
export async function acceptedRuntimes(p: ProviderChoice, ws: EngineWorkspace): Promise<string[]> {
  const dir = path.join(ws.root, '_runtime-probe');
  fs.mkdirSync(dir, { recursive: true });
  const write = (runtime: string) => fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: p.version } } },
    resource: { aws_lambda_function: { probe: { function_name: 'probe', role: 'arn:aws:iam::123456789012:role/probe', handler: 'index.handler', runtime, filename: 'probe.zip' } } },
  }));
  write(LAMBDA_RUNTIMES[0].runtime);
  const init = await terraform(['init', '-backend=false', '-input=false', '-no-color'], dir, ws.env);
  if (init.code !== 0) throw new Error(`terraform init of the runtime probe failed:\n${init.stderr || init.stdout}`);
  const accepted: string[] = [];
  for (const r of LAMBDA_RUNTIMES) {
    write(r.runtime);
    const v = await terraform(['validate', '-json', '-no-color'], dir, ws.env);
    if (v.code === 0) accepted.push(r.runtime);
  }
  return accepted;
}

/**
 * Overrides that move every Lambda function of a stack whose runtime the
 * provider does not accept to the newest one it does (`{}` when all are
 * accepted), and the lines that say so.
 */
export function runtimeOverrides(stackDir: string, accepted: string[]): { override: Record<string, unknown>; notes: string[] } {
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const functions: Record<string, { runtime?: string }> = tf.resource?.aws_lambda_function ?? {};
  const pinned: Record<string, { runtime: string }> = {};
  const from = new Set<string>();
  const ours = new Set(LAMBDA_RUNTIMES.map((r) => r.runtime));
  for (const [name, f] of Object.entries(functions)) {
    // Only the library's runtimes this provider release predates; anything else is the provider's to judge.
    if (f.runtime && ours.has(f.runtime) && !accepted.includes(f.runtime)) {
      if (accepted.length === 0) throw new Error(`the provider accepts none of ${LAMBDA_RUNTIMES.map((r) => r.runtime).join(', ')}; use a newer hashicorp/aws release`);
      pinned[name] = { runtime: accepted[0] };
      from.add(f.runtime);
    }
  }
  if (Object.keys(pinned).length === 0) return { override: {}, notes: [] };
  return {
    override: { resource: { aws_lambda_function: pinned } },
    notes: [`runtime: ${Object.keys(pinned).length} Lambda function(s) on ${[...from].join(', ')} run on ${accepted[0]} in this working copy: `
      + `the provider here predates ${[...from].join(', ')} (test-only override in ${ENGINE_OVERRIDE_FILE}, not in the synthesized stack)`],
  };
}

/** Deep-merges override objects (later wins on scalars). */
export function mergeOverrides(...parts: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, any> = {};
  const merge = (into: Record<string, any>, from: Record<string, any>): void => {
    for (const [k, v] of Object.entries(from)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object' && !Array.isArray(into[k])) merge(into[k], v);
      else into[k] = v;
    }
  };
  for (const p of parts) merge(out, p);
  return out;
}
