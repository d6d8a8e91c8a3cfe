/**
 * AWS account quotas, checked at synth from the resources a stack declares: one table beside
 * AwsLimits, each quota with its default, whether it can be raised, and a declared raised value.
 * A fleet of 1000 stage-4 agents stays within EventBridge's and Lambda's quotas; its roles need
 * the raised IAM quota, and without it synth names the quota, the count and how to raise it.
 */
import { App, Testing } from '../lib/private/cdk';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { ACCOUNT_QUOTAS, AccountQuotaValues, checkAccountQuotas } from '../lib/limits';
import { MaturityStage } from '../lib/maturity';
import { ACCOUNT, ORCHESTRATOR, REGION } from './support/stacks';

/** The fleet of the benchmark: 1000 agents, each with a table, a queue and a bucket prefix. */
function fleet(n: number): AgentIdentityProps[] {
  return Array.from({ length: n }, (_, i) => {
    const id = String(i).padStart(4, '0');
    const table = Grant.readDynamoItems(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t-${id}`);
    return {
      name: `agent-${id}`, owner: `team-${i % 25}@example.com`, purpose: `Fleet agent ${id}`, expiresAt: '2030-06-30',
      delegation: { awsPrincipals: [ORCHESTRATOR], onBehalfOfPatterns: ['*@example.com'] },
      sessionPolicies: [{ name: 'read-table', permissions: [table] }],
      permissions: [
        table,
        Grant.sendToQueue(`arn:aws:sqs:${REGION}:${ACCOUNT}:q-${id}`),
        Grant.readS3Prefix(`arn:aws:s3:::bucket-${id}`, 'data'),
      ],
    };
  });
}

function fleetStack(n: number, quotas?: AccountQuotaValues): AgentIamStack {
  return new AgentIamStack(Testing.app() as App, 'fleet', {
    environment: 'fleet', stage: MaturityStage.ADAPTIVE, region: REGION, agents: fleet(n), quotas,
    adaptive: { deletionProtection: false, responderRoleArns: [`arn:aws:iam::111122223333:role/incident-responder`] }, audit: { forceDestroy: true },
  });
}

describe('the quota table', () => {
  test('every quota has a name, a service, a default, whether it can be raised and how', () => {
    const keys = ACCOUNT_QUOTAS.map((q) => q.key);
    expect(keys).toEqual(expect.arrayContaining(['iamRolesPerAccount', 'iamManagedPoliciesPerAccount', 'eventBridgeRulesPerBus',
      'eventPatternSize', 'lambdaResourcePolicySize', 'ssmStandardParameters', 'cloudWatchAlarms']));
    expect(new Set(keys).size).toBe(keys.length);
    for (const q of ACCOUNT_QUOTAS) {
      expect(q.defaultValue).toBeGreaterThan(0);
      expect(q.howToRaise.length).toBeGreaterThan(20);
      if (q.maxValue !== undefined) expect(q.maxValue).toBeGreaterThan(q.defaultValue);
    }
  });

  test('a usage over a quota names the quota, the count, the quota and how to raise it', () => {
    expect(checkAccountQuotas('prod', { eventBridgeRulesPerBus: { count: 301, what: 'rules this stack puts on the default bus' } })).toEqual([
      'stack "prod": quota "Rules per event bus" (EventBridge, per event bus): rules this stack puts on the default bus: 301 rules, over the quota of 300 (AWS\'s default). '
      + 'Fix: request "Maximum number of rules an event bus can have" (EventBridge) in Service Quotas for the stack\'s region, then declare it: quotas: { eventBridgeRulesPerBus: <granted value> }',
    ]);
    expect(checkAccountQuotas('prod', { eventBridgeRulesPerBus: { count: 301 } }, { eventBridgeRulesPerBus: 500 })).toEqual([]);
    expect(checkAccountQuotas('prod', { lambdaResourcePolicySize: { count: 20481, what: 'resource policy of revoker' } })[0])
      .toMatch(/"Function resource-based policy size" \(Lambda, per function\): resource policy of revoker: 20,481 bytes, over the quota of 20,480 \(AWS's default\)\. Fix: cannot be raised/);
  });

  test('a declared value AWS would not grant is an error', () => {
    expect(checkAccountQuotas('prod', {}, { iamRolesPerAccount: 800 })).toEqual([
      'stack "prod": quotas.iamRolesPerAccount: 800 is below AWS\'s default of 1,000 roles; declare only a raised quota, or omit it']);
    expect(checkAccountQuotas('prod', {}, { eventPatternSize: 8192 })).toEqual([
      'stack "prod": quotas.eventPatternSize: 8,192 is above the 4,096 characters AWS grants for "Event pattern size"']);
    expect(checkAccountQuotas('prod', {}, { lambdaResourcePolicySize: 40960 } as AccountQuotaValues)).toEqual([
      'stack "prod": quotas.lambdaResourcePolicySize: "Function resource-based policy size" cannot be raised (20,480 bytes); remove it']);
    expect(checkAccountQuotas('prod', {}, { rolesPerAccount: 2000 } as AccountQuotaValues)[0]).toMatch(/quotas\.rolesPerAccount: is not a quota the library checks; known: iamRolesPerAccount/);
  });
});

describe('1000 stage-4 agents', () => {
  test('fail synth at AWS\'s default roles quota, naming the quota, the count and how to raise it', () => {
    const stack = fleetStack(1000);
    expect(() => Testing.synth(stack, true)).toThrow(
      /quota "Roles per account" \(IAM, per account\): roles this stack declares \(other roles in the account count too\): 1,00\d roles, over the quota of 1,000 \(AWS's default\)\. Fix: request "Roles per account" \(IAM, us-east-1\) in Service Quotas \(up to 5,000\), then declare it: quotas: \{ iamRolesPerAccount: <granted value> \}/);
  });

  describe('with the roles quota raised', () => {
    let tf: any;
    let stack: AgentIamStack;
    beforeAll(() => {
      stack = fleetStack(1000, { iamRolesPerAccount: 5000 });
      tf = JSON.parse(Testing.synth(stack, true));
    });

    test('the trail\'s selectors hold at most 500 values (CloudTrail\'s quota) and still record every granted bucket and table', () => {
      const trail = Object.values<any>(tf.resource.aws_cloudtrail)[0];
      const values = trail.advanced_event_selector.flatMap((s: any) => s.field_selector.flatMap((f: any) => Object.entries(f).filter(([k]) => k !== 'field').flatMap(([, v]) => v)));
      expect(values.length).toBeLessThanOrEqual(500);
      expect(stack._quotaUsage().cloudTrailSelectorValues.count).toBe(values.length);
      // CloudTrail's semantics: an event is logged when any selector matches; Equals exact, StartsWith prefix.
      const recorded = (type: string, arn: string) => trail.advanced_event_selector.some((s: any) => {
        const field = (name: string) => s.field_selector.find((f: any) => f.field === name);
        if (!field('eventCategory').equals.includes('Data') || !field('resources.type').equals.includes(type)) return false;
        const a = field('resources.ARN');
        return !a || (a.equals ?? []).includes(arn) || (a.starts_with ?? []).some((p: string) => arn.startsWith(p));
      });
      const missed: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const id = String(i).padStart(4, '0');
        const object = `arn:aws:s3:::bucket-${id}/data/report.csv`, table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t-${id}`;
        if (!recorded('AWS::S3::Object', object)) missed.push(object);
        if (!recorded('AWS::DynamoDB::Table', table)) missed.push(table);
      }
      expect(missed).toEqual([]);
      // Widened as little as fits: not every S3 object or table of the account.
      expect(recorded('AWS::S3::Object', 'arn:aws:s3:::payroll/salaries.csv')).toBe(false);
      expect(recorded('AWS::DynamoDB::Table', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payroll`)).toBe(false);
    });

    test('widening the selectors is a synth warning saying what was widened and why', () => {
      const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type.endsWith('/warn')).map((m) => String(m.data)));
      expect(warnings.filter((w) => w.includes('audit trail'))).toEqual([
        'stack "fleet": audit trail: data events of what agents are granted need 2,005 selector values, over CloudTrail\'s 500 values across all advanced event selectors '
        + 'of a trail (cannot be raised); coverage was widened to fit (205 values): S3 object prefixes collapsed to their buckets (1000 prefixes -> 1000 buckets); '
        + '2000 bucket and table values merged into 200 by their shared literal starts (StartsWith). The trail records (and bills) data events of resources no agent is granted. '
        + 'To keep it exact, split the agents over environments (one trail each) or grant fewer distinct buckets, prefixes and tables',
      ]);
    });

    test('at most 300 EventBridge rules (AWS\'s default per bus), each pattern within 2,048 characters', () => {
      const rules = Object.values<any>(tf.resource.aws_cloudwatch_event_rule);
      expect(rules.length).toBeLessThanOrEqual(300);
      // Rules grow with distinct facts, not with agents: these agents share theirs.
      expect(rules.length).toBeLessThan(40);
      for (const r of rules.filter((x) => x.event_pattern)) {
        expect(r.event_pattern.replace(/\$\{data\.aws_caller_identity\.current\.account_id\}/g, ACCOUNT).length).toBeLessThanOrEqual(2048);
      }
    });

    test('each function\'s invoke permissions stay within Lambda\'s 20 KB resource policy', () => {
      const byFunction = new Map<string, any[]>();
      for (const p of Object.values<any>(tf.resource.aws_lambda_permission)) {
        byFunction.set(p.function_name, [...(byFunction.get(p.function_name) ?? []), p]);
      }
      expect(byFunction.size).toBeGreaterThan(0);
      for (const [fn, permissions] of byFunction) {
        // The statements as Lambda stores them, the function ARN at its longest.
        const statements = permissions.map((p) => ({
          Sid: p.statement_id, Effect: 'Allow', Principal: { Service: p.principal }, Action: p.action,
          Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${'f'.repeat(64)}`,
          Condition: { ArnLike: { 'AWS:SourceArn': String(p.source_arn ?? '').replace(/\$\{[^}]*\}/g, ACCOUNT) } },
        }));
        const size = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }).length;
        expect({ fn, size: size <= 20 * 1024 }).toEqual({ fn, size: true });
        expect(permissions.length).toBeLessThanOrEqual(2);
      }
    });

    test('at most 8 resources per agent', () => {
      const total = Object.values<any>(tf.resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
      expect(total / 1000).toBeLessThanOrEqual(8);
    });
  });
});

