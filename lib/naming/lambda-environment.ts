/**
 * The Lambda environment-variable contract: one constant per function mapping each setting to
 * its variable name. The construct that deploys a function sets its `environment.variables`
 * with `lambdaVariables(contract, values)`; the handler reads them with
 * `readLambdaEnvironment(function, contract, process.env)`, which throws naming every missing
 * variable. Neither side types a variable name.
 *
 * Runtime-safe: pure, no cdktf; the handlers' esbuild bundles include it.
 */

import { validateEnvironment } from './agents';

/** A function's environment contract: setting (camelCase) -> variable name (UPPER_SNAKE). */
export type LambdaEnvironmentContract = { readonly [setting: string]: string };

/** The revoker (lambda/revoker): its environment, ledger table and notification topic. */
export const REVOKER_ENVIRONMENT = {
  /** The environment name (`dev`), checked with `validateEnvironment`. */
  environment: 'ENVIRONMENT',
  /** DynamoDB table name of the revocation ledger (`ledgerTableName`). */
  ledgerTable: 'LEDGER_TABLE',
  /** ARN of the SNS topic revocations are announced on. */
  topicArn: 'TOPIC_ARN',
} as const;

/** The risk scorer (lambda/risk). */
export const RISK_ENVIRONMENT = {
  environment: 'ENVIRONMENT',
  /** DynamoDB table name of risk scores and approvals (`riskTableName`). */
  riskTable: 'RISK_TABLE',
  /** Name of the revoker function it invokes (`revokerFunctionName`). */
  revokerFunction: 'REVOKER_FUNCTION',
} as const;

/** The credential broker (lambda/broker). */
export const BROKER_ENVIRONMENT = {
  environment: 'ENVIRONMENT',
  riskTable: 'RISK_TABLE',
  revokerFunction: 'REVOKER_FUNCTION',
  /** JSON `{"issuer", "audiences", "jwksUri"}` of the people's identity provider (adaptive.delegationToken); optional. */
  delegationToken: 'DELEGATION_TOKEN',
} as const;

/** Broker settings that may be absent (no identity provider declared). */
export const BROKER_OPTIONAL_SETTINGS = ['delegationToken'] as const;

/** The token-age function (lambda/token-age). */
export const TOKEN_AGE_ENVIRONMENT = {
  /** JSON array of `{"policyArn", "ttlSeconds"}` (`TokenAgeTarget`). */
  policies: 'POLICIES',
} as const;

/** Every function's contract, by handler folder under lambda/. */
export const LAMBDA_ENVIRONMENTS: { readonly [handlerDir: string]: LambdaEnvironmentContract } = {
  'revoker': REVOKER_ENVIRONMENT,
  'risk': RISK_ENVIRONMENT,
  'broker': BROKER_ENVIRONMENT,
  'token-age': TOKEN_AGE_ENVIRONMENT,
};

/**
 * The `environment.variables` of a function: every setting of the contract must be given (an
 * optional one as `undefined`, which leaves its variable out). Variables follow the contract's order.
 */
export function lambdaVariables<C extends LambdaEnvironmentContract>(contract: C, values: { readonly [K in keyof C]: string | undefined }): { [variable: string]: string } {
  const out: { [variable: string]: string } = {};
  for (const setting of Object.keys(contract)) {
    const value = values[setting as keyof C];
    if (value !== undefined) out[contract[setting]] = value;
  }
  return out;
}

/** The settings a handler reads: required ones as strings, optional ones possibly undefined. */
export type LambdaSettings<C extends LambdaEnvironmentContract, O extends keyof C> =
  { readonly [K in Exclude<keyof C, O>]: string } & { readonly [K in O]?: string };

/**
 * Reads a function's settings from its environment. Throws one error naming every required
 * variable that is missing or empty (`revoker: LEDGER_TABLE, TOPIC_ARN not set (...)`): a function
 * deployed without its contract fails loudly on its first invocation, never with a default.
 */
export function readLambdaEnvironment<C extends LambdaEnvironmentContract, O extends keyof C = never>(
  functionLabel: string, contract: C, env: { readonly [name: string]: string | undefined }, optional: readonly O[] = [],
): LambdaSettings<C, NoInfer<O>> {
  const isOptional = (setting: string) => (optional as readonly (keyof C)[]).includes(setting);
  const missing = Object.keys(contract).filter((s) => !isOptional(s) && !env[contract[s]]).map((s) => contract[s]);
  if (missing.length > 0) {
    throw new Error(`${functionLabel}: ${missing.join(', ')} not set (the stack sets ${Object.values(contract).join(', ')} on the ${functionLabel} function; deploy it with the stack)`);
  }
  // ENVIRONMENT names the environment every other name derives from: a bad one is refused here, for every function.
  const environmentVariable = (contract as LambdaEnvironmentContract).environment;
  if (environmentVariable && env[environmentVariable]) {
    const problems = validateEnvironment(env[environmentVariable]!);
    if (problems.length > 0) throw new Error(`${functionLabel}: ${environmentVariable} "${env[environmentVariable]}" is not an environment name the stack writes (${problems.join('; ')})`);
  }
  const out: { [setting: string]: string | undefined } = {};
  for (const setting of Object.keys(contract)) {
    const value = env[contract[setting]];
    if (value) out[setting] = value;
  }
  return out as LambdaSettings<C, NoInfer<O>>;
}
