/**
 * The one place lib/ touches cdktf: whether a string is an unresolved token (a Terraform
 * reference such as an ARN known only at apply), so that validations skip what they cannot judge
 * at synth. Everything else in lib/ is plain TypeScript over plain values.
 *
 * @internal
 */
import { Token } from './cdk';

/** Whether `value` holds an unresolved cdktf token (`${TfToken[...]}`); such values are skipped by static checks. */
export function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value);
}

/** One piece of a string: literal text, or a cdktf token kept verbatim (`${TfToken[TOKEN.12]}`). */
export interface StringPart {
  /** The text as written in the string (for a token, its encoded placeholder). */
  readonly text: string;
  /** Whether the piece is an unresolved token (a Terraform reference, known at apply). */
  readonly token: boolean;
}

/** cdktf's documented string-token encoding: `${TfToken[<name>]}`. */
const STRING_TOKEN = /\$\{TfToken\[[^\]]*\]\}/g;

/**
 * Splits a string into its literal and token parts, in order (`"arn:aws:s3:::${TfToken[TOKEN.7]}/a/"`
 * -> literal `arn:aws:s3:::`, token, literal `/a/`). A string cdktf calls unresolved whose tokens are
 * not in the string encoding is one token part (its contents cannot be judged at synth).
 */
export function splitTokens(value: string): StringPart[] {
  if (!Token.isUnresolved(value)) return value === '' ? [] : [{ text: value, token: false }];
  const parts: StringPart[] = [];
  let at = 0;
  for (const m of value.matchAll(STRING_TOKEN)) {
    if (m.index! > at) parts.push({ text: value.slice(at, m.index), token: false });
    parts.push({ text: m[0], token: true });
    at = m.index! + m[0].length;
  }
  if (parts.length === 0) return [{ text: value, token: true }];
  if (at < value.length) parts.push({ text: value.slice(at), token: false });
  return parts;
}
