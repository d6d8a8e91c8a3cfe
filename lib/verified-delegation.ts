/**
 * Whom an agent acts for, as the credential broker establishes it (stage 4). Two ways, and the
 * broker logs which one it used:
 *
 * - `verified-token`: the stack declares the people's OIDC identity provider (issuer, audiences,
 *   JWKS URL). The caller passes the person's ID or access token; the broker verifies its
 *   signature, issuer, audience and lifetime with a JOSE library and uses its `sub` as the source
 *   identity. The caller's word counts for nothing.
 * - `declared-pattern`: without a provider, the caller names the person, and the broker accepts
 *   only names matching the agent's declared `onBehalfOfPatterns` (StringLike globs in the
 *   registry), so a compromised caller can act only for the people it was declared to serve.
 *
 * Pure: no AWS SDK, no JOSE (the broker verifies; this module decides).
 */

/** The people's identity provider the broker verifies tokens of (one per stack). */
export interface DelegationTokenOptions {
  /** The `iss` claim tokens must carry, exactly (for example `https://login.example.com/oauth2/default`). */
  readonly issuer: string;
  /** Accepted `aud` claims (at least one). */
  readonly audiences: string[];
  /** HTTPS URL of the provider's JSON Web Key Set. */
  readonly jwksUri: string;
}

/** How the broker established whom an agent acts for. */
export type DelegationMethod = 'verified-token' | 'declared-pattern';

/** Characters STS accepts in a source identity, 2-64 of them (the comma left out: the on-behalf-of tag refuses it). */
export const SOURCE_IDENTITY = /^[A-Za-z0-9_+=.@-]{2,64}$/;

/** Whether `value` matches a StringLike glob (`*` any run, `?` one character), case-sensitively as IAM does. */
export function matchesGlob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(value);
}

/** Whether a caller may name `onBehalfOf` under the agent's declared patterns (none declared: nobody). */
export function allowedOnBehalfOf(patterns: readonly string[] | undefined, onBehalfOf: string): boolean {
  return (patterns ?? []).some((p) => matchesGlob(p, onBehalfOf));
}

/** Problems with delegation token options (stack field `adaptive.delegationToken`). */
export function validateDelegationToken(o: DelegationTokenOptions): string[] {
  const problems: string[] = [];
  if (!/^https:\/\/[^\s/]+/.test(o.issuer ?? '')) problems.push(`issuer: "${o.issuer}" must be the provider's https issuer URL, exactly as its tokens' iss claim`);
  if (!o.audiences || o.audiences.length === 0 || o.audiences.some((a) => !a || a.includes('*'))) {
    problems.push('audiences: give at least one exact aud value the broker\'s tokens carry (no wildcards)');
  }
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(o.jwksUri ?? '')) problems.push(`jwksUri: "${o.jwksUri}" must be the provider's https JWKS URL`);
  return problems;
}
