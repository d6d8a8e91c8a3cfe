/**
 * The part of CDK for Terraform (cdktf) this library uses, and the only module that imports it.
 *
 * `lib/` stays pure domain: it takes only token checks from here (a value may be an unresolved
 * Terraform reference at synth). `constructs/`, `bin/`, the tests and the benchmarks take the whole
 * surface. One source tree builds two flavours: CDK for Terraform (`cdktf`, this file as written) and
 * CDK Terrain (`cdktn`): `npm run test:cdktn` (scripts/cdktn/test.sh) switches this module, the
 * provider module (constructs/aws.ts) and package.json, and runs the jest suite on the result.
 */
export {
  Annotations,
  App,
  Aspects,
  AssetType,
  DefaultTokenResolver,
  Lazy,
  LocalBackend,
  S3Backend,
  StringConcat,
  TerraformAsset,
  TerraformDataSource,
  TerraformElement,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Testing,
  Token,
  Tokenization,
} from 'cdktf';
export type { IAspect, IResolvable, IResolveContext } from 'cdktf';

/** The npm package the flavour synthesizes with. */
export const CDK_PACKAGE: string = 'cdktf'; // typed `string`: the flavours differ in its value
