/**
 * What STS accepts as a source identity, and whether a StringLike pattern can match any of it.
 */
import { isUnresolved } from '../private/token';

/** Characters STS accepts in a source identity (2-64 of them). */
export const SOURCE_IDENTITY_CHAR = /[\w+=,.@-]/;
export const SOURCE_IDENTITY_MIN = 2;
export const SOURCE_IDENTITY_MAX = 64;

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
