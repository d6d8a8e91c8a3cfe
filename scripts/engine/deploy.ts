/**
 * `npm run test:deploy [-- <cdktf.out | stack folder>...]`: applies and then
 * destroys every synthesized stack (default: dev, staging and prod under
 * cdktf.out/stacks/) with the real hashicorp/aws provider against a moto
 * server on a free loopback port, reads back from moto that every agent role
 * exists with the boundary, trust policy, inline and managed policies the
 * stack declares, and fails if apply or destroy fails or anything is left in
 * state.
 *
 * Test-only settings (moto endpoints, test credentials, a local state file,
 * the provider version pin, switched-off resources) live in an override file
 * written beside a working copy of each stack, never in the synthesized stack.
 *
 * Switched-off resources: what moto cannot run here, each named with its
 * reason in DEPLOY_SWITCHES and printed on every run.
 */
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { templateParts } from '../../lib/terraform-literal';
import { AGENT_ROLE_PATH_PREFIX } from '../../lib/naming';
import { startMoto } from './moto-server';
import {
  acceptedRuntimes, describeProvider, engineWorkspace, EngineWorkspace, findProvider, mergeOverrides, ProviderChoice, runtimeOverrides,
  stacksFromArguments, terraform, terraformVersion, workingCopy, ENGINE_OVERRIDE_FILE,
} from './terraform';

/** A resource type the deploy test switches off against moto, and why. */
export interface DeploySwitch {
  readonly resourceType: string;
  readonly reason: string;
}

/**
 * What moto cannot run on this machine. `aws_lambda_invocation` invokes a
 * function at apply time; moto runs Lambda code only inside a Docker
 * container, and no container engine is reachable here.
 */
export const DEPLOY_SWITCHES: readonly DeploySwitch[] = [
  { resourceType: 'aws_lambda_invocation', reason: 'invokes a Lambda function at apply time; moto runs function code only in a Docker container, and no container engine runs here' },
];

/** Provider endpoints pointed at moto (every service the library's stacks use). */
const SERVICES = ['cloudtrail', 'cloudwatch', 'cloudwatchlogs', 'dynamodb', 'events', 'guardduty', 'iam', 'kms', 'lambda', 's3', 'scheduler', 'sns', 'sqs', 'ssm', 'sts'];

function motoOverride(endpoint: string, region: string, tf: any): Record<string, unknown> {
  const endpoints = Object.fromEntries(SERVICES.map((s) => [s, endpoint]));
  const off: Record<string, Record<string, { count: number }>> = {};
  for (const sw of DEPLOY_SWITCHES) {
    for (const name of Object.keys(tf.resource?.[sw.resourceType] ?? {})) {
      off[sw.resourceType] = { ...(off[sw.resourceType] ?? {}), [name]: { count: 0 } };
    }
  }
  return {
    terraform: { backend: { local: { path: 'terraform.tfstate' } } },
    provider: {
      aws: {
        region,
        access_key: 'test',
        secret_key: 'test',
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        s3_use_path_style: true,
        endpoints: [endpoints],
      },
    },
    ...(Object.keys(off).length > 0 ? { resource: off } : {}),
  };
}

interface StateResource { type: string; name: string; mode: string; values: Record<string, any> }

function stateResources(show: any): StateResource[] {
  const out: StateResource[] = [];
  const walk = (m: any) => {
    for (const r of m?.resources ?? []) out.push(r);
    for (const c of m?.child_modules ?? []) walk(c);
  };
  walk(show?.values?.root_module);
  return out;
}

/**
 * A string of the synthesized stack as AWS receives it: Terraform's escapes undone and each
 * reference (`${aws_iam_policy.boundary.arn}`) replaced by the applied value from state.
 * Undefined when a reference cannot be resolved.
 */
export function resolveSynthesized(value: string, state: StateResource[]): string | undefined {
  const byAddress = new Map(state.map((r) => [`${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`, r.values]));
  let out = '';
  for (const part of templateParts(value)) {
    if (part.kind === 'literal') { out += part.text; continue; }
    if (part.kind === 'directive') return undefined;
    const m = /^((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+|\[[0-9]+\])+)$/.exec(part.text);
    if (!m || !byAddress.has(m[1])) return undefined;
    let v: any = byAddress.get(m[1]);
    for (const step of m[2].match(/\.[A-Za-z0-9_-]+|\[[0-9]+\]/g) ?? []) v = step.startsWith('[') ? v?.[Number(step.slice(1, -1))] : v?.[step.slice(1)];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    out += String(v);
  }
  return out;
}

const canonical = (doc: string | undefined): string => {
  if (!doc) return '';
  const norm = (v: any, key = ''): any => {
    // IAM may return a one-element list as a string; compare lists, sorted.
    if (['Action', 'NotAction', 'Resource', 'NotResource'].includes(key) && typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.map((x) => norm(x)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm(v[k], k)]));
    return v;
  };
  return JSON.stringify(norm(JSON.parse(decodeURIComponent(doc))));
};

