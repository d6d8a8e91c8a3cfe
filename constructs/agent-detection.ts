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
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { Annotations } from 'cdktf';
import { DetectionContext, detectionPatterns, deniedCallsMetricFilterPattern, ruleName, RULE_STATE_WITH_READ_ONLY_EVENTS } from '../lib/detections';
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

/** @internal */
export class AgentDetection extends Construct {
  public readonly topic: SnsTopic;
  private readonly rules: string[] = [];
  private readonly ruleIdsDeployed = new Set<string>();

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
  }

  /** Adds the per-agent rules of one agent. */
  public addAgent(agent: DetectionContext['agents'][number]): void {
    this.addRules(detectionPatterns({ ...this.props.context, agents: [agent] }).filter((p) => p.agent));
  }

  private addRules(patterns: ReturnType<typeof detectionPatterns>): void {
    for (const p of patterns.filter((x) => this.props.guardDutyFindings || !x.rule.optional)) {
      const name = ruleName(this.props.environment, p.name);
      const rule = new CloudwatchEventRule(this, `rule-${p.name}`, {
        name,
        description: `${p.rule.id} [${p.rule.severity}] ${p.rule.title}${p.agent ? ` (agent ${p.agent})` : ''}`.slice(0, 512),
        eventPattern: JSON.stringify(p.pattern),
        // Read-only management events (AssumeRole, Get*, List*) reach rules only in this state.
        state: p.rule.readOnlyEvents ? RULE_STATE_WITH_READ_ONLY_EVENTS : 'ENABLED',
        tags: { 'agent-iam:detection': p.rule.id, 'agent-iam:severity': p.rule.severity },
      });
      new CloudwatchEventTarget(this, `rule-${p.name}-people`, { rule: rule.name, arn: this.topic.arn, targetId: 'people' });
      new CloudwatchEventTarget(this, `rule-${p.name}-siem`, { rule: rule.name, arn: this.props.siemQueueArn, targetId: 'siem' });
      if (p.rule.globalService && this.props.region !== 'us-east-1') {
        Annotations.of(rule).addWarning(`${p.rule.id}: events of global services (IAM, Organizations) reach EventBridge only in us-east-1; `
          + 'this rule in ' + this.props.region + ' will not see them. Deploy the environment in us-east-1 or forward us-east-1 events to this bus. '
          + 'The trail\'s CloudWatch Logs metric filter still counts denied calls from every region.');
      }
      this.rules.push(name);
      this.ruleIdsDeployed.add(p.rule.id);
    }
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
