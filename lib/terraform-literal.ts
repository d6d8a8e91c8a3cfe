/**
 * Strings written to Terraform as literals.
 *
 * Terraform reads every string of a configuration, `.tf.json` included, as a
 * template: `${ ... }` is an interpolation and `%{ ... }` a directive. The
 * library writes many strings whose `${` is not Terraform's: IAM policy
 * variables (`${aws:PrincipalTag/on-behalf-of}`), session-policy templates,
 * user text in tags and descriptions. Terraform's escapes are `$${` and `%%{`
 * (https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences).
 *
 * cdktf marks the references it will resolve (`${TfToken[TOKEN.12]}`); those
 * are left alone, everything around them is escaped. This module is the one
 * escaping function; `constructs/terraform-literals.ts` applies it at the
 * boundary to Terraform, and `readTemplateString` undoes it for readers of the
 * emitted JSON.
 */
import { STRING_TOKEN_CAPTURE } from './token-encoding';

/**
 * Escapes the template sequences of a literal string so that Terraform reads
 * it verbatim: `${` becomes `$${` and `%{` becomes `%%{`. cdktf token markers
 * are kept as they are. Idempotence is not a property: escape once, at the
 * boundary.
 *
 * @param value any string; may contain cdktf token markers
 * @returns the string as a Terraform template that evaluates to `value`
 */
export function escapeTemplateSequences(value: string): string {
  if (value.indexOf('{') < 0) return value;
  return value
    .split(STRING_TOKEN_CAPTURE)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/([$%])\{/g, (_m, lead: string) => `${lead}${lead}{`)))
    .join('');
}

/** One piece of a Terraform template string as Terraform reads it. */
export interface TemplatePart {
  /** `literal` text, an `interpolation` (`${...}`) or a `directive` (`%{...}`). */
  readonly kind: 'literal' | 'interpolation' | 'directive';
  /** The literal text (escapes undone), or the expression between the braces. */
  readonly text: string;
}

/**
 * Splits a string of emitted Terraform into literal text and template
 * sequences, as Terraform's template scanner does: `$${` and `%%{` are escapes,
 * `${` opens an interpolation and `%{` a directive, closed by the matching `}`
 * (braces and quoted strings inside are balanced).
 *
 * @param value a string of a Terraform configuration
 * @returns its parts in order
 */
export function templateParts(value: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if ((c === '$' || c === '%') && value[i + 1] === c && value[i + 2] === '{') {
      literal += `${c}{`;
      i += 3;
      continue;
    }
    if ((c === '$' || c === '%') && value[i + 1] === '{') {
      const end = closingBrace(value, i + 2);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push({ kind: c === '$' ? 'interpolation' : 'directive', text: value.slice(i + 2, end) });
      i = end + 1;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  return parts;
}

function closingBrace(s: string, from: number): number {
  let depth = 0;
  let quoted = false;
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    if (quoted) {
      if (c === '\\') j++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return j;
      depth--;
    }
  }
  return s.length;
}

/**
 * The literal value of an emitted string whose template sequences are all
 * escapes: `$${` and `%%{` read back as `${` and `%{`. Interpolations (real
 * Terraform references) are kept as written.
 */
export function readTemplateString(value: string): string {
  if (value.indexOf('{') < 0) return value;
  return templateParts(value).map((p) => (p.kind === 'literal' ? p.text : p.kind === 'interpolation' ? `\${${p.text}}` : `%{${p.text}}`)).join('');
}

/**
 * A Terraform reference expression as cdktf writes one: a resource, data
 * source, variable, local or module attribute path, optionally inside a
 * function call (`${jsonencode(aws_iam_role.a.arn)}`).
 */
const REFERENCE = /^(?:[a-z][a-z0-9_]*\()*(?:data\.[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+|var\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_-]+|module\.[A-Za-z0-9_-]+|[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?:\.[A-Za-z0-9_-]+|\[[0-9]+\]|\["[^"]*"\]|\.\*)*\)*$/;

/** The problem with a string of emitted Terraform, or undefined when every template sequence is an escape or a reference. */
export function unescapedTemplateProblem(value: string): string | undefined {
  if (value.indexOf('{') < 0) return undefined;
  for (const p of templateParts(value)) {
    if (p.kind === 'directive') return `"%{${p.text}}" is a Terraform template directive; a literal "%{" must be written "%%{"`;
    if (p.kind === 'interpolation' && !REFERENCE.test(p.text)) {
      return `"\${${p.text}}" is not a Terraform reference; a literal "\${" must be written "$\${"`;
    }
  }
  return undefined;
}
