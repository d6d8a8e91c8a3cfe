/**
 * Basic delegation: who may act as an agent, and on whose behalf. Builds the
 * role's trust policy and checks the declared principals.
 */
import { isUnresolved } from './private/token';
import { AwsLimits } from './limits';
import { agentProblem } from './errors';
import { ConditionBlock, policyDoc, PolicyDoc, policySize, Statement } from './policy';
import { ALLOWED_SESSION_TAGS, REQUIRED_SESSION_TAGS } from './session-tags';
import { nearestName } from './iam-reference';

/** An AWS service that runs the agent and assumes its role directly. */
export interface ServiceDelegation {
  /** Service principal, for example `ecs-tasks.amazonaws.com`, `lambda.amazonaws.com`, `bedrock-agentcore.amazonaws.com`. */
  readonly service: string;
  /**
   * ARN pattern of the service resources allowed to assume the role (the
   * confused-deputy guard `aws:SourceArn`), for services that send it.
   * @default - every resource of that service in this account and region
   */
  readonly sourceArn?: string;
}

/** A federated workload (EKS service account, CI pipeline) assuming the role with an OIDC token. */
export interface OidcDelegation {
  /** ARN of the IAM OIDC identity provider. */
  readonly providerArn: string;
  /**
   * Issuer host and path as IAM writes it in condition keys (`oidc.eks.us-east-1.amazonaws.com/id/ABC`).
   * @default - taken from providerArn; required when providerArn is an unresolved reference
   */
  readonly issuer?: string;
  /** Allowed `sub` claims (for example `system:serviceaccount:agents:support-triage`). Required. */
  readonly subjects: string[];
  /** Allowed `aud` claims (for example `sts.amazonaws.com`). Required. */
  readonly audiences: string[];
  /**
   * Whether the IdP sends the `https://aws.amazon.com/source_identity` claim.
   * When true the trust policy requires a source identity from this provider too.
   * @default false
   */
  readonly sendsSourceIdentity?: boolean;
}

/** A principal in another organisation (a vendor) that assumes the role with an external id. */
export interface ThirdPartyDelegation {
  /** The vendor's account or role ARN. */
  readonly principal: string;
  /** The external id agreed with the vendor (2-1,224 characters). */
  readonly externalId: string;
}

/**
 * A written acknowledgement that an account-root principal (`arn:<partition>:iam::<account>:root`
 * or a bare account id) may assume the agent: it trusts every role and user of that account whose
 * own IAM policies allow sts:AssumeRole on the agent, now and in the future.
 */
export interface AccountRootAcknowledgement {
  /** The account-root principal, exactly as written in awsPrincipals or thirdParties. */
  readonly principal: string;
  /** Why trusting the whole account is acceptable (recorded in the code review; at least 10 characters). */
  readonly reason: string;
  /**
   * External id the account must pass (2-1,224 characters of letters, digits and +=,.@:/-).
   * Required for another account's root; for a principal in awsPrincipals it is added as an
   * `sts:ExternalId` condition.
   * @default - none (allowed only for this stack's own account)
   */
  readonly externalId?: string;
}

/** Who may assume an agent's role. At least one principal is required. */
export interface AgentDelegation {
  /**
   * IAM role ARNs in your organisation that act as the agent: an orchestrator,
   * the agent's runtime role, a human SSO role. Each must pass a source identity.
   * @default - none
   */
  readonly awsPrincipals?: string[];
  /**
   * AWS services that run the agent and assume its role directly (no source identity possible).
   * @default - none
   */
  readonly services?: ServiceDelegation[];
  /**
   * OIDC-federated workloads.
   * @default - none
   */
  readonly oidc?: OidcDelegation[];
  /**
   * Third parties, each with an external id.
   * @default - none
   */
  readonly thirdParties?: ThirdPartyDelegation[];
  /**
   * Pattern (StringLike) the source identity must match, for example `user-*` or `*@example.com`.
   * STS accepts source identities of 2-64 characters of letters, digits and `_+=,.@-`: a pattern
   * that no such value can match (`user:*`) is a synth error.
   * @default "*" (any source identity, but one must be set)
   */
  readonly sourceIdentityPattern?: string;
  /**
   * Account-root principals (in awsPrincipals or thirdParties) you accept, each with a reason;
   * any other account-root principal is a synth error.
   * @default - none
   */
  readonly accountRootAcknowledgements?: AccountRootAcknowledgement[];
  /**
   * Stage 4 without `adaptive.delegationToken`: StringLike patterns of whom the agent's callers may
   * name as `onBehalfOf` at the credential broker (for example `*@example.com`); the broker
   * refuses any other name. Required at stage 4 unless the stack verifies people's tokens.
   * @default - none
   */
  readonly onBehalfOfPatterns?: string[];
}

