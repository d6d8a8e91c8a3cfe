/**
 * One owner per name: the library's resource names, ARNs, registry paths, tag keys and each
 * Lambda's environment contract are built by lib/naming; constructs and handlers share them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { MaturityStage } from '../lib/maturity';
import { Grant } from '../lib/grant';
import {
  agentOfRoleArn, agentOfRoleName, agentRoleArn, agentRoleArnPattern, BROKER_ENVIRONMENT, BROKER_OPTIONAL_SETTINGS, detectionRuleName,
  LAMBDA_ENVIRONMENTS, lambdaVariables, ledgerTableName, readLambdaEnvironment, REVOKER_ENVIRONMENT, revokerFunctionName, RISK_ENVIRONMENT, RULE_NAME_MAX, STACK_OUTPUTS,
} from '../lib/naming';
import { AGENT_REGISTRY_ENTRY_FIELDS, parseBrokerRegistryEntry } from '../lib/registry-entry';
import { configFromEnv } from '../lambda/revoker/index';
import { riskConfigFromEnv } from '../lambda/risk/index';
import { brokerConfigFromEnv } from '../lambda/broker/index';
import { targetsOfEnvironment } from '../lambda/token-age/index';
import { newStack, agentProps, synthJson, RESPONDER } from './support/stacks';

const ROOT = path.join(__dirname, '..');

/** The handler folder a synthesized function runs (its asset is `<folder>.zip`). */
const handlerDirOf = (fn: any): string => path.basename(String(fn.filename), '.zip');

/** A plausible deployed value for a synthesized variable (references become ARNs or names). */
function deployedValue(variable: string, value: string): string {
  const arn = (ref: string) => `arn:aws:sns:us-east-1:111122223333:${ref.replace(/[^A-Za-z0-9-]/g, '-')}`;
  if (variable === 'POLICIES') return value.replace(/\$\{([^}]+)\}/g, (_, ref) => `arn:aws:iam::111122223333:policy/${ref.replace(/[^A-Za-z0-9-]/g, '-')}`);
  return value.replace(/\$\{([^}]+)\}/g, (_, ref) => (/\.arn$/.test(ref) ? arn(ref) : ref.replace(/[^A-Za-z0-9-]/g, '-')));
}

/** Each handler's reader of its environment, as the deployed function calls it. */
const READERS: { [dir: string]: (env: NodeJS.ProcessEnv) => unknown } = {
  'revoker': (env) => configFromEnv(env),
  'risk': (env) => riskConfigFromEnv(env),
  'broker': (env) => brokerConfigFromEnv(env),
  'token-age': (env) => targetsOfEnvironment(env),
};

const OPTIONAL: { [dir: string]: readonly string[] } = { broker: BROKER_OPTIONAL_SETTINGS };

function stage4Stacks(): [string, any][] {
  const prod = buildExampleApp(Testing.app() as App).find((s) => s.stage === MaturityStage.ADAPTIVE)!;
  const withToken = newStack({
    stage: MaturityStage.ADAPTIVE,
    adaptive: { responderRoleArns: [RESPONDER], delegationToken: { issuer: 'https://login.example.com', audiences: ['agent-iam'], jwksUri: 'https://login.example.com/keys' } },
  });
  const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/t';
  withToken.addAgent(agentProps({ expiresAt: '2030-01-01', permissions: [Grant.readDynamoItems(table)], sessionPolicies: [{ name: 'read', permissions: [Grant.readDynamoItems(table)] }] }));
  return [['the stage-4 example stack', JSON.parse(Testing.synth(prod, true))], ['a stage-4 stack with a delegation token', synthJson(withToken)]];
}

