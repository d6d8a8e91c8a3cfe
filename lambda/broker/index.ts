/**
 * The credential broker (stage 4, continuous authentication): the only
 * principal, besides a break-glass role, that may assume agent roles. An
 * agent's runtime calls it per task through a Lambda function URL with
 * AuthType AWS_IAM, naming the task and whom the agent acts for:
 *
 *   POST { "agent": "research", "taskId": "t-42", "onBehalfOf": "alice", "template": "answer-question", "access": "read" }
 *
 * The broker checks that the (IAM-authenticated) caller is one of the agent's
 * declared callers, reads the agent's current risk and latest approval, and
 * decides with `decide()` (lib/broker.ts): issue credentials (AssumeRole with
 * source identity, session tags and the task's session policy), a short
 * read-only session, a refusal until a person approves the agent again, or a
 * refusal that also triggers revocation. Every request is logged as one JSON
 * line (agent, task, on-behalf-of, caller, risk, decision, reason) for the SIEM.
 *
 * Callers are compared by role: a function URL reports the caller as the
 * assumed-role ARN `arn:aws:sts::<acct>:assumed-role/<role name>/<session>`,
 * which carries no role path, so a declared `arn:aws:iam::<acct>:role/<path>/<role name>`
 * matches on partition, account and role name (role names are unique in an
 * account whatever their path). IAM users match by exact ARN.
 *
 * Runtime code: it shares only pure modules of ../../lib and is bundled by esbuild.
 *
 * Environment: ENVIRONMENT, RISK_TABLE, REVOKER_FUNCTION. Clients honour
 * AWS_ENDPOINT_URL (tests point them at moto).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet, errors as joseErrors, JWTVerifyGetKey, jwtVerify } from 'jose';
import { allowedOnBehalfOf, DelegationMethod, DelegationTokenOptions, SOURCE_IDENTITY, validateDelegationToken } from '../../lib/verified-delegation';
import { APPROVAL_FUTURE_SKEW_MS, BrokerAccess, BrokerDecisionKind, decide } from '../../lib/broker';
import { AwsLimits } from '../../lib/limits';
import { policyDoc, PolicyDoc } from '../../lib/policy';
import { RevocationRequest } from '../../lib/revocation';
import { decayedScore, RISK_KEYS, riskBand, RiskBand } from '../../lib/risk';
import { BROKER_ENVIRONMENT, BROKER_OPTIONAL_SETTINGS, isAgentName, readLambdaEnvironment, readOnlyVariantParameterName, registryParameterName, sessionPolicyParameterName } from '../../lib/naming';
import { BrokerRegistryEntry, parseBrokerRegistryEntry } from '../../lib/registry-entry';

export { approvalItem } from '../../lib/broker';

/** SDK retries per call. */
const MAX_ATTEMPTS = 3;

export interface BrokerConfig {
  readonly environment: string;
  readonly riskTable: string;
  readonly revokerFunction: string;
  /** The people's identity provider: when set, every request must carry a token of the person, verified here. */
  readonly delegationToken?: DelegationTokenOptions;
}

export interface BrokerClients {
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly sts: STSClient;
  readonly lambda: LambdaClient;
  /** Key resolver for delegation tokens. @default - the JWKS at the config's jwksUri, fetched and cached by jose */
  readonly jwks?: JWTVerifyGetKey;
}

/** A task's request for credentials (the function URL's JSON body). */
export interface CredentialRequest {
  /** Agent name, for example `research`. */
  readonly agent: string;
  /** The task's id; becomes the `task-id` session tag and the role session name. */
  readonly taskId: string;
  /**
   * Whom the agent acts for; becomes the source identity and the `on-behalf-of` tag. With a
   * delegation token it may be left out (the token's subject is used) and must equal it if given.
   */
  readonly onBehalfOf?: string;
  /** The person's OIDC ID or access token (compact JWS), when the stack declares `adaptive.delegationToken`. */
  readonly subjectToken?: string;
  /** Session-policy template of the agent. */
  readonly template: string;
  readonly access: BrokerAccess;
}