describe('SSM parameter size of an agent\'s registry entry', () => {
  /** A stage-4 agent with `callers` declared principals (broker callers: they go to its registry entry, not its trust). */
  function registryOf(callers: number): { tier: string; warnings: string[]; error: string } {
    const stack = fleetStack(0);
    const principals = Array.from({ length: callers }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/runtimes/agent-runtime-caller-${String(i).padStart(3, '0')}`);
    const [props] = fleet(1);
    const agent = stack.addAgent({ ...props, delegation: { ...props.delegation, awsPrincipals: principals } });
    let error = '';
    let tf: any;
    try {
      tf = JSON.parse(Testing.synth(stack, true));
    } catch (e) {
      error = (e as Error).message;
    }
    const warnings = agent.node.metadata.filter((m) => m.type.endsWith('/warn')).map((m) => String(m.data));
    const entry = tf ? Object.values<any>(tf.resource.aws_ssm_parameter).find((p) => p.name === '/agent-iam/fleet/agents/agent-0000') : undefined;
    return { tier: entry?.tier, warnings, error };
  }

  test('a small entry is a standard parameter, without warning', () => {
    const r = registryOf(2);
    expect(r).toEqual({ tier: 'Standard', warnings: [], error: '' });
  });

  test('an entry over 4 KB (60 callers) is written as an advanced parameter, with a warning naming the agent and the fix', () => {
    const r = registryOf(60);
    expect(r.error).toBe('');
    expect(r.tier).toBe('Advanced');
    expect(r.warnings).toEqual([expect.stringMatching(/^agent "agent-0000": its registry entry is about \d+ bytes, over the 4096 bytes of a standard SSM parameter; it is written as an advanced parameter \(charged per month\)\. To keep it standard, declare fewer delegation\.awsPrincipals/)]);
  });

  test('an entry over 8 KB fails synth naming the agent, the size, the limit and the fix', () => {
    const r = registryOf(120);
    expect(r.error).toMatch(/agent "agent-0000": its registry entry is about \d+ bytes; an SSM parameter holds at most 8192 bytes \(advanced tier\)\. Fix: declare fewer delegation\.awsPrincipals \(callers\)/);
  });
});
