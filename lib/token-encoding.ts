/**
 * cdktf's documented string-token encoding, `${TfToken[<name>]}`: how a Terraform reference
 * (an ARN known only at apply) appears inside a string at synth. Pure (no cdktf), so the Lambda
 * bundles and every lib/ module read tokens the same way; lib/private/token.ts adds cdktf's own
 * check on top.
 */

/** The start of an encoded token (`${TfToken[`). */
export const TOKEN_OPEN = '${TfToken[';

/** Every encoded token in a string (global: use with `matchAll`, `replace` or `match`). */
export const STRING_TOKENS = /\$\{TfToken\[[^\]]*\]\}/g;

/** One encoded token, captured (for `split`, which keeps captured separators). */
export const STRING_TOKEN_CAPTURE = /(\$\{TfToken\[[^\]]*\]\})/;

/** Whether a string holds an encoded token. */
export function hasStringToken(value: string): boolean {
  return value.includes(TOKEN_OPEN);
}

/** The encoded tokens of a string, in order. */
export function stringTokens(value: string): string[] {
  return value.match(STRING_TOKENS) ?? [];
}

/** One piece of a string: literal text, or a cdktf token kept verbatim (`${TfToken[TOKEN.12]}`). */
export interface StringPart {
  /** The text as written in the string (for a token, its encoded placeholder). */
  readonly text: string;
  /** Whether the piece is an unresolved token (a Terraform reference, known at apply). */
  readonly token: boolean;
}

/**
 * Splits a string into its literal and token parts, in order (`"arn:aws:s3:::${TfToken[TOKEN.7]}/a/"`
 * -> literal `arn:aws:s3:::`, token, literal `/a/`). `unresolved` is cdktf's own verdict on the
 * string (`isUnresolved` of lib/private/token.ts): a string cdktf calls unresolved whose tokens are
 * not in the string encoding is one token part (its contents cannot be judged at synth).
 */
export function splitTokens(value: string, unresolved: boolean): StringPart[] {
  if (!unresolved) return value === '' ? [] : [{ text: value, token: false }];
  const parts: StringPart[] = [];
  let at = 0;
  for (const m of value.matchAll(STRING_TOKENS)) {
    if (m.index! > at) parts.push({ text: value.slice(at, m.index), token: false });
    parts.push({ text: m[0], token: true });
    at = m.index! + m[0].length;
  }
  if (parts.length === 0) return [{ text: value, token: true }];
  if (at < value.length) parts.push({ text: value.slice(at), token: false });
  return parts;
}