/**
 * Reads every agent role back from moto and compares it with the synthesized stack (not with
 * state, which would repeat a wrong value faithfully): the boundary, the trust policy, the inline
 * policies and the attached managed policies.
 */
async function readBack(endpoint: string, region: string, tf: any, state: StateResource[]): Promise<{ roles: number; problems: string[] }> {
  const iam = new IAMClient({ endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const problems: string[] = [];
  const resolve = (v: unknown, what: string): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const r = resolveSynthesized(v, state);
    if (r === undefined) problems.push(`${what}: cannot resolve "${v.slice(0, 80)}" from state`);
    return r;
  };
  const roles = Object.entries<any>(tf.resource?.aws_iam_role ?? {}).filter(([, r]) => String(r.path ?? '').startsWith(AGENT_ROLE_PATH_PREFIX));
  if (roles.length === 0) problems.push('no agent role (path /agents/...) in the stack');
  for (const [logical, role] of roles) {
    const name = resolve(role.name, `aws_iam_role.${logical}.name`);
    if (!name) continue;
    let got;
    try {
      got = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
    } catch (e) {
      problems.push(`role ${name}: not found in moto (${(e as Error).name})`);
      continue;
    }
    const boundary = resolve(role.permissions_boundary, `role ${name} permissions_boundary`);
    if (got.PermissionsBoundary?.PermissionsBoundaryArn !== boundary) {
      problems.push(`role ${name}: boundary ${got.PermissionsBoundary?.PermissionsBoundaryArn} instead of ${boundary}`);
    }
    if (canonical(got.AssumeRolePolicyDocument) !== canonical(resolve(role.assume_role_policy, `role ${name} trust`))) {
      problems.push(`role ${name}: trust policy differs from the synthesized one`);
    }
    const refersToRole = (v: unknown) => typeof v === 'string' && (v === name || new RegExp(`^\\$\\{aws_iam_role\\.${logical.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(name|id)\\}$`).test(v));
    const declaredInline = Object.entries<any>(tf.resource?.aws_iam_role_policy ?? {}).filter(([, p]) => refersToRole(p.role));
    const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
    const inlineNames = declaredInline.map(([l, p]) => resolve(p.name, `aws_iam_role_policy.${l}.name`) ?? '?');
    if ([...inline].sort().join(',') !== [...inlineNames].sort().join(',')) {
      problems.push(`role ${name}: inline policies [${inline.join(', ')}] instead of [${inlineNames.join(', ')}]`);
    }
    for (const [l, p] of declaredInline) {
      const policyName = resolve(p.name, `aws_iam_role_policy.${l}.name`);
      if (!policyName || !inline.includes(policyName)) continue;
      const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))).PolicyDocument;
      if (canonical(doc) !== canonical(resolve(p.policy, `aws_iam_role_policy.${l}.policy`))) problems.push(`role ${name}: inline policy ${policyName} differs from the synthesized one`);
    }
    const declaredManaged = Object.entries<any>(tf.resource?.aws_iam_role_policy_attachment ?? {}).filter(([, a]) => refersToRole(a.role))
      .map(([l, a]) => resolve(a.policy_arn, `aws_iam_role_policy_attachment.${l}.policy_arn`) ?? '?').sort();
    const attached = ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort();
    if (attached.join(',') !== declaredManaged.join(',')) problems.push(`role ${name}: managed policies [${attached.join(', ')}] instead of [${declaredManaged.join(', ')}]`);
  }
  return { roles: roles.length, problems };
}

