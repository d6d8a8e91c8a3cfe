/**
 * AgentIamStack: one environment of agent identities at one maturity stage.
 * It composes the provider, the audit trail, the shared permissions boundary
 * and the agents, and checks at synth time that every agent meets every
 * control of stages 2..N.
 */
import { Construct, IConstruct } from 'constructs';
import { Annotations, Aspects, DefaultTokenResolver, Lazy, LocalBackend, StringConcat, Tokenization, S3Backend, TerraformOutput, TerraformStack, TerraformResource, Token } from '../lib/private/cdk';
import { AwsProvider, DataAwsCallerIdentity, IamPolicy, SsmParameter, CloudwatchEventRule, LambdaPermission, Cloudtrail } from './aws';
import { AccountQuotaValues, ACCOUNT_QUOTAS, AwsLimits, checkAccountQuotas, quotaValue, QuotaUsage, ssmParameterTier } from '../lib/limits';
import { eventPatternSize } from '../lib/detections';
import { AgentIamError, stackProblem } from '../lib/errors';
import { ControlCatalog, MaturityStage } from '../lib/maturity';
import { agentRoleArn, agentRolePath, lambdaFunctionArn, STACK_OUTPUTS, partitionOf, providerDefaultTags, readOnlyVariantParameterName, registryParameterName, sessionPolicyParameterName, validateEnvironment, validateRegion } from '../lib/naming';
import { BoundaryScope, scopedBoundary } from '../lib/boundary';
import { DelegationTokenOptions, validateDelegationToken } from '../lib/verified-delegation';
import { PolicyDoc, policyJson, Statement } from '../lib/policy';
import { AgentRegistryEntry } from '../lib/registry-entry';
import { checkStage } from '../lib/stage-check';
import { stringTokens } from '../lib/token-encoding';
import { parseTerraformJson, readEnvironment, TerraformEnvironment } from '../lib/assess';
import { AgentAuditTrail } from './agent-audit-trail';
import { AgentDetection } from './agent-detection';
import { TokenAgeLimit } from './token-age-limit';
import { RevocationPath } from './revocation-path';
import { CredentialBroker } from './credential-broker';
import { REVOKING_SEVERITIES } from '../lib/revocation';
import { SEVERITIES } from '../lib/severity';
import { readOnlyVariant } from '../lib/read-only-variant';
import { AgentIdentity, AgentIdentityProps } from './agent-identity';
import { AgentEnvironment } from './agent-environment';
import { IdentifierCheck } from './identifier-check';
import { lazyLiteral, markLibraryOwned, TerraformLiterals } from './terraform-literals';
import { dataEventCover, selectorValueCount } from '../lib/data-events';
import { DEFAULT_LAMBDA_RUNTIME, judgeLambdaRuntime, LAMBDA_RUNTIME_CONTEXT, TODAY_CONTEXT } from '../lib/lambda-runtime';

/** Options of the environment's audit trail. */
export interface AuditOptions {
  /**
   * Days CloudWatch Logs keeps trail events (at least 365).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Days the bucket keeps log files.
   * @default 2557
   */
  readonly objectRetentionDays?: number;
  /**
   * SIEM principals that read the queue and log files.
   * @default - none
   */
  readonly siemReaderArns?: string[];
  /**
   * Record data events for the S3 prefixes and DynamoDB tables the agents are granted.
   * @default true
   */
  readonly dataEvents?: boolean;
  /**
   * Let destroy delete a bucket that still holds logs (throw-away environments only).
   * @default false
   */
  readonly forceDestroy?: boolean;
}

/** Options of real-time detection (stage 3+). */
export interface DetectionOptions {
  /**
   * Denied agent calls within 5 minutes that raise the burst alarm.
   * @default 10
   */
  readonly deniedCallsThreshold?: number;
  /**
   * Route GuardDuty findings that name an agent role.
   * @default false
   */
  readonly guardDutyFindings?: boolean;
  /**
   * Create a GuardDuty detector in the stack's region (leave false when your organisation manages GuardDuty).
   * @default false
   */
  readonly enableGuardDuty?: boolean;
}

/** Options of the token-age limit (stage 3+). */
export interface TokenAgeOptions {
  /**
   * Seconds between two rewrites of the token-age policies (whole minutes).
   * @default 60
   */
  readonly tickSeconds?: number;
}

