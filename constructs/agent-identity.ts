/**
 * AgentIdentity: one IAM role per AI agent, with its trust (who may act as the
 * agent, always with a source identity where AWS allows one), the stack's
 * permissions boundary, its grants laid out within IAM's quotas, and tags that
 * make it a first-class identity (owner, purpose, environment, stage).
 */
import { Construct } from 'constructs';
import { Annotations, TerraformStack } from '../lib/private/cdk';
import { IamRole, IamRolePolicy, IamPolicy, IamRolePolicyAttachment } from './aws';
import { AwsLimits } from '../lib/limits';
import { agentProblem, agentSubject } from '../lib/errors';
import { ControlCatalog, MaturityStage } from '../lib/maturity';
import { AGENT_TAGS, agentRoleName, agentRolePath, MANAGED_BY, validateAgentName } from '../lib/naming';
import { AgentDelegation, trustPolicy, validateDelegation, validateTrustSize } from '../lib/delegation';
import { revokerInlineReserve } from '../lib/revocation';
import { Grant, grantStatements, validateGrants } from '../lib/grant';
import { layoutPolicies, mergeStatements, policyDoc, PolicyDoc, policyJson, PolicyLayout, policySize, Statement } from '../lib/policy';
import { validateTags } from '../lib/tags';
import { AgentContext, applyContext, isIsoDate, isoDateProblem, resourcesOutsideRegions, utcDateTime, validateContext } from '../lib/context';
import { SessionPolicyTemplate, sessionPolicyDocument, validateSessionPolicies } from '../lib/session-policy';
import type { AgentIamStack } from './agent-iam-stack';
import { AgentEnvironment } from './agent-environment';
import { markLibraryOwned } from './terraform-literals';

/** How sensitive the data an agent handles is. */
export enum DataClassification {
  PUBLIC = 'public',
  INTERNAL = 'internal',
  CONFIDENTIAL = 'confidential',
  RESTRICTED = 'restricted',
}

/** Properties of an AgentIdentity. */
export interface AgentIdentityProps {
  /** Short lower-case name, unique in the environment (the role is `agent-<name>-<env>`). */
  readonly name: string;
  /** The accountable human or team (an email or team handle). */
  readonly owner: string;
  /** What the agent is for, in a sentence (tag characters only: no commas or quotes). */
  readonly purpose: string;
  /**
   * Sensitivity of the data the agent handles.
   * @default DataClassification.INTERNAL
   */
  readonly dataClassification?: DataClassification;
  /**
   * When the agent should stop working, as an ISO 8601 date or date-time (UTC),
   * or "never" (with noExpiryReason). Recorded as a tag at stage 2; from stage 3
   * a static deny on aws:CurrentTime enforces it, and stage 3 requires it.
   * @default - no expiry (not allowed from stage 3)
   */
  readonly expiresAt?: string;
  /**
   * Why the agent never expires; required with `expiresAt: "never"`.
   * @default - none
   */
  readonly noExpiryReason?: string;
  /**
   * Where, from where, when and through what the agent may act; applied to every grant.
   * @default - from stage 3, the stack's region only; otherwise no context conditions
   */
  readonly context?: AgentContext;
  /**
   * Per-task session-policy templates (subsets of the grants) published for brokers.
   * @default - none
   */
  readonly sessionPolicies?: SessionPolicyTemplate[];
  /**
   * What the agent may do.
   * @default - nothing
   */
  readonly permissions?: Grant[];
  /** Who may assume the agent's role. */
  readonly delegation: AgentDelegation;
  /**
   * The role's MaxSessionDuration in seconds (3600-43200).
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /**
   * Target lifetime of the agent's credentials in seconds (900 up to maxSessionDuration).
   * Brokers request sessions of this length; later stages enforce it.
   * @default 900
   */
  readonly sessionTtl?: number;
  /**
   * Extra tags on the role.
   * @default - none
   */
  readonly tags?: { [key: string]: string };
}