/** The part of a function URL event (payload format 2.0) the broker reads. */
export interface FunctionUrlEvent {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
  };
}

/** A function URL response. */
export interface BrokerResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Everything the broker can answer; `decide()`'s decisions plus the checks before and the failures after it. */
export type BrokerOutcome = BrokerDecisionKind | 'bad-request' | 'refuse-caller' | 'refuse-delegation' | 'error';

/** The registry entry fields the broker relies on (`/agent-iam/<env>/agents/<name>`; shape in lib/registry-entry). */
export type RegistryEntry = BrokerRegistryEntry;

/** The agent's risk as the broker reads it. */
export interface CurrentRisk {
  readonly score: number;
  readonly band: RiskBand;
  readonly elevatedSince?: string;
  /** When the latest detection was counted; an approval must be newer. */
  readonly lastDetectionAt?: string;
  readonly approvedSince?: string;
}

let defaultClients: BrokerClients | undefined;

function clientsFromEnv(): BrokerClients {
  if (!defaultClients) {
    defaultClients = {
      ssm: new SSMClient({ maxAttempts: MAX_ATTEMPTS }),
      dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: MAX_ATTEMPTS })),
      sts: new STSClient({ maxAttempts: MAX_ATTEMPTS }),
      lambda: new LambdaClient({ maxAttempts: MAX_ATTEMPTS }),
    };
  }
  return defaultClients;
}

/** Reads and checks the broker's environment (`BROKER_ENVIRONMENT`: ENVIRONMENT, RISK_TABLE, REVOKER_FUNCTION, optional DELEGATION_TOKEN). */
export function brokerConfigFromEnv(env: NodeJS.ProcessEnv): BrokerConfig {
  const { environment, riskTable, revokerFunction, delegationToken: rawToken } = readLambdaEnvironment('broker', BROKER_ENVIRONMENT, env, BROKER_OPTIONAL_SETTINGS);
  // DELEGATION_TOKEN: JSON {"issuer", "audiences", "jwksUri"} (adaptive.delegationToken), or absent.
  const delegationToken = rawToken ? parseDelegationToken(rawToken) : undefined;
  return { environment, riskTable, revokerFunction, ...(delegationToken ? { delegationToken } : {}) };
}

/** DELEGATION_TOKEN as the stack writes it, checked as synth checks adaptive.delegationToken; throws naming the variable. */
function parseDelegationToken(raw: string): DelegationTokenOptions {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new Error(`broker: DELEGATION_TOKEN is not JSON (${(e as Error).message}); the stack writes {"issuer","audiences","jwksUri"} from adaptive.delegationToken`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('broker: DELEGATION_TOKEN must be a JSON object {"issuer","audiences","jwksUri"} (adaptive.delegationToken)');
  }
  const problems = validateDelegationToken(value as DelegationTokenOptions);
  if (problems.length > 0) throw new Error(`broker: DELEGATION_TOKEN: ${problems.join('; ')}`);
  return value as DelegationTokenOptions;
}

/** One key set per JWKS URL per container: jose caches the keys and refetches on an unknown kid. */
const keySets = new Map<string, JWTVerifyGetKey>();

/** Longest a delegation token may have lived, seconds (beside its own exp). */
export const DELEGATION_TOKEN_MAX_AGE_SECONDS = 3600;

/**
 * Verifies a person's token (signature against the JWKS, issuer, audience, exp/nbf with 60 s of
 * clock tolerance, asymmetric algorithms only) and returns its subject, or why it was refused.
 */
