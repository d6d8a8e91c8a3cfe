/**
 * Every synth-time message the library produces, built by one factory each so
 * that wording stays consistent: who (the agent or stack), which field, what
 * AWS allows, and the fix.
 */

/** Prefix naming the agent a problem belongs to. */
export function agentSubject(agent: string): string {
  return `agent "${agent || '<unnamed>'}"`;
}

/** `agent "x": field: message` */
export function agentProblem(agent: string, field: string, message: string): string {
  return `${agentSubject(agent)}: ${field}: ${message}`;
}

/** `stack "dev": field: message` */
export function stackProblem(stack: string, field: string, message: string): string {
  return `stack "${stack}": ${field}: ${message}`;
}

/** The error thrown when construction cannot go on at all. */
export class AgentIamError extends Error {
  public readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n- ${problems.join('\n- ')}`);
    this.name = 'AgentIamError';
    this.problems = problems;
  }
}