/** Options of stage 4 (Adaptive). */
export interface AdaptiveOptions {
  /**
   * Roles people use when the broker is down (break-glass); they may assume agents directly,
   * with a source identity and session tags.
   * @default - none
   */
  readonly breakGlassRoleArns?: string[];
  /**
   * Roles of the people who may loosen: restore a quarantined agent and approve an agent again at
   * elevated risk. Required at stage 4. The ledger's and the risk table's resource policies deny
   * item writes to every other principal (besides the library's own functions), so these roles are
   * the only way to restore or approve. Role ARNs with their path, no wildcards.
   */
  readonly responderRoleArns?: string[];
  /**
   * The people's OIDC identity provider. When set, the credential broker requires the person's
   * token with every request, verifies it (signature, issuer, audience, lifetime) and uses its
   * subject as the source identity; callers cannot name anyone. Without it, each agent must declare
   * `delegation.onBehalfOfPatterns`.
   * @default - none: callers name the person, within the agent's onBehalfOfPatterns
   */
  readonly delegationToken?: DelegationTokenOptions;
  /**
   * Deletion protection on the revocation ledger and the risk table.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** Where Terraform keeps the environment's state. */
export interface StateBackendOptions {
  /** S3 bucket of the state. */
  readonly bucket: string;
  /**
   * Region of the state bucket.
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * Key prefix; the state lives at `<prefix>/<environment>/terraform.tfstate`.
   * @default "cdktf-agent-iam"
   */
  readonly keyPrefix?: string;
}

/** Properties of an AgentIamStack. */
export interface AgentIamStackProps {
  /** Environment name (`dev`, `staging`, `prod`): in role names, paths and tags. */
  readonly environment: string;
  /** The maturity stage the environment must meet. */
  readonly stage: MaturityStage;
  /** AWS region of the environment. */
  readonly region: string;
  /**
   * Agents to create (more can be added with addAgent).
   * @default - none
   */
  readonly agents?: AgentIdentityProps[];
  /**
   * Audit trail options.
   * @default - defaults of AuditOptions
   */
  readonly audit?: AuditOptions;
  /**
   * Real-time detection options (stage 3+).
   * @default - defaults of DetectionOptions
   */
  readonly detection?: DetectionOptions;
  /**
   * Token-age limit options (stage 3+).
   * @default - defaults of TokenAgeOptions
   */
  readonly tokenAge?: TokenAgeOptions;
  /**
   * Stage 4 options.
   * @default - defaults of AdaptiveOptions
   */
  readonly adaptive?: AdaptiveOptions;
  /**
   * S3 state backend (with a lock file). Without it the state is local.
   * @default - local backend
   */
  readonly stateBackend?: StateBackendOptions;
  /**
   * Raised AWS account quotas, as granted to the account. The stack's roles, customer-managed
   * policies, EventBridge rules, SSM parameters, alarms and Lambda resource policies are checked
   * at synth against these (or AWS's defaults) and a stack over one fails, naming the quota.
   * @default - AWS's default quotas (ACCOUNT_QUOTAS)
   */
  readonly quotas?: AccountQuotaValues;
  /**
   * Lambda runtime of the library's functions (token age, revoker, risk
   * scorer, broker). One of `LAMBDA_RUNTIMES` (`nodejs24.x`, `nodejs22.x`,
   * `nodejs20.x`). Synth fails on a runtime AWS no longer lets you create
   * functions on, and warns within 90 days of its deprecation.
   * @default "nodejs24.x"
   */
  readonly lambdaRuntime?: string;
}

/** Problems with `adaptive.responderRoleArns` of a stage-4 stack: required, role ARNs of the stack's partition, no wildcards. */
function validateResponders(environment: string, region: string, arns: string[] | undefined): string[] {
  const field = 'adaptive.responderRoleArns';
  if (!arns || arns.length === 0) {
    return [stackProblem(environment, field, 'is required at stage 4: name the roles of the people who may restore and approve agents '
      + `(for example "arn:${partitionOf(region)}:iam::<account>:role/incident-responder"); the ledger's and risk table's resource policies deny item writes to everyone else`)];
  }
  const problems: string[] = [];
  arns.forEach((a, i) => {
    if (Token.isUnresolved(a)) return;
    if (a.includes('*') || a.includes('?')) {
      problems.push(stackProblem(environment, `${field}[${i}]`, `"${a}" has a wildcard; name each responder role exactly, since whoever matches may restore and approve agents`));
    } else if (!new RegExp(`^arn:${partitionOf(region)}:iam::\\d{12}:role/(?:[\\x21-\\x7e]*/)?[\\w+=,.@-]{1,64}$`).test(a)) {
      problems.push(stackProblem(environment, `${field}[${i}]`, `"${a}" is not an IAM role ARN of partition ${partitionOf(region)}; expected arn:${partitionOf(region)}:iam::<account>:role/<path>/<name> (aws:PrincipalArn of a role session is the role ARN with its path)`));
    }
  });
  return problems;
}

/** A Terraform stack holding one environment's agent identities. */
export class AgentIamStack extends TerraformStack {
  /** Environment name. */
  public readonly environment: string;
  /** The maturity stage the environment meets. */
  public readonly stage: MaturityStage;
  /** AWS region. */
  public readonly region: string;
  /** AWS partition of the region. */
  public readonly partition: string;
  /** The account id (a reference to aws_caller_identity). */
  public readonly accountId: string;
  /** The environment's audit trail. */
  public readonly auditTrail: AgentAuditTrail;
  /** The permissions boundary every agent role carries. */
  public readonly permissionsBoundary: IamPolicy;