export async function verifySubjectToken(clients: BrokerClients, options: DelegationTokenOptions, token: string, now: Date): Promise<{ subject?: string; problem?: string }> {
  let keys = clients.jwks;
  if (!keys) {
    keys = keySets.get(options.jwksUri);
    if (!keys) keySets.set(options.jwksUri, keys = createRemoteJWKSet(new URL(options.jwksUri)));
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: options.issuer, audience: options.audiences, clockTolerance: 60, currentDate: now,
      maxTokenAge: DELEGATION_TOKEN_MAX_AGE_SECONDS,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    });
    if (typeof payload.sub !== 'string' || !SOURCE_IDENTITY.test(payload.sub)) {
      return { problem: `the token's sub ${JSON.stringify(payload.sub)} cannot be a source identity (2-64 letters, digits or _ + = . @ -)` };
    }
    return { subject: payload.sub };
  } catch (e) {
    const why = e instanceof joseErrors.JOSEError ? `${e.code}: ${e.message}` : `${errorName(e)}: ${(e as Error).message}`;
    return { problem: `the delegation token was refused (${why})` };
  }
}

/** The Lambda entry point (function URL, AuthType AWS_IAM). */
export async function handler(event: FunctionUrlEvent): Promise<BrokerResponse> {
  return broker(clientsFromEnv(), brokerConfigFromEnv(process.env), event, new Date());
}

const TEMPLATE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Characters IAM accepts in a session tag value. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
/**
 * A source identity: 2-64 characters of `[\w+=,.@-]` (STS); the comma is left out too,
 * since the same value is the `on-behalf-of` tag, where IAM does not accept it.
 */
const ON_BEHALF_OF = /^[A-Za-z0-9_+=.@-]{2,64}$/;

/** Checks the request body; problems name the field and what is accepted. */
export function parseCredentialRequest(body: unknown): { request?: CredentialRequest; problems: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { problems: ['body: must be a JSON object {"agent", "taskId", "onBehalfOf", "template", "access"}'] };
  }
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const str = (k: string): string | undefined => (typeof b[k] === 'string' ? b[k] as string : undefined);
  const agent = str('agent');
  if (!agent || !isAgentName(agent) || agent.length > 64) {
    problems.push('agent: must be an agent name (lower-case letters, digits and hyphens, starting with a letter)');
  }
  const taskId = str('taskId');
  if (!taskId || taskId.length > AwsLimits.TAG_VALUE_MAX || !TAG_VALUE.test(taskId)) {
    problems.push(`taskId: must be 1-${AwsLimits.TAG_VALUE_MAX} characters that a session tag accepts (letters, digits, spaces and _ . : / = + - @)`);
  }
  const onBehalfOf = str('onBehalfOf');
  const subjectToken = str('subjectToken');
  if (b.subjectToken !== undefined && (!subjectToken || subjectToken.length > 16384 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(subjectToken))) {
    problems.push('subjectToken: must be the person\'s OIDC token as a compact JWS (three base64url parts), at most 16,384 characters');
  }
  if ((onBehalfOf === undefined && subjectToken === undefined) || (b.onBehalfOf !== undefined && (!onBehalfOf || !ON_BEHALF_OF.test(onBehalfOf)))) {
    problems.push('onBehalfOf: must be 2-64 letters, digits or _ + = . @ - (it becomes the session\'s source identity); or pass subjectToken');
  }
  const template = str('template');
  if (!template || !TEMPLATE_NAME.test(template)) {
    problems.push('template: must be a session-policy template name (1-40 lower-case letters, digits and hyphens)');
  }
  const access = b.access;
  if (access !== 'read' && access !== 'write') {
    problems.push('access: must be "read" or "write"');
  }
  if (problems.length > 0) return { problems };
  return {
    request: {
      agent: agent!, taskId: taskId!, template: template!, access: access as BrokerAccess,
      ...(onBehalfOf !== undefined ? { onBehalfOf } : {}), ...(subjectToken !== undefined ? { subjectToken } : {}),
    },
    problems,
  };
}

