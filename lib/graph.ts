/**
 * The agent graph: a Mermaid flowchart of environments (one subgraph each), their agents, who may
 * act as them, what they may do (grouped by resource, then by service), the detection rules that
 * watch them and the revocation path.
 *
 * Pure: reads `TerraformEnvironment`s from lib/assess and returns Mermaid text. Node ids
 * are generated (`e1_a2`), never taken from user input; every label is quoted and escaped with
 * Mermaid's entity codes (`#quot;`), so ARNs, policy variables and quotes cannot break the diagram.
 */
import { ControlCatalog } from './maturity';
import { grantsAssume, requiresSourceIdentity } from './delegation';
import { MaturityStage } from './maturity';
import { AGENT_TAGS } from './naming';
import { stagesReached, TerraformAgent, TerraformEnvironment } from './assess';

/** Options of the graph. */
export interface GraphOptions {
  /**
   * Most actions listed on one grant edge; the rest are counted.
   * @default 6
   */
  readonly maxActionsPerEdge?: number;
  /**
   * Most edges in the diagram. Mermaid refuses diagrams over its `maxEdges` (500 by default, and
   * a diagram cannot raise it), so a larger graph links detections and the revoker to one node per
   * environment instead of to each agent, then draws agents until the budget is spent and counts
   * the rest in a note.
   * @default 500
   */
  readonly maxEdges?: number;
}

const ENTITIES: Record<string, string> = {
  '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;', '$': '#36;', '`': '#96;',
  '{': '#123;', '}': '#125;', '|': '#124;', '[': '#91;', ']': '#93;',
};

