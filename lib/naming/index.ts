/**
 * Names, paths, ARNs, tag keys and the Lambda environment contract, derived in one place: one
 * owner per name. Constructs, handlers and the Terraform reader import them from here rather than
 * retyping strings. One file per concept:
 *
 * - `agents.ts`: agent role names and paths, environment, region and partition checks;
 * - `resources.ts`: names of the library's own resources (functions, tables, rules, ...);
 * - `arns.ts`: ARN builders;
 * - `registry.ts`: SSM paths of the agent registry;
 * - `tags.ts`: tag keys;
 * - `lambda-environment.ts`: each function's environment-variable contract.
 */
export * from './agents';
export * from './resources';
export * from './arns';
export * from './registry';
export * from './tags';
export * from './lambda-environment';
