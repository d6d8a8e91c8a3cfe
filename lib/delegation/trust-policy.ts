/**
 * The role trust policy of a delegation: one statement per principal kind and action, each
 * carrying only the condition keys IAM evaluates for that action.
 */
import { ConditionBlock, policyDoc, PolicyDoc, Statement } from '../policy';
import { ALLOWED_SESSION_TAGS, REQUIRED_SESSION_TAGS } from '../session-tags';
import { accountRootOf, acknowledgementOf } from './account-root';
import { AgentDelegation } from './agent-delegation';
import { issuerOf } from './oidc-subjects';
import { serviceGuard } from './service-principals';
import { formatArn } from '../naming';

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
    const guard = serviceGuard(s.service);
    // EKS Pod Identity tags every session with the pod's attributes: AWS requires sts:TagSession.
    const st: Statement = { Sid: `ServiceAssume${i}`, Effect: 'Allow', Principal: { Service: [s.service] }, Action: guard?.tagSession ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'] };
    if (guard?.sourceAccount || s.sourceArn) {
      st.Condition = {};
      if (guard?.sourceAccount) st.Condition.StringEquals = { 'aws:SourceAccount': [ctx.accountId] };
      const arn = s.sourceArn ?? (guard?.sourceArnService ? formatArn({ partition: ctx.partition, service: guard.sourceArnService, region: ctx.region, account: ctx.accountId, resource: guard.sourceArnResource ?? '*' }) : undefined);
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