/** One AI agent's identity: an IAM role and its policies. */
export class AgentIdentity extends Construct {
  /** The agent's name. */
  public readonly agentName: string;
  /** The environment the agent belongs to. */
  public readonly environment: string;
  /** The maturity stage of the agent's environment. */
  public readonly stage: MaturityStage;
  /** The IAM role name, `agent-<name>-<env>`. */
  public readonly roleName: string;
  /** The IAM role. */
  public readonly role: IamRole;
  /** The role's ARN (a Terraform reference). */
  public readonly roleArn: string;
  /** Target credential lifetime, seconds. */
  public readonly sessionTtl: number;
  /** The role's MaxSessionDuration, seconds. */
  public readonly maxSessionDuration: number;

  private readonly props: AgentIdentityProps;
  /** Problems found at construction (names, durations, delegation, tags). */
  private readonly problems: string[] = [];
  private readonly trust: PolicyDoc;
  private readonly grants: Grant[];
  private readonly tagValues: Record<string, string>;
  private readonly guardrails: Statement[] = [];
  private readonly effectiveContext: AgentContext;
  private readonly env: AgentEnvironment;
  /** The merged, context-conditioned statements, computed on first need (cleared by addGrant). */
  private computed?: { statements: Statement[]; problems: string[]; layout: PolicyLayout | undefined };
  /** Set once the policies are laid out as resources (at synth); the grants are final from then on. */
  private materialized = false;
  private tokenAgeArn: string | undefined;

