/**
 * Agent names, their IAM roles and paths, environments, regions and partitions: derived and
 * checked in one place.
 */
import { AwsLimits } from '../limits';
import { agentProblem, stackProblem } from '../errors';
import { isKnownRegion } from '../regions';

const AGENT_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/;
const ENVIRONMENT_NAME = /^(?=.{1,16}$)[a-z](?:-?[a-z0-9])*$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|eu-isoe|us-isof|eusc)-[a-z]+-\d{1,2}$/;

/** The IAM role name of an agent: `agent-<name>-<env>`. */
export function agentRoleName(agent: string, environment: string): string {
  return `agent-${agent}-${environment}`;
}

/** Whether a string is a well-formed agent name (lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen). */
export function isAgentName(name: string): boolean {
  return AGENT_NAME.test(name);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The agent an IAM role name of an environment belongs to (`agent-triage-dev` -> `triage`), or undefined. */
export function agentOfRoleName(roleName: string, environment: string): string | undefined {
  const m = new RegExp(`^agent-(.+)-${escapeRegExp(environment)}$`).exec(roleName);
  return m && isAgentName(m[1]) ? m[1] : undefined;
}

/** The IAM path prefix of every agent role, whatever its environment. */
export const AGENT_ROLE_PATH_PREFIX = '/agents/';

/** The IAM path shared by all agent roles (and the agents' managed policies) of an environment: `/agents/<env>/`. */
export function agentRolePath(environment: string): string {
  return `${AGENT_ROLE_PATH_PREFIX}${environment}/`;
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

const TOKEN_AGE_POLICY_NAME_PREFIX = 'agent-token-age-';

/** Name of the managed policy (under `agentRolePath`) that enforces one TTL in one environment: `agent-token-age-<ttl>s-<env>`. */
export function tokenAgePolicyName(environment: string, ttlSeconds: number): string {
  return `${TOKEN_AGE_POLICY_NAME_PREFIX}${ttlSeconds}s-${environment}`;
}

/** The glob of every token-age policy name: `agent-token-age-*`. */
export const TOKEN_AGE_POLICY_NAME_PATTERN = `${TOKEN_AGE_POLICY_NAME_PREFIX}*`;

/**
 * The agent a role ARN belongs to when it is an agent role of the environment (any partition and
 * account; path `/agents/<env>/`, name `agent-<name>-<env>`), else undefined.
 */
export function agentOfRoleArn(arn: string, environment: string): string | undefined {
  const m = new RegExp(`^arn:[a-z-]+:iam::\\d{12}:role${escapeRegExp(agentRolePath(environment))}(.+)$`).exec(arn);
  return m ? agentOfRoleName(m[1], environment) : undefined;
}