/** Context a trust policy is built in. */
export interface TrustContext {
  readonly partition: string;
  readonly region: string;
  /** Account id (usually a reference to aws_caller_identity). */
  readonly accountId: string;
  /**
   * Require the session tags (task-id, on-behalf-of) at assume time and allow only the known tag keys (stage 3+).
   * @default false
   */
  readonly requireSessionTags?: boolean;
}

/**
 * The AWS services that run workloads and assume a role for them, with their confused-deputy
 * guards (which keys each service sends when it assumes a role) and whether AWS requires
 * `sts:TagSession` beside `sts:AssumeRole` (EKS Pod Identity tags every session with the pod's
 * cluster, namespace and service account). Sources: each service's "service role" page in the
 * AWS documentation; EKS: "Create IAM role with trust policy required by EKS Pod Identity".
 */
const SERVICE_GUARDS: Record<string, { sourceAccount: boolean; sourceArnService?: string; sourceArnResource?: string; tagSession?: boolean }> = {
  'ecs-tasks.amazonaws.com': { sourceAccount: true, sourceArnService: 'ecs' },
  'bedrock-agentcore.amazonaws.com': { sourceAccount: true, sourceArnService: 'bedrock-agentcore' },
  'bedrock.amazonaws.com': { sourceAccount: true, sourceArnService: 'bedrock' },
  // Lambda assumes execution roles without aws:SourceArn/aws:SourceAccount, so no guard can be required.
  'lambda.amazonaws.com': { sourceAccount: false },
  // Pod Identity: AssumeRole and TagSession, as AWS requires; narrow it with sourceArn if your clusters send it.
  'pods.eks.amazonaws.com': { sourceAccount: false, tagSession: true },
  'ec2.amazonaws.com': { sourceAccount: false },
  'states.amazonaws.com': { sourceAccount: true, sourceArnService: 'states' },
  'sagemaker.amazonaws.com': { sourceAccount: false },
  'codebuild.amazonaws.com': { sourceAccount: true, sourceArnService: 'codebuild' },
  'glue.amazonaws.com': { sourceAccount: false },
  'batch.amazonaws.com': { sourceAccount: false },
  'events.amazonaws.com': { sourceAccount: true, sourceArnService: 'events' },
  'scheduler.amazonaws.com': { sourceAccount: true, sourceArnService: 'scheduler' },
  'pipes.amazonaws.com': { sourceAccount: true, sourceArnService: 'pipes' },
  'apprunner.amazonaws.com': { sourceAccount: false },
  'tasks.apprunner.amazonaws.com': { sourceAccount: false },
  'build.apprunner.amazonaws.com': { sourceAccount: false },
  'edgelambda.amazonaws.com': { sourceAccount: false },
  'elasticmapreduce.amazonaws.com': { sourceAccount: false },
  'emr-serverless.amazonaws.com': { sourceAccount: false },
  'airflow.amazonaws.com': { sourceAccount: false },
  'airflow-env.amazonaws.com': { sourceAccount: false },
  'firehose.amazonaws.com': { sourceAccount: false },
  'kendra.amazonaws.com': { sourceAccount: false },
  'q.amazonaws.com': { sourceAccount: false },
  'qbusiness.amazonaws.com': { sourceAccount: false },
  'appsync.amazonaws.com': { sourceAccount: false },
  'apigateway.amazonaws.com': { sourceAccount: false },
  'codepipeline.amazonaws.com': { sourceAccount: false },
  'cloudformation.amazonaws.com': { sourceAccount: false },
  'ssm.amazonaws.com': { sourceAccount: false },
  'datasync.amazonaws.com': { sourceAccount: false },
  'transfer.amazonaws.com': { sourceAccount: false },
  'mediaconvert.amazonaws.com': { sourceAccount: false },
  'comprehend.amazonaws.com': { sourceAccount: false },
  'textract.amazonaws.com': { sourceAccount: false },
  'transcribe.amazonaws.com': { sourceAccount: false },
  'rekognition.amazonaws.com': { sourceAccount: false },
  'personalize.amazonaws.com': { sourceAccount: false },
  'forecast.amazonaws.com': { sourceAccount: false },
  'iot.amazonaws.com': { sourceAccount: false },
  'lex.amazonaws.com': { sourceAccount: false },
  'connect.amazonaws.com': { sourceAccount: false },
};

