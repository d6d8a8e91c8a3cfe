/**
 * Agent recognition: which IAM roles and users of a configuration are agent identities, and the
 * facts the stage check judges about each. Pure.
 *
 * How agent identities are recognised (in this order):
 * 1. an `aws_iam_role` tagged `agent:id` (the tag value is the agent's name);
 * 2. an `aws_iam_role` whose path starts with `/agents/`;
 * 3. only in configurations with no role recognised by 1 or 2 (configurations this library did
 *    not write, or a library stack with no agents yet): an `aws_iam_role` not under the library's
 *    own path (`/agent-iam/`) whose trust policy lets some principal assume it and whose
 *    name, description or tags contain a word such as agent, bot, assistant, copilot, llm or ai
 *    (`support-bot`, `TicketAgentRole`, tag `Purpose = "chatbot"`), or that an
 *    `aws_bedrockagent_agent` runs as; when several workloads (Lambda functions, ECS task
 *    definitions, instance profiles, Bedrock agents) run as one such role, each workload is an
 *    agent on that shared role;
 * 4. an `aws_iam_user` that has an `aws_iam_access_key`, or whose name or tags look like an agent
 *    by the words of 3: an ad hoc agent identity with long-lived credentials.
 */
import { PolicyDoc } from '../policy';
import { AgentFacts } from '../stage-check';
import { TOKEN_AGE_SID } from '../token-age';
import { TerraformResource } from './config';
import { ADHOC, AdHocFinding } from './notes';
import { resolvePolicyValue } from './policy-document';
import { policyByArn, PolicySource, rolePolicySources, userPolicySources } from './policy-source';
import { ResourceIndex, tagsOf } from './resource-index';
import { numberOf } from './values';
import { AGENT_ROLE_PATH_PREFIX, AGENT_TAGS, LIBRARY_ROLE_PATH } from '../naming';

/** How an agent identity was recognised (see the module comment of lib/assess/agents.ts). */
export type Recognition = 'agent:id tag' | 'agents path' | 'name or tags' | 'bedrock agent' | 'access key';

/** An agent identity as read from Terraform, with the facts the stage check judges. */
export interface TerraformAgent {
  readonly facts: AgentFacts;
  readonly kind: 'role' | 'iam-user';
  /** Address of the role or user. */
  readonly address: string;
  readonly recognisedBy: Recognition;
  /** Role path, when set. */
  readonly path?: string;
  /** The role's MaxSessionDuration in seconds (AWS default 3600 when unset). */
  readonly maxSessionDuration?: number;
  /** The `agent:session-ttl` tag, in seconds. */
  readonly sessionTtl?: number;
  /** Every identity policy of the identity, readable or not. */
  readonly policySources: PolicySource[];
  /** The permissions boundary's policy, when one is set (its document when the configuration holds it). */
  readonly boundary?: PolicySource;
  /** Whether a token-age policy (Deny on an old aws:TokenIssueTime) is attached. */
  readonly tokenAge: boolean;
  /** Workload (Lambda, ECS task, Bedrock agent) running as the role, for shared roles. */
  readonly workload?: string;
}

const AGENT_WORDS = new Set(['agent', 'agents', 'bot', 'bots', 'chatbot', 'assistant', 'copilot', 'llm', 'gpt', 'genai', 'ai', 'autonomous']);

/** Whether a name, description or tag text suggests an AI agent or bot (word match, camelCase split). */
export function looksLikeAgent(text: string): boolean {
  const words = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return words.some((w) => AGENT_WORDS.has(w) || (w.length > 3 && w.endsWith('bot')));
}

function agentLike(r: TerraformResource): boolean {
  const texts = [String(r.values.name ?? r.name), String(r.values.name_prefix ?? ''), String(r.values.description ?? ''), r.name];
  for (const [k, v] of Object.entries(tagsOf(r))) texts.push(k, v);
  return texts.some(looksLikeAgent);
}

function trustAllowsSomeone(doc: PolicyDoc | undefined): boolean {
  return (doc?.Statement ?? []).some((s) => s.Effect === 'Allow' && !!s.Principal && Object.keys(s.Principal).length > 0);
}

const WORKLOAD_ROLE_ATTRS: Record<string, { attrs: string[]; name: string[] }> = {
  aws_lambda_function: { attrs: ['role'], name: ['function_name'] },
  aws_ecs_task_definition: { attrs: ['task_role_arn'], name: ['family'] },
  aws_iam_instance_profile: { attrs: ['role'], name: ['name'] },
  aws_bedrockagent_agent: { attrs: ['agent_resource_role_arn'], name: ['agent_name'] },
  aws_sfn_state_machine: { attrs: ['role_arn'], name: ['name'] },
};

function boundaryOf(r: TerraformResource, index: ResourceIndex): PolicySource | undefined {
  const v = r.values.permissions_boundary;
  return typeof v === 'string' && v !== '' ? policyByArn(v, index, r) : undefined;
}

function roleName(r: TerraformResource): string {
  return String(r.values.name ?? r.values.name_prefix ?? r.name);
}