/** `task-<taskId>` in the characters and length a role session name accepts. */
export function roleSessionName(taskId: string): string {
  return `task-${taskId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** Partition, account and role name of a role ARN or an assumed-role (session) ARN. */
function roleOf(arn: string): string | undefined {
  const session = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (session) return `${session[1]}|${session[2]}|${session[3]}`;
  const role = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (role) return `${role[1]}|${role[2]}|${role[3]}`;
  return undefined;
}

/** Whether the caller (as a function URL reports it) is one of the declared callers; roles compare path-insensitively. */
export function isDeclaredCaller(callerArn: string, declared: readonly string[]): boolean {
  const role = roleOf(callerArn);
  return declared.some((d) => d === callerArn || (role !== undefined && roleOf(d) === role));
}

/** The broker: one request for credentials, one decision, one log line. */
export async function broker(clients: BrokerClients, config: BrokerConfig, event: FunctionUrlEvent, now: Date): Promise<BrokerResponse> {
  const caller = event?.requestContext?.authorizer?.iam?.userArn;
  const log: Record<string, unknown> = { message: 'broker decision', time: now.toISOString(), caller: caller ?? null, risk: null };
  const respond = (statusCode: number, decision: BrokerOutcome, reason: string, extra: Record<string, unknown> = {}, logExtra: Record<string, unknown> = {}): BrokerResponse => {
    console.log(JSON.stringify({ ...log, decision, reason, ...logExtra, ...('durationSeconds' in extra ? { durationSeconds: extra.durationSeconds } : {}) }));
    return {
      statusCode,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ decision, reason, ...extra }),
    };
  };

  let body: unknown;
  try {
    const raw = event?.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event?.body;
    body = JSON.parse(raw ?? '');
  } catch {
    return respond(400, 'bad-request', 'the body is not JSON');
  }
  const { request, problems } = parseCredentialRequest(body);
  if (!request) {
    return respond(400, 'bad-request', problems.join('; '), { problems });
  }
  Object.assign(log, { agent: request.agent, taskId: request.taskId, onBehalfOf: request.onBehalfOf ?? null, template: request.template, access: request.access });
  if (!caller) {
    return respond(403, 'refuse-caller', 'no IAM caller: the function URL must use AuthType AWS_IAM');
  }

  try {
    const entry = await registryEntry(clients, config, request.agent);
    if (!entry) {
      return respond(403, 'refuse-caller', `agent "${request.agent}" is not in the ${config.environment} registry`);
    }
    if (!isDeclaredCaller(caller, entry.callers)) {
      return respond(403, 'refuse-caller', `caller ${caller} is not a declared caller of agent "${request.agent}"`);
    }
    // Whom the agent acts for: a verified token of the person, else a name within the declared patterns.
    let onBehalfOf: string;
    let delegation: DelegationMethod;
    if (config.delegationToken) {
      if (!request.subjectToken) {
        return respond(403, 'refuse-delegation', 'this environment verifies whom agents act for: pass the person\'s OIDC token as subjectToken');
      }
      const verified = await verifySubjectToken(clients, config.delegationToken, request.subjectToken, now);
      if (!verified.subject) return respond(403, 'refuse-delegation', verified.problem!, {}, { delegation: 'verified-token' });
      if (request.onBehalfOf !== undefined && request.onBehalfOf !== verified.subject) {
        return respond(403, 'refuse-delegation', `onBehalfOf "${request.onBehalfOf}" is not the token's subject "${verified.subject}"`, {}, { delegation: 'verified-token' });
      }
      onBehalfOf = verified.subject;
      delegation = 'verified-token';
    } else {
      if (request.onBehalfOf === undefined || !allowedOnBehalfOf(entry.onBehalfOfPatterns, request.onBehalfOf)) {
        return respond(403, 'refuse-delegation', `caller ${caller} may not act for "${request.onBehalfOf ?? ''}" with agent "${request.agent}": `
          + `the registry allows ${entry.onBehalfOfPatterns && entry.onBehalfOfPatterns.length > 0 ? entry.onBehalfOfPatterns.map((p) => `"${p}"`).join(', ') : 'nobody (no onBehalfOfPatterns declared)'}`,
        {}, { delegation: 'declared-pattern' });
      }
      onBehalfOf = request.onBehalfOf;
      delegation = 'declared-pattern';
    }
    Object.assign(log, { onBehalfOf, delegation });
    if (entry.sessionPolicies && !entry.sessionPolicies.includes(request.template)) {
      return respond(400, 'bad-request', `agent "${request.agent}" has no session-policy template "${request.template}" (it has: ${entry.sessionPolicies.join(', ') || 'none'})`);
    }
    const templateParam = sessionPolicyParameterName(config.environment, request.agent, request.template);
    const templateFull = await policyParameter(clients, templateParam);
    if (!templateFull) {
      return respond(400, 'bad-request', `agent "${request.agent}" has no session-policy template "${request.template}"`);
    }
    const risk = await currentRisk(clients, config, request.agent, now);
    log.risk = { score: round(risk.score), band: risk.band };
    // decide() reads the read-only variant only for read access.
    const templateReadOnly = request.access === 'read' ? await readOnlyTemplate(clients, templateParam) : policyDoc([]);
    const d = decide({
      band: risk.band,
      access: request.access,
      approvedSince: risk.approvedSince,
      elevatedSince: risk.elevatedSince,
      lastDetectionAt: risk.lastDetectionAt,
      ttlSeconds: entry.sessionTtlSeconds,
      templateFull,
      templateReadOnly,
    });
    const riskOut = { score: round(risk.score), band: risk.band };

    if (d.decision === 'refuse-revoke') {
      const revocation: RevocationRequest = {
        kind: 'risk', agent: request.agent, score: risk.score, band: risk.band,
        // The crossing's id, as the risk Lambda sends it: the revoker counts the two as one.
        eventId: `risk:${request.agent}:${risk.elevatedSince ?? now.toISOString()}`,
        time: now.toISOString(),
        reason: `broker refused task ${request.taskId} at risk ${risk.band} (score ${round(risk.score)})`,
      };
      let revokerError: string | undefined;
      try {
        await clients.lambda.send(new InvokeCommand({
          FunctionName: config.revokerFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(revocation)),
        }));
      } catch (e) {
        revokerError = `${errorName(e)}: ${(e as Error).message}`;
      }
      return respond(403, d.decision, d.reason, { risk: riskOut }, { revocationRequested: !revokerError, ...(revokerError ? { revokerError } : {}) });
    }
    if (d.decision !== 'issue' && d.decision !== 'issue-read-only') {
      return respond(403, d.decision, d.reason, { risk: riskOut });
    }

    const sessionName = roleSessionName(request.taskId);
    const out = await clients.sts.send(new AssumeRoleCommand({
      RoleArn: entry.roleArn,
      RoleSessionName: sessionName,
      SourceIdentity: onBehalfOf,
      Tags: [
        { Key: 'task-id', Value: request.taskId },
        { Key: 'on-behalf-of', Value: onBehalfOf },
        { Key: 'risk-level', Value: risk.band },
      ],
      Policy: JSON.stringify(d.sessionPolicy),
      DurationSeconds: d.durationSeconds,
    }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      return respond(502, 'error', 'STS returned no credentials');
    }
    return respond(200, d.decision, d.reason, {
      durationSeconds: d.durationSeconds,
      sessionName,
      assumedRoleArn: out.AssumedRoleUser?.Arn,
      risk: riskOut,
      credentials: {
        AccessKeyId: c.AccessKeyId,
        SecretAccessKey: c.SecretAccessKey,
        SessionToken: c.SessionToken,
        Expiration: c.Expiration instanceof Date ? c.Expiration.toISOString() : c.Expiration,
      },
    });
  } catch (e) {
    return respond(502, 'error', `${errorName(e)}: ${(e as Error).message}`);
  }
}