  /** Agents whose policies, registry entry and detections are laid out (by the wiring aspect at synth). */
  private readonly wired = new Set<AgentIdentity>();
  /** The boundary for the agents' statement arrays it was computed from (each agent's array changes on addGrant). */
  private boundaryCache?: { statements: Statement[][]; result: { doc: PolicyDoc; scope: BoundaryScope; size: number } };
  /** The document the last validation judged, handed once to the toTerraform() that follows it. */
  private emitted?: { document: any; nodes: number };
  /** True while runAllValidations runs. */
  private validating = false;
  /** What agents read from the environment (plain values). */
  private agentEnvironment!: AgentEnvironment;
  /** Agents' parameters too large for SSM, found while wiring them (synth). */
  private readonly parameterProblems: string[] = [];
  /** Problems with the stack's own props (environment, region), reported at synth with the rest. */
  private readonly inputProblems: string[];
  private readonly dataEventProblems: string[] = [];
  private quotas?: AccountQuotaValues;
  /** The audit key's ARN, read once (every read of `.arn` makes a new token). */
  private auditKeyArn!: string;
  private readonly auditOptions: AuditOptions;
  private readonly tokenAge?: TokenAgeLimit;
  private readonly detection?: AgentDetection;
  private readonly registry: { [agent: string]: AgentRegistryEntry } = {};
  private readonly revocation?: RevocationPath;
  private readonly broker?: CredentialBroker;
  private readonly breakGlass: string[] = [];
  /** Stage 4: the broker's role ARN (one token, read once: every read of `.arn` makes a new token) and break-glass roles. */
  private brokerPrincipals?: string[];
  /** Stage 4: the people's identity provider whose tokens the broker verifies. */
  private readonly delegationToken?: DelegationTokenOptions;