/**
 * The agent identities of a configuration (see the module comment), in configuration order;
 * roles shared by several workloads add an ADHOC-SHARED-ROLE note to `notes`.
 */
export function readAgents(index: ResourceIndex, notes: AdHocFinding[]): TerraformAgent[] {
  const roles = index.ofType('aws_iam_role');

  // Workloads running as each role (to find shared roles).
  const workloadsOf = new Map<TerraformResource, { address: string; name: string; type: string }[]>();
  for (const [type, spec] of Object.entries(WORKLOAD_ROLE_ATTRS)) {
    for (const w of index.ofType(type)) {
      for (const attr of spec.attrs) {
        const role = index.resolve(w.values[attr], ['aws_iam_role'], w, ['name', 'arn']);
        if (!role) continue;
        const name = String(spec.name.map((k) => w.values[k]).find((x) => typeof x === 'string') ?? w.name);
        workloadsOf.set(role, [...(workloadsOf.get(role) ?? []), { address: w.address, name, type }]);
      }
    }
  }

  const tagged = roles.filter((r) => tagsOf(r)[AGENT_TAGS.id] || String(r.values.path ?? '').startsWith(AGENT_ROLE_PATH_PREFIX));
  const agents: TerraformAgent[] = [];
  const addRole = (r: TerraformResource, recognisedBy: Recognition, agentName: string, workload?: string) => {
    const trust = resolvePolicyValue(r.values.assume_role_policy, index, r) ?? { Version: '2012-10-17', Statement: [] };
    const sources = rolePolicySources(r, index);
    const tags = tagsOf(r);
    const policies = sources.filter((s) => s.doc).map((s) => s.doc!);
    agents.push({
      facts: {
        agent: agentName,
        roleName: roleName(r),
        tags,
        trustPolicy: trust,
        permissionsBoundary: typeof r.values.permissions_boundary === 'string' && r.values.permissions_boundary !== '' ? r.values.permissions_boundary : undefined,
        policies,
      },
      kind: 'role',
      address: r.address,
      recognisedBy,
      path: typeof r.values.path === 'string' ? r.values.path : undefined,
      maxSessionDuration: numberOf(r.values.max_session_duration),
      sessionTtl: numberOf(tags[AGENT_TAGS.sessionTtl]),
      policySources: sources,
      boundary: boundaryOf(r, index),
      tokenAge: policies.some((d) => d.Statement.some((s) => s.Effect === 'Deny' && (s.Sid === TOKEN_AGE_SID
        || Object.keys(s.Condition?.DateLessThan ?? {}).some((k) => k.toLowerCase() === 'aws:tokenissuetime')))),
      workload,
    });
  };
  if (tagged.length > 0) {
    for (const r of tagged) {
      const id = tagsOf(r)[AGENT_TAGS.id];
      addRole(r, id ? 'agent:id tag' : 'agents path', id || roleName(r));
    }
  } else {
    for (const r of roles) {
      const trust = resolvePolicyValue(r.values.assume_role_policy, index, r);
      const workloads = workloadsOf.get(r) ?? [];
      const bedrock = workloads.some((w) => w.type === 'aws_bedrockagent_agent');
      // The library's own roles (its functions' and the trail's, under /agent-iam/) are never agents,
      // however they are named: a stack with no agents yet is not an ad hoc one.
      if (!bedrock && String(r.values.path ?? '').startsWith(LIBRARY_ROLE_PATH)) continue;
      if (!bedrock && !(agentLike(r) && trustAllowsSomeone(trust))) continue;
      const recognisedBy: Recognition = bedrock ? 'bedrock agent' : 'name or tags';
      if (workloads.length > 1) {
        notes.push({ id: ADHOC.sharedRole, message: `role ${roleName(r)} is shared by ${workloads.length} workloads (${workloads.map((w) => w.address).join(', ')}); each is judged as an agent on a shared role` });
        for (const w of workloads) addRole(r, recognisedBy, w.name, w.address);
      } else {
        addRole(r, recognisedBy, roleName(r), workloads[0]?.address);
      }
    }
  }
  // IAM users with access keys, or named like agents.
  for (const u of index.ofType('aws_iam_user')) {
    const hasKey = index.pointing('aws_iam_access_key', 'user', 'aws_iam_user').has(u);
    if (!hasKey && !agentLike(u)) continue;
    const sources = userPolicySources(u, index);
    const name = String(u.values.name ?? u.name);
    agents.push({
      facts: {
        agent: name,
        roleName: `user/${name}`,
        tags: tagsOf(u),
        trustPolicy: { Version: '2012-10-17', Statement: [] },
        permissionsBoundary: typeof u.values.permissions_boundary === 'string' && u.values.permissions_boundary ? u.values.permissions_boundary : undefined,
        policies: sources.filter((s) => s.doc).map((s) => s.doc!),
      },
      kind: 'iam-user',
      address: u.address,
      recognisedBy: 'access key',
      path: typeof u.values.path === 'string' ? u.values.path : undefined,
      policySources: sources,
      boundary: boundaryOf(u, index),
      tokenAge: false,
    });
  }
  return agents;
}
