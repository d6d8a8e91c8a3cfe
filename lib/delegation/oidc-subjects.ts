/**
 * OIDC trust as the delegation declares it: the issuer an OIDC provider stands for, and whether a
 * subject of a known issuer (GitHub Actions, EKS) is anchored to one owner. The reader's view of
 * OIDC trust statements in Terraform written elsewhere is `lib/oidc-trust.ts`.
 */
import { isUnresolved } from '../private/token';
import { OidcDelegation } from './agent-delegation';

/** The issuer host and path of an OIDC delegation, as IAM writes it in condition keys; undefined when unknown at synth. */
export function issuerOf(o: OidcDelegation): string | undefined {
  if (o.issuer) return o.issuer.replace(/^https:\/\//, '');
  if (isUnresolved(o.providerArn)) return undefined;
  const i = o.providerArn.indexOf(':oidc-provider/');
  return i >= 0 ? o.providerArn.slice(i + ':oidc-provider/'.length) : undefined;
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