  constructor(scope: Construct, id: string, props: AgentIamStackProps) {
    super(scope, id);
    // A bad environment or region is reported with every other problem of the stack (synth
    // validation), not thrown alone: construction goes on with the names as given.
    this.inputProblems = [
      ...validateEnvironment(props.environment),
      ...validateRegion(props.environment, props.region),
    ];
    const early: string[] = [];
    if (!Object.values(MaturityStage).includes(props.stage)) {
      early.push(stackProblem(props.environment, 'stage', `${props.stage} is not a maturity stage; use MaturityStage.FOUNDATION, ENHANCED or ADAPTIVE`));
    } else if (props.stage === MaturityStage.AD_HOC) {
      early.push(stackProblem(props.environment, 'stage', 'AD_HOC (stage 1) is what the library replaces and never builds; use MaturityStage.FOUNDATION or higher'));
    } else if (!ControlCatalog.isBuilt(props.stage)) {
      early.push(stackProblem(props.environment, 'stage',
        `stage ${props.stage} (${ControlCatalog.stageName(props.stage)}) is not built in this version of cdktf-agent-iam; built stages: ${ControlCatalog.BUILT_STAGES.map((s) => `${s} (${ControlCatalog.stageName(s)})`).join(', ')}`));
    }
    const runtime = props.lambdaRuntime ?? DEFAULT_LAMBDA_RUNTIME;
    const today = this.node.tryGetContext(TODAY_CONTEXT);
    // Functions exist from stage 3 on; a stage-2 stack has no runtime to judge.
    const runtimeVerdict = props.stage >= MaturityStage.ENHANCED
      ? judgeLambdaRuntime(props.environment, runtime, today !== undefined ? new Date(`${today}T00:00:00Z`) : new Date())
      : { errors: [], warnings: [] };
    early.push(...runtimeVerdict.errors);
    if (props.stage === MaturityStage.ADAPTIVE) early.push(...validateResponders(props.environment, props.region, props.adaptive?.responderRoleArns));
    if (props.adaptive?.delegationToken) {
      early.push(...validateDelegationToken(props.adaptive.delegationToken).map((m) => stackProblem(props.environment, 'adaptive.delegationToken', m)));
    }
    if (early.length > 0) {
      throw new AgentIamError(early);
    }
    for (const w of runtimeVerdict.warnings) Annotations.of(this).addWarning(`[agent-iam:lambdaRuntime] ${w}`);
    this.node.setContext(LAMBDA_RUNTIME_CONTEXT, runtime);
    this.environment = props.environment;
    this.stage = props.stage;
    this.region = props.region;
    this.partition = partitionOf(props.region);
    this.auditOptions = props.audit ?? {};
    this.delegationToken = props.adaptive?.delegationToken;

    if (props.stateBackend) {
      const backend = new S3Backend(this, {
        bucket: props.stateBackend.bucket,
        key: `${props.stateBackend.keyPrefix ?? 'cdktf-agent-iam'}/${props.environment}/terraform.tfstate`,
        region: props.stateBackend.region ?? props.region,
        encrypt: true,
      });
      // S3-native state locking (a lock file beside the state; Terraform >= 1.10).
      backend.addOverride('use_lockfile', true);
    } else {
      new LocalBackend(this, { path: `terraform.${props.environment}.tfstate` });
    }
    new AwsProvider(this, 'aws', {
      region: props.region,
      defaultTags: [{ tags: providerDefaultTags(props.environment) }],
    });
    this.accountId = new DataAwsCallerIdentity(this, 'current').accountId;

    this.auditTrail = new AgentAuditTrail(this, 'audit', {
      environment: props.environment,
      partition: this.partition,
      region: props.region,
      accountId: this.accountId,
      logRetentionDays: this.auditOptions.logRetentionDays,
      objectRetentionDays: this.auditOptions.objectRetentionDays,
      siemReaderArns: this.auditOptions.siemReaderArns,
      forceDestroy: this.auditOptions.forceDestroy,
      realTimeDetection: props.stage >= MaturityStage.ENHANCED,
    });

    this.auditKeyArn = this.auditTrail.key.arn;

    this.permissionsBoundary = new IamPolicy(this, 'boundary', {
      name: `agent-boundary-${props.environment}`,
      path: agentRolePath(props.environment),
      description: `Permissions boundary of every agent role in ${props.environment}: caps IAM, audit, account and role-assumption actions`,
      policy: lazyLiteral(() => policyJson(this.boundaryDocument())),
    });

    if (props.stage >= MaturityStage.ENHANCED) {
      this.detection = new AgentDetection(this, 'detection', {
        environment: props.environment,
        partition: this.partition,
        region: props.region,
        accountId: this.accountId,
        keyArn: this.auditTrail.key.arn,
        siemQueueArn: this.auditTrail.siemQueue.arn,
        trailLogGroupName: this.auditTrail.logGroup.name,
        context: {
          partition: this.partition,
          accountId: this.accountId,
          environment: props.environment,
          auditBucketName: this.auditTrail.bucket.bucket,
          auditKeyArn: this.auditTrail.key.arn,
          agents: [],
          maxPatternSize: quotaValue(ACCOUNT_QUOTAS.find((q) => q.key === 'eventPatternSize')!, props.quotas),
          breakGlassRoleArns: props.stage >= MaturityStage.ADAPTIVE ? [...(props.adaptive?.breakGlassRoleArns ?? [])] : undefined,
        },
        deniedCallsThreshold: props.detection?.deniedCallsThreshold,
        guardDutyFindings: props.detection?.guardDutyFindings,
        enableGuardDuty: props.detection?.enableGuardDuty,
      });
      this.tokenAge = new TokenAgeLimit(this, 'token-age', {
        environment: props.environment,
        partition: this.partition,
        region: props.region,
        accountId: this.accountId,
        keyArn: this.auditTrail.key.arn,
        tickSeconds: props.tokenAge?.tickSeconds,
        alarmTopicArn: this.detection.topic.arn,
      });
      new TerraformOutput(this, STACK_OUTPUTS.registry, {
        description: 'Machine-readable registry of the environment\'s agents (also in SSM under /agent-iam/<env>/agents/)',
        value: Lazy.anyValue({ produce: () => this.registry }),
      });
    }

    if (props.stage >= MaturityStage.ADAPTIVE) {
      this.breakGlass.push(...(props.adaptive?.breakGlassRoleArns ?? []));
      this.revocation = new RevocationPath(this, 'revocation', {
        environment: props.environment,
        partition: this.partition,
        accountId: this.accountId,
        keyArn: this.auditTrail.key.arn,
        topicArn: this.detection!.topic.arn,
        deletionProtection: props.adaptive?.deletionProtection,
        responderRoleArns: props.adaptive?.responderRoleArns ?? [],
      });
      this.broker = new CredentialBroker(this, 'broker', {
        environment: props.environment,
        partition: this.partition,
        region: props.region,
        accountId: this.accountId,
        keyArn: this.auditTrail.key.arn,
        topicArn: this.detection!.topic.arn,
        revokerArn: this.revocation.revoker.function.arn,
        revokerName: this.revocation.revoker.function.functionName,
        deletionProtection: props.adaptive?.deletionProtection,
        responderRoleArns: props.adaptive?.responderRoleArns ?? [],
        delegationToken: props.adaptive?.delegationToken,
      });
      this.brokerPrincipals = [this.broker.broker.role.arn, ...this.breakGlass];
      this.detection!.addLambdaTarget({ id: 'revoker', function: this.revocation.revoker.function, severities: [...REVOKING_SEVERITIES] });
      this.detection!.addLambdaTarget({ id: 'risk', function: this.broker.risk.function, severities: [...SEVERITIES] });
      new TerraformOutput(this, STACK_OUTPUTS.brokerUrl, { description: 'IAM-authenticated URL of the credential broker', value: this.broker.url.functionUrl });
      new TerraformOutput(this, STACK_OUTPUTS.revokerFunction, { description: 'The revoker (kill switch: npx agent-iam revoke)', value: this.revocation.revoker.function.functionName });
    }

    this.agentEnvironment = {
      environment: props.environment,
      stage: props.stage,
      partition: this.partition,
      region: props.region,
      accountId: this.accountId,
      permissionsBoundaryArn: this.permissionsBoundary.arn,
      defaultTags: providerDefaultTags(props.environment),
      brokerPrincipals: this.brokerPrincipals,
    };
    // Per-agent wiring (policy layout, registry entries, data events, detection facts) is derived
    // at synth from the agents found in the tree, before the other aspects and validations run.
    Aspects.of(this).add({ visit: (node: IConstruct) => { if (node === this) this.wireAgents(); } });

    for (const a of props.agents ?? []) {
      this.addAgent(a);
    }

    new TerraformOutput(this, STACK_OUTPUTS.roleArns, {
      description: 'Role ARN of each agent',
      value: Lazy.anyValue({ produce: () => Object.fromEntries(this.agents.map((a) => [a.agentName, a.roleArn])) }),
    });

    this.quotas = props.quotas;
    // Everything the library created so far (and each agent it adds) writes its strings as literals.
    for (const child of this.node.children) markLibraryOwned(child);
    Aspects.of(this).add(new TerraformLiterals());
    Aspects.of(this).add(new IdentifierCheck(props.environment));
    this.node.addValidation({ validate: () => this.validateStack() });
  }