describe('each function\'s environment is its contract, on both sides', () => {
  const stacks = stage4Stacks();

  test.each(stacks)('%s: every function sets exactly the variables of its contract', (_, tf) => {
    const fns = Object.values(tf.resource.aws_lambda_function) as any[];
    expect(new Set(fns.map(handlerDirOf))).toEqual(new Set(Object.keys(LAMBDA_ENVIRONMENTS)));
    for (const fn of fns) {
      const contract = LAMBDA_ENVIRONMENTS[handlerDirOf(fn)];
      const optional = (OPTIONAL[handlerDirOf(fn)] ?? []).map((s) => contract[s]);
      // Terraform JSON keys come out sorted, so the sets are compared.
      const set = Object.keys(fn.environment.variables).sort();
      expect(set.filter((v) => !optional.includes(v))).toEqual(Object.values(contract).filter((v) => !optional.includes(v)).sort());
      for (const v of set) expect(Object.values(contract)).toContain(v);
    }
  });

  test('the optional broker variable is set when the stack declares a delegation token', () => {
    const tf = stacks[1][1];
    const broker = (Object.values(tf.resource.aws_lambda_function) as any[]).find((f) => handlerDirOf(f) === 'broker');
    expect(Object.keys(broker.environment.variables).sort()).toEqual(Object.values(BROKER_ENVIRONMENT).sort());
  });

  test.each(stacks)('%s: each handler reads what its function is given, and fails naming each missing variable', (_, tf) => {
    for (const fn of Object.values(tf.resource.aws_lambda_function) as any[]) {
      const dir = handlerDirOf(fn);
      const env = Object.fromEntries(Object.entries(fn.environment.variables as Record<string, string>).map(([k, v]) => [k, deployedValue(k, v)]));
      expect(() => READERS[dir](env)).not.toThrow();
      const contract = LAMBDA_ENVIRONMENTS[dir];
      for (const [setting, variable] of Object.entries(contract)) {
        if ((OPTIONAL[dir] ?? []).includes(setting)) continue;
        const without = { ...env };
        delete without[variable];
        expect(() => READERS[dir](without)).toThrow(new RegExp(`\\b${variable}\\b.*not set|${variable} is not set`));
      }
    }
  });

  test('a missing variable is an error naming the function and every missing variable', () => {
    expect(() => readLambdaEnvironment('revoker', REVOKER_ENVIRONMENT, { ENVIRONMENT: 'dev' }))
      .toThrow('revoker: LEDGER_TABLE, TOPIC_ARN not set (the stack sets ENVIRONMENT, LEDGER_TABLE, TOPIC_ARN on the revoker function; deploy it with the stack)');
    expect(() => readLambdaEnvironment('revoker', REVOKER_ENVIRONMENT, { ENVIRONMENT: 'dev', LEDGER_TABLE: '', TOPIC_ARN: 'arn:x' })).toThrow('revoker: LEDGER_TABLE not set');
  });

  test('an optional variable may be absent; variables follow the contract\'s order', () => {
    const env = lambdaVariables(BROKER_ENVIRONMENT, { environment: 'dev', riskTable: 't', revokerFunction: 'f', delegationToken: undefined });
    expect(env).toEqual({ ENVIRONMENT: 'dev', RISK_TABLE: 't', REVOKER_FUNCTION: 'f' });
    expect(readLambdaEnvironment('broker', BROKER_ENVIRONMENT, env, BROKER_OPTIONAL_SETTINGS)).toEqual({ environment: 'dev', riskTable: 't', revokerFunction: 'f' });
  });
});

describe('the registry entry has one shape, written by the stack and read by the broker', () => {
  test('each published entry has exactly the fields of AgentRegistryEntry, in order, and the broker parses it', () => {
    const tf = stage4Stacks()[0][1];
    const params = Object.values(tf.resource.aws_ssm_parameter as Record<string, any>).filter((p) => /^\/agent-iam\/prod\/agents\/[^/]+$/.test(p.name));
    expect(params.length).toBeGreaterThan(0);
    for (const p of params) {
      const value = String(p.value).replace(/\$\{[^}]+\}/g, 'arn:aws:iam::111122223333:role/agents/prod/x');
      expect(Object.keys(JSON.parse(value))).toEqual([...AGENT_REGISTRY_ENTRY_FIELDS]);
      expect(parseBrokerRegistryEntry(p.name, value).id).toBe(p.name.split('/').pop());
    }
    expect(Object.keys(tf.output.agent_registry.value).length).toBe(params.length);
  });

  test('an entry the broker cannot use is an error naming the parameter', () => {
    expect(() => parseBrokerRegistryEntry('/agent-iam/dev/agents/x', '{"roleArn":"arn:aws:iam::1:role/r"}'))
      .toThrow('registry entry /agent-iam/dev/agents/x lacks roleArn, sessionTtlSeconds or callers');
    expect(() => parseBrokerRegistryEntry('/agent-iam/dev/agents/x', '{"roleArn":"r","sessionTtlSeconds":900,"callers":[],"onBehalfOfPatterns":"*"}'))
      .toThrow('registry entry /agent-iam/dev/agents/x: onBehalfOfPatterns must be an array of patterns');
  });
});

