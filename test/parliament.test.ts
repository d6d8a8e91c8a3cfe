/**
 * A second engine on every policy: Parliament (duo-labs) over every policy document of every
 * example stack (identity, trust, boundary, resource and session policies, and the revoker's
 * run-time policies), references resolved to plausible ARNs first. Zero findings, except the
 * checked-in allow list in test/parliament-allow.json, where each entry names the finding and
 * gives a reason a reviewer accepts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { revokerInlinePolicies } from '../lib/revocation';
import { resolveRefs } from './support/stacks';
import { venvBin } from './support/engine';

interface Finding { file: string; issue: string; severity: string; detail: unknown; location: unknown }
interface Allowed { issue: string; file?: string; detail?: string; location?: string; reason: string }

const ALLOW: Allowed[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'parliament-allow.json'), 'utf8'));

/**
 * Parliament reads identity policies. A trust policy is checked in that shape, statement by
 * statement, with the role it sits on as Resource (IAM evaluates it for that role); a Bool value
 * given as a one-element list is passed as the scalar it is (Parliament crashes on the list).
 */
function forParliament(doc: any, roleArn?: string): string {
  const statements = ([] as any[]).concat(doc.Statement).map((s) => {
    const out = { ...s };
    if (roleArn && !out.Resource && !out.NotResource) out.Resource = roleArn;
    if (out.Condition) {
      out.Condition = Object.fromEntries(Object.entries(out.Condition).map(([op, keys]: [string, any]) => [op, /^Bool(IfExists)?$/.test(op)
        ? Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Array.isArray(v) && v.length === 1 ? v[0] : v]))
        : keys]));
    }
    return out;
  });
  return JSON.stringify({ ...doc, Statement: statements });
}

/** Every policy document of the example fleet, by a name that says where it comes from. */
function documents(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stack of buildExampleApp(Testing.app() as App)) {
    const tf = resolveRefs(JSON.parse(Testing.synth(stack, true)));
    for (const [type, byName] of Object.entries(tf.resource ?? {}) as [string, Record<string, any>][]) {
      for (const [name, res] of Object.entries(byName)) {
        for (const [attr, value] of Object.entries(res)) {
          if (typeof value !== 'string' || !value.includes('"Statement"')) continue;
          const doc = JSON.parse(value);
          const roleArn = attr === 'assume_role_policy' ? `arn:aws:iam::111122223333:role${res.path ?? '/'}${res.name}` : undefined;
          out[`${stack.environment}.${type}.${name}.${attr}`] = forParliament(doc, roleArn);
        }
      }
    }
  }
  for (const p of revokerInlinePolicies()) out[`run-time.${p.name}`] = forParliament(p.document);
  return out;
}

function parliament(docs: Record<string, string>): Finding[] {
  const r = spawnSync(venvBin('python'), [path.join(__dirname, 'support', 'run_parliament.py')], { input: JSON.stringify(docs), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`parliament failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

const matches = (pattern: string | undefined, value: unknown) => pattern === undefined || new RegExp(pattern).test(typeof value === 'string' ? value : JSON.stringify(value));
const allowed = (f: Finding) => ALLOW.find((a) => a.issue === f.issue && matches(a.file, f.file) && matches(a.detail, f.detail) && matches(a.location, f.detail));

let docs: Record<string, string>;
let findings: Finding[];
beforeAll(() => {
  docs = documents();
  findings = parliament(docs);
});

test('Parliament reads every policy document of every example stack', () => {
  const names = Object.keys(docs);
  expect(names.length).toBeGreaterThan(60);
  for (const kind of ['assume_role_policy', 'aws_iam_role_policy', 'aws_iam_policy.boundary', 'aws_kms_key', 'aws_s3_bucket_policy', 'aws_ssm_parameter', 'run-time.AWSRevokeOlderSessions']) {
    expect(names.some((n) => n.includes(kind))).toBe(true);
  }
  expect(names.every((n) => !docs[n].includes('UNRESOLVED('))).toBe(true);
});

test('every example policy passes Parliament with only the reasoned allow list', () => {
  const open = findings.filter((f) => !allowed(f)).map((f) => `${f.issue} ${f.file}: ${JSON.stringify(f.detail)}`);
  expect(open).toEqual([]);
});

test('each allow-list entry names the finding, gives a reason, and is still needed', () => {
  for (const a of ALLOW) {
    expect(a.issue).toMatch(/^[A-Z_]+$/);
    expect(a.reason.length).toBeGreaterThan(40);
  }
  expect(ALLOW.filter((a) => !findings.some((f) => allowed(f) === a)).map((a) => `${a.issue}: ${a.reason}`)).toEqual([]);
});

test('the engine is live: a condition key on an action that does not take it is a finding', () => {
  const [f] = parliament({ probe: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringLike: { 's3:prefix': 'x/*' } } }] }) });
  expect(f).toEqual(expect.objectContaining({ file: 'probe', issue: 'UNKNOWN_CONDITION_FOR_ACTION' }));
});

test('the engine agrees with the trust split: one statement for AssumeRole, SetSourceIdentity and TagSession under sts:SourceIdentity is a finding', () => {
  const combined = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/orchestrator' }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: 'arn:aws:iam::111122223333:role/agent', Condition: { StringLike: { 'sts:SourceIdentity': '*' } } }] };
  expect(parliament({ combined: JSON.stringify(combined) }).map((f) => `${f.issue} ${f.detail}`))
    .toContain('UNKNOWN_CONDITION_FOR_ACTION Unknown condition sts:SourceIdentity for action sts:TagSession');
});