  /** Adds an agent to the environment. */
  public addAgent(props: AgentIdentityProps): AgentIdentity {
    // A second agent of one name gets its own construct id, so that synth reports the duplicate
    // with every other problem instead of constructs throwing on the id.
    let id = `agent-${props?.name}`;
    for (let n = 2; this.node.tryFindChild(id); n++) id = `agent-${props?.name}-duplicate-${n}`;
    const agent = new AgentIdentity(this, id, props);
    markLibraryOwned(agent);
    return agent;
  }

  /** The environment's agents: every AgentIdentity in the stack's tree, in creation order. */
  public get agents(): AgentIdentity[] {
    // Only agents whose resources this stack writes (an agent under a nested stack belongs to that stack).
    return this.node.findAll().filter((c): c is AgentIdentity => c instanceof AgentIdentity && TerraformStack.of(c) === this);
  }

  /**
   * What an AgentIdentity reads from its environment: plain values, no callbacks.
   * @internal
   */
  public _agentEnvironment(): AgentEnvironment {
    return this.agentEnvironment;
  }

  /**
   * Lays out every agent found in the tree that is not laid out yet: its policies (with the
   * token-age policy of its TTL), its data-event selectors, and from stage 3 its registry entry,
   * session-policy templates and detection facts. Runs at synth (first aspect on the stack), so
   * agents created anywhere under the stack and grants added after construction are included.
   */
  private wireAgents(): void {
    for (const a of this.agents) {
      if (this.wired.has(a)) continue;
      // An agent found after the detection rules were made (a second synth of the same stack)
      // cannot join them: reported with the stack's other problems, and left unwired.
      if (this.detection?.isFinalized) continue;
      this.wired.add(a);
      a._materialize(this.tokenAge && Number.isInteger(a.sessionTtl) ? this.tokenAge.policyArn(a.sessionTtl) : undefined);
      this.registerDataEvents(a);
      this.registerEnhanced(a);
    }
  }

  private boundaryDocument() {
    return this.boundary().doc;
  }

  /**
   * The boundary, the form of its allow and its size as IAM counts it. Computed once per set of
   * agents and statements (synth reads it for the policy, the size check and the stage check).
   */
  private boundary(): { doc: PolicyDoc; scope: BoundaryScope; size: number } {
    const agents = this.agents;
    const statements = agents.map((a) => a._statements());
    const cached = this.boundaryCache;
    if (cached && cached.statements.length === statements.length && cached.statements.every((x, i) => x === statements[i])) return cached.result;
    const result = this.computeBoundary(agents);
    this.boundaryCache = { statements, result };
    return result;
  }

  private computeBoundary(agents: AgentIdentity[]): { doc: PolicyDoc; scope: BoundaryScope; size: number } {
    const services = new Set<string>();
    for (const a of agents) {
      for (const s of a._statements()) {
        for (const action of s.Action ?? []) {
          const i = action.indexOf(':');
          if (i > 0) services.add(action.slice(0, i).toLowerCase());
        }
      }
    }
    return scopedBoundary({
      partition: this.partition,
      accountId: this.accountId,
      environment: this.environment,
      services: [...services],
      // Built from names, not the role's own ARN: the role references the boundary, so that would be a cycle.
      agents: agents.map((a) => ({ roleArn: agentRoleArn(this.partition, this.accountId, this.environment, a.roleName), statements: a._statements() })),
      auditBucketArn: this.auditTrail.bucket.arn,
      auditKeyArn: this.auditTrail.key.arn,
      auditQueueArns: [this.auditTrail.siemQueue.arn, this.auditTrail.siemDeadLetterQueue.arn],
    });
  }

