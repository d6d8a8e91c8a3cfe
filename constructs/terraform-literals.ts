/**
 * TerraformLiterals: the boundary where the library's strings become
 * Terraform. An Aspect that makes every string attribute of the library's
 * resources, data sources, outputs and provider a literal for Terraform
 * (`escapeTemplateSequences`), so IAM policy variables, session-policy
 * templates and user text never reach Terraform's template parser.
 *
 * Only elements under a construct marked with `markLibraryOwned` are touched
 * (every library construct marks itself, the stack marks what it creates):
 * resources a user adds to the stack keep their strings as written. Escape
 * hatches (`addOverride`) are not rewritten either; they are the user's words.
 * Values produced lazily as whole objects (`Lazy.anyValue`) are escaped when
 * they resolve; a `Lazy.stringValue` producer must return an escaped string
 * itself (a test walks every string of every example stack to hold this).
 */
import { IAspect, IResolvable, IResolveContext, Lazy, TerraformDataSource, TerraformElement, TerraformOutput, TerraformProvider, TerraformResource, Token } from '../lib/private/cdk';
import { IConstruct } from 'constructs';
import { escapeTemplateSequences } from '../lib/terraform-literal';

const owned = new WeakSet<IConstruct>();
const wrapped = new WeakSet<TerraformElement>();

/** @internal Marks a construct (and everything under it) as written by the library. */
export function markLibraryOwned(scope: IConstruct): void {
  owned.add(scope);
}

/** @internal Whether a construct is (under) one the library wrote. */
export function isLibraryOwned(node: IConstruct): boolean {
  return isOwned(node);
}

function isOwned(node: IConstruct): boolean {
  return node.node.scopes.some((s) => owned.has(s));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A value with every literal string escaped; resolvables escape what they produce. */
function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return escapeTemplateSequences(value);
  if (Array.isArray(value)) return value.map(escapeDeep);
  // Only values the library produces lazily are literals; a resolvable that is a Terraform
  // reference (or an expression) resolves to `${...}` Terraform must read, and is left alone.
  if (isLazy(value)) return escapingResolvable(value as IResolvable);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = escapeDeep(v);
    return out;
  }
  return value;
}

/** cdktf's Lazy values (Lazy.anyValue and friends) hold a producer; references and expressions do not. */
function isLazy(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Token.isUnresolved(value)
    && typeof (value as IResolvable).resolve === 'function' && typeof (value as { producer?: { produce?: unknown } }).producer?.produce === 'function';
}

function escapingResolvable(inner: IResolvable): IResolvable {
  return {
    creationStack: inner.creationStack,
    resolve: (context: IResolveContext) => escapeDeep(inner.resolve(context)),
    toString: () => inner.toString(),
  };
}

type Synthesizing = { synthesizeAttributes(): { [name: string]: any }; synthesizeHclAttributes(): { [name: string]: any } };

/** @internal */
export class TerraformLiterals implements IAspect {
  public visit(node: IConstruct): void {
    const element = node as TerraformElement;
    if (!(node instanceof TerraformResource || node instanceof TerraformDataSource || node instanceof TerraformOutput || node instanceof TerraformProvider)) return;
    if (wrapped.has(element) || !isOwned(node)) return;
    wrapped.add(element);
    const target = node as unknown as Synthesizing;
    const json = target.synthesizeAttributes.bind(target);
    const hcl = target.synthesizeHclAttributes.bind(target);
    target.synthesizeAttributes = () => escapeDeep(json()) as { [name: string]: any };
    target.synthesizeHclAttributes = () => escapeDeep(hcl()) as { [name: string]: any };
  }
}

/**
 * @internal A string produced at synth (`Lazy.stringValue`) and written as a
 * literal: the producer's `${` and `%{` are escaped like every other string.
 */
export function lazyLiteral(produce: () => string): string {
  return Lazy.stringValue({ produce: () => escapeTemplateSequences(produce()) });
}