describe('names and ARNs', () => {
  test('agent role ARNs are partition-aware and read back to the agent', () => {
    expect(agentRoleArn('aws-cn', '111122223333', 'prod', 'agent-triage-prod')).toBe('arn:aws-cn:iam::111122223333:role/agents/prod/agent-triage-prod');
    expect(agentRoleArnPattern('aws-us-gov', '111122223333', 'dev')).toBe('arn:aws-us-gov:iam::111122223333:role/agents/dev/*');
    expect(agentOfRoleArn('arn:aws-cn:iam::111122223333:role/agents/prod/agent-triage-prod', 'prod')).toBe('triage');
    expect(agentOfRoleArn('arn:aws:iam::111122223333:role/other/agent-triage-prod', 'prod')).toBeUndefined();
    expect(agentOfRoleArn('arn:aws:iam::111122223333:role/agents/prod/agent-triage-dev', 'prod')).toBeUndefined();
    expect(agentOfRoleName('agent-Bad_Name-prod', 'prod')).toBeUndefined();
  });

  test('library names keep their published form', () => {
    expect(revokerFunctionName('prod')).toBe('agent-iam-revoker-prod');
    expect(ledgerTableName('prod')).toBe('agent-iam-revocations-prod');
    expect(detectionRuleName('prod', 'det-3.01 x')).toBe('agent-iam-prod-det-3.01-x');
    expect(detectionRuleName('prod', 'x'.repeat(80))).toHaveLength(RULE_NAME_MAX);
  });
});

// ---------------------------------------------------------------------------------------------
// No name retyped outside lib/naming.

/** Source folders whose code must take its names from lib/naming. */
const SCANNED = ['constructs', 'lambda', 'lib', 'bin', 'scripts', 'bench'];
const OWNERS = [path.join('lib', 'naming') + path.sep];