  /** Stage 3+: the agent's registry entry, its session-policy templates and its per-agent detections. */
  private registerEnhanced(a: AgentIdentity): void {
    if (this.stage < MaturityStage.ENHANCED) return;
    const entry: AgentRegistryEntry = {
      id: a.agentName,
      owner: a.owner,
      purpose: a.purpose,
      dataClassification: a.dataClassification,
      stage: this.stage,
      environment: this.environment,
      roleArn: a.roleArn,
      sessionTtlSeconds: a.sessionTtl,
      maxSessionDurationSeconds: a.maxSessionDuration,
      expiresAt: a.expiresAt ?? null,
      allowedRegions: a.context.allowedRegions ?? [],
      tokenAgePolicyArn: a.tokenAgePolicyArn ?? null,
      sessionPolicies: a.sessionPolicies.map((t) => t.name),
      // Who may ask for this agent's credentials (stage 4: callers of the broker).
      callers: [...(a.delegation?.awsPrincipals ?? [])],
      // Whom callers may name (stage 4 without a delegation token; the broker refuses anyone else).
      onBehalfOfPatterns: [...(a.delegation?.onBehalfOfPatterns ?? [])],
    };
    this.registry[a.agentName] = entry;
    const base = registryParameterName(this.environment, a.agentName);
    new SsmParameter(a, 'registry', {
      name: base,
      description: `Registry entry of agent ${a.agentName} (${this.environment})`,
      type: 'SecureString',
      keyId: this.auditKeyArn,
      tier: this.parameterTier(a, 'registry entry', JSON.stringify(entry),
        'declare fewer delegation.awsPrincipals (callers) or delegation.onBehalfOfPatterns, for example one runtime role per caller kind'),
      value: JSON.stringify(entry),
    });
    for (const t of a.sessionPolicies) {
      const templateJson = a._sessionPolicyJson(t.name);
      new SsmParameter(a, `session-policy-${t.name}`, {
        name: sessionPolicyParameterName(this.environment, a.agentName, t.name),
        description: `Session-policy template ${t.name} of agent ${a.agentName}, for the credential broker`,
        type: 'SecureString',
        keyId: this.auditKeyArn,
        tier: this.parameterTier(a, `session-policy template ${t.name}`, templateJson, 'split the template into smaller ones'),
        value: templateJson,
      });
      if (this.stage >= MaturityStage.ADAPTIVE) {
        const readOnly = JSON.stringify(readOnlyVariant(JSON.parse(templateJson)));
        // The broker hands out this read-only variant at elevated risk; computed here because the
        // bundled broker does not carry the AWS service reference.
        new SsmParameter(a, `session-policy-${t.name}-read-only`, {
          name: readOnlyVariantParameterName(sessionPolicyParameterName(this.environment, a.agentName, t.name)),
          description: `Read-only variant of template ${t.name} of agent ${a.agentName} (elevated risk)`,
          type: 'SecureString',
          keyId: this.auditKeyArn,
          tier: this.parameterTier(a, `read-only variant of template ${t.name}`, readOnly, 'split the template into smaller ones'),
          value: readOnly,
        });
      }
    }
    this.detection?.addAgent({
      name: a.agentName,
      roleArn: agentRoleArn(this.partition, this.accountId, this.environment, a.roleName),
      // Who may really assume the role: at stage 4 the broker and break-glass roles, before that the declared principals.
      declaredPrincipalArns: this.brokerPrincipals
        ? [...this.brokerPrincipals]
        : [...(a.delegation?.awsPrincipals ?? []), ...(a.delegation?.thirdParties ?? []).map((t) => t.principal)],
      allowedRegions: a.context.allowedRegions,
    });
  }

  /**
   * The SSM tier of one of an agent's parameters: Standard up to 4 KB, Advanced up to 8 KB (with
   * a warning: advanced parameters are charged), and a synth problem naming the agent beyond that.
   */
  private parameterTier(a: AgentIdentity, what: string, value: string, fix: string): 'Standard' | 'Advanced' {
    const references = stringTokens(value);
    const literal = references.reduce((v, r) => v.replace(r, ''), value);
    // References here are ARNs (the agent's role, its token-age policy, callers' roles): each counted at the longest role ARN.
    const { tier, size } = ssmParameterTier(literal, references.length, AwsLimits.IAM_ROLE_ARN_MAX);
    if (tier === 'Advanced') {
      Annotations.of(a).addWarning(`agent "${a.agentName}": its ${what} is about ${size} bytes, over the ${AwsLimits.SSM_STANDARD_VALUE_MAX} bytes of a standard SSM parameter; `
        + 'it is written as an advanced parameter (charged per month). To keep it standard, ' + fix);
    } else if (tier === undefined) {
      this.parameterProblems.push(`agent "${a.agentName}": its ${what} is about ${size} bytes; an SSM parameter holds at most ${AwsLimits.SSM_ADVANCED_VALUE_MAX} bytes (advanced tier). Fix: ${fix}`);
    }
    return tier ?? 'Advanced';
  }