  constructor(scope: Construct, id: string, props: AgentIdentityProps) {
    super(scope, id);
    markLibraryOwned(this);
    const ctx = environmentOf(this);
    if (!ctx) {
      throw new Error(`agent "${props?.name}": AgentIdentity must be created inside an AgentIamStack (it needs the environment, its permissions boundary and audit trail); create it with the stack as scope or use stack.addAgent(...)`);
    }
    this.env = ctx;
    const home = TerraformStack.of(this);
    if (!isAgentIamStack(home)) {
      // Reported by the nested stack's synth validation (the AgentIamStack does not count this agent).
      this.problems.push(agentProblem(props?.name ?? '', 'scope', `is inside stack "${home.node.id}", a plain TerraformStack nested in an AgentIamStack; `
        + 'its role would be written to that stack, where no boundary, audit or stage check applies. Create the agent in the AgentIamStack itself (under any construct that is not a stack)'));
    }
    this.props = props;
    const name = props.name ?? '';
    this.agentName = name;
    this.environment = ctx.environment;
    this.stage = ctx.stage;
    this.roleName = agentRoleName(name, ctx.environment);
    this.maxSessionDuration = props.maxSessionDuration ?? AwsLimits.MAX_SESSION_DURATION_MIN;
    this.sessionTtl = props.sessionTtl ?? AwsLimits.ASSUME_ROLE_DURATION_MIN;
    this.grants = [...(props.permissions ?? [])];
    const p = this.problems;

    p.push(...validateAgentName(name, ctx.environment));
    if (!props.owner || props.owner.trim() === '') {
      p.push(agentProblem(name, 'owner', 'is required; name the accountable human or team (for example "support-platform@example.com")'));
    }
    if (!props.purpose || props.purpose.trim() === '') {
      p.push(agentProblem(name, 'purpose', 'is required; say in one sentence what the agent does (for example "triages support tickets")'));
    }
    const msd = this.maxSessionDuration;
    if (!Number.isInteger(msd) || msd < AwsLimits.MAX_SESSION_DURATION_MIN || msd > AwsLimits.MAX_SESSION_DURATION_MAX) {
      p.push(agentProblem(name, 'maxSessionDuration', `${msd} s is outside what IAM accepts (${AwsLimits.MAX_SESSION_DURATION_MIN}-${AwsLimits.MAX_SESSION_DURATION_MAX} s); omit it for ${AwsLimits.MAX_SESSION_DURATION_MIN} s and use sessionTtl for shorter credentials`));
    }
    const ttl = this.sessionTtl;
    if (!Number.isInteger(ttl) || ttl < AwsLimits.ASSUME_ROLE_DURATION_MIN || ttl > msd) {
      p.push(agentProblem(name, 'sessionTtl', `${ttl} s must be between ${AwsLimits.ASSUME_ROLE_DURATION_MIN} s (the shortest session STS issues) and maxSessionDuration (${msd} s)`));
    }
    const enhanced = ctx.stage >= MaturityStage.ENHANCED;
    if (props.expiresAt === 'never') {
      if (!props.noExpiryReason || props.noExpiryReason.trim() === '') {
        p.push(agentProblem(name, 'noExpiryReason', 'is required with expiresAt "never"; say why this agent may live forever (a reviewer will read it)'));
      }
    } else if (props.expiresAt !== undefined && !isIsoDate(props.expiresAt)) {
      p.push(agentProblem(name, 'expiresAt', `${isoDateProblem(props.expiresAt)}; write for example "2027-06-30" or "2027-06-30T00:00:00Z"`));
    } else if (props.expiresAt !== undefined && Date.parse(props.expiresAt) <= Date.now()) {
      p.push(agentProblem(name, 'expiresAt', `${props.expiresAt} is in the past, so the agent would be denied everything from the start; set a future date or remove the agent`));
    } else if (props.expiresAt === undefined && enhanced) {
      p.push(agentProblem(name, 'expiresAt', `is required at stage ${ctx.stage} (${ControlCatalog.stageName(ctx.stage)}); set a date such as "2027-06-30", or "never" with noExpiryReason`));
    }
    if (props.dataClassification !== undefined && !Object.values(DataClassification).includes(props.dataClassification)) {
      p.push(agentProblem(name, 'dataClassification', `"${props.dataClassification}" is not one of ${Object.values(DataClassification).join(', ')}`));
    }

    const trustCtx = { partition: ctx.partition, region: ctx.region, accountId: ctx.accountId, requireSessionTags: enhanced };
    p.push(...validateDelegation(name, props.delegation, trustCtx));
    if (ctx.brokerPrincipals) p.push(...adaptiveDelegationProblems(name, props));
    // Stage 4: the declared principals become the broker's callers; only the broker (and
    // break-glass roles) may assume the agent, so every session passes a risk decision.
    const trusted: AgentDelegation = ctx.brokerPrincipals
      ? { awsPrincipals: ctx.brokerPrincipals, sourceIdentityPattern: props.delegation?.sourceIdentityPattern }
      : props.delegation ?? {};
    this.trust = trustPolicy(trusted, trustCtx);
    if (!p.some((x) => x.includes(': delegation'))) {
      p.push(...validateTrustSize(name, this.trust, ctx.brokerPrincipals
        ? `the broker and ${ctx.brokerPrincipals.length - 1} break-glass role${ctx.brokerPrincipals.length === 2 ? '' : 's'} of stage 4`
        : 'the declared principals'));
    }

    this.effectiveContext = {
      ...(props.context ?? {}),
      allowedRegions: props.context?.allowedRegions ?? (enhanced ? [ctx.region] : undefined),
    };
    if (enhanced && props.expiresAt && props.expiresAt !== 'never' && isIsoDate(props.expiresAt)) {
      this.guardrails.push({
        Sid: 'DenyAfterExpiry', Effect: 'Deny', Action: ['*'], Resource: ['*'],
        Condition: { DateGreaterThan: { 'aws:CurrentTime': [utcDateTime(props.expiresAt)] } },
      });
    }

    this.tagValues = {
      ...(props.tags ?? {}),
      [AGENT_TAGS.id]: name,
      [AGENT_TAGS.owner]: props.owner ?? '',
      [AGENT_TAGS.purpose]: props.purpose ?? '',
      [AGENT_TAGS.environment]: ctx.environment,
      [AGENT_TAGS.stage]: `${ctx.stage}-${ControlCatalog.stageName(ctx.stage).toLowerCase()}`,
      [AGENT_TAGS.managedBy]: MANAGED_BY,
      [AGENT_TAGS.dataClassification]: props.dataClassification ?? DataClassification.INTERNAL,
      [AGENT_TAGS.sessionTtl]: String(this.sessionTtl),
      ...(props.expiresAt ? { [AGENT_TAGS.expiresAt]: props.expiresAt } : {}),
      ...(props.expiresAt === 'never' && props.noExpiryReason ? { [AGENT_TAGS.noExpiryReason]: props.noExpiryReason } : {}),
    };
    for (const k of Object.keys(props.tags ?? {})) {
      if (Object.values(AGENT_TAGS).includes(k)) {
        p.push(agentProblem(name, `tags["${k}"]`, 'is set by the library; use the matching prop (owner, purpose, dataClassification, expiresAt) instead'));
      }
    }
    p.push(...validateTags(name, this.tagValues, ctx.defaultTags));

    this.role = new IamRole(this, 'role', {
      name: this.roleName,
      path: agentRolePath(ctx.environment),
      description: roleDescription(name, props.purpose ?? ''),
      assumeRolePolicy: policyJson(this.trust),
      permissionsBoundary: ctx.permissionsBoundaryArn,
      maxSessionDuration: Number.isInteger(msd) ? msd : undefined,
      forceDetachPolicies: true,
      tags: this.tagValues,
    });
    this.roleArn = this.role.arn;

    // The grants are laid out into policies at synth (`_materialize`, called by the stack's wiring
    // aspect), so grants added after construction (addGrant) are laid out with the rest.
    this.node.addValidation({ validate: () => [...this.problems, ...this.compute().problems] });
  }

