/**
 * TokenAgeLimit: makes an agent's sessionTtl real. AWS lets a caller request a
 * session up to the role's MaxSessionDuration and no condition key caps it, so
 * a scheduled Lambda keeps one customer-managed policy per distinct TTL up to
 * date: Deny * on * when aws:TokenIssueTime is earlier than now minus the TTL.
 * A session older than TTL + one tick (+ IAM propagation) is denied whatever
 * duration its caller asked for.
 */
import { Construct } from 'constructs';
import { CloudwatchEventRule, CloudwatchEventTarget, IamPolicy, LambdaInvocation, LambdaPermission } from './aws';
import { policyJson } from '../lib/policy';
import { TOKEN_AGE_TICK_SECONDS, tokenAgePolicy, tokenAgePolicyName, TokenAgeTarget } from '../lib/token-age';
import { HardenedFunction } from './hardened-function';
import { lazyLiteral, markLibraryOwned } from './terraform-literals';
import { agentPolicyArn, agentRolePath, lambdaVariables, TOKEN_AGE_ENVIRONMENT, TOKEN_AGE_POLICY_NAME_PATTERN, tokenAgeFunctionName, tokenAgeScheduleRuleName } from '../lib/naming';

/** @internal */
export interface TokenAgeLimitProps {
  readonly environment: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly keyArn: string;
  /** @default 60 */
  readonly tickSeconds?: number;
  readonly alarmTopicArn?: string;
}

/** @internal */
export class TokenAgeLimit extends Construct {
  public readonly handler: HardenedFunction;
  public readonly tickSeconds: number;
  private readonly policies = new Map<number, IamPolicy>();
  private readonly arns = new Map<number, string>();
  private readonly props: TokenAgeLimitProps;

  constructor(scope: Construct, id: string, props: TokenAgeLimitProps) {
    super(scope, id);
    markLibraryOwned(this);
    this.props = props;
    const env = props.environment;
    this.tickSeconds = props.tickSeconds ?? TOKEN_AGE_TICK_SECONDS;
    if (this.tickSeconds < 60 || this.tickSeconds % 60 !== 0) {
      throw new Error(`stack "${env}": tokenAge.tickSeconds: ${this.tickSeconds} s; EventBridge schedules run at whole minutes, so use 60, 120, ...`);
    }
    const policyGlob = agentPolicyArn(props.partition, props.accountId, env, TOKEN_AGE_POLICY_NAME_PATTERN);
    this.handler = new HardenedFunction(this, 'handler', {
      functionName: tokenAgeFunctionName(env),
      handlerDir: 'token-age',
      description: `Keeps the token-age policies of the ${env} agents current: denies sessions older than their TTL`,
      keyArn: props.keyArn,
      alarmTopicArn: props.alarmTopicArn,
      expectedEverySeconds: props.tickSeconds ?? TOKEN_AGE_TICK_SECONDS,
      statements: [{
        Sid: 'ManageVersionsOfOwnPoliciesOnly', Effect: 'Allow',
        Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:ListPolicyVersions', 'iam:GetPolicy', 'iam:GetPolicyVersion'],
        Resource: [policyGlob],
      }],
      environment: lambdaVariables(TOKEN_AGE_ENVIRONMENT, { policies: lazyLiteral(() => JSON.stringify(this.targets())) }),
    });
    const rule = new CloudwatchEventRule(this, 'schedule', {
      name: tokenAgeScheduleRuleName(env),
      description: 'Rewrites the token-age policies of the agents',
      scheduleExpression: this.tickSeconds === 60 ? 'rate(1 minute)' : `rate(${this.tickSeconds / 60} minutes)`,
    });
    new CloudwatchEventTarget(this, 'schedule-target', { rule: rule.name, arn: this.handler.function.arn, targetId: 'token-age' });
    new LambdaPermission(this, 'schedule-permission', {
      statementId: 'AllowEventBridgeSchedule', action: 'lambda:InvokeFunction', functionName: this.handler.function.functionName,
      principal: 'events.amazonaws.com', sourceArn: rule.arn, sourceAccount: props.accountId,
    });
    // Run once right after each deploy, so enforcement starts within seconds, not at the next tick.
    new LambdaInvocation(this, 'first-tick', {
      functionName: this.handler.function.functionName,
      input: JSON.stringify({ source: 'agent-iam.deploy' }),
      triggers: { policies: lazyLiteral(() => JSON.stringify(this.targets())), code: this.handler.sourceCodeHash },
    });
  }

  /** The ARN of the token-age policy for a TTL, creating the policy on first request. */
  public policyArn(ttlSeconds: number): string {
    const known = this.arns.get(ttlSeconds);
    if (known) return known;
    let policy = this.policies.get(ttlSeconds);
    if (!policy) {
      const env = this.props.environment;
      policy = new IamPolicy(this, `policy-${ttlSeconds}s`, {
        name: tokenAgePolicyName(env, ttlSeconds),
        path: agentRolePath(env),
        description: `Denies sessions older than ${ttlSeconds} s; rewritten every ${this.tickSeconds} s by ${tokenAgeFunctionName(env)}`,
        // A placeholder cutoff (1970): the Lambda writes the real one right after deploy and every tick.
        policy: policyJson(tokenAgePolicy(new Date(ttlSeconds * 1000), ttlSeconds)),
        lifecycle: { ignoreChanges: ['policy'] },
      });
      this.policies.set(ttlSeconds, policy);
    }
    // One token per policy, shared by every agent of the TTL (each read of `.arn` makes a new one).
    const arn = policy.arn;
    this.arns.set(ttlSeconds, arn);
    return arn;
  }

  /** The distinct TTLs in use. */
  public get ttls(): number[] {
    return [...this.policies.keys()].sort((a, b) => a - b);
  }

  private targets(): TokenAgeTarget[] {
    return this.ttls.map((ttl) => ({ policyArn: this.policies.get(ttl)!.arn, ttlSeconds: ttl }));
  }
}