/** The service principals the library knows (a role trusted by one of them can run an agent). */
export const KNOWN_SERVICE_PRINCIPALS: readonly string[] = Object.keys(SERVICE_GUARDS);

function issuerOf(o: OidcDelegation): string | undefined {
  if (o.issuer) return o.issuer.replace(/^https:\/\//, '');
  if (isUnresolved(o.providerArn)) return undefined;
  const i = o.providerArn.indexOf(':oidc-provider/');
  return i >= 0 ? o.providerArn.slice(i + ':oidc-provider/'.length) : undefined;
}

/** The account of an account-root principal (`arn:<p>:iam::<acct>:root` or a bare account id), else undefined. */
export function accountRootOf(principal: string): string | undefined {
  const m = /^(?:arn:[a-z-]+:iam::(\d{12}):root|(\d{12}))$/.exec(principal);
  return m ? (m[1] ?? m[2]) : undefined;
}

function acknowledgementOf(d: AgentDelegation, principal: string): AccountRootAcknowledgement | undefined {
  return (d.accountRootAcknowledgements ?? []).find((a) => a.principal === principal);
}

/**
 * The role trust policy for a delegation.
 *
 * IAM evaluates a condition key for an action only when the service reference lists it for
 * that action (or globally): `sts:SourceIdentity` is listed for `sts:AssumeRole` and
 * `sts:SetSourceIdentity` but not `sts:TagSession`; `aws:RequestTag/*` and `aws:TagKeys` for
 * `sts:AssumeRole` and `sts:TagSession` but not `sts:SetSourceIdentity`; `sts:ExternalId` for
 * `sts:AssumeRole` only. So each principal gets one statement per action, each carrying only
 * the keys that apply to it. `sts:SetSourceIdentity` and `sts:TagSession` are evaluated only
 * inside an `AssumeRole*` call, which the first statement gates with every condition.
 */
export function trustPolicy(d: AgentDelegation, ctx: TrustContext): PolicyDoc {
  const pattern = d.sourceIdentityPattern ?? '*';
  const statements: Statement[] = [];
  const sourceIdentity: ConditionBlock = { StringLike: { 'sts:SourceIdentity': [pattern] } };
  // Stage 3+: the task tags are required at assume time, and only the known tag keys pass.
  const tagConditions = (): ConditionBlock => {
    const c: ConditionBlock = { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...ALLOWED_SESSION_TAGS] } };
    if (ctx.requireSessionTags) {
      c.StringLike = Object.fromEntries(REQUIRED_SESSION_TAGS.map((t) => [`aws:RequestTag/${t}`, ['?*']]));
    }
    return c;
  };
  const assumeConditions = (extra: ConditionBlock = {}): ConditionBlock => {
    const tags = ctx.requireSessionTags ? tagConditions() : {};
    return mergeConditionBlocks(extra, sourceIdentity, tags);
  };
  const perAction = (sid: string, principal: Record<string, string[]>, assume: ConditionBlock) => {
    statements.push({ Sid: sid, Effect: 'Allow', Principal: principal, Action: ['sts:AssumeRole'], Condition: assume });
    statements.push({ Sid: `${sid}Set`, Effect: 'Allow', Principal: principal, Action: ['sts:SetSourceIdentity'], Condition: mergeConditionBlocks(sourceIdentity) });
    statements.push({ Sid: `${sid}Tags`, Effect: 'Allow', Principal: principal, Action: ['sts:TagSession'], Condition: tagConditions() });
  };
  // Acknowledged account roots with an external id get their own statements with sts:ExternalId.
  const rootsWithExternalId = (d.awsPrincipals ?? []).filter((p) => accountRootOf(p) && acknowledgementOf(d, p)?.externalId);
  const plain = (d.awsPrincipals ?? []).filter((p) => !rootsWithExternalId.includes(p));
  if (plain.length > 0) {
    perAction('AssumeWithSourceIdentity', { AWS: [...new Set(plain)].sort() }, assumeConditions());
  }
  [...new Set(rootsWithExternalId)].forEach((p, i) => perAction(`AccountRootWithExternalId${i}`, { AWS: [p] },
    assumeConditions({ StringEquals: { 'sts:ExternalId': [acknowledgementOf(d, p)!.externalId!] } })));
  (d.thirdParties ?? []).forEach((t, i) => perAction(`ThirdPartyWithExternalId${i}`, { AWS: [t.principal] },
    assumeConditions({ StringEquals: { 'sts:ExternalId': [t.externalId] } })));
  (d.services ?? []).forEach((s, i) => {
    const guard = SERVICE_GUARDS[s.service.replace(/\.cn$/, '')];
    // EKS Pod Identity tags every session with the pod's attributes: AWS requires sts:TagSession.
    const st: Statement = { Sid: `ServiceAssume${i}`, Effect: 'Allow', Principal: { Service: [s.service] }, Action: guard?.tagSession ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'] };
    if (guard?.sourceAccount || s.sourceArn) {
      st.Condition = {};
      if (guard?.sourceAccount) st.Condition.StringEquals = { 'aws:SourceAccount': [ctx.accountId] };
      const arn = s.sourceArn ?? (guard?.sourceArnService ? `arn:${ctx.partition}:${guard.sourceArnService}:${ctx.region}:${ctx.accountId}:${guard.sourceArnResource ?? '*'}` : undefined);
      if (arn) st.Condition.ArnLike = { 'aws:SourceArn': [arn] };
    }
    statements.push(st);
  });
  (d.oidc ?? []).forEach((o, i) => {
    const issuer = issuerOf(o) ?? 'unknown-issuer';
    const principal = { Federated: [o.providerArn] };
    const claims: ConditionBlock = {
      StringEquals: { [`${issuer}:aud`]: [...o.audiences] },
      StringLike: { [`${issuer}:sub`]: [...o.subjects] },
    };
    statements.push({
      Sid: `WebIdentity${i}`, Effect: 'Allow', Principal: principal, Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: o.sendsSourceIdentity ? mergeConditionBlocks(claims, sourceIdentity) : claims,
    });
    if (o.sendsSourceIdentity) {
      statements.push({ Sid: `WebIdentity${i}Set`, Effect: 'Allow', Principal: principal, Action: ['sts:SetSourceIdentity'], Condition: mergeConditionBlocks(sourceIdentity) });
      statements.push({ Sid: `WebIdentity${i}Tags`, Effect: 'Allow', Principal: principal, Action: ['sts:TagSession'], Condition: tagConditions() });
    }
  });
  return policyDoc(statements);
}