  /**
   * Adds a grant to the agent. Grants are laid out into the inline and managed policies at synth,
   * so a grant added after construction is validated, merged and packed with the others.
   *
   * @throws Error when called after synth laid out the policies (the plan is already written).
   */
  public addGrant(grant: Grant): void {
    if (this.materialized) {
      throw new Error(`agent "${this.agentName}": addGrant after synth: the grants were already laid out into policies; add grants before \`cdktf synth\``);
    }
    if (!(grant instanceof Grant)) {
      // Reported at synth with the agent's other problems (JavaScript and Python callers can pass anything).
      this.problems.push(agentProblem(this.agentName, `addGrant(${this.grants.length})`, `${grant === undefined ? 'undefined' : JSON.stringify(grant)} is not a Grant; pass one made by Grant.allow(...) or a Grant helper such as Grant.readS3Prefix(...)`));
      return;
    }
    this.grants.push(grant);
    this.computed = undefined;
  }

  /** The grants the agent holds (those given in props and those added with addGrant). */
  public get permissions(): Grant[] {
    return this.grants.slice();
  }

  /** The grants merged, checked and laid out within IAM's quotas (recomputed after addGrant). */
  private compute(): { statements: Statement[]; problems: string[]; layout: PolicyLayout | undefined } {
    if (this.computed) return this.computed;
    const name = this.agentName;
    const ctx = this.env;
    const problems: string[] = [];
    problems.push(...validateGrants(name, this.grants, ctx.partition));
    const grantKeys = this.grants.flatMap((g) => g.statements.flatMap((st) => (st.conditions ?? []).map((c) => c.variable)));
    problems.push(...validateContext(name, this.effectiveContext, grantKeys));
    const merged = mergeStatements(grantStatements(this.grants));
    problems.push(...validateSessionPolicies(name, this.props.sessionPolicies ?? [], merged, ctx.partition));
    const statements = applyContext(merged, this.effectiveContext);
    const guardrailSize = this.guardrails.length > 0 ? policySize(policyDoc(this.guardrails)) : 0;
    // Stage 4: the revoker writes AWSRevokeOlderSessions and the quarantine policy inline at run time.
    const revokerReserve = ctx.stage >= MaturityStage.ADAPTIVE ? revokerInlineReserve() : 0;
    // Stage 3+: one managed-policy slot holds the token-age policy.
    const reservedSlots = ctx.stage >= MaturityStage.ENHANCED ? 1 : 0;
    const layout = layoutPolicies(statements, AwsLimits.MANAGED_POLICIES_PER_ROLE - reservedSlots,
      AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX - guardrailSize - revokerReserve);
    if (typeof layout === 'string') problems.push(agentProblem(name, 'permissions', layout));
    this.computed = { statements, problems, layout: typeof layout === 'string' ? undefined : layout };
    return this.computed;
  }