/** Generated folders (git-ignored build and benchmark output), never sources. */
const GENERATED = new Set(['node_modules', 'out', 'dist', 'cdktf.out', 'coverage']);

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return GENERATED.has(e.name) ? [] : sourceFiles(rel);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Code lines of a file: comment lines dropped, trailing `// ...` comments cut. */
function codeLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let inBlock = false;
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (inBlock) {
      if (t.includes('*/')) inBlock = false;
      return;
    }
    if (t.startsWith('/*')) {
      if (!t.includes('*/')) inBlock = true;
      return;
    }
    if (t.startsWith('*') || t.startsWith('//')) return;
    const cut = line.search(/\s\/\/\s/);
    out.push([i + 1, cut >= 0 && (line.slice(0, cut).match(/['"`]/g) ?? []).length % 2 === 0 ? line.slice(0, cut) : line]);
  });
  return out;
}

const OUTPUTS = Object.values(STACK_OUTPUTS).join('|');
const VARIABLES = [...new Set(Object.values(LAMBDA_ENVIRONMENTS).flatMap((c) => Object.values(c)))].join('|');

/** What only lib/naming (and lib/severity, lib/risk for their enums) may spell out. */
const RETYPED: { what: string; pattern: RegExp; except?: RegExp }[] = [
  { what: 'a library resource name (agent-iam-<kind>-<env>, agent-iam-<env>-<name>)', pattern: /agent-iam-(\$\{|revoker|risk|broker|token-age|revocations|detections|siem|trail-logs|audit)/ },
  { what: 'a path of agent roles, library roles, the registry or Lambda logs', pattern: /['"`]\/(agents|agent-iam|aws\/lambda)\/|(role|policy)\/(agents|agent-iam)\// },
  { what: 'an ARN built by hand (use formatArn or a builder of lib/naming)', pattern: /arn:\$\{[^}]+\}:[a-z0-9*-]+:/, except: /<[a-z]+>|RegExp\(/ },
  { what: 'a Lambda environment variable name (use the function\'s contract)', pattern: new RegExp(`['"\`](${VARIABLES})['"\`]|\\.(${VARIABLES})\\b|[{,]\\s*(${VARIABLES})\\s*:`) },
  { what: 'a Terraform output name of the stack (use STACK_OUTPUTS)', pattern: new RegExp(`['"\`](${OUTPUTS})['"\`]|\\.(${OUTPUTS})\\b`) },
  { what: 'a severity or risk band spelled as a string (use Severity or RiskBand)', pattern: /['"](low|medium|elevated|high|critical)['"]/, except: /^\s*[A-Z_]+ = '[a-z]+',?$/ },
];

/** Places the library deliberately spells a pattern out, each with its reason; each must still match. */
const ALLOWED: { file: string; includes: string; reason: string }[] = [
  { file: 'scripts/engine/terraform.ts', includes: 'agent-iam-${name}-', reason: 'a local temporary folder, not an AWS resource' },
];

function retypedNames(files: string[], read: (f: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (OWNERS.some((o) => file.startsWith(o))) continue;
    for (const [n, line] of codeLines(read(file))) {
      for (const r of RETYPED) {
        if (!r.pattern.test(line) || r.except?.test(line)) continue;
        if (ALLOWED.some((a) => a.file === file.split(path.sep).join('/') && line.includes(a.includes))) continue;
        found.push(`${file}:${n}: ${r.what}: ${line.trim()}`);
      }
    }
  }
  return found;
}

describe('no name is retyped outside lib/naming', () => {
  const files = SCANNED.flatMap(sourceFiles);
  const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

  test('constructs, handlers, the reader, the CLI and scripts spell no library name, path, ARN, variable or severity', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(retypedNames(files, read)).toEqual([]);
  });

  test('each allowed exception still exists (a stale exception is removed)', () => {
    for (const a of ALLOWED) expect(read(a.file)).toContain(a.includes);
  });

  test.each([
    ['constructs/x.ts', '    functionName: `agent-iam-risk-${env}`,'],
    ['lambda/x/index.ts', '  const table = process.env.LEDGER_TABLE;'],
    ['lambda/x/index.ts', "  const missing = ['ENVIRONMENT', 'RISK_TABLE'].filter((k) => !env[k]);"],
    ['constructs/x.ts', '    environment: { ENVIRONMENT: env, TOPIC_ARN: topic },'],
    ['lib/x.ts', '  return `arn:${partition}:iam::${accountId}:role/agents/${env}/*`;'],
    ['lib/x.ts', '  return `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;'],
    ['lib/assess/x.ts', "  if (band === 'high') return;"],
    ['constructs/x.ts', "      path: '/agent-iam/',"],
    ['lib/assess/x.ts', '  const registry = config.outputs.agent_registry;'],
  ])('a retyped name is caught: %s %s', (file, line) => {
    const found = retypedNames([file], () => `/** doc */\nconst ok = 1;\n${line}\n`);
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) expect(f).toMatch(new RegExp(`^${file.replace(/[./]/g, '\\$&')}:3: `));
  });

  test('comments and lib/naming itself are not findings', () => {
    expect(retypedNames(['lib/x.ts'], () => '/**\n * `agent-iam-revoker-<env>` and process.env.LEDGER_TABLE\n */\n// agent-iam-${env}\nconst a = 1; // \'high\'\n')).toEqual([]);
    expect(retypedNames([path.join('lib', 'naming', 'resources.ts')], () => 'const x = `agent-iam-${kind}`;')).toEqual([]);
  });
});

describe('the environment contract checks values, not only names (attacks that once worked)', () => {
  const { brokerConfigFromEnv } = require('../lambda/broker/index');
  const base = { ENVIRONMENT: 'prod', RISK_TABLE: 'agent-iam-risk-prod', REVOKER_FUNCTION: 'agent-iam-revoker-prod' };

  test.each([
    ['{bad', /^broker: DELEGATION_TOKEN is not JSON/],
    ['[]', /^broker: DELEGATION_TOKEN must be a JSON object/],
    ['"x"', /^broker: DELEGATION_TOKEN must be a JSON object/],
    ['{}', /^broker: DELEGATION_TOKEN: issuer: "undefined" must be the provider's https issuer URL/],
  ])('the broker refuses DELEGATION_TOKEN=%s naming the variable', (raw, message) => {
    expect(() => brokerConfigFromEnv({ ...base, DELEGATION_TOKEN: raw })).toThrow(message);
  });

  test('a well-formed DELEGATION_TOKEN is read', () => {
    const token = { issuer: 'https://login.example.com', audiences: ['agent-broker'], jwksUri: 'https://login.example.com/jwks' };
    expect(brokerConfigFromEnv({ ...base, DELEGATION_TOKEN: JSON.stringify(token) }).delegationToken).toEqual(token);
  });

  test('every function refuses an ENVIRONMENT the stack could not have written', () => {
    expect(() => brokerConfigFromEnv({ ...base, ENVIRONMENT: 'NOT VALID!' })).toThrow(/^broker: ENVIRONMENT "NOT VALID!" is not an environment name the stack writes/);
    expect(() => readLambdaEnvironment('risk', RISK_ENVIRONMENT, { ENVIRONMENT: 'Prod', RISK_TABLE: 't', REVOKER_FUNCTION: 'f' })).toThrow(/^risk: ENVIRONMENT "Prod"/);
  });
});
