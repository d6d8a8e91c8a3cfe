/**
 * AgentDetection: real-time detection on the CloudTrail events of the
 * environment's agent roles. One EventBridge rule per catalog entry; rules on
 * per-agent facts (declared principals, allowed regions) get one rule per group
 * of agents sharing the facts (one in all when every agent shares them), so the
 * rule count does not grow with agents. Rules deliver to a KMS-encrypted SNS
 * topic for people and to the SIEM queue; Lambda targets get one permission per
 * function, scoped to the environment's detection rule names. A metric filter
 * and alarm on the trail's log group count bursts of denied calls; optionally
 * GuardDuty findings.
 */
import { Construct } from 'constructs';
import { CloudwatchEventRule, CloudwatchEventTarget, CloudwatchLogMetricFilter, CloudwatchMetricAlarm, GuarddutyDetector, SnsTopic, LambdaFunction, LambdaPermission, SnsTopicPolicy } from './aws';
import { Annotations, Aspects } from '../lib/private/cdk';
import { IConstruct } from 'constructs';
import { DetectionContext, DetectionPattern, DetectionRule, detectionPatterns, detectionRuleNamePrefix, deniedCallsMetricFilterPattern, ruleName, RULE_STATE_WITH_READ_ONLY_EVENTS } from '../lib/detections';
import { policyDoc, policyJson } from '../lib/policy';
import { markLibraryOwned } from './terraform-literals';
import { deniedCallsAlarmName, deniedCallsMetricFilterName, DETECTION_RULE_TAG, DETECTION_SEVERITY_TAG, detectionTopicName, eventRuleArn } from '../lib/naming';

/** @internal */
export interface AgentDetectionProps {
  readonly environment: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly keyArn: string;
  readonly siemQueueArn: string;
  readonly trailLogGroupName: string;
  /** The detection context without agents (agents are added one by one with addAgent). */
  readonly context: DetectionContext;
  /** Denied agent calls in 5 minutes that raise the burst alarm. @default 10 */
  readonly deniedCallsThreshold?: number;
  /** Route GuardDuty findings naming agent roles. @default false */
  readonly guardDutyFindings?: boolean;
  /** Create a GuardDuty detector in the region. @default false */
  readonly enableGuardDuty?: boolean;
}

/** @internal A Lambda that receives detections, wrapped as `{ kind: 'detection', ruleId, severity, event }`. */
export interface DetectionLambdaTarget {
  readonly id: string;
  readonly function: LambdaFunction;
  /** Severities routed to this target. */
  readonly severities: string[];
}

/** @internal */
export class AgentDetection extends Construct {
  public readonly topic: SnsTopic;
  private readonly created: { rule: CloudwatchEventRule; id: string; severity: string; name: string; notifyOnly: boolean }[] = [];
  private readonly lambdaTargets: DetectionLambdaTarget[] = [];
  private readonly agents: DetectionContext['agents'][number][] = [];
  private finalized = false;
  private plan?: DetectionPattern[];

  private readonly props: AgentDetectionProps;

