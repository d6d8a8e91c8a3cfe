/**
 * Names, paths and partitions, derived in one place.
 */
import { AwsLimits } from './limits';
import { agentProblem, stackProblem } from './errors';
import { isKnownRegion } from './regions';

const AGENT_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/;
const ENVIRONMENT_NAME = /^(?=.{1,16}$)[a-z](?:-?[a-z0-9])*$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|eu-isoe|us-isof|eusc)-[a-z]+-\d{1,2}$/;

/** The IAM role name of an agent: `agent-<name>-<env>`. */
export function agentRoleName(agent: string, environment: string): string {
  return `agent-${agent}-${environment}`;
}

/** The IAM path prefix of every agent role, whatever its environment. */
export const AGENT_ROLE_PATH_PREFIX = '/agents/';

/** The IAM path shared by all agent roles of an environment: `/agents/<env>/`. */
export function agentRolePath(environment: string): string {
  return `${AGENT_ROLE_PATH_PREFIX}${environment}/`;
}

/** The SSM path under which an environment's registry lives: `/agent-iam/<env>/agents/`. */
export function registryParameterPrefix(environment: string): string {
  return `/agent-iam/${environment}/agents/`;
}

/** The SSM parameter holding an agent's registry entry: `/agent-iam/<env>/agents/<name>`. */
export function registryParameterName(environment: string, agent: string): string {
  return `${registryParameterPrefix(environment)}${agent}`;
}

/** The agent a registry parameter name belongs to (`/agent-iam/dev/agents/triage` -> `triage`), or undefined. */
export function agentOfRegistryParameter(name: string): string | undefined {
  return /^\/agent-iam\/[^/]+\/agents\/([^/]+)$/.exec(name)?.[1];
}

/** The SSM parameter of a session-policy template: `<registry entry>/session-policies/<template>`. */
export function sessionPolicyParameterName(environment: string, agent: string, template: string): string {
  return `${registryParameterName(environment, agent)}/session-policies/${template}`;
}

/** The SSM parameter of a template's read-only variant, published at synth for the broker: `<template parameter>/read-only`. */
export function readOnlyVariantParameterName(templateParameter: string): string {
  return `${templateParameter}/read-only`;
}

/** Tag key on every EventBridge rule of the detection catalog; its value is the rule id (`DET-3.01`). */
export const DETECTION_RULE_TAG = 'agent-iam:detection';

/** Tag key on every detection rule giving its severity. */
export const DETECTION_SEVERITY_TAG = 'agent-iam:severity';

/**
 * The provider `default_tags` every AgentIamStack sets. AWS applies them to every taggable
 * resource, so they count against a role's 50 tags (keys the role also sets count once).
 */
export function providerDefaultTags(environment: string): Record<string, string> {
  return { 'agent-iam:environment': environment, 'agent-iam:managed-by': 'cdktf-agent-iam' };
}

/** The AWS partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** Problems with an agent's name, including the length of the role name it yields. */
export function validateAgentName(agent: string, environment: string): string[] {
  if (!agent || agent.trim() === '') {
    return [agentProblem(agent, 'name', 'is empty; give the agent a short lower-case name such as "support-triage"')];
  }
  const problems: string[] = [];
  if (!AGENT_NAME.test(agent)) {
    problems.push(agentProblem(agent, 'name', 'must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen (for example "support-triage")'));
  }
  const role = agentRoleName(agent, environment);
  if (role.length > AwsLimits.ROLE_NAME_MAX) {
    problems.push(agentProblem(agent, 'name',
      `role name "${role}" is ${role.length} characters; IAM allows ${AwsLimits.ROLE_NAME_MAX}. Shorten the agent name to at most ${AwsLimits.ROLE_NAME_MAX - role.length + agent.length} characters`));
  }
  return problems;
}

/** Problems with an environment name. */
export function validateEnvironment(environment: string): string[] {
  if (!ENVIRONMENT_NAME.test(environment || '')) {
    return [stackProblem(environment, 'environment', 'must be 1-16 lower-case letters, digits or single hyphens, starting with a letter and ending with a letter or digit (it names the trail and queues; for example "dev", "staging", "prod")')];
  }
  return [];
}

/** Problems with a region name. */
export function validateRegion(stack: string, region: string): string[] {
  if (!REGION.test(region || '') || !isKnownRegion(region)) {
    return [stackProblem(stack, 'region', `"${region}" is not an AWS region name; use one such as "us-east-1" or "eu-west-1"`)];
  }
  return [];
}
