/**
 * The token-age Lambda: every tick (an EventBridge schedule), rewrites each
 * token-age policy so that it denies everything to sessions issued before
 * `now - ttl`. One CreatePolicyVersion per TTL; the oldest non-default version
 * is deleted first when IAM's version limit would be exceeded.
 *
 * Runtime code: it shares only pure modules of ../../lib (never cdktf) and is
 * bundled by esbuild (constructs/lambda-bundle.ts) with the AWS SDK inside.
 *
 * Environment: POLICIES, a JSON array of {policyArn, ttlSeconds}. The IAM
 * client honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_IAM (SDK v3 reads them),
 * which is how the tests point it at moto.
 */
import {
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  PolicyVersion,
} from '@aws-sdk/client-iam';
import { POLICY_VERSION_LIMIT, TokenAgeTarget, tokenAgeCutoff, tokenAgePolicy } from '../../lib/token-age';
import { readLambdaEnvironment, TOKEN_AGE_ENVIRONMENT } from '../../lib/naming';

const POLICIES = TOKEN_AGE_ENVIRONMENT.policies;

/** SDK retries per call (throttling and transient errors); EventBridge's next tick is a minute away. */
const MAX_ATTEMPTS = 5;

/** Rounds of list, prune, create when another tick races this one for the version slots. */
const RACE_ROUNDS = 3;

/** What one tick did to one policy (also the structured log line). */
export interface TickResult {
  readonly policyArn: string;
  readonly ttlSeconds: number;
  readonly cutoff: string;
  /** The version written and made default; absent on failure. */
  readonly versionId?: string;
  /** Versions deleted to stay within IAM's version limit. */
  readonly deleted: string[];
  /** Why the policy could not be updated; absent on success. */
  readonly error?: string;
}

let defaultClient: IAMClient | undefined;

/** The client of the deployed handler, created on first use (so endpoint and credentials come from the environment then). */
function iamClient(): IAMClient {
  if (!defaultClient) {
    defaultClient = new IAMClient({ maxAttempts: MAX_ATTEMPTS });
  }
  return defaultClient;
}

/** The Lambda entry point: one tick over the policies of the POLICIES environment variable, at the current time. */
export async function handler(_event?: unknown): Promise<TickResult[]> {
  const targets = targetsOfEnvironment(process.env);
  return runTick(iamClient(), targets, new Date());
}

/** Reads the function's environment (`TOKEN_AGE_ENVIRONMENT`: POLICIES) and parses its targets. */
export function targetsOfEnvironment(env: NodeJS.ProcessEnv): TokenAgeTarget[] {
  return targetsFromEnv(readLambdaEnvironment('token-age', TOKEN_AGE_ENVIRONMENT, env).policies);
}

/** Parses and checks the POLICIES environment variable. */
export function targetsFromEnv(raw: string | undefined): TokenAgeTarget[] {
  if (!raw) {
    throw new Error(`token-age: ${POLICIES} is not set: expected a JSON array of {"policyArn", "ttlSeconds"}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`token-age: ${POLICIES} is not JSON (${(e as Error).message}): expected a JSON array of {"policyArn", "ttlSeconds"}`);
  }
  if (!Array.isArray(parsed)) {
    throw new Error(`token-age: ${POLICIES} must be a JSON array of {"policyArn", "ttlSeconds"}`);
  }
  return parsed.map((t, i) => {
    if (typeof t?.policyArn !== 'string' || !t.policyArn.startsWith('arn:')
      || typeof t?.ttlSeconds !== 'number' || !Number.isInteger(t.ttlSeconds) || t.ttlSeconds <= 0) {
      throw new Error(`token-age: ${POLICIES}[${i}] must be {"policyArn": "arn:...", "ttlSeconds": <positive integer>}, got ${JSON.stringify(t)}`);
    }
    return { policyArn: t.policyArn, ttlSeconds: t.ttlSeconds };
  });
}

/**
 * One tick: writes the token-age document for `now` as the default version of
 * every target. Every target is tried; if any failed, throws afterwards
 * (naming each failed policy) so that Lambda retries and alarms fire.
 */
export async function runTick(client: IAMClient, targets: TokenAgeTarget[], now: Date): Promise<TickResult[]> {
  const results: TickResult[] = [];
  for (const target of targets) {
    const result = await updatePolicy(client, target, now);
    console.log(JSON.stringify({ message: result.error ? 'token-age policy update failed' : 'token-age policy updated', ...result }));
    results.push(result);
  }
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) {
    throw new Error(`token-age: ${failed.length} of ${results.length} policies not updated: `
      + failed.map((r) => `${r.policyArn}: ${r.error}`).join('; '));
  }
  return results;
}

async function updatePolicy(client: IAMClient, target: TokenAgeTarget, now: Date): Promise<TickResult> {
  const cutoff = tokenAgeCutoff(now, target.ttlSeconds);
  const document = JSON.stringify(tokenAgePolicy(now, target.ttlSeconds));
  const deleted: string[] = [];
  try {
    for (let round = 1; ; round++) {
      const versions = await listVersions(client, target.policyArn);
      while (versions.length >= POLICY_VERSION_LIMIT) {
        const oldest = oldestNonDefault(versions);
        if (!oldest) break;
        try {
          await client.send(new DeletePolicyVersionCommand({ PolicyArn: target.policyArn, VersionId: oldest.VersionId }));
          deleted.push(oldest.VersionId!);
        } catch (e) {
          if (errorName(e) !== 'NoSuchEntityException') throw e; // already deleted by a concurrent tick
        }
        versions.splice(versions.indexOf(oldest), 1);
      }
      try {
        const out = await client.send(new CreatePolicyVersionCommand({
          PolicyArn: target.policyArn, PolicyDocument: document, SetAsDefault: true,
        }));
        return { policyArn: target.policyArn, ttlSeconds: target.ttlSeconds, cutoff, versionId: out.PolicyVersion?.VersionId, deleted };
      } catch (e) {
        // A concurrent tick took the freed slot: list and prune again.
        if (errorName(e) !== 'LimitExceededException' || round >= RACE_ROUNDS) throw e;
      }
    }
  } catch (e) {
    return { policyArn: target.policyArn, ttlSeconds: target.ttlSeconds, cutoff, deleted, error: `${errorName(e)}: ${(e as Error).message}` };
  }
}

async function listVersions(client: IAMClient, policyArn: string): Promise<PolicyVersion[]> {
  const versions: PolicyVersion[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn, Marker: marker }));
    versions.push(...(page.Versions ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return versions;
}

/** The oldest non-default version by creation date; ties (same second) broken by version number. */
function oldestNonDefault(versions: PolicyVersion[]): PolicyVersion | undefined {
  const num = (v: PolicyVersion) => Number((v.VersionId ?? '').replace(/^v/, '')) || 0;
  const time = (v: PolicyVersion) => v.CreateDate?.getTime() ?? 0;
  return versions
    .filter((v) => !v.IsDefaultVersion && v.VersionId)
    .sort((a, b) => time(a) - time(b) || num(a) - num(b))[0];
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}