function registryName(config: BrokerConfig, agent: string): string {
  return registryParameterName(config.environment, agent);
}

async function getParameter(clients: BrokerClients, name: string): Promise<string | undefined> {
  try {
    const out = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value;
  } catch (e) {
    if (errorName(e) === 'ParameterNotFound') return undefined;
    throw e;
  }
}

async function registryEntry(clients: BrokerClients, config: BrokerConfig, agent: string): Promise<RegistryEntry | undefined> {
  const name = registryName(config, agent);
  const raw = await getParameter(clients, name);
  if (raw === undefined) return undefined;
  return parseBrokerRegistryEntry(name, raw);
}

async function policyParameter(clients: BrokerClients, name: string): Promise<PolicyDoc | undefined> {
  const raw = await getParameter(clients, name);
  if (raw === undefined) return undefined;
  const doc = JSON.parse(raw);
  if (doc?.Version !== '2012-10-17' || !Array.isArray(doc?.Statement)) {
    throw new Error(`${name} is not a policy document`);
  }
  return doc as PolicyDoc;
}

/**
 * The template's read-only variant: the `<template>/read-only` parameter the stack publishes at
 * synth time (lib/read-only-variant.ts needs the AWS service reference, which this bundle does not
 * carry). A missing variant is an error naming the parameter, never a variant guessed here.
 */
