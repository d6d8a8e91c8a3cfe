/**
 * The library's Lambda functions run on a runtime AWS supports, chosen in one
 * place (lib/lambda-runtime.ts) with AWS's dates, and synth says so before
 * AWS does.
 */
import { Testing } from '../lib/private/cdk';
import { LambdaFunction } from '../constructs/aws';
import { DEFAULT_LAMBDA_RUNTIME, judgeLambdaRuntime, LAMBDA_RUNTIMES, lambdaRuntimeInfo, RUNTIME_WARNING_DAYS, TODAY_CONTEXT } from '../lib/lambda-runtime';
import { MaturityStage } from '../lib/maturity';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { agentProps, errorOf } from './support/stacks';

const day = (d: string) => new Date(`${d}T00:00:00Z`);

describe('the runtime table', () => {
  test('the default is supported today and newest first', () => {
    expect(DEFAULT_LAMBDA_RUNTIME).toBe(LAMBDA_RUNTIMES[0].runtime);
    const info = lambdaRuntimeInfo(DEFAULT_LAMBDA_RUNTIME)!;
    expect(Date.parse(info.deprecation)).toBeGreaterThan(Date.now());
  });

  test('dates are ordered: deprecation, then create blocked, then update blocked', () => {
    for (const r of LAMBDA_RUNTIMES) {
      expect(Date.parse(r.deprecation)).toBeLessThan(Date.parse(r.blockFunctionCreate));
      expect(Date.parse(r.blockFunctionCreate)).toBeLessThan(Date.parse(r.blockFunctionUpdate));
    }
  });
});

describe('judging a runtime on a given day', () => {
  test('far from deprecation: nothing to say', () => {
    expect(judgeLambdaRuntime('prod', 'nodejs24.x', day('2026-11-29'))).toEqual({ errors: [], warnings: [] });
  });

  test(`within ${RUNTIME_WARNING_DAYS} days of deprecation: a warning with the days left and the dates`, () => {
    const v = judgeLambdaRuntime('prod', 'nodejs22.x', day('2027-03-01'));
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual(['stack "prod": lambdaRuntime: "nodejs22.x" is deprecated in 60 days (2027-04-30); AWS blocks creating functions on it from 2027-06-01. Move to "nodejs24.x"']);
    expect(judgeLambdaRuntime('prod', 'nodejs22.x', day('2027-01-29')).warnings).toEqual([]);
    expect(judgeLambdaRuntime('prod', 'nodejs22.x', day('2027-01-30')).warnings).toHaveLength(1);
  });

  test('deprecated but still creatable: a warning naming the block dates', () => {
    const v = judgeLambdaRuntime('prod', 'nodejs20.x', day('2026-11-29'));
    expect(v.errors).toEqual([]);
    expect(v.warnings[0]).toMatch(/"nodejs20.x" is deprecated since 2026-04-30 \(no security patches\); AWS blocks creating functions on it from 2027-02-01 and updating them from 2027-03-03/);
  });

  test('creation blocked: an error', () => {
    expect(judgeLambdaRuntime('prod', 'nodejs20.x', day('2027-02-01')).errors[0])
      .toMatch(/stack "prod": lambdaRuntime: "nodejs20.x" was deprecated on 2026-04-30 and AWS refuses to create functions on it since 2027-02-01/);
  });

  test('the newest runtime near its end says to upgrade the library, not to move to itself', () => {
    expect(judgeLambdaRuntime('prod', 'nodejs24.x', day('2028-02-01')).warnings[0]).toMatch(/deprecated in 89 days \(2028-04-30\).*Upgrade cdktf-agent-iam for a newer runtime$/);
  });

  test('a day that is not a date is an error, never a silent pass', () => {
    expect(judgeLambdaRuntime('prod', 'nodejs20.x', new Date('garbage')).errors[0]).toMatch(/the day to judge on is not a date/);
  });

  test('an unknown runtime: an error listing the choices', () => {
    expect(judgeLambdaRuntime('prod', 'python3.13', day('2026-11-29')).errors[0])
      .toBe('stack "prod": lambdaRuntime: "python3.13" is not a Node.js runtime this library\'s functions run on; use one of "nodejs24.x", "nodejs22.x", "nodejs20.x" (default "nodejs24.x")');
  });
});

describe('the stack option', () => {
  const stack = (runtime: string | undefined, today: string) => {
    const app = Testing.app({ context: { [TODAY_CONTEXT]: today } });
    const s = new AgentIamStack(app, 'staging', { environment: 'staging', stage: MaturityStage.ENHANCED, region: 'us-east-1', lambdaRuntime: runtime });
    s.addAgent(agentProps({ expiresAt: '2027-06-30' }));
    return s;
  };

  test('every function of the stack runs on the chosen runtime (default nodejs24.x)', () => {
    expect(Testing.synth(stack(undefined, '2026-11-29'), true)).toHaveResourceWithProperties(LambdaFunction, { runtime: 'nodejs24.x' });
    expect(Testing.synth(stack('nodejs22.x', '2026-11-29'), true)).toHaveResourceWithProperties(LambdaFunction, { runtime: 'nodejs22.x' });
  });

  test('a runtime near deprecation is a synth warning with a stable id', () => {
    const s = stack('nodejs22.x', '2027-03-01');
    Testing.synth(s, true);
    const warnings = s.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data);
    expect(warnings).toEqual([expect.stringMatching(/^\[agent-iam:lambdaRuntime\] stack "staging": lambdaRuntime: "nodejs22.x" is deprecated in 60 days/)]);
  });

  test('a stage-2 stack has no functions, so no runtime to judge', () => {
    const app = Testing.app({ context: { [TODAY_CONTEXT]: '2027-03-01' } });
    expect(() => new AgentIamStack(app, 'dev', { environment: 'dev', stage: MaturityStage.FOUNDATION, region: 'us-east-1', lambdaRuntime: 'nodejs20.x' })).not.toThrow();
  });

  test('a runtime AWS refuses to create functions on fails synth with the fix', () => {
    expect(errorOf(() => stack('nodejs20.x', '2027-02-15'))).toMatch(/stack "staging": lambdaRuntime: "nodejs20.x" .* use "nodejs24.x"/);
  });
});