  constructor(scope: Construct, id: string, props: AgentDetectionProps) {
    super(scope, id);
    markLibraryOwned(this);
    this.props = props;
    const env = props.environment;
    this.topic = new SnsTopic(this, 'topic', {
      name: detectionTopicName(env),
      displayName: `Agent IAM detections (${env})`,
      kmsMasterKeyId: props.keyArn,
    });
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: policyJson(policyDoc([{
        Sid: 'DetectionsPublish', Effect: 'Allow', Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] },
        Action: ['sns:Publish'], Resource: [this.topic.arn], Condition: { StringEquals: { 'aws:SourceAccount': [props.accountId] } },
      }])),
    });
    const metricName = 'AgentDeniedCalls';
    const namespace = `AgentIam/${env}`;
    new CloudwatchLogMetricFilter(this, 'denied-calls', {
      name: deniedCallsMetricFilterName(env),
      logGroupName: props.trailLogGroupName,
      pattern: deniedCallsMetricFilterPattern(props.context),
      metricTransformation: { name: metricName, namespace, value: '1', defaultValue: '0' },
    });
    new CloudwatchMetricAlarm(this, 'denied-calls-burst', {
      alarmName: deniedCallsAlarmName(env),
      alarmDescription: 'Bursts of denied calls by agent roles (all regions, through the multi-region trail)',
      namespace, metricName, statistic: 'Sum', period: 300, evaluationPeriods: 1,
      threshold: props.deniedCallsThreshold ?? 10, comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching', alarmActions: [this.topic.arn],
    });
    if (props.enableGuardDuty) {
      new GuarddutyDetector(this, 'guardduty', { enable: true, findingPublishingFrequency: 'FIFTEEN_MINUTES' });
    }
    // Rules on per-agent facts group agents: they are made once every agent is registered, before synth.
    Aspects.of(this).add({ visit: (node: IConstruct) => { if (node === this) this.finalize(); } });
  }

  /** Registers an agent; its facts join the grouped rules made at synth. */
  public addAgent(agent: DetectionContext['agents'][number]): void {
    if (this.finalized) throw new Error(`agent "${agent.name}": added after the detection rules were made; add agents before synth`);
    this.agents.push(agent);
  }

  /** The patterns the environment deploys, for the agents registered so far. */
  public patterns(): DetectionPattern[] {
    if (this.plan) return this.plan;
    // GuardDuty findings are opt-in; other optional rules deploy when their pattern exists (break-glass roles declared).
    return detectionPatterns({ ...this.props.context, agents: this.agents })
      .filter((p) => p.rule.id !== 'DET-3.11' || this.props.guardDutyFindings);
  }

  /** Whether the rules are made (agents can no longer join them). */
  public get isFinalized(): boolean {
    return this.finalized;
  }

  /** Makes the rules (once): called by an aspect at synth, when every agent is registered. */
  public finalize(): void {
    if (this.finalized) return;
    this.plan = this.patterns();
    this.finalized = true;
    for (const p of this.plan) this.addRule(p);
  }

  private addRule(p: DetectionPattern): void {
    const r: DetectionRule = p.rule;
    const name = ruleName(this.props.environment, p.name);
    const who = p.agents && p.agents.length > 0 && p.agents.length < this.agents.length
      ? ` (${p.agents.length === 1 ? `agent ${p.agents[0]}` : `${p.agents.length} agents: ${p.agents.join(', ')}`})` : '';
    const rule = new CloudwatchEventRule(this, `rule-${p.name}`, {
      name,
      description: `${r.id} [${r.severity}] ${r.title}${who}`.slice(0, 512),
      eventPattern: JSON.stringify(p.pattern),
      // Read-only management events (AssumeRole, Get*, List*) reach rules only in this state.
      state: r.readOnlyEvents ? RULE_STATE_WITH_READ_ONLY_EVENTS : 'ENABLED',
      tags: { [DETECTION_RULE_TAG]: r.id, [DETECTION_SEVERITY_TAG]: r.severity },
    });
    new CloudwatchEventTarget(this, `rule-${p.name}-people`, { rule: rule.name, arn: this.topic.arn, targetId: 'people' });
    new CloudwatchEventTarget(this, `rule-${p.name}-siem`, { rule: rule.name, arn: this.props.siemQueueArn, targetId: 'siem' });
    const created = { rule, id: r.id, severity: r.severity, name: p.name, notifyOnly: r.notifyOnly === true };
    this.created.push(created);
    for (const t of this.lambdaTargets) this.wire(created, t);
    if (r.globalService && this.props.region !== 'us-east-1') {
      Annotations.of(rule).addWarning(`${r.id}: events of global services (IAM, Organizations) reach EventBridge only in us-east-1; `
        + 'this rule in ' + this.props.region + ' will not see them. Deploy the environment in us-east-1 or forward us-east-1 events to this bus. '
        + 'The trail\'s CloudWatch Logs metric filter still counts denied calls from every region.');
    }
  }

  /**
   * Routes the rules of the given severities to a Lambda, with one invoke permission for the
   * function scoped to the environment's detection rules (`rule/agent-iam-<env>-det-*`), however many rules there are.
   */
  public addLambdaTarget(target: DetectionLambdaTarget): void {
    this.lambdaTargets.push(target);
    const { partition, region, accountId, environment } = this.props;
    new LambdaPermission(this, `${target.id}-permission`, {
      statementId: 'detection-rules',
      action: 'lambda:InvokeFunction',
      functionName: target.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: eventRuleArn(partition, region, accountId, `${detectionRuleNamePrefix(environment)}*`),
    });
    for (const c of this.created) this.wire(c, target);
  }

  /** Catalog ids of the rules routed to a Lambda target. */
  public wiredRuleIds(targetId: string): string[] {
    const t = this.lambdaTargets.find((x) => x.id === targetId);
    if (!t) return [];
    return [...new Set(this.patterns().filter((p) => !p.rule.notifyOnly && t.severities.includes(p.rule.severity)).map((p) => p.rule.id))].sort();
  }

  private wire(c: { rule: CloudwatchEventRule; id: string; severity: string; name: string; notifyOnly: boolean }, t: DetectionLambdaTarget): void {
    // People-only rules (denied attempts, break-glass, control-plane changes) never revoke or score.
    if (c.notifyOnly || !t.severities.includes(c.severity)) return;
    new CloudwatchEventTarget(this, `rule-${c.name}-${t.id}`, {
      rule: c.rule.name,
      arn: t.function.arn,
      targetId: t.id,
      inputTransformer: {
        inputPaths: {},
        inputTemplate: `{"kind":"detection","ruleId":"${c.id}","severity":"${c.severity}","event":<aws.events.event>}`,
      },
    });
  }

  /** Names of the rules the environment deploys. */
  public get ruleNames(): string[] {
    return this.patterns().map((p) => ruleName(this.props.environment, p.name));
  }

  /** Catalog ids of the deployed rules. */
  public get ruleIds(): string[] {
    return [...new Set(this.patterns().map((p) => p.rule.id))].sort();
  }
}