  /**
   * Registers data events for what the agents are granted (S3 object prefixes, DynamoDB tables,
   * Terraform references kept verbatim); a granted resource that cannot be covered is a synth problem.
   */
  private registerDataEvents(a: AgentIdentity): void {
    if (this.auditOptions.dataEvents === false) return;
    for (const s of a._statements()) {
      if (s.Effect !== 'Allow') continue;
      for (const r of s.Resource ?? []) {
        const { target, problem } = dataEventCover(s.Action ?? [], r);
        if (target) this.auditTrail._addDataEvents(target);
        if (problem) {
          this.dataEventProblems.push(`agent "${a.agentName}": permissions: the grant of ${(s.Action ?? []).join(', ')} on "${resolveValue(this, r)}" `
            + `gets no CloudTrail data events: ${problem}`);
        }
      }
    }
  }

  /**
   * The environment as `agent-iam assess` reads it: this stack's own emitted Terraform, parsed by
   * the same reader (lib/assess), so the synth-time stage check and `assess` cannot disagree.
   * Escape hatches and overrides are in the emitted JSON, so they are judged too.
   */
  private emittedEnvironment(): TerraformEnvironment {
    const emitted = super.toTerraform();
    // Synth resolves the whole stack once more right after validation (`toTerraform()`), the
    // costliest step at fleet scale; the document judged here is handed to that call instead,
    // only when it is judged inside runAllValidations (as cdktf synth does) and that passes.
    if (this.validating) {
      this.emitted = { document: emitted, nodes: this.node.findAll().length };
      queueMicrotask(() => { this.emitted = undefined; });
    }
    return readEnvironment(parseTerraformJson(emitted, this.environment, `stack ${this.environment}`));
  }

  /**
   * The stack's Terraform JSON. Right after synth validation (in the same synchronous run, with
   * no construct added since), this is the very document the stage check judged; otherwise the
   * stack is resolved afresh.
   */
  /**
   * Runs every validation of the stack; the document the stage check judged is kept for the
   * toTerraform() that follows only when no validation fails.
   */
  public runAllValidations(): void {
    this.emitted = undefined;
    this.validating = true;
    try {
      super.runAllValidations();
    } catch (e) {
      this.emitted = undefined;
      throw e;
    } finally {
      this.validating = false;
    }
  }

  public toTerraform(): any {
    const cached = this.emitted;
    this.emitted = undefined;
    if (cached && cached.nodes === this.node.findAll().length) return cached.document;
    return super.toTerraform();
  }

  /**
   * What the stack adds against the account quotas, counted from the resources it declares
   * (sizes as AWS counts them once Terraform resolves references).
   * @internal
   */
  public _quotaUsage(): QuotaUsage {
    let roles = 0, policies = 0, rules = 0, ssm = 0, alarms = 0, selectorValues = { count: 0, what: '' };
    let pattern = { count: 0, what: '' };
    const permissions = new Map<string, number>();
    for (const c of this.node.findAll()) {
      if (!(c instanceof TerraformResource)) continue;
      switch (c.terraformResourceType) {
        case 'aws_iam_role': roles++; break;
        case 'aws_iam_policy': policies++; break;
        case 'aws_cloudwatch_metric_alarm': alarms++; break;
        case 'aws_cloudtrail': {
          const n = selectorValueCount((resolveValue(this, (c as Cloudtrail).advancedEventSelectorInput) ?? []) as any[]);
          if (n > selectorValues.count) selectorValues = { count: n, what: `advanced event selectors of trail ${(c as Cloudtrail).nameInput ?? c.node.id}` };
          break;
        }
        case 'aws_ssm_parameter':
          if ((c as SsmParameter).tierInput !== 'Advanced') ssm++;
          break;
        case 'aws_cloudwatch_event_rule': {
          const r = c as CloudwatchEventRule;
          rules++;
          const json = r.eventPatternInput;
          if (typeof json === 'string' && json.startsWith('{')) {
            const size = eventPatternSize(JSON.parse(json), { accountId: this.accountId });
            if (size > pattern.count) pattern = { count: size, what: `rule ${r.nameInput ?? c.node.id}` };
          }
          break;
        }
        case 'aws_lambda_permission': {
          const p = c as LambdaPermission;
          const fn = String(resolveValue(this, p.functionNameInput));
          permissions.set(fn, (permissions.get(fn) ?? LAMBDA_POLICY_ENVELOPE) + lambdaStatementSize(this, p));
          break;
        }
        default:
      }
    }
    const largest = [...permissions].sort((a, b) => b[1] - a[1])[0];
    return {
      iamRolesPerAccount: { count: roles, what: 'roles this stack declares (other roles in the account count too)' },
      iamManagedPoliciesPerAccount: { count: policies, what: 'customer-managed policies this stack declares (others in the account count too)' },
      eventBridgeRulesPerBus: { count: rules, what: 'rules this stack puts on the default bus' },
      eventPatternSize: pattern,
      lambdaResourcePolicySize: largest ? { count: largest[1], what: `resource policy of ${largest[0]}` } : { count: 0 },
      ssmStandardParameters: { count: ssm, what: 'standard parameters this stack declares' },
      cloudWatchAlarms: { count: alarms, what: 'alarms this stack declares' },
      cloudTrailSelectorValues: selectorValues,
    };
  }

