/**
 * Synth-time checks of a delegation: every problem with the declared principals (none, wildcards,
 * unknown services, OIDC without audience or anchored subject, account roots without
 * acknowledgement, bad external ids, unmatchable source-identity patterns) and with the size of
 * the trust policy written on the role, each naming the agent, the field and the fix.
 */
import { isUnresolved } from '../private/token';
import { agentProblem } from '../errors';
import { nearestName } from '../iam-reference';
import { AwsLimits } from '../limits';
import { PolicyDoc, policySize } from '../policy';
import { accountRootOf, acknowledgementOf } from './account-root';
import { AgentDelegation } from './agent-delegation';
import { issuerOf, unanchoredSubject } from './oidc-subjects';
import { KNOWN_SERVICE_PRINCIPALS, serviceGuard } from './service-principals';
import { SOURCE_IDENTITY_MAX, SOURCE_IDENTITY_MIN, unmatchableSourceIdentityPattern } from './source-identity';
import { TrustContext } from './trust-policy';

function hasWildcard(s: string): boolean {
  return !isUnresolved(s) && s.includes('*');
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
    } else if (!serviceGuard(s.service)) {
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
