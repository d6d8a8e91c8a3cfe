/**
 * AgentDetection: real-time detection on the CloudTrail events of the
 * environment's agent roles. One EventBridge rule per catalog entry (and per
 * agent where a rule is per agent), delivering to a KMS-encrypted SNS topic for
 * people and to the SIEM queue; a metric filter and alarm on the trail's log
 * group for bursts of denied calls; optionally GuardDuty findings.
 */
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { GuarddutyDetector } from '@cdktf/provider-aws/lib/guardduty-detector';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { Annotations, Lazy } from 'cdktf';
import { DETECTION_RULES, DetectionContext, DetectionRule, detectionPatterns, deniedCallsMetricFilterPattern, ruleName, RULE_STATE_WITH_READ_ONLY_EVENTS } from '../lib/detections';
import { policyDoc, policyJson } from '../lib/policy';

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
  private readonly rules: string[] = [];
  private readonly ruleIdsDeployed = new Set<string>();
  private readonly created: { rule: CloudwatchEventRule; id: string; severity: string; name: string; notifyOnly: boolean }[] = [];
  private readonly lambdaTargets: DetectionLambdaTarget[] = [];
  private readonly wired = new Map<string, Set<string>>();
  private readonly agents: DetectionContext['agents'][number][] = [];

  private readonly props: AgentDetectionProps;

  constructor(scope: Construct, id: string, props: AgentDetectionProps) {
    super(scope, id);
    this.props = props;
    const env = props.environment;
    this.topic = new SnsTopic(this, 'topic', {
      name: `agent-iam-detections-${env}`,
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
      name: `agent-iam-${env}-denied-calls`,
      logGroupName: props.trailLogGroupName,
      pattern: deniedCallsMetricFilterPattern(props.context),
      metricTransformation: { name: metricName, namespace, value: '1', defaultValue: '0' },
    });
    new CloudwatchMetricAlarm(this, 'denied-calls-burst', {
      alarmName: `agent-iam-${env}-denied-calls-burst`,
      alarmDescription: 'Bursts of denied calls by agent roles (all regions, through the multi-region trail)',
      namespace, metricName, statistic: 'Sum', period: 300, evaluationPeriods: 1,
      threshold: props.deniedCallsThreshold ?? 10, comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching', alarmActions: [this.topic.arn],
    });
    if (props.enableGuardDuty) {
      new GuarddutyDetector(this, 'guardduty', { enable: true, findingPublishingFrequency: 'FIFTEEN_MINUTES' });
    }
    this.addRules(detectionPatterns({ ...props.context, agents: [] }).filter((p) => !p.agent));
    if (props.guardDutyFindings) {
      // DET-3.11 names every agent role in one pattern: resolved once all agents are registered.
      const rule = DETECTION_RULES.find((r) => r.id === 'DET-3.11')!;
      this.addRule(rule, 'guardduty-findings', undefined, Lazy.stringValue({
        produce: () => JSON.stringify(detectionPatterns({ ...props.context, agents: this.agents }).find((p) => p.rule.id === rule.id)?.pattern
          ?? { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], detail: { resource: { accessKeyDetails: { userName: ['no-agent-registered'] } } } }),
      }));
    }
  }

  /** Adds the per-agent rules of one agent. */
  public addAgent(agent: DetectionContext['agents'][number]): void {
    this.agents.push(agent);
    this.addRules(detectionPatterns({ ...this.props.context, agents: [agent] }).filter((p) => p.agent));
  }

  private addRules(patterns: ReturnType<typeof detectionPatterns>): void {
    for (const p of patterns.filter((x) => !x.rule.optional)) {
      this.addRule(p.rule, p.name, p.agent, JSON.stringify(p.pattern));
    }
  }

  private addRule(r: DetectionRule, patternName: string, agent: string | undefined, eventPattern: string): void {
    const name = ruleName(this.props.environment, patternName);
    const rule = new CloudwatchEventRule(this, `rule-${patternName}`, {
      name,
      description: `${r.id} [${r.severity}] ${r.title}${agent ? ` (agent ${agent})` : ''}`.slice(0, 512),
      eventPattern,
      // Read-only management events (AssumeRole, Get*, List*) reach rules only in this state.
      state: r.readOnlyEvents ? RULE_STATE_WITH_READ_ONLY_EVENTS : 'ENABLED',
      tags: { 'agent-iam:detection': r.id, 'agent-iam:severity': r.severity },
    });
    new CloudwatchEventTarget(this, `rule-${patternName}-people`, { rule: rule.name, arn: this.topic.arn, targetId: 'people' });
    new CloudwatchEventTarget(this, `rule-${patternName}-siem`, { rule: rule.name, arn: this.props.siemQueueArn, targetId: 'siem' });
    const created = { rule, id: r.id, severity: r.severity, name: patternName, notifyOnly: r.notifyOnly === true };
    this.created.push(created);
    for (const t of this.lambdaTargets) this.wire(created, t);
    if (r.globalService && this.props.region !== 'us-east-1') {
      Annotations.of(rule).addWarning(`${r.id}: events of global services (IAM, Organizations) reach EventBridge only in us-east-1; `
        + 'this rule in ' + this.props.region + ' will not see them. Deploy the environment in us-east-1 or forward us-east-1 events to this bus. '
        + 'The trail\'s CloudWatch Logs metric filter still counts denied calls from every region.');
    }
    this.rules.push(name);
    this.ruleIdsDeployed.add(r.id);
  }

  /** Routes the rules of the given severities (existing and future ones) to a Lambda. */
  public addLambdaTarget(target: DetectionLambdaTarget): void {
    this.lambdaTargets.push(target);
    for (const c of this.created) this.wire(c, target);
  }

  /** Catalog ids of the rules routed to a Lambda target. */
  public wiredRuleIds(targetId: string): string[] {
    return [...(this.wired.get(targetId) ?? [])].sort();
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
    new LambdaPermission(this, `rule-${c.name}-${t.id}-permission`, {
      statementId: `detection-${c.name}`.slice(0, 100),
      action: 'lambda:InvokeFunction',
      functionName: t.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: c.rule.arn,
    });
    if (!this.wired.has(t.id)) this.wired.set(t.id, new Set());
    this.wired.get(t.id)!.add(c.id);
  }

  /** Names of the deployed rules. */
  public get ruleNames(): string[] {
    return this.rules.slice();
  }

  /** Catalog ids of the deployed rules. */
  public get ruleIds(): string[] {
    return [...this.ruleIdsDeployed].sort();
  }
}
