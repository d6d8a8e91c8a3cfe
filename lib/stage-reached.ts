/**
 * Stage arithmetic over the stage check: the stages the catalog names, the highest stage an
 * environment (and each agent) reaches, and the stage a report targets. Pure.
 */
import { ControlCatalog, MaturityStage } from './maturity';
import { checkStage, StackFacts, uncheckedControls } from './stage-check';

/** The stages the catalog names above ad hoc, ascending. */
export function catalogStages(): MaturityStage[] {
  return [...new Set(ControlCatalog.all().map((c) => c.stage))].filter((s) => s > MaturityStage.AD_HOC).sort((a, b) => a - b);
}

/**
 * The highest stage N such that `checkStage(facts, N)` finds nothing (checkStage judges stages
 * 2..N together); 1 (ad hoc) when stage 2 fails. A stage with a catalog control that has no check
 * is never reached (it cannot be judged). With `agent`, the stage of that agent: its own controls
 * and the environment-wide ones.
 */
export function stageReached(facts: StackFacts, agent?: string): MaturityStage {
  const stages = stagesReached(facts);
  return agent === undefined ? stages.stack : stages.agents.get(agent) ?? MaturityStage.AD_HOC;
}

/** Stages reached by an environment and by each of its agents, from one stage check per stage. */
export interface StagesReached {
  readonly stack: MaturityStage;
  /** By agent name: the stage reached by the agent together with the environment-wide controls. */
  readonly agents: Map<string, MaturityStage>;
}

/** The same verdicts as `stageReached`, for the environment and every agent at once. */
export function stagesReached(facts: StackFacts): StagesReached {
  const unchecked = new Set(uncheckedControls());
  const agents = new Map<string, MaturityStage>(facts.agents.map((a) => [a.agent, MaturityStage.AD_HOC]));
  let stack: MaturityStage = MaturityStage.AD_HOC;
  let open = new Set(agents.keys());
  let stackOpen = true;
  for (const stage of catalogStages()) {
    if (ControlCatalog.all().some((c) => c.stage === stage && unchecked.has(c.id))) break;
    const findings = checkStage(facts, stage);
    if (findings.some((f) => f.agent === undefined)) break;
    const failing = new Set(findings.map((f) => f.agent!));
    open = new Set([...open].filter((a) => !failing.has(a)));
    for (const a of open) agents.set(a, stage);
    if (stackOpen && findings.length === 0) stack = stage; else stackOpen = false;
    if (open.size === 0 && !stackOpen) break;
  }
  return { stack, agents };
}

/** The stage whose failing controls a report lists: the declared or required stage, else the next one. */
export function targetStage(reached: MaturityStage, declared?: MaturityStage, minStage?: MaturityStage): MaturityStage {
  const stages = catalogStages();
  const top = stages[stages.length - 1] ?? MaturityStage.FOUNDATION;
  const wanted = Math.max(declared ?? 0, minStage ?? 0, Math.min(reached + 1, top));
  return Math.min(Math.max(wanted, MaturityStage.FOUNDATION), top) as MaturityStage;
}