  /**
   * Lays the grants out as the role's policies (one inline policy with the guardrails, managed
   * policies for the rest, the token-age attachment). Called once by the stack's wiring aspect at
   * synth, after every grant is known; later calls do nothing.
   * @internal
   */
  public _materialize(tokenAgePolicyArn: string | undefined): void {
    if (this.materialized) return;
    this.materialized = true;
    const { statements, layout } = this.compute();
    const name = this.agentName;
    for (const [arn, region, allowed] of resourcesOutsideRegions(statements)) {
      Annotations.of(this).addWarning(`${agentSubject(name)}: permissions: "${arn}" is in ${region}, outside the agent's allowed regions (${allowed.join(', ')}); `
        + `every call to it is denied by aws:RequestedRegion. Add "${region}" to context.allowedRegions, or grant the resource in an allowed region`);
    }
    this.tokenAgeArn = tokenAgePolicyArn;
    // Every read of a resource attribute makes a token (with a captured stack trace, the costliest
    // part of an agent at fleet scale): the role's name serves every policy and attachment.
    const roleRef = this.role.name;

    // One inline policy: the guardrails (deny after expiry) first, then the grants that fit inline
    // (the layout's inline budget already left room for the guardrails). One resource, not two, per agent.
    const inlineGrants = layout?.inline ?? [];
    if (inlineGrants.length > 0 || this.guardrails.length > 0) {
      new IamRolePolicy(this, 'grants', {
        name: inlineGrants.length > 0 ? 'agent-grants' : 'agent-guardrails',
        role: roleRef,
        policy: policyJson(policyDoc([...this.guardrails, ...inlineGrants])),
      });
    }
    if (tokenAgePolicyArn) {
      new IamRolePolicyAttachment(this, 'token-age', { role: roleRef, policyArn: tokenAgePolicyArn });
    }
    layout?.managed.forEach((managed, i) => {
      const policy = new IamPolicy(this, `grants-${i}`, {
        name: `${this.roleName}-grants-${i}`.slice(0, 128),
        path: agentRolePath(this.environment),
        description: `Grants of agent ${name} (part ${i + 1} of ${layout.managed.length})`,
        policy: policyJson(policyDoc(managed)),
        tags: { [AGENT_TAGS.id]: name, [AGENT_TAGS.managedBy]: MANAGED_BY },
      });
      new IamRolePolicyAttachment(this, `grants-${i}-attachment`, { role: roleRef, policyArn: policy.arn });
    });
  }

  /** The owner recorded for the agent. */
  public get owner(): string {
    return this.props.owner;
  }

  /** The purpose recorded for the agent. */
  public get purpose(): string {
    return this.props.purpose;
  }

  /** The data classification recorded for the agent. */
  public get dataClassification(): DataClassification {
    return this.props.dataClassification ?? DataClassification.INTERNAL;
  }

  /** The expiry recorded for the agent, if any. */
  public get expiresAt(): string | undefined {
    return this.props.expiresAt;
  }

  /** Who may assume the agent. */
  public get delegation(): AgentDelegation {
    return this.props.delegation;
  }

  /** The context conditions applied to every grant (after stage defaults). */
  public get context(): AgentContext {
    return this.effectiveContext;
  }