  private validateStack(): string[] {
    const problems: string[] = [...this.inputProblems, ...this.parameterProblems, ...this.dataEventProblems, ...checkAccountQuotas(this.environment, this._quotaUsage(), this.quotas)];
    const seen = new Map<string, number>();
    const agents = this.agents;
    for (const a of agents.filter((x) => !this.wired.has(x))) {
      problems.push(`agent "${a.agentName}": was created after stack "${this.environment}" wired its agents at synth (inside an Aspect, or after a first synth of this stack), `
        + 'so its policies, registry entry, data events and detections were never laid out. Create every agent (stack.addAgent or new AgentIdentity) before synth');
    }
    for (const a of agents) seen.set(a.agentName, (seen.get(a.agentName) ?? 0) + 1);
    for (const [name, n] of seen) {
      if (n > 1) problems.push(stackProblem(this.environment, 'agents', `agent "${name}" is declared ${n} times; agent names must be unique in an environment (one role per agent)`));
    }
    if (this.stage >= MaturityStage.ADAPTIVE && !this.delegationToken) {
      for (const a of agents) {
        if ((a.delegation?.onBehalfOfPatterns ?? []).length === 0) {
          problems.push(`agent "${a.agentName}": delegation.onBehalfOfPatterns: is required at stage 4 unless adaptive.delegationToken verifies people's tokens: `
            + 'the broker would otherwise take any name a caller gives as the source identity. Declare whom callers may act for, for example ["*@example.com"]');
        }
      }
    }
    const boundarySize = this.boundary().size;
    if (boundarySize > AwsLimits.MANAGED_POLICY_MAX) {
      problems.push(stackProblem(this.environment, 'permissionsBoundary', `the boundary is ${boundarySize} characters; IAM allows ${AwsLimits.MANAGED_POLICY_MAX} for a managed policy`));
    }
    const env = this.emittedEnvironment();
    for (const f of checkStage({ ...env.facts, stage: this.stage })) {
      const c = ControlCatalog.get(f.controlId);
      problems.push(`${f.agent ? `agent "${f.agent}"` : `stack "${this.environment}"`}: fails ${c.id} (${c.title}, stage ${c.stage}): ${f.message}`);
    }
    return problems;
  }
}

/** `{"Version":"2012-10-17","Id":"default","Statement":[]}`: what Lambda wraps around the statements. */
const LAMBDA_POLICY_ENVELOPE = 52;

/**
 * The size of the statement Lambda stores for an `aws_lambda_permission` (compact JSON), with the
 * function ARN at its longest (64-character name) and references counted as `eventPatternSize` does.
 */
function lambdaStatementSize(stack: TerraformStack, p: LambdaPermission): number {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const condition = p.sourceArnInput ? { ArnLike: { 'AWS:SourceArn': str(resolveValue(stack, p.sourceArnInput)) } } : undefined;
  const statement = {
    Sid: str(p.statementIdInput) || 'x'.repeat(36),
    Effect: 'Allow',
    Principal: { Service: str(p.principalInput) },
    Action: str(p.actionInput),
    Resource: lambdaFunctionArn('aws', 'xx-xxxxxxxxx-1', '000000000000', 'x'.repeat(64)),
    ...(condition ? { Condition: condition } : {}),
  };
  // References to the account id resolve to 12 digits; others count generously.
  const json = JSON.stringify(statement).replace(/\$\{data\.aws_caller_identity\.[^}]*\.account_id\}/g, '000000000000');
  return eventPatternSize(JSON.parse(json), { accountId: '000000000000' }) + 1;
}

/** A value with its tokens resolved as Terraform will see them (`${aws_lambda_function.x.function_name}`). */
function resolveValue(scope: TerraformStack, value: unknown): unknown {
  return Tokenization.resolve(value, { scope, resolver: new DefaultTokenResolver(new StringConcat()) });
}