/**
 * Condition blocks combined: every operator/key of each must hold. Throws when two blocks set
 * the same operator and key, which IAM could only read as one OR list.
 */
export function mergeConditionBlocks(...blocks: ConditionBlock[]): ConditionBlock {
  const out: ConditionBlock = {};
  for (const b of blocks) {
    for (const [op, keys] of Object.entries(b)) {
      out[op] = { ...(out[op] ?? {}) };
      for (const [k, v] of Object.entries(keys)) {
        if (out[op][k]) throw new Error(`internal: condition ${op} ${k} set twice; IAM would read the values as OR`);
        out[op][k] = [...v];
      }
    }
  }
  return out;
}

function hasWildcard(s: string): boolean {
  return !isUnresolved(s) && s.includes('*');
}

/** Characters STS accepts in a source identity (2-64 of them). */
const SOURCE_IDENTITY_CHAR = /[\w+=,.@-]/;
const SOURCE_IDENTITY_MIN = 2;
const SOURCE_IDENTITY_MAX = 64;

/**
 * Why no valid source identity can match a StringLike pattern (`*` any run, `?` one character),
 * or undefined when some can. Tokens are not judged.
 */
export function unmatchableSourceIdentityPattern(pattern: string): string | undefined {
  if (isUnresolved(pattern)) return undefined;
  const literal = pattern.replace(/[*?]/g, '');
  const bad = [...new Set([...literal].filter((c) => !SOURCE_IDENTITY_CHAR.test(c)))];
  if (bad.length > 0) {
    return `${bad.map((c) => JSON.stringify(c)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not allowed in a source identity`;
  }
  const fixed = pattern.replace(/\*/g, '').length; // literal characters and '?'s: the shortest match
  if (fixed > SOURCE_IDENTITY_MAX) return `its shortest match is ${fixed} characters, over the ${SOURCE_IDENTITY_MAX} STS allows`;
  if (!pattern.includes('*') && fixed < SOURCE_IDENTITY_MIN) return `it matches only ${fixed}-character values, under the ${SOURCE_IDENTITY_MIN} STS requires`;
  return undefined;
}

