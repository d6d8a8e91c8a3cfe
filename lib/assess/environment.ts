/**
 * An environment as read from its Terraform: agents, trails, registry, detections and the
 * revocation path, stated as the `StackFacts` the stage check judges. Pure.
 */
import { MaturityStage } from '../maturity';
import { checkStage, Finding, StackFacts } from '../stage-check';
import { adaptiveFacts } from './adaptive';
import { readAgents, TerraformAgent } from './agents';
import { TerraformConfig, TerraformFormat } from './config';
import { DetectionWiring, detectionWiring } from './detections';
import { ADHOC, AdHocFinding, agentNotes } from './notes';
import { ResourceIndex } from './resource-index';
import { trailFacts } from './trail';
import { isObject, numberOf } from './values';
import { AGENT_TAGS, agentOfRegistryParameter, STACK_OUTPUTS } from '../naming';

/** Everything read from one environment's Terraform. */
export interface TerraformEnvironment {
  readonly stack: string;
  readonly source: string;
  readonly format: TerraformFormat;
  /** The stage the environment declares (`agent:maturity-stage` on its agent roles); undefined for foreign configurations. */
  readonly declaredStage?: MaturityStage;
  readonly facts: StackFacts;
  readonly agents: TerraformAgent[];
  readonly detections: DetectionWiring[];
  /** The revoker Lambda's address, if any. */
  readonly revokerAddress?: string;
  /** The credential broker Lambda's address, if any. */
  readonly brokerAddress?: string;
  readonly notes: AdHocFinding[];
  readonly resourceCount: number;
}


/** Reads one configuration's agents, trails, registry, detections and revocation path. */
export function readEnvironment(config: TerraformConfig): TerraformEnvironment {
  const index = new ResourceIndex(config.resources);
  const notes: AdHocFinding[] = [];
  const agents = readAgents(index, notes);
  notes.push(...agentNotes(agents, config));
  const users = index.ofType('aws_iam_user');
  const keys = index.ofType('aws_iam_access_key');


  const detections = detectionWiring(index, agents);
  const stage4 = adaptiveFacts(index, detections);
  const declared = agents.map((a) => numberOf(String(a.facts.tags[AGENT_TAGS.stage] ?? '').split('-')[0])).filter((n): n is number => n !== undefined);
  const declaredStage = declared.length > 0 ? (Math.max(...declared) as MaturityStage) : undefined;
  const registryOutput = config.outputs[STACK_OUTPUTS.registry];
  const registryNames = new Set<string>([
    ...index.ofType('aws_ssm_parameter').map((p) => agentOfRegistryParameter(String(p.values.name ?? ''))).filter((x): x is string => !!x),
    ...(isObject(registryOutput) ? Object.keys(registryOutput) : []),
  ]);
  const facts: StackFacts = {
    stack: config.stack,
    stage: declaredStage ?? MaturityStage.AD_HOC,
    agents: agents.map((a) => a.facts),
    iamUsers: users.map((u) => u.address),
    accessKeys: keys.map((k) => k.address),
    trails: index.ofType('aws_cloudtrail').map((t) => trailFacts(t, index)),
    registry: agents.length > 0 && agents.every((a) => registryNames.has(a.facts.agent)),
    detectionRuleIds: [...new Set(detections.filter((d) => d.enabled).map((d) => d.ruleId))].sort(),
    ...stage4.facts,
  };
  if (agents.length === 0) {
    notes.push({ id: ADHOC.noAgents, message: 'no agent identity found (no role tagged agent:id or under /agents/, no role or user that looks like an agent or bot)' });
  }
  return {
    stack: config.stack, source: config.source, format: config.format, declaredStage, facts, agents, detections,
    revokerAddress: stage4.revokerAddress, brokerAddress: stage4.brokerAddress, notes, resourceCount: config.resources.filter((r) => !r.type.startsWith('data.')).length,
  };
}

/** The findings that keep an environment from `stage`, with IAM users' trust finding worded for users. */
export function findingsFor(env: TerraformEnvironment, stage: MaturityStage): Finding[] {
  const users = new Set(env.agents.filter((a) => a.kind === 'iam-user').map((a) => a.facts.agent));
  return checkStage(env.facts, stage).map((f) => (f.kind === 'no-principal' && f.agent && users.has(f.agent)
    ? { ...f, message: 'is an IAM user: whoever holds its access key acts as the agent; no trust policy limits who' }
    : f));
}