async function deployOne(name: string, stackDir: string, p: ProviderChoice, ws: EngineWorkspace, accepted: string[] | undefined, endpoint: string): Promise<boolean> {
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const region: string = ([] as any[]).concat(tf.provider?.aws ?? [])[0]?.region ?? 'us-east-1';
  const work = path.join(ws.root, name);
  const runtime = accepted ? runtimeOverrides(stackDir, accepted) : { override: {}, notes: [] };
  workingCopy(stackDir, work, p, mergeOverrides(motoOverride(endpoint, region, tf), runtime.override));
  for (const n of runtime.notes) process.stdout.write(`${name}: ${n}\n`);
  for (const sw of DEPLOY_SWITCHES) {
    const names = Object.keys(tf.resource?.[sw.resourceType] ?? {});
    if (names.length > 0) process.stdout.write(`${name}: switched off (count = 0): ${names.map((n) => `${sw.resourceType}.${n}`).join(', ')}: ${sw.reason}\n`);
  }
  const total = Object.values(tf.resource ?? {}).reduce((n: number, byName: any) => n + Object.keys(byName).length, 0);
  const fail = (step: string, run: { stdout: string; stderr: string }) => {
    process.stdout.write(`${name}: ${step} FAILED:\n${run.stderr || run.stdout}\n`);
  };
  const init = await terraform(['init', '-input=false', '-no-color'], work, ws.env);
  if (init.code !== 0) { fail('init', init); return false; }
  const apply = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=10'], work, ws.env);
  let ok = apply.code === 0;
  if (!ok) fail('apply', apply);
  const show = await terraform(['show', '-json', '-no-color'], work, ws.env);
  const applied = show.code === 0 ? stateResources(JSON.parse(show.stdout)) : [];
  process.stdout.write(`${name}: apply ${ok ? 'ok' : 'failed'}: ${applied.filter((r) => r.mode === 'managed').length} of ${total} resources in state in ${apply.seconds.toFixed(1)} s\n`);
  if (ok) {
    const { roles, problems } = await readBack(endpoint, region, tf, applied);
    for (const pr of problems) process.stdout.write(`${name}: read-back: ${pr}\n`);
    process.stdout.write(`${name}: read-back from moto against the synthesized stack: ${roles} agent roles, ${problems.length === 0 ? 'boundary, trust, inline and managed policies as synthesized' : `${problems.length} problem(s)`}\n`);
    ok = problems.length === 0;
  }
  // Deletion protection holds against destroy, as it should: turn it off the way an operator must before tearing down.
  const protectedTables = Object.entries<any>(tf.resource?.aws_dynamodb_table ?? {}).filter(([, t]) => t.deletion_protection_enabled === true).map(([n]) => n);
  if (protectedTables.length > 0 && applied.length > 0) {
    const overrideFile = path.join(work, ENGINE_OVERRIDE_FILE);
    const current = fs.existsSync(overrideFile) ? JSON.parse(fs.readFileSync(overrideFile, 'utf8')) : {};
    const off = { resource: { aws_dynamodb_table: Object.fromEntries(protectedTables.map((n) => [n, { deletion_protection_enabled: false }])) } };
    fs.writeFileSync(overrideFile, `${JSON.stringify(mergeOverrides(current, off), null, 2)}\n`);
    const unprotect = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', '-parallelism=10'], work, ws.env);
    process.stdout.write(`${name}: teardown: deletion protection turned off on ${protectedTables.length} table(s) before destroy (${unprotect.code === 0 ? 'ok' : 'FAILED'}, ${unprotect.seconds.toFixed(1)} s)\n`);
    if (unprotect.code !== 0) { fail('teardown apply', unprotect); ok = false; }
  }
  const destroy = await terraform(['destroy', '-auto-approve', '-input=false', '-no-color', '-parallelism=10'], work, ws.env);
  if (destroy.code !== 0) { fail('destroy', destroy); ok = false; }
  const list = await terraform(['state', 'list', '-no-color'], work, ws.env);
  const left = list.stdout.split('\n').filter(Boolean);
  process.stdout.write(`${name}: destroy ${destroy.code === 0 ? 'ok' : 'failed'} in ${destroy.seconds.toFixed(1)} s; ${left.length} resource(s) left in state${left.length ? `: ${left.join(', ')}` : ''}\n`);
  return ok && left.length === 0;
}

/** Resets every moto backend (moto's own API: POST /moto-api/reset). */
function resetMoto(endpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${endpoint}/moto-api/reset`, { method: 'POST' }, (res) => {
      res.resume();
      if ((res.statusCode ?? 500) < 300) resolve(); else reject(new Error(`moto reset answered ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<number> {
  let stacks: Map<string, string>;
  try {
    stacks = stacksFromArguments(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`test:deploy: ${(e as Error).message}\n`);
    return 2;
  }
  let provider: ProviderChoice;
  try {
    process.stdout.write(`terraform: ${terraformVersion()}\n`);
    provider = await findProvider();
  } catch (e) {
    process.stderr.write(`test:deploy: ${(e as Error).message}\n`);
    return 2;
  }
  for (const line of describeProvider(provider)) process.stdout.write(`${line}\n`);
  for (const sw of DEPLOY_SWITCHES) process.stdout.write(`switch: ${sw.resourceType} is switched off against moto: ${sw.reason}\n`);
  const ws = engineWorkspace(provider, 'deploy');
  // Which Lambda runtimes this provider release accepts matters only when it is not the bindings' release and a stack has functions.
  const hasFunctions = [...stacks.values()].some((d) => Object.keys(JSON.parse(fs.readFileSync(path.join(d, 'cdk.tf.json'), 'utf8')).resource?.aws_lambda_function ?? {}).length > 0);
  const accepted = provider.version === provider.targetVersion || !hasFunctions ? undefined : await acceptedRuntimes(provider, ws);
  const moto = await startMoto();
  process.stdout.write(`moto: ${moto.endpoint}\n`);
  const started = Date.now();
  let failed = 0;
  try {
    for (const [name, dir] of stacks) {
      // Each stack gets a fresh moto account: moto's DescribeTrails ignores trailNameList and its
      // DeleteTrail by ARN leaves the trail, so a second stack's trail would read as two.
      await resetMoto(moto.endpoint);
      if (!(await deployOne(name, dir, provider, ws, accepted, moto.endpoint))) failed++;
    }
  } finally {
    await moto.stop();
    if (!process.env.AGENT_IAM_ENGINE_DIR) fs.rmSync(ws.root, { recursive: true, force: true });
  }
  process.stdout.write(`test:deploy: ${stacks.size - failed} of ${stacks.size} stack(s) applied, read back and destroyed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => {
    process.stderr.write(`test:deploy: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  });
}