/** GitHub Actions' OIDC issuer. */
export const GITHUB_ACTIONS_ISSUER = 'token.actions.githubusercontent.com';
const EKS_ISSUER = /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]+$/;

/**
 * Why an OIDC subject of a known issuer is not anchored to one owner, or undefined. GitHub:
 * `repo:<owner>/<repo>:<rest>` with no wildcard in owner or repository. EKS:
 * `system:serviceaccount:<namespace>:<name>` with no wildcard.
 */
export function unanchoredSubject(issuer: string | undefined, subject: string): string | undefined {
  if (!issuer || isUnresolved(subject)) return undefined;
  if (issuer === GITHUB_ACTIONS_ISSUER) {
    const m = /^repo:([^/:]*)\/([^/:]*):(.+)$/.exec(subject);
    if (!m || /[*?]/.test(m[1]) || /[*?]/.test(m[2]) || m[1] === '' || m[2] === '') {
      return `"${subject}" is not anchored to one repository: any GitHub repository in the world matching it could assume the agent. `
        + 'Write "repo:<owner>/<repo>:<ref or environment>", with no wildcard in owner or repository (for example "repo:acme/agents:ref:refs/heads/main" or "repo:acme/agents:environment:prod")';
    }
    return undefined;
  }
  if (EKS_ISSUER.test(issuer)) {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject);
    if (!m || /[*?]/.test(subject)) {
      return `"${subject}" is not one Kubernetes service account: any pod of the cluster matching it could assume the agent. `
        + 'Write "system:serviceaccount:<namespace>:<name>" without wildcards';
    }
  }
  return undefined;
}

