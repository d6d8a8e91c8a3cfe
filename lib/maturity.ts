/**
 * The agent IAM maturity model as data: four stages (after the Capability
 * Maturity Model), the four risks they answer, and the catalog of controls.
 *
 * The catalog is the one source of truth: the constructs' stage check, the
 * assessor, the README's stage table and the tests all read it.
 */

/** A stage of the agent IAM maturity model. */
export enum MaturityStage {
  /** Shared or long-lived credentials, wildcard policies, no audit. Never built; recognised by the assessor. */
  AD_HOC = 1,
  /** One role per agent, basic delegation with source identity, SIEM-grade audit. */
  FOUNDATION = 2,
  /** First-class agent identities, ephemeral credentials, contextual access, real-time detection. */
  ENHANCED = 3,
  /** Continuous authentication, risk-based re-authentication, automated revocation. */
  ADAPTIVE = 4,
}

/** The risk a control answers. */
export enum Risk {
  /** Every action traces to an accountable agent, owner and principal. */
  ACCOUNTABILITY = 'accountability',
  /** An agent can do what its task needs and nothing more. */
  LEAST_PRIVILEGE = 'least-privilege',
  /** Malicious or accidental misuse is prevented or contained. */
  ABUSE_PREVENTION = 'abuse-prevention',
  /** Data the agent touches, and the audit record of it, are protected. */
  DATA_SAFEGUARDING = 'data-safeguarding',
}

/** What a control applies to. */
export enum ControlScope {
  /** Judged for each agent identity. */
  AGENT = 'agent',
  /** Judged once for the whole environment (stack). */
  STACK = 'stack',
}

/** One control of the maturity model. */
export interface Control {
  /** Stable identifier, for example `AIAM-2.01`. */
  readonly id: string;
  /** The stage that requires this control. */
  readonly stage: MaturityStage;
  /** The risk the control answers. */
  readonly risk: Risk;
  /** Whether the control is judged per agent or per stack. */
  readonly scope: ControlScope;
  /** Short title. */
  readonly title: string;
  /** Why the control exists. */
  readonly rationale: string;
}

