/**
 * ARNs, built in one place (as aws-cdk's `formatArn`): the agents' roles and policies, the
 * library's own roles, functions, rules, log groups, trail and registry parameters.
 * Partition-aware: every builder takes the partition (`partitionOf(region)`), never `aws`.
 */
import { agentRolePath } from './agents';
import { LIBRARY_ROLE_PATH } from './resources';

/** The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ArnComponents {
  readonly partition: string;
  readonly service: string;
  /** Empty for global services (IAM, S3). @default '' */
  readonly region?: string;
  /** Empty for S3 buckets and foundation models. @default '' */
  readonly account?: string;
  /** The resource part, with its type prefix (`role/agents/dev/agent-x-dev`, `function:name`). */
  readonly resource: string;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function formatArn(c: ArnComponents): string {
  return `arn:${c.partition}:${c.service}:${c.region ?? ''}:${c.account ?? ''}:${c.resource}`;
}

/** An IAM role's ARN: `arn:<p>:iam::<account>:role<path><name>` (the path starts and ends with `/`). */
export function iamRoleArn(partition: string, accountId: string, path: string, roleName: string): string {
  return formatArn({ partition, service: 'iam', account: accountId, resource: `role${path}${roleName}` });
}

/** The ARN prefix of every agent role of an environment: `arn:<p>:iam::<account>:role/agents/<env>/`. */
export function agentRoleArnPrefix(partition: string, accountId: string, environment: string): string {
  return iamRoleArn(partition, accountId, agentRolePath(environment), '');
}

/** An agent role's ARN, built from its name (`agentRoleName`): `arn:<p>:iam::<account>:role/agents/<env>/<role>`. */
export function agentRoleArn(partition: string, accountId: string, environment: string, roleName: string): string {
  return iamRoleArn(partition, accountId, agentRolePath(environment), roleName);
}

/** The glob of agent role ARNs of an environment: `arn:<p>:iam::<account>:role/agents/<env>/*`. */
export function agentRoleArnPattern(partition: string, accountId: string, environment: string): string {
  return agentRoleArn(partition, accountId, environment, '*');
}

/** A managed policy ARN (or glob) under the agents' path: `arn:<p>:iam::<account>:policy/agents/<env>/<name>`. */
export function agentPolicyArn(partition: string, accountId: string, environment: string, policyName: string): string {
  return formatArn({ partition, service: 'iam', account: accountId, resource: `policy${agentRolePath(environment)}${policyName}` });
}

/** The execution role of a library function: `arn:<p>:iam::<account>:role/agent-iam/<function name>` (HardenedFunction). */
export function libraryFunctionRoleArn(partition: string, accountId: string, functionName: string): string {
  return iamRoleArn(partition, accountId, LIBRARY_ROLE_PATH, functionName);
}

/** The account principal: `arn:<p>:iam::<account>:root`. */
export function accountRootArn(partition: string, accountId: string): string {
  return formatArn({ partition, service: 'iam', account: accountId, resource: 'root' });
}

/** A CloudTrail trail (or `*` for every trail of the account and `region` `*`): `arn:<p>:cloudtrail:<region>:<account>:trail/<name>`. */
export function cloudTrailArn(partition: string, region: string, accountId: string, trail: string): string {
  return formatArn({ partition, service: 'cloudtrail', region, account: accountId, resource: `trail/${trail}` });
}

/** A CloudWatch Logs group (name or glob): `arn:<p>:logs:<region>:<account>:log-group:<name>`. */
export function logGroupArn(partition: string, region: string, accountId: string, logGroupName: string): string {
  return formatArn({ partition, service: 'logs', region, account: accountId, resource: `log-group:${logGroupName}` });
}

/** An EventBridge rule on the default bus (name or glob): `arn:<p>:events:<region>:<account>:rule/<name>`. */
export function eventRuleArn(partition: string, region: string, accountId: string, ruleName: string): string {
  return formatArn({ partition, service: 'events', region, account: accountId, resource: `rule/${ruleName}` });
}

/** An SSM parameter (name or glob, starting with `/`): `arn:<p>:ssm:<region>:<account>:parameter/<path>`. */
export function ssmParameterArn(partition: string, region: string, accountId: string, parameterName: string): string {
  return formatArn({ partition, service: 'ssm', region, account: accountId, resource: `parameter${parameterName}` });
}

/** A Lambda function: `arn:<p>:lambda:<region>:<account>:function:<name>`. */
export function lambdaFunctionArn(partition: string, region: string, accountId: string, functionName: string): string {
  return formatArn({ partition, service: 'lambda', region, account: accountId, resource: `function:${functionName}` });
}

/** A Bedrock foundation model (no account): `arn:<p>:bedrock:<region>::foundation-model/<model id>`. */
export function foundationModelArn(partition: string, region: string, modelId: string): string {
  return formatArn({ partition, service: 'bedrock', region, resource: `foundation-model/${modelId}` });
}