/** Problems with a delegation: no principal, wildcard principals, OIDC without sub/aud, bad external ids, size. */
export function validateDelegation(agent: string, d: AgentDelegation | undefined, ctx: TrustContext): string[] {
  const problems: string[] = [];
  const f = (field: string, msg: string) => problems.push(agentProblem(agent, `delegation.${field}`, msg));
  if (!d) {
    return [agentProblem(agent, 'delegation', 'is missing; declare who may assume the agent (awsPrincipals, services, oidc or thirdParties)')];
  }
  const count = (d.awsPrincipals ?? []).length + (d.services ?? []).length + (d.oidc ?? []).length + (d.thirdParties ?? []).length;
  if (count === 0) {
    f('', 'declares no principal, so nobody could assume the agent; add awsPrincipals (an orchestrator or runtime role), services, oidc or thirdParties');
  }
  const checkAccountRoot = (field: string, p: string, externalIdElsewhere: boolean) => {
    const account = accountRootOf(p);
    if (!account) return;
    const ack = acknowledgementOf(d, p);
    if (!ack) {
      f(field, `"${p}" is an account root: it trusts every role and user of account ${account} whose own policies allow `
        + 'sts:AssumeRole on the agent, now and in the future. Name the role ARNs instead, or acknowledge it in '
        + `accountRootAcknowledgements with { principal: "${p}", reason: "...", externalId: "..." }`);
      return;
    }
    const sameAccount = !isUnresolved(ctx.accountId) && ctx.accountId === account;
    if (!sameAccount && !externalIdElsewhere && !ack.externalId) {
      f(field, `"${p}" is the root of ${isUnresolved(ctx.accountId) ? 'an account that may not be this stack\'s' : 'another account'}; `
        + 'its acknowledgement must carry an externalId (2-1,224 characters agreed with that account), so a confused deputy there cannot assume the agent');
    }
  };
  (d.accountRootAcknowledgements ?? []).forEach((a, i) => {
    if (!a.reason || a.reason.trim().length < 10) {
      f(`accountRootAcknowledgements[${i}].reason`, 'must say why trusting the whole account is acceptable (at least 10 characters)');
    }
    if (a.externalId !== undefined && (a.externalId.length < AwsLimits.EXTERNAL_ID_MIN || a.externalId.length > AwsLimits.EXTERNAL_ID_MAX || !/^[\w+=,.@:/-]+$/.test(a.externalId))) {
      f(`accountRootAcknowledgements[${i}].externalId`, `must be ${AwsLimits.EXTERNAL_ID_MIN}-${AwsLimits.EXTERNAL_ID_MAX} characters of letters, digits and +=,.@:/-`);
    }
    const declared = [...(d.awsPrincipals ?? []), ...(d.thirdParties ?? []).map((t) => t.principal)];
    if (!accountRootOf(a.principal) || !declared.includes(a.principal)) {
      f(`accountRootAcknowledgements[${i}].principal`, `"${a.principal}" is not an account-root principal declared in awsPrincipals or thirdParties; remove the acknowledgement`);
    }
  });
  (d.awsPrincipals ?? []).forEach((p, i) => {
    if (isUnresolved(p)) return;
    checkAccountRoot(`awsPrincipals[${i}]`, p, false);
    if (p === '*' || hasWildcard(p)) {
      f(`awsPrincipals[${i}]`, `"${p}" lets any principal assume the agent; name the role ARNs that may act as it`);
    } else if (!/^arn:[a-z-]+:(iam|sts)::\d{12}:(root|role\/.+|user\/.+|assumed-role\/.+)$/.test(p) && !/^\d{12}$/.test(p)) {
      f(`awsPrincipals[${i}]`, `"${p}" is not an IAM principal ARN; expected arn:${ctx.partition}:iam::<account>:role/<name>`);
    } else if (!p.startsWith(`arn:${ctx.partition}:`) && !/^\d{12}$/.test(p)) {
      f(`awsPrincipals[${i}]`, `"${p}" is not in this stack's partition "${ctx.partition}"`);
    }
  });
  (d.services ?? []).forEach((s, i) => {
    if (s.service === '*' || hasWildcard(s.service)) {
      f(`services[${i}].service`, `"${s.service}" is a wildcard; name one service principal such as "ecs-tasks.amazonaws.com"`);
    } else if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(s.service)) {
      const hint = nearestName(s.service, KNOWN_SERVICE_PRINCIPALS);
      f(`services[${i}].service`, `"${s.service}" is not a service principal; ${hint ? `did you mean "${hint}"?` : 'expected for example "ecs-tasks.amazonaws.com"'}`);
    } else if (!SERVICE_GUARDS[s.service.replace(/\.cn$/, '')]) {
      const hint = nearestName(s.service, KNOWN_SERVICE_PRINCIPALS);
      f(`services[${i}].service`, `"${s.service}" is not a service principal this library knows${hint ? `; did you mean "${hint}"?` : ''}. `
        + `Known: ${KNOWN_SERVICE_PRINCIPALS.slice(0, 6).join(', ')}, ... (see KNOWN_SERVICE_PRINCIPALS); a service that is missing belongs in that list with its confused-deputy guard`);
    }
  });
  (d.oidc ?? []).forEach((o, i) => {
    if (!o.providerArn || o.providerArn === '*' || hasWildcard(o.providerArn)) {
      f(`oidc[${i}].providerArn`, 'must name one IAM OIDC provider ARN, without wildcards');
    }
    if (!issuerOf(o)) {
      f(`oidc[${i}].issuer`, 'is required when providerArn is a reference; give the issuer host and path, e.g. "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"');
    }
    if (!o.subjects || o.subjects.length === 0) {
      f(`oidc[${i}].subjects`, 'is empty: without a sub condition any workload trusted by the IdP could assume the agent; list the allowed subjects, e.g. "system:serviceaccount:<namespace>:<service-account>"');
    } else {
      o.subjects.forEach((s, j) => {
        if (s.trim() === '*' || /^\*+$/.test(s.trim())) {
          f(`oidc[${i}].subjects[${j}]`, '"*" matches every subject of the IdP; name the service account or repository');
          return;
        }
        const why = unanchoredSubject(issuerOf(o), s);
        if (why) f(`oidc[${i}].subjects[${j}]`, why);
      });
    }
    if (!o.audiences || o.audiences.length === 0) {
      f(`oidc[${i}].audiences`, 'is empty; give the expected aud claim, usually "sts.amazonaws.com"');
    }
  });
  (d.thirdParties ?? []).forEach((t, i) => {
    if (t.principal && !isUnresolved(t.principal)) checkAccountRoot(`thirdParties[${i}].principal`, t.principal, true);
    if (!t.principal || t.principal === '*' || hasWildcard(t.principal)) {
      f(`thirdParties[${i}].principal`, 'must name the vendor account or role ARN, without wildcards');
    }
    if (!t.externalId || t.externalId.length < AwsLimits.EXTERNAL_ID_MIN || t.externalId.length > AwsLimits.EXTERNAL_ID_MAX || !/^[\w+=,.@:/-]+$/.test(t.externalId)) {
      f(`thirdParties[${i}].externalId`, `must be ${AwsLimits.EXTERNAL_ID_MIN}-${AwsLimits.EXTERNAL_ID_MAX} characters of letters, digits and +=,.@:/-; use the id agreed with the vendor`);
    }
  });
  if (d.sourceIdentityPattern !== undefined && d.sourceIdentityPattern.trim() === '') {
    f('sourceIdentityPattern', 'is empty; omit it to accept any source identity, or give a pattern such as "user-*"');
  } else if (d.sourceIdentityPattern !== undefined) {
    const why = unmatchableSourceIdentityPattern(d.sourceIdentityPattern);
    if (why) {
      f('sourceIdentityPattern', `"${d.sourceIdentityPattern}" can never match: ${why}. STS accepts source identities of `
        + `${SOURCE_IDENTITY_MIN}-${SOURCE_IDENTITY_MAX} letters, digits and _+=,.@- characters, so every AssumeRole would be denied; `
        + 'use for example "user-*" or "*@example.com"');
    }
  }
  (d.onBehalfOfPatterns ?? []).forEach((p, i) => {
    if (isUnresolved(p)) return;
    if (/^[*?]*$/.test(p)) {
      f(`onBehalfOfPatterns[${i}]`, `"${p}" lets a caller name anyone; name the people or a domain, for example "*@example.com"`);
      return;
    }
    const why = unmatchableSourceIdentityPattern(p);
    if (why) f(`onBehalfOfPatterns[${i}]`, `"${p}" can never match: ${why}; source identities are 2-64 letters, digits and _+=,.@- characters`);
  });
  return problems;
}

