/**
 * Test fixtures: small stacks, synthesized with validations, parsed, and the
 * Terraform references in them resolved to plausible ARNs so that the
 * policies can be evaluated by the IAM simulator.
 */
import { App, Testing } from '../../lib/private/cdk';
import { AgentIamStack, AgentIamStackProps } from '../../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../../constructs/agent-identity';
import { MaturityStage } from '../../lib/maturity';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-dev`;

/** A minimal valid agent, overridable field by field. */
export function agentProps(overrides: Partial<AgentIdentityProps> = {}): AgentIdentityProps {
  return {
    name: 'triage',
    owner: 'support-platform@example.com',
    purpose: 'Triages support tickets',
    delegation: { awsPrincipals: [ORCHESTRATOR], onBehalfOfPatterns: ['*@example.com'] },
    permissions: [],
    ...overrides,
  } as AgentIdentityProps;
}

/** The responder role of stage-4 test stacks. */
export const RESPONDER = `arn:aws:iam::${ACCOUNT}:role/security/incident-responder`;

/** A stack in a fresh test app (stage 4 gets RESPONDER unless `adaptive` is given). */
export function newStack(props: Partial<AgentIamStackProps> = {}): AgentIamStack {
  const app = Testing.app();
  const adaptive = props.stage === MaturityStage.ADAPTIVE && !props.adaptive ? { responderRoleArns: [RESPONDER] } : props.adaptive;
  return new AgentIamStack(app as App, props.environment ?? 'dev', {
    environment: 'dev', stage: MaturityStage.FOUNDATION, region: REGION, ...props, adaptive,
  });
}

/** Synthesizes with validations on and returns the parsed Terraform JSON. */
export function synthJson(stack: AgentIamStack): any {
  return JSON.parse(Testing.synth(stack, true));
}

/** The message of the error a function throws, or '' when it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/** Synthesizes a stack with one agent and returns the validation error message ('' when valid). */
export function synthError(agent: Partial<AgentIdentityProps>, stackProps: Partial<AgentIamStackProps> = {}): string {
  return errorOf(() => {
    const stack = newStack(stackProps);
    stack.addAgent(agentProps(agent));
    Testing.synth(stack, true);
  });
}

function plausibleArn(type: string, name: string, res: any): string {
  const n = res?.name ?? res?.bucket ?? `${(res?.bucket_prefix ?? name)}`;
  switch (type) {
    case 'aws_s3_bucket': return `arn:aws:s3:::${res?.bucket_prefix ?? ''}0123abcd`;
    case 'aws_kms_key': return `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-aaaa-bbbb-cccc-${name.length.toString().padStart(12, '0')}`;
    case 'aws_sqs_queue': return `arn:aws:sqs:${REGION}:${ACCOUNT}:${n}`;
    case 'aws_iam_role': return `arn:aws:iam::${ACCOUNT}:role${res?.path ?? '/'}${n}`;
    case 'aws_iam_policy': return `arn:aws:iam::${ACCOUNT}:policy${res?.path ?? '/'}${n}`;
    case 'aws_cloudwatch_log_group': return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${n}`;
    case 'aws_dynamodb_table': return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${n}`;
    case 'aws_cloudtrail': return `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${n}`;
    case 'aws_sns_topic': return `arn:aws:sns:${REGION}:${ACCOUNT}:${n}`;
    case 'aws_lambda_function': return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${res?.function_name ?? n}`;
    case 'aws_dynamodb_table': return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${n}`;
    case 'aws_cloudwatch_event_rule': return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${n}`;
    case 'aws_ssm_parameter': return `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${String(n).replace(/^\//, '')}`;
    case 'aws_sfn_state_machine': return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${n}`;
    default: return `arn:aws:${type.replace(/^aws_/, '')}:${REGION}:${ACCOUNT}:${n}`;
  }
}

/** Replaces `${type.name.attr}` references with plausible values, recursively through the JSON. */
export function resolveRefs(tf: any): any {
  const lookup = (ref: string): string => {
    if (ref === 'data.aws_caller_identity.current.account_id') return ACCOUNT;
    const m = /^(aws_[a-z0-9_]+)\.([^.]+)\.([a-z_]+)$/.exec(ref);
    if (!m) return `UNRESOLVED(${ref})`;
    const [, type, name, attr] = m;
    const res = tf.resource?.[type]?.[name];
    if (attr === 'arn') return plausibleArn(type, name, res);
    if (attr === 'name') return res?.name ?? name;
    if (attr === 'id') return res?.name ?? name;
    if (attr === 'url') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${res?.name}`;
    return `${name}-${attr}`;
  };
  const walk = (v: any): any => {
    if (typeof v === 'string') {
      return v.replace(/(?<!\$)\$\{([^}]+)\}/g, (_, ref) => lookup(ref)).replace(/\$\$\{/g, '${');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(tf);
}

/** Everything the simulator needs about one agent of a synthesized, resolved stack. */
export interface AgentPolicies {
  readonly roleArn: string;
  readonly trust: any;
  readonly identityPolicies: { name: string; policy: any }[];
  readonly boundary: any;
}

/** The role, trust, identity policies and boundary of one agent, from resolved Terraform JSON. */
export function agentPolicies(resolved: any, roleName: string): AgentPolicies {
  const roles = resolved.resource.aws_iam_role as Record<string, any>;
  const [roleKey, role] = Object.entries(roles).find(([, r]) => r.name === roleName)!;
  const inline = Object.values(resolved.resource.aws_iam_role_policy ?? {})
    .filter((p: any) => p.role === role.name || p.role === `${roleKey}-id` || p.role === roleName)
    .map((p: any) => ({ name: p.name, policy: JSON.parse(p.policy) }));
  const managedArns = Object.values(resolved.resource.aws_iam_role_policy_attachment ?? {})
    .filter((a: any) => a.role === roleName).map((a: any) => a.policy_arn);
  const managed = Object.values(resolved.resource.aws_iam_policy ?? {})
    .filter((p: any) => managedArns.includes(`arn:aws:iam::${ACCOUNT}:policy${p.path ?? '/'}${p.name}`))
    .map((p: any) => ({ name: p.name, policy: JSON.parse(p.policy) }));
  const boundary = Object.values(resolved.resource.aws_iam_policy ?? {})
    .find((p: any) => `arn:aws:iam::${ACCOUNT}:policy${p.path ?? '/'}${p.name}` === role.permissions_boundary) as any;
  return {
    roleArn: `arn:aws:iam::${ACCOUNT}:role${role.path}${role.name}`,
    trust: JSON.parse(role.assume_role_policy),
    identityPolicies: [...inline, ...managed],
    boundary: boundary ? JSON.parse(boundary.policy) : undefined,
  };
}