/** A label's text, escaped for a quoted Mermaid label (lines joined with `<br/>`). */
export function mermaidText(text: string): string {
  return text.split('\n').map((line) => line.replace(/[#"<>&$`{}|[\]]/g, (c) => ENTITIES[c]).replace(/\s+/g, ' ')).join('<br/>');
}

class Ids {
  private n = 0;
  private readonly map = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  get(key: string, kind: string): string {
    let id = this.map.get(key);
    if (!id) {
      id = `${this.prefix}_${kind}${++this.n}`;
      this.map.set(key, id);
    }
    return id;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}

function serviceOf(action: string): string {
  const i = action.indexOf(':');
  return i > 0 ? action.slice(0, i) : action;
}

/** A short readable name of a principal or resource: Terraform references named by type and name. */
function shortName(s: string): string {
  const ref = /^\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.?([a-z_]*)\}(.*)$/.exec(s);
  if (ref) return `${ref[1].replace(/^aws_/, '')} ${ref[2]}${ref[4] ?? ''} (in this configuration)`;
  return s;
}

function principalLabel(kind: string, id: string, env: TerraformEnvironment): string {
  if ((env.facts.brokerPrincipals ?? []).includes(id) && id.includes('${')) return 'credential broker';
  if (kind === 'Service') return `service ${id}`;
  if (kind === 'Federated') return `federated ${id.replace(/^arn:[^:]+:iam::\d*:oidc-provider\//, 'OIDC ')}`;
  return shortName(id);
}

function agentLabel(a: TerraformAgent, stage: MaturityStage): string {
  const what = a.kind === 'iam-user' ? `IAM user ${a.facts.roleName.replace(/^user\//, '')}` : `role ${a.facts.roleName}`;
  const owner = a.facts.tags[AGENT_TAGS.owner] ? `\nowner ${a.facts.tags[AGENT_TAGS.owner]}` : '';
  return `agent ${a.facts.agent}\n${what}${owner}\nstage ${stage} ${ControlCatalog.stageName(stage)}`;
}

/** What is drawn for one agent: who may act as it and its grants. */
interface AgentPlan {
  readonly agent: TerraformAgent;
  readonly principals: { key: string; label: string; shape: [string, string]; edge: string }[];
  readonly grants: { resources: string[]; label: string }[];
}

function planAgent(a: TerraformAgent, env: TerraformEnvironment, maxActions: number): AgentPlan {
  const principals: AgentPlan['principals'] = [];
  if (a.kind === 'iam-user') principals.push({ key: 'principal:access-key', label: 'whoever holds an access key', shape: ['[/', '/]'], edge: 'long-lived access key' });
  for (const s of a.facts.trustPolicy.Statement.filter((x) => x.Effect === 'Allow' && grantsAssume(x))) {
    for (const [kind, list] of Object.entries(s.Principal ?? {})) {
      for (const id of list) {
        principals.push({ key: `principal:${kind}:${id}`, label: principalLabel(kind, id, env), shape: ['[', ']'], edge: requiresSourceIdentity(s) ? 'may assume, with source identity' : 'may assume' });
      }
    }
  }
  // Grants: actions grouped by service per resource; resources granted the same actions share a node.
  const byResource = new Map<string, Map<string, Set<string>>>();
  for (const s of a.facts.policies.flatMap((d) => d.Statement).filter((x) => x.Effect === 'Allow')) {
    const actions = s.Action ?? (s.NotAction ? [`all but ${s.NotAction.join(', ')}`] : []);
    const resources = s.Resource ?? (s.NotResource ? [`all but ${s.NotResource.join(', ')}`] : []);
    for (const r of resources) {
      const svc = byResource.get(r) ?? new Map<string, Set<string>>();
      for (const x of actions) {
        const service = serviceOf(x);
        const set = svc.get(service) ?? new Set<string>();
        set.add(x === '*' || x.startsWith('all but') ? x : x.slice(service.length + 1));
        svc.set(service, set);
      }
      byResource.set(r, svc);
    }
  }
  const byLabel = new Map<string, string[]>();
  for (const [r, services] of byResource) {
    const label = [...services.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([svc, acts]) => {
      const list = [...acts].sort();
      const more = list.length > maxActions ? ` +${list.length - maxActions} more` : '';
      return svc === '*' ? 'every action (*)' : `${svc}: ${list.slice(0, maxActions).join(', ')}${more}`;
    }).join('\n');
    byLabel.set(label, [...(byLabel.get(label) ?? []), r]);
  }
  const grants = [...byLabel.entries()].map(([label, resources]) => ({ label, resources: resources.sort() }))
    .sort((x, y) => x.resources[0].localeCompare(y.resources[0]));
  return { agent: a, principals, grants };
}

interface EnvironmentDrawing {
  readonly lines: string[];
  readonly edges: number;
}

/** One environment as a subgraph; `budget` limits its edges in compact mode. */
function drawEnvironment(env: TerraformEnvironment, ei: number, maxActions: number, compact: boolean, budget: number): EnvironmentDrawing {
  const ids = new Ids(`e${ei + 1}`);
  const stages = stagesReached(env.facts);
  const reached = stages.stack;
  const declared = env.declaredStage !== undefined ? `, declares ${env.declaredStage}` : '';
  const nodes: string[] = [];
  const edges: string[] = [];
  const node = (key: string, kind: string, shape: [string, string], label: string): string => {
    const known = ids.has(key);
    const id = ids.get(key, kind);
    if (!known) nodes.push(`    ${id}${shape[0]}"${mermaidText(label)}"${shape[1]}`);
    return id;
  };
  const edge = (from: string, to: string, label?: string, dotted = false) => {
    edges.push(`    ${from} ${dotted ? '-.->' : '-->'}${label ? `|"${mermaidText(label)}"|` : ''} ${to}`);
  };

  // Detections and the revocation path (drawn first: in compact mode they link to one node).
  const rules = new Map<string, { agents: Set<string>; revokes: boolean }>();
  for (const d of env.detections.filter((x) => x.enabled)) {
    const r = rules.get(d.ruleId) ?? { agents: new Set<string>(), revokes: false };
    d.agents.forEach((x) => r.agents.add(x));
    r.revokes = r.revokes || d.targets.some((t) => t.kind === 'revoker');
    rules.set(d.ruleId, r);
  }
  const everyAgent = compact && env.agents.length > 0 ? node('every-agent', 'g', ['(', ')'], `every agent of ${env.stack} (${env.agents.length})`) : undefined;
  const revoker = env.revokerAddress ? node('revoker', 'k', ['[[', ']]'], `revoker\n${env.revokerAddress}`) : undefined;
  const deferred: [string, string][] = [];
  for (const [ruleId, r] of [...rules.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    const did = node(`detection:${ruleId}`, 'd', ['{{', '}}'], `detection ${ruleId}`);
    if (everyAgent) edge(did, everyAgent, r.agents.size === env.agents.length ? 'watches' : `watches ${r.agents.size}`, true);
    else for (const agent of [...r.agents].sort()) deferred.push([did, agent]);
    if (revoker && r.revokes) edge(did, revoker, 'triggers');
  }
  if (revoker && everyAgent) edge(revoker, everyAgent, 'revokes sessions (AWSRevokeOlderSessions)');

  let omitted = 0;
  for (const a of env.agents) {
    const plan = planAgent(a, env, maxActions);
    if (compact && edges.length + plan.principals.length + plan.grants.length > budget) {
      omitted++;
      continue;
    }
    const aid = node(`agent:${a.facts.agent}`, 'a', ['([', '])'], agentLabel(a, stages.agents.get(a.facts.agent) ?? MaturityStage.AD_HOC));
    for (const p of plan.principals) edge(node(p.key, 'p', p.shape, p.label), aid, p.edge);
    for (const g of plan.grants) {
      edge(aid, node(`resource:${g.resources.join('\n')}`, 'r', ['[(', ')]'], g.resources.map((r) => (r === '*' ? 'every resource (*)' : shortName(r))).join('\n')), g.label);
    }
  }
  // Only to agents drawn here (a filtered graph leaves some out).
  for (const [did, agent] of deferred) if (ids.has(`agent:${agent}`)) edge(did, ids.get(`agent:${agent}`, 'a'), 'watches', true);
  if (revoker && !everyAgent) {
    for (const a of env.agents.filter((x) => x.kind === 'role')) edge(revoker, ids.get(`agent:${a.facts.agent}`, 'a'), 'revokes sessions (AWSRevokeOlderSessions)');
  }
  if (omitted > 0) nodes.push(`    ${ids.get('omitted', 'n')}["${mermaidText(`${omitted} more agent${omitted === 1 ? '' : 's'} not drawn (Mermaid's edge limit); narrow with --stack or --agent`)}"]`);
  if (env.agents.length === 0) nodes.push(`    ${ids.get('none', 'n')}["${mermaidText('no agent identity found')}"]`);
  return {
    lines: [`  subgraph env${ei + 1}["${mermaidText(`${env.stack}: stage ${reached} ${ControlCatalog.stageName(reached)}${declared}`)}"]`, '    direction LR', ...nodes, ...edges, '  end'],
    edges: edges.length,
  };
}

/** The Mermaid flowchart of the environments. */
export function agentGraph(envs: TerraformEnvironment[], options: GraphOptions = {}): string {
  const maxActions = options.maxActionsPerEdge ?? 6;
  const maxEdges = options.maxEdges ?? 500;
  let drawings = envs.map((env, i) => drawEnvironment(env, i, maxActions, false, Infinity));
  if (drawings.reduce((n, d) => n + d.edges, 0) > maxEdges) {
    // Share the budget between environments, carrying over what one leaves unused.
    let left = maxEdges;
    drawings = envs.map((env, i) => {
      const d = drawEnvironment(env, i, maxActions, true, Math.floor(left / (envs.length - i)));
      left -= d.edges;
      return d;
    });
  }
  const lines = ['flowchart LR', ...drawings.flatMap((d) => d.lines)];
  if (envs.length === 0) lines.push('  none["no environment"]');
  return `${lines.join('\n')}\n`;
}
