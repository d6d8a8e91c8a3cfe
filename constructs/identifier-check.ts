/**
 * IdentifierCheck: every resource of the stack has its identifiers (names,
 * statement ids, Sids, target ids) checked at synth against what AWS and the
 * provider accept (`lib/aws-identifiers.ts`), so a name the library derives
 * fails `cdktf synth` with the field named instead of `terraform plan`.
 * Values Terraform computes (references) are not judged.
 */
import { IAspect, TerraformResource } from '../lib/private/cdk';
import { IConstruct } from 'constructs';
import { identifierProblems } from '../lib/aws-identifiers';
import { stackProblem } from '../lib/errors';
import { isLibraryOwned } from './terraform-literals';

const checked = new WeakSet<IConstruct>();

/** @internal */
export class IdentifierCheck implements IAspect {
  constructor(private readonly environment: string) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || checked.has(node)) return;
    checked.add(node);
    const resource = node;
    node.node.addValidation({
      validate: () => {
        const attributes = (resource as unknown as { synthesizeAttributes(): Record<string, unknown> }).synthesizeAttributes();
        const address = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
        return identifierProblems(resource.terraformResourceType, address, attributes)
          .map((p) => stackProblem(this.environment, 'identifier', isLibraryOwned(resource)
            ? `${p}; the library derives this name from the agent, environment or detection names: shorten or rename them`
            : `${p}; rename it`));
      },
    });
  }
}