/**
 * Problems with the size of the trust policy actually written on the role (at stage 4 the broker
 * and break-glass roles, not the declared principals). `whose` says where its principals come from.
 */
export function validateTrustSize(agent: string, trust: PolicyDoc, whose: string): string[] {
  const size = policySize(trust);
  if (size <= AwsLimits.TRUST_POLICY_MAX) return [];
  return [agentProblem(agent, 'delegation', `the trust policy written on the role (${whose}) is ${size} characters as IAM counts them; IAM allows ${AwsLimits.TRUST_POLICY_MAX} by default. `
    + 'Trust fewer principals or subjects (route them through one orchestrator role)')];
}

/** Whether a trust-policy statement lets its principals assume the role (an `sts:AssumeRole*` action). */
export function grantsAssume(s: Statement): boolean {
  return (s.Action ?? []).some((a) => /^(sts:AssumeRole.*|sts:\*|\*)$/i.test(a));
}

/**
 * Whether a trust-policy statement lets principals assume the role and can carry a source
 * identity (AWS principals; federation that sends the claim). Statements that only allow
 * `sts:TagSession` or `sts:SetSourceIdentity` are evaluated inside an assume call and do not count.
 */
export function canSetSourceIdentity(s: Statement): boolean {
  if (!grantsAssume(s)) return false;
  if (s.Principal?.AWS) return true;
  if (s.Principal?.Federated) return requiresSourceIdentity(s);
  return false;
}

/**
 * Whether a statement requires a source identity: a non-negated condition on sts:SourceIdentity.
 * `ForAllValues:` does not count: sts:SourceIdentity is single-valued, and ForAllValues is true
 * when the key is absent, so it admits sessions without a source identity.
 */
export function requiresSourceIdentity(s: Statement): boolean {
  const c = s.Condition ?? {};
  return Object.entries(c).some(([op, keys]) => !/Not|IfExists|Null|^ForAllValues:/i.test(op)
    && Object.keys(keys).some((k) => k.toLowerCase() === 'sts:sourceidentity'));
}
