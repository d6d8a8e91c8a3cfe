/**
 * The shapes a Terraform configuration is read into (one resource list per stack, whatever the
 * input format), and the error for input that is not Terraform.
 */

/** Input that is not Terraform this module can read; the message is one line, fit for a user. */
export class TerraformInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerraformInputError';
  }
}

/** Where a configuration came from (`hcl`: `.tf` files, read before plan). */
export type TerraformFormat = 'cdktf' | 'terraform-json' | 'hcl' | 'plan' | 'state';

/** One resource (or data source) of a configuration. */
export interface TerraformResource {
  /** Resource type, `aws_iam_role`; data sources as `data.aws_iam_policy_document`. */
  readonly type: string;
  /** Local name. */
  readonly name: string;
  /** Full address: `module.x.aws_iam_role.name["key"]`. */
  readonly address: string;
  /** Module prefix (`""` at the root, `module.x.` inside a module): references resolve within it. */
  readonly module: string;
  /** Attribute values (configuration values, or planned values plus references for unknown ones). */
  readonly values: Record<string, any>;
}

/** One Terraform configuration (one stack). */
export interface TerraformConfig {
  readonly stack: string;
  readonly source: string;
  readonly format: TerraformFormat;
  readonly resources: TerraformResource[];
  readonly outputs: Record<string, unknown>;
  /** Attributes a plan leaves unknown until apply, by resource address. */
  readonly unknown: Record<string, string[]>;
}

/** Provider name of a resource type (`aws_iam_role` -> `aws`). */
export function providerOfType(type: string): string {
  return type.replace(/^data\./, '').split('_')[0];
}

/** Throws TerraformInputError when a configuration holds resources but none of the AWS provider. */
export function requireAws(source: string, resourceCount: number, providers: string[]): void {
  if (resourceCount > 0 && !providers.includes('aws')) {
    throw new TerraformInputError(`${source} has no AWS resources (provider${providers.length > 1 ? 's' : ''} ${providers.join(', ')}); agent-iam reads AWS IAM configurations only`);
  }
}

/** Several configurations read as one (a directory of *.tf.json files, as Terraform merges them). */
export function mergeConfigurations(stack: string, source: string, configs: TerraformConfig[]): TerraformConfig {
  return {
    stack,
    source,
    format: configs.some((c) => c.format === 'cdktf') ? 'cdktf' : configs[0]?.format ?? 'terraform-json',
    resources: configs.flatMap((c) => c.resources),
    outputs: Object.assign({}, ...configs.map((c) => c.outputs)),
    unknown: Object.assign({}, ...configs.map((c) => c.unknown)),
  };
}
