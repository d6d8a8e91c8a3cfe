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