async function readOnlyTemplate(clients: BrokerClients, templateParam: string): Promise<PolicyDoc> {
  const doc = await policyParameter(clients, readOnlyVariantParameterName(templateParam));
  if (!doc) {
    throw new Error(`read-only variant ${readOnlyVariantParameterName(templateParam)} is missing; the stack publishes it beside each template at stage 4 (synthesize and deploy the stack again)`);
  }
  return doc;
}

/**
 * The agent's decayed score and band at `now`, when it was elevated, when the latest detection was
 * counted, and its latest approval. Approvals are read by their sort key's time only, and only up
 * to `now` (plus APPROVAL_FUTURE_SKEW_MS): an approval dated in the future neither counts nor hides
 * the real ones behind it.
 */
export async function currentRisk(clients: BrokerClients, config: BrokerConfig, agent: string, now: Date): Promise<CurrentRisk> {
  const latestAllowed = `${RISK_KEYS.approvalPrefix}${new Date(now.getTime() + APPROVAL_FUTURE_SKEW_MS).toISOString()}`;
  const [item, approval] = await Promise.all([
    clients.dynamodb.send(new GetCommand({
      TableName: config.riskTable, Key: { [RISK_KEYS.partition]: agent, [RISK_KEYS.sort]: RISK_KEYS.risk }, ConsistentRead: true,
    })),
    clients.dynamodb.send(new QueryCommand({
      TableName: config.riskTable,
      KeyConditionExpression: '#p = :agent AND #s BETWEEN :prefix AND :latest',
      ExpressionAttributeNames: { '#p': RISK_KEYS.partition, '#s': RISK_KEYS.sort },
      ExpressionAttributeValues: { ':agent': agent, ':prefix': RISK_KEYS.approvalPrefix, ':latest': latestAllowed },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    })),
  ]);
  const r = item.Item;
  const score = r && typeof r.score === 'number' ? decayedScore(r.score, new Date(r.updatedAt), now) : 0;
  const band = riskBand(score);
  const latest = approval.Items?.[0];
  // The sort key's time, never the item's own `approvedAt` field (which a writer could set apart from it).
  const keyed = typeof latest?.[RISK_KEYS.sort] === 'string' ? (latest[RISK_KEYS.sort] as string).slice(RISK_KEYS.approvalPrefix.length) : undefined;
  const approvedSince = keyed && Number.isFinite(Date.parse(keyed)) && Date.parse(keyed) <= now.getTime() + APPROVAL_FUTURE_SKEW_MS ? keyed : undefined;
  const lastDetectionAt = typeof r?.lastDetectionAt === 'string' ? r.lastDetectionAt : typeof r?.updatedAt === 'string' ? r.updatedAt : undefined;
  return {
    score,
    band,
    ...(band !== RiskBand.LOW && typeof r?.elevatedSince === 'string' ? { elevatedSince: r.elevatedSince } : {}),
    ...(band !== RiskBand.LOW && lastDetectionAt ? { lastDetectionAt } : {}),
    ...(approvedSince ? { approvedSince } : {}),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}