const CONTROLS: Control[] = [
  {
    id: 'AIAM-2.01', stage: MaturityStage.FOUNDATION, risk: Risk.ACCOUNTABILITY, scope: ControlScope.AGENT,
    title: 'One IAM role per agent',
    rationale: 'A role shared by several agents makes every CloudTrail record ambiguous; one role per agent makes the agent the accountable principal.',
  },
  {
    id: 'AIAM-2.02', stage: MaturityStage.FOUNDATION, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.STACK,
    title: 'No IAM users or access keys for agents',
    rationale: 'Long-lived access keys leak, never expire and cannot carry a source identity; agents use role sessions only.',
  },
  {
    id: 'AIAM-2.03', stage: MaturityStage.FOUNDATION, risk: Risk.ACCOUNTABILITY, scope: ControlScope.AGENT,
    title: 'Owner and purpose recorded',
    rationale: 'An accountable human or team and a stated purpose are tagged on the role, so responders know whom to call and what normal looks like.',
  },
  {
    id: 'AIAM-2.04', stage: MaturityStage.FOUNDATION, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.AGENT,
    title: 'Trust limited to declared principals',
    rationale: 'Only the orchestrators, runtimes, services and federated workloads declared for the agent may assume it; no wildcard principal.',
  },
  {
    id: 'AIAM-2.05', stage: MaturityStage.FOUNDATION, risk: Risk.ACCOUNTABILITY, scope: ControlScope.AGENT,
    title: 'Source identity required on every session',
    rationale: 'sts:SourceIdentity names the human or system the agent acts for; AWS stamps it on every CloudTrail record of the session and every role it chains into.',
  },
  {
    id: 'AIAM-2.06', stage: MaturityStage.FOUNDATION, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.AGENT,
    title: 'Permissions boundary attached',
    rationale: 'A shared boundary caps what any agent can ever do (no IAM writes, no audit tampering, no assuming non-agent roles), whatever policy it is given later.',
  },
  {
    id: 'AIAM-2.07', stage: MaturityStage.FOUNDATION, risk: Risk.LEAST_PRIVILEGE, scope: ControlScope.AGENT,
    title: 'No wildcard actions',
    rationale: 'Every granted action is named (or a wildcard is acknowledged with a written reason); "*" and "service:*" grant whatever AWS adds tomorrow.',
  },
  {
    id: 'AIAM-2.08', stage: MaturityStage.FOUNDATION, risk: Risk.ACCOUNTABILITY, scope: ControlScope.STACK,
    title: 'CloudTrail multi-region with log file validation',
    rationale: 'A multi-region trail records agent calls in every region, and digest files prove the log was not altered.',
  },
  {
    id: 'AIAM-2.09', stage: MaturityStage.FOUNDATION, risk: Risk.DATA_SAFEGUARDING, scope: ControlScope.STACK,
    title: 'Audit store encrypted and hardened',
    rationale: 'Trail logs land in a versioned, KMS-encrypted bucket with public access blocked, TLS-only access and bucket-owner-enforced ownership.',
  },
  {
    id: 'AIAM-2.10', stage: MaturityStage.FOUNDATION, risk: Risk.ACCOUNTABILITY, scope: ControlScope.STACK,
    title: 'SIEM export',
    rationale: 'New log objects are announced on an encrypted SQS queue, the ingestion path of Splunk, Sentinel and Elastic S3 inputs, and trail events stream to CloudWatch Logs.',
  },
  {
    id: 'AIAM-2.11', stage: MaturityStage.FOUNDATION, risk: Risk.LEAST_PRIVILEGE, scope: ControlScope.AGENT,
    title: 'No wildcard resources where resource-level permissions exist',
    rationale: 'An action that can be scoped to a resource is scoped to one; "*" is accepted only for actions that AWS cannot scope.',
  },
  {
    id: 'AIAM-3.01', stage: MaturityStage.ENHANCED, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.AGENT,
    title: 'Agent expiry enforced',
    rationale: 'An agent past its expiry is denied everything by a static aws:CurrentTime deny, with no Lambda involved; an agent without expiry states why.',
  },
  {
    id: 'AIAM-3.02', stage: MaturityStage.ENHANCED, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.AGENT,
    title: 'Ephemeral credentials enforced by token age',
    rationale: 'AssumeRole lets the caller pick a duration; a token-age policy kept current by a scheduled Lambda denies any session older than the agent TTL plus one tick.',
  },
  {
    id: 'AIAM-3.03', stage: MaturityStage.ENHANCED, risk: Risk.ACCOUNTABILITY, scope: ControlScope.STACK,
    title: 'Agent registry published',
    rationale: 'A machine-readable registry (owner, purpose, classification, stage, role, TTL, expiry) lets tools and the SIEM resolve an agent from any log record.',
  },
  {
    id: 'AIAM-3.04', stage: MaturityStage.ENHANCED, risk: Risk.ACCOUNTABILITY, scope: ControlScope.AGENT,
    title: 'Per-task sessions only',
    rationale: 'No service or OIDC workload assumes an agent directly; a runtime or orchestrator role assumes it per task, so every session carries a source identity and session tags.',
  },
  {
    id: 'AIAM-3.05', stage: MaturityStage.ENHANCED, risk: Risk.LEAST_PRIVILEGE, scope: ControlScope.AGENT,
    title: 'Session tags required (ABAC)',
    rationale: 'Every session is tagged task-id and on-behalf-of at assume time, so grants can scope resources to the person the agent acts for and records name the task.',
  },
  {
    id: 'AIAM-3.06', stage: MaturityStage.ENHANCED, risk: Risk.DATA_SAFEGUARDING, scope: ControlScope.AGENT,
    title: 'Grants bound to allowed regions',
    rationale: 'Every grant carries aws:RequestedRegion, so a stolen session cannot move data through a region nobody watches.',
  },
  {
    id: 'AIAM-3.07', stage: MaturityStage.ENHANCED, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.STACK,
    title: 'Real-time detection',
    rationale: 'EventBridge rules on CloudTrail events of agent roles flag denied calls, escalation attempts, audit tampering and sessions without source identity, to people and the SIEM.',
  },
  {
    id: 'AIAM-4.01', stage: MaturityStage.ADAPTIVE, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.STACK,
    title: 'Automated revocation of live sessions',
    rationale: 'High-severity detections and a manual kill switch write AWSRevokeOlderSessions within seconds, monotonically and idempotently, and quarantine agents on critical findings.',
  },
  {
    id: 'AIAM-4.02', stage: MaturityStage.ADAPTIVE, risk: Risk.ACCOUNTABILITY, scope: ControlScope.STACK,
    title: 'Revocation ledger',
    rationale: 'Every revocation and restore is recorded (agent, reason, triggering event, time, actor) in a KMS-encrypted DynamoDB table with point-in-time recovery, and announced on SNS.',
  },
  {
    id: 'AIAM-4.03', stage: MaturityStage.ADAPTIVE, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.AGENT,
    title: 'Credentials only through the broker',
    rationale: 'Only the credential broker (and a declared break-glass role) may assume an agent, so every session passes a risk decision, carries a source identity, tags and a per-task session policy.',
  },
  {
    id: 'AIAM-4.04', stage: MaturityStage.ADAPTIVE, risk: Risk.ABUSE_PREVENTION, scope: ControlScope.STACK,
    title: 'Risk-based re-authentication',
    rationale: 'Detections raise a decaying risk score per agent; elevated risk gets read-only sessions until a person approves the agent again, high risk gets none and triggers revocation.',
  },
  {
    id: 'AIAM-4.05', stage: MaturityStage.ADAPTIVE, risk: Risk.LEAST_PRIVILEGE, scope: ControlScope.STACK,
    title: 'Revoker cannot escalate',
    rationale: 'The revoker writes only inline policies of agent roles (which stay capped by the boundary) and can never change trust policies, boundaries or attachments.',
  },
];

/**
 * Read access to the control catalog.
 */
export class ControlCatalog {
  /** The stages whose controls and constructs are built in this version. */
  public static readonly BUILT_STAGES: MaturityStage[] = [MaturityStage.FOUNDATION, MaturityStage.ENHANCED, MaturityStage.ADAPTIVE];

  /** Every control, ordered by stage then id. */
  public static all(): Control[] {
    return CONTROLS.slice();
  }

  /** The controls a stack at `stage` must meet: those of stages 2..stage. */
  public static required(stage: MaturityStage): Control[] {
    return CONTROLS.filter((c) => c.stage <= stage);
  }

  /** One control by id; throws if unknown. */
  public static get(id: string): Control {
    const c = CONTROLS.find((x) => x.id === id);
    if (!c) {
      throw new Error(`unknown control id "${id}"`);
    }
    return c;
  }

  /** Whether this version of the library can synthesize `stage`. */
  public static isBuilt(stage: MaturityStage): boolean {
    return ControlCatalog.BUILT_STAGES.includes(stage);
  }

  /** A stage's display name, for example "2 Foundation". */
  public static stageName(stage: MaturityStage): string {
    switch (stage) {
      case MaturityStage.AD_HOC: return 'Ad hoc';
      case MaturityStage.FOUNDATION: return 'Foundation';
      case MaturityStage.ENHANCED: return 'Enhanced';
      case MaturityStage.ADAPTIVE: return 'Adaptive';
      default: return `unknown stage ${stage}`;
    }
  }
}