  /** The session-policy templates of the agent. */
  public get sessionPolicies(): SessionPolicyTemplate[] {
    return this.props.sessionPolicies ?? [];
  }

  /**
   * A session-policy template's document as JSON (for brokers).
   * @internal
   */
  public _sessionPolicyJson(name: string): string {
    const t = this.sessionPolicies.find((x) => x.name === name);
    if (!t) throw new Error(`agent "${this.agentName}": no session policy template "${name}"`);
    return JSON.stringify(sessionPolicyDocument(t));
  }

  /**
   * The ARN of the token-age policy attached to the role (stage 3+; a Terraform reference, known
   * once synth has laid out the policies).
   */
  public get tokenAgePolicyArn(): string | undefined {
    return this.tokenAgeArn;
  }

  /** Number of IAM policies (inline and managed) carrying the agent's grants (0 when they cannot be laid out). */
  public get policyCount(): number {
    const layout = this.compute().layout;
    return layout ? (layout.inline.length > 0 ? 1 : 0) + layout.managed.length : 0;
  }

  /**
   * The merged grant statements, with the agent's context conditions.
   * @internal
   */
  public _statements(): Statement[] {
    return this.compute().statements;
  }
}

/** The environment of the nearest enclosing AgentIamStack, or undefined outside one. */
function environmentOf(scope: Construct): AgentEnvironment | undefined {
  for (const s of scope.node.scopes.slice().reverse()) {
    if (isAgentIamStack(s)) return s._agentEnvironment();
  }
  return undefined;
}

/** Whether a construct is an AgentIamStack (checked by its brand, so that the module does not need the class at load time). */
function isAgentIamStack(x: unknown): x is AgentIamStack {
  return x !== null && typeof x === 'object' && typeof (x as { _agentEnvironment?: unknown })._agentEnvironment === 'function';
}

/**
 * Stage 4 keeps only the broker (and break-glass roles) in the trust policy and hands out
 * sessions under session-policy templates: what the user declared and stage 4 cannot honour
 * is an error, never silently dropped.
 */
function adaptiveDelegationProblems(name: string, props: AgentIdentityProps): string[] {
  const problems: string[] = [];
  const d = props.delegation ?? {};
  const why = 'at stage 4 (Adaptive) only the credential broker and break-glass roles may assume an agent, so';
  (d.thirdParties ?? []).forEach((t, i) => problems.push(agentProblem(name, `delegation.thirdParties[${i}]`,
    `${why} "${t.principal}" (and its external id) would be dropped from the trust policy. Let the vendor act through a role you own that calls the broker (declare that role in awsPrincipals), or run this agent in a stage-3 environment`)));
  (d.services ?? []).forEach((s, i) => problems.push(agentProblem(name, `delegation.services[${i}]`,
    `${why} "${s.service}" would be dropped from the trust policy (a service cannot call the broker). Declare the service's runtime role in awsPrincipals; the broker assumes the agent for it`)));
  (d.oidc ?? []).forEach((o, i) => problems.push(agentProblem(name, `delegation.oidc[${i}]`,
    `${why} the web identity "${o.providerArn}" would be dropped from the trust policy. Let the federated workload assume a runtime role and declare that role in awsPrincipals`)));
  if ((props.sessionPolicies ?? []).length === 0) {
    problems.push(agentProblem(name, 'sessionPolicies',
      'is empty; at stage 4 the broker issues sessions only under a session-policy template, so nobody could ever obtain this agent\'s credentials. Add at least one template (a subset of its permissions per task kind)'));
  }
  return problems;
}

function roleDescription(name: string, purpose: string): string {
  // IAM descriptions accept printable Latin-1 only; keep what fits.
  const text = `AI agent ${name}: ${purpose}`.replace(/[^\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]/g, '?');
  return text.slice(0, AwsLimits.ROLE_DESCRIPTION_MAX);
}
