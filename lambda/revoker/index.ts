/**
 * The revoker Lambda (stage 4, real-time revocation): revokes an agent's live
 * sessions by writing the inline policy AWSRevokeOlderSessions on its role
 * (Deny * on * when aws:TokenIssueTime is earlier than the revocation time),
 * quarantines an agent on critical findings (a second inline deny with no time
 * condition, AgentIamQuarantine) and restores it when a person asks.
 *
 * Triggered by the high and critical detection rules of stage 3 (EventBridge,
 * asynchronous), by the manual kill switch (synchronous) and by the risk
 * engine. Correct under real-world delivery:
 *
 * - Monotonic: the revocation time only moves forward. The ledger's STATE item
 *   is updated with a condition (`revokedBefore < :t`), then the policy is
 *   written from a consistent read of STATE and STATE is read again; while it
 *   changed meanwhile, the policy is written again. Whoever advanced STATE last
 *   writes the policy last, so concurrent and late events leave exactly the
 *   newest time in force.
 * - Idempotent: each event is recorded once (`EVENT#<id>` put with
 *   attribute_not_exists). A duplicate of an applied event converges the
 *   policies and answers the first delivery's result; a redelivery of an event
 *   whose first attempt failed mid-way is applied again (its STATE updates are
 *   written so that they pass again for the same event).
 * - Rejections (malformed request, unknown role, role outside the agents path)
 *   throw `RejectedEvent` before anything is written; the asynchronous
 *   invocation then ends in the function's dead-letter queue with the reason.
 *
 * Runtime code: shares only pure modules of ../../lib (never cdktf), bundled by
 * esbuild with the AWS SDK inside.
 *
 * Environment: ENVIRONMENT (e.g. `dev`), LEDGER_TABLE (DynamoDB table, keys
 * LEDGER_KEYS), TOPIC_ARN (SNS topic for notifications). The clients honour
 * AWS_ENDPOINT_URL (how the tests point them at moto).
 */
import { detectionSubject } from '../../lib/detection-subject';
import { isSeverity } from '../../lib/severity';
import { DeleteRolePolicyCommand, GetRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { agentRoleName, agentRolePath, readLambdaEnvironment, REVOKER_ENVIRONMENT, validateAgentName, validateEnvironment } from '../../lib/naming';
import {
  LEDGER_KEYS,
  QUARANTINE_POLICY_NAME,
  QUARANTINING_SEVERITIES,
  quarantinePolicy,
  REVOCATION_POLICY_NAME,
  revocationPolicy,
  RevocationAction,
  RevocationRequest,
  RevocationResult,
  RESTORE_REQUEST_MAX_AGE_SECONDS,
  REVOKING_SEVERITIES,
} from '../../lib/revocation';

/** SDK attempts per call (standard retry mode: exponential backoff with jitter on throttling and 5xx). */
export const MAX_ATTEMPTS = 8;

/** Rounds of write-then-reread while other deliveries keep advancing the same agent's state. */
export const CONVERGE_ROUNDS = 25;

/** How long a container remembers that a role is an agent role (GetRole); a role's path never changes. */
export const ROLE_CACHE_SECONDS = 60;

/** How far in the future a request's time may be (clock skew); later times are rejected. */
export const MAX_FUTURE_SKEW_SECONDS = 300;

/** Why a request was refused; nothing was written. The message is one line naming the event and the reason. */
export class RejectedEvent extends Error {
  public readonly eventId?: string;
  public readonly reason: string;
  constructor(eventId: string | undefined, reason: string) {
    super(`revoker: rejected event ${eventId ?? '(no id)'}: ${reason}`);
    this.name = 'RejectedEvent';
    this.eventId = eventId;
    this.reason = reason;
  }
}

/** The AWS clients the revoker uses. */
export interface RevokerClients {
  readonly iam: IAMClient;
  readonly ledger: DynamoDBDocumentClient;
  readonly sns: SNSClient;
}

/** What the revoker is configured with (the Lambda reads it from its environment). */
export interface RevokerConfig {
  readonly environment: string;
  readonly ledgerTable: string;
  readonly topicArn: string;
}

/** Options for `createRevokerClients` (tests and the bench point them at moto). */
export interface RevokerClientOptions {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly maxAttempts?: number;
}

/** Clients with the revoker's retry settings. */
export function createRevokerClients(options: RevokerClientOptions = {}): RevokerClients {
  const common = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
    retryMode: 'standard',
  };
  return {
    iam: new IAMClient(common),
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient(common), { marshallOptions: { removeUndefinedValues: true } }),
    sns: new SNSClient(common),
  };
}

/** Reads and checks the revoker's environment (`REVOKER_ENVIRONMENT`: ENVIRONMENT, LEDGER_TABLE, TOPIC_ARN). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RevokerConfig {
  const config = readLambdaEnvironment('revoker', REVOKER_ENVIRONMENT, env);
  const problems = validateEnvironment(config.environment);
  if (problems.length > 0) throw new Error(`revoker: ${REVOKER_ENVIRONMENT.environment} ${problems[0]}`);
  if (!config.topicArn.startsWith('arn:')) throw new Error(`revoker: ${REVOKER_ENVIRONMENT.topicArn} must be an SNS topic ARN, got "${config.topicArn}"`);
  return config;
}

let defaultClients: RevokerClients | undefined;

/** The Lambda entry point. Throws RejectedEvent for requests that must go to the dead-letter queue. */
export async function handler(event: unknown): Promise<RevocationResult> {
  const config = configFromEnv();
  defaultClients ??= createRevokerClients();
  return revoke(defaultClients, config, event, new Date());
}

// ---------------------------------------------------------------------------------------------
// The request, parsed and checked before anything is touched.

/** A request made concrete: which role, which time, what to record. */
interface ParsedRequest {
  readonly kind: RevocationRequest['kind'];
  readonly action: RevocationAction;
  readonly eventId: string;
  /** Sort key of the ledger's event item (detections: one per rule, as several rules may match one event). */
  readonly eventKey: string;
  readonly agent: string;
  readonly roleName: string;
  /** The role ARN named by the event (detections), checked against IAM's answer. */
  readonly claimedRoleArn?: string;
  /** Revocation (or restore) time, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly time: string;
  /** The time came from the request (not from the clock), so it is part of the request's identity. */
  readonly timeGiven: boolean;
  readonly reason: string;
  readonly actor: string;
  readonly ruleId?: string;
  readonly severity?: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:\/+=@-]{0,127}$/;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,64})$/;
const TEXT_MAX = 1024;
const ACTIONS: RevocationAction[] = ['revoke', 'quarantine', 'restore'];

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function malformed(id: string | undefined, what: string): RejectedEvent {
  return new RejectedEvent(id, `malformed event: ${what}`);
}

function requireId(x: unknown, field: string, id: string | undefined): string {
  if (x === undefined || x === null || x === '') throw malformed(id, `missing ${field}`);
  if (typeof x !== 'string' || !ID.test(x)) {
    throw malformed(id, `${field} must be 1-128 letters, digits or ._:/+=@- characters, got ${JSON.stringify(x)}`);
  }
  return x;
}

function requireText(x: unknown, field: string, id: string | undefined): string {
  if (x === undefined || x === null) throw malformed(id, `missing ${field}`);
  if (typeof x !== 'string' || x.trim() === '' || x.length > TEXT_MAX) {
    throw malformed(id, `${field} must be a non-empty string of at most ${TEXT_MAX} characters`);
  }
  return x;
}

/**
 * An ISO 8601 time as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, rounded up so that the
 * session that acted within that second is revoked too). Same format everywhere, so the
 * ledger can compare times as strings.
 */
export function normalizeTime(value: string): string | undefined {
  const m = ISO_TIME.exec(value);
  if (!m) return undefined;
  // Date.parse rolls 2030-02-30 over into March: check the calendar and the clock first.
  const [y, mo, d, h, mi, se] = value.slice(0, 19).split(/[-T:]/).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function requireTime(x: unknown, field: string, id: string | undefined, now: Date): string {
  if (x === undefined || x === null || x === '') throw malformed(id, `missing ${field}`);
  const t = typeof x === 'string' ? normalizeTime(x) : undefined;
  if (!t) throw malformed(id, `${field} must be an ISO 8601 time such as 2030-01-31T12:00:00Z, got ${JSON.stringify(x)}`);
  if (Date.parse(t) > now.getTime() + MAX_FUTURE_SKEW_SECONDS * 1000) {
    throw malformed(id, `${field} ${t} is more than ${MAX_FUTURE_SKEW_SECONDS} s in the future (now ${normalizeTime(now.toISOString())})`);
  }
  return t;
}

function requireAgent(x: unknown, id: string | undefined, environment: string): string {
  if (x === undefined || x === null || x === '') throw malformed(id, 'missing agent');
  if (typeof x !== 'string' || validateAgentName(x, environment).length > 0) {
    throw malformed(id, `agent ${JSON.stringify(x)} is not an agent name (lower-case letters, digits and hyphens, role name within 64 characters)`);
  }
  return x;
}

/** The agent name of an agent role name (`agent-<name>-<env>`), or the role name itself when it does not follow the convention. */
function agentOfRole(roleName: string, environment: string): string {
  const prefix = 'agent-';
  const suffix = `-${environment}`;
  return roleName.startsWith(prefix) && roleName.endsWith(suffix) && roleName.length > prefix.length + suffix.length
    ? roleName.slice(prefix.length, -suffix.length)
    : roleName;
}

/** Checks the request's shape and resolves the agent role; throws RejectedEvent. Touches nothing. */
export function parseRequest(raw: unknown, environment: string, now: Date): ParsedRequest {
  if (!isObject(raw)) throw malformed(undefined, `expected an object with "kind", got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  switch (raw.kind) {
    case 'detection': return parseDetection(raw, environment, now);
    case 'manual': return parseManual(raw, environment, now);
    case 'risk': return parseRisk(raw, environment, now);
    default: {
      const id = [raw.requestId, raw.eventId, raw.event?.id].find((x) => typeof x === 'string' && ID.test(x));
      throw malformed(id, `kind must be "detection", "manual" or "risk", got ${JSON.stringify(raw.kind)}`);
    }
  }
}

function parseManual(raw: Record<string, any>, environment: string, now: Date): ParsedRequest {
  const eventId = requireId(raw.requestId, 'requestId', undefined);
  if (!ACTIONS.includes(raw.action)) throw malformed(eventId, `action must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(raw.action)}`);
  const agent = requireAgent(raw.agent, eventId, environment);
  const reason = requireText(raw.reason, 'reason', eventId);
  const actor = requireText(raw.actor, 'actor', eventId);
  const timeGiven = raw.time !== undefined;
  const time = timeGiven ? requireTime(raw.time, 'time', eventId, now) : normalizeTime(now.toISOString())!;
  return {
    kind: 'manual', action: raw.action, eventId, eventKey: `${LEDGER_KEYS.eventPrefix}${eventId}`,
    agent, roleName: agentRoleName(agent, environment), time, timeGiven, reason, actor,
  };
}

function parseRisk(raw: Record<string, any>, environment: string, now: Date): ParsedRequest {
  const eventId = requireId(raw.eventId, 'eventId', undefined);
  const agent = requireAgent(raw.agent, eventId, environment);
  if (typeof raw.score !== 'number' || !Number.isFinite(raw.score)) throw malformed(eventId, `score must be a number, got ${JSON.stringify(raw.score)}`);
  const band = requireText(raw.band, 'band', eventId);
  const reason = requireText(raw.reason, 'reason', eventId);
  const time = requireTime(raw.time, 'time', eventId, now);
  return {
    kind: 'risk', action: 'revoke', eventId, eventKey: `${LEDGER_KEYS.eventPrefix}${eventId}`,
    agent, roleName: agentRoleName(agent, environment), time, timeGiven: true,
    reason: `risk ${band} (score ${raw.score}): ${reason}`, actor: 'risk-engine',
  };
}

function parseDetection(raw: Record<string, any>, environment: string, now: Date): ParsedRequest {
  const event = raw.event;
  const eventId = requireId(isObject(event) ? event.id : undefined, 'event.id', undefined);
  const ruleId = requireId(raw.ruleId, 'ruleId', eventId);
  if (!RULE_ID.test(ruleId)) throw malformed(eventId, `ruleId must be letters, digits and ._- characters, got ${JSON.stringify(ruleId)}`);
  if (!isSeverity(raw.severity) || !REVOKING_SEVERITIES.includes(raw.severity)) {
    throw malformed(eventId, `severity ${JSON.stringify(raw.severity)} does not revoke (only ${REVOKING_SEVERITIES.join(', ')})`);
  }
  const detail = event.detail;
  if (!isObject(detail)) throw malformed(eventId, 'missing event.detail');
  const time = requireTime(detail.eventTime ?? event.time, detail.eventTime !== undefined ? 'event.detail.eventTime' : 'event.time', eventId, now);

  const path = agentRolePath(environment);
  let roleName: string;
  let claimedRoleArn: string | undefined;
  let what: string;
  const subject = detectionSubject(detail);
  if (isObject(detail.resource?.accessKeyDetails)) {
    // GuardDuty finding: the access key's user name is the role name of an assumed-role session.
    if (subject.guardDutyUserType !== undefined && subject.guardDutyUserType !== 'AssumedRole') {
      throw new RejectedEvent(eventId, `GuardDuty finding on a ${JSON.stringify(subject.guardDutyUserType)} access key, not an agent role session`);
    }
    if (typeof subject.guardDutyUserName !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(subject.guardDutyUserName)) {
      throw malformed(eventId, 'event.detail.resource.accessKeyDetails.userName must be a role name');
    }
    roleName = subject.guardDutyUserName;
    what = `GuardDuty ${typeof detail.type === 'string' ? detail.type : 'finding'}`;
  } else {
    // CloudTrail: for AssumeRole of an agent role, the role assumed (DET-3.08, DET-3.09); else the caller's role.
    const candidates = subject.roleArns;
    if (candidates.length === 0) {
      throw malformed(eventId, 'missing event.detail.userIdentity.sessionContext.sessionIssuer.arn (or requestParameters.roleArn of an AssumeRole event, or resource.accessKeyDetails.userName of a GuardDuty finding)');
    }
    const parsed = candidates.map((arn) => ({ arn, m: ROLE_ARN.exec(arn) }));
    const agentRole = parsed.find((p) => p.m && p.m[3] === path);
    if (!agentRole) {
      const first = parsed[0];
      throw new RejectedEvent(eventId, first.m
        ? `role ${first.arn} is not an agent role of environment ${environment} (path ${path})`
        : `malformed event: ${JSON.stringify(first.arn)} is not an IAM role ARN`);
    }
    claimedRoleArn = agentRole.arn;
    roleName = agentRole.m![4];
    what = `${typeof detail.eventSource === 'string' ? detail.eventSource : 'unknown source'} ${typeof detail.eventName === 'string' ? detail.eventName : 'unknown call'}`;
  }
  const severity = raw.severity;
  return {
    kind: 'detection',
    action: QUARANTINING_SEVERITIES.includes(severity) ? 'quarantine' : 'revoke',
    eventId, eventKey: `${LEDGER_KEYS.eventPrefix}${eventId}#${ruleId}`,
    agent: agentOfRole(roleName, environment), roleName, claimedRoleArn, time, timeGiven: true,
    reason: `${ruleId} (${severity}): ${what}`.slice(0, TEXT_MAX), actor: `detection ${ruleId}`, ruleId, severity,
  };
}

// ---------------------------------------------------------------------------------------------
// The ledger and the policies.

/** The ledger's STATE item of one agent. */
interface AgentState {
  revokedBefore?: string;
  revokedBy?: string;
  quarantined?: boolean;
  quarantinedAt?: string;
  quarantinedBy?: string;
  version?: number;
  /** The `version` whose policies are known to be in force (written by converge after it settled). */
  appliedVersion?: number;
}

/** STATE from a raw DynamoDB item (a conditional failure's `Item` is not unmarshalled by the document client). */
function stateOf(item: Record<string, Record<string, unknown>> | undefined): AgentState | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (typeof v?.S === 'string') out[k] = v.S;
    else if (typeof v?.N === 'string') out[k] = Number(v.N);
    else if (typeof v?.BOOL === 'boolean') out[k] = v.BOOL;
  }
  return out as AgentState;
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}

const iso = (d: Date) => d.toISOString();

/** A request's identity: a redelivery must carry the same one, or its id was reused for something else. */
function fingerprint(r: ParsedRequest): string {
  return [r.kind, r.action, r.roleName, r.timeGiven ? r.time : ''].join('|');
}

/**
 * Applies one revocation request: resolves and checks the role, records the event, advances
 * the agent's STATE, converges the role's inline policies to STATE and notifies.
 * Throws RejectedEvent (nothing written) for requests that must not be retried.
 */
export async function revoke(clients: RevokerClients, config: RevokerConfig, request: unknown, now: Date): Promise<RevocationResult> {
  const started = Date.now();
  let parsed: ParsedRequest | undefined;
  try {
    parsed = parseRequest(request, config.environment, now);
    if (parsed.action === 'restore') parsed = await responderRestore(clients, config, parsed, now);
    const roleArn = await checkRole(clients, config, parsed);
    const { result, rounds, duplicate } = await apply(clients, config, parsed, roleArn, now);
    console.log(JSON.stringify({
      message: duplicate ? 'revocation request already applied' : `revocation ${result.outcome}`,
      ...result, roleArn, kind: parsed.kind, ruleId: parsed.ruleId, severity: parsed.severity, reason: parsed.reason, actor: parsed.actor,
      duplicate, rounds, durationMs: Date.now() - started,
    }));
    return result;
  } catch (e) {
    if (e instanceof RejectedEvent) {
      console.log(JSON.stringify({ message: 'revocation request rejected', eventId: e.eventId, reason: e.reason }));
    } else {
      console.log(JSON.stringify({
        message: 'revocation request failed', eventId: parsed?.eventId, agent: parsed?.agent, action: parsed?.action,
        error: `${errorName(e)}: ${(e as Error).message}`,
      }));
    }
    throw e;
  }
}

/**
 * A restore loosens, so a payload cannot cause it: the revoker acts only on a `RESTORE#<requestId>`
 * item in the ledger, which only responders can write (the ledger's resource policy denies item
 * writes to everyone else but the revoker, whose own writes are `STATE` and `EVENT#...`). The
 * request's time, actor and reason are the item's, never the payload's. Rejects (nothing written)
 * when the item is missing, malformed, from the future or older than RESTORE_REQUEST_MAX_AGE_SECONDS.
 */
async function responderRestore(clients: RevokerClients, config: RevokerConfig, r: ParsedRequest, now: Date): Promise<ParsedRequest> {
  const item = (await clients.ledger.send(new GetCommand({
    TableName: config.ledgerTable, ConsistentRead: true,
    Key: { [LEDGER_KEYS.partition]: r.agent, [LEDGER_KEYS.sort]: `${LEDGER_KEYS.restorePrefix}${r.eventId}` },
  }))).Item;
  if (!item) {
    throw new RejectedEvent(r.eventId, `restore of agent "${r.agent}" refused: no ${LEDGER_KEYS.restorePrefix}${r.eventId} request in the ledger. `
      + 'A restore needs a request written by a responder (npx agent-iam restore writes it; the ledger\'s resource policy lets only responders write)');
  }
  const at = typeof item.requestedAt === 'string' ? normalizeTime(item.requestedAt) : undefined;
  if (!at || typeof item.requestedBy !== 'string' || item.requestedBy === '' || typeof item.reason !== 'string') {
    throw new RejectedEvent(r.eventId, `restore of agent "${r.agent}" refused: the ledger's restore request lacks requestedAt, requestedBy or reason`);
  }
  const age = (now.getTime() - Date.parse(at)) / 1000;
  if (age < -MAX_FUTURE_SKEW_SECONDS) {
    throw new RejectedEvent(r.eventId, `restore of agent "${r.agent}" refused: the request is dated ${at}, in the future`);
  }
  if (age > RESTORE_REQUEST_MAX_AGE_SECONDS) {
    // A redelivery of a restore already applied is answered from the ledger, whatever its age.
    const applied = (await clients.ledger.send(new GetCommand({
      TableName: config.ledgerTable, ConsistentRead: true, Key: { [LEDGER_KEYS.partition]: r.agent, [LEDGER_KEYS.sort]: r.eventKey },
    }))).Item;
    if (applied?.status !== 'applied') {
      throw new RejectedEvent(r.eventId, `restore of agent "${r.agent}" refused: the request of ${at} is older than ${RESTORE_REQUEST_MAX_AGE_SECONDS} s; ask again`);
    }
  }
  return { ...r, time: at, timeGiven: true, actor: item.requestedBy.slice(0, TEXT_MAX), reason: item.reason.slice(0, TEXT_MAX) || 'restore' };
}

/** Agent roles seen recently, per IAM client (one per container): bursts for one agent skip GetRole. */
const agentRoles = new WeakMap<IAMClient, Map<string, { Arn: string; Path: string; expires: number }>>();

/** The role exists, sits under the agents path of the environment and is the one the event named. */
async function checkRole(clients: RevokerClients, config: RevokerConfig, r: ParsedRequest): Promise<string> {
  const path = agentRolePath(config.environment);
  let cache = agentRoles.get(clients.iam);
  if (!cache) agentRoles.set(clients.iam, cache = new Map());
  const cached = cache.get(r.roleName);
  if (cached && cached.expires > Date.now() && cached.Path === path && (!r.claimedRoleArn || r.claimedRoleArn === cached.Arn)) {
    return cached.Arn;
  }
  let role;
  try {
    role = (await clients.iam.send(new GetRoleCommand({ RoleName: r.roleName }))).Role;
  } catch (e) {
    if (errorName(e) === 'NoSuchEntityException') {
      throw new RejectedEvent(r.eventId, `role ${r.claimedRoleArn ?? r.roleName} does not exist (agent "${r.agent}" is unknown in environment ${config.environment})`);
    }
    throw e;
  }
  if (!role?.Arn || role.Path !== path) {
    const named = r.claimedRoleArn && r.claimedRoleArn !== role?.Arn ? `${r.claimedRoleArn} (in IAM ${role?.Arn})` : role?.Arn ?? r.roleName;
    throw new RejectedEvent(r.eventId, `role ${named} is not an agent role of environment ${config.environment} (path ${role?.Path}, expected ${path})`);
  }
  if (r.claimedRoleArn && r.claimedRoleArn !== role.Arn) {
    throw new RejectedEvent(r.eventId, `role ${r.claimedRoleArn} is not an agent role of environment ${config.environment} (this account's role is ${role.Arn})`);
  }
  cache.set(r.roleName, { Arn: role.Arn, Path: role.Path, expires: Date.now() + ROLE_CACHE_SECONDS * 1000 });
  return role.Arn;
}

async function apply(clients: RevokerClients, config: RevokerConfig, parsed: ParsedRequest, roleArn: string, now: Date)
  : Promise<{ result: RevocationResult; rounds: number; duplicate: boolean }> {
  const { ledger } = clients;
  const table = config.ledgerTable;
  const key = (sk: string) => ({ [LEDGER_KEYS.partition]: parsed.agent, [LEDGER_KEYS.sort]: sk });
  let r = parsed;

  // (1) Record the event, once.
  try {
    await ledger.send(new PutCommand({
      TableName: table,
      Item: {
        ...key(r.eventKey), eventId: r.eventId, kind: r.kind, action: r.action, time: r.time, reason: r.reason, actor: r.actor,
        ruleId: r.ruleId, severity: r.severity, roleArn, fingerprint: fingerprint(r), status: 'received', receivedAt: iso(now),
      },
      ConditionExpression: `attribute_not_exists(${LEDGER_KEYS.sort})`,
    }));
  } catch (e) {
    if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
    const existing = (await ledger.send(new GetCommand({ TableName: table, Key: key(r.eventKey), ConsistentRead: true }))).Item;
    if (!existing) throw new Error(`revoker: ledger item ${r.eventKey} of ${r.agent} vanished after a conditional put failed; retry`);
    if (existing.fingerprint !== fingerprint(r)) {
      throw new RejectedEvent(r.eventId, `event id already recorded for a different request (${existing.fingerprint}, now ${fingerprint(r)}); use a new id`);
    }
    // The first delivery's time (manual requests without one took the clock's).
    r = { ...r, time: existing.time };
    if (existing.status === 'applied') {
      // Nothing changes: the policies are rewritten only if STATE's are not known to be in force.
      const { rounds } = await converge(clients, config, r, r.action === 'restore', undefined, true);
      return { result: existing.result as RevocationResult, rounds, duplicate: true };
    }
    // Received but not applied: an earlier attempt failed mid-way (or is running now). Apply again.
  }

  // (2) Advance STATE. Each update passes again for the same event, so a redelivery re-applies it.
  let advanced = false;
  let quarantineChanged = false;
  /**
   * A conditional update of STATE. Passed: the item before (`ALL_OLD`) or after (`ALL_NEW`) it.
   * Failed: the item as it stood (DynamoDB returns it with the failure), so no extra read is needed.
   */
  const update = async (expr: string, condition: string, values: Record<string, unknown>, returnValues: 'ALL_OLD' | 'ALL_NEW')
    : Promise<{ passed: boolean; item?: AgentState }> => {
    try {
      const out = await ledger.send(new UpdateCommand({
        TableName: table, Key: key(LEDGER_KEYS.state),
        UpdateExpression: `${expr}, roleArn = :arn, updatedAt = :now ADD version :one`,
        ConditionExpression: condition,
        ExpressionAttributeValues: { ...values, ':arn': roleArn, ':now': iso(now), ':one': 1 },
        ReturnValues: returnValues,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { passed: true, item: (out.Attributes ?? {}) as AgentState };
    } catch (e) {
      if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
      return { passed: false, item: stateOf((e as { Item?: Record<string, Record<string, unknown>> }).Item) };
    }
  };
  /** STATE as it stands right after this request's update: where converging starts (else it reads). */
  let snapshot: AgentState | undefined;
  /** Every update failed its condition: this request changes nothing, and `snapshot` is STATE as it stands. */
  let changedNothing = true;
  if (r.action === 'revoke' || r.action === 'quarantine') {
    const out = await update('SET revokedBefore = :t, revokedBy = :id',
      'attribute_not_exists(revokedBefore) OR revokedBefore < :t OR (revokedBefore = :t AND revokedBy = :id)',
      { ':t': r.time, ':id': r.eventKey }, 'ALL_NEW');
    advanced = out.passed;
    snapshot = out.item;
    changedNothing = !out.passed;
  }
  if (r.action === 'quarantine') {
    // Always records the newest quarantine (a restore dated before it must not lift it); it
    // changed something if the agent was not quarantined, or this event's earlier attempt did it.
    const out = await update('SET quarantined = :true, quarantinedBy = :id, quarantinedAt = :qt, quarantineReason = :reason',
      'attribute_not_exists(quarantinedAt) OR quarantinedAt <= :qt',
      { ':true': true, ':id': r.eventKey, ':qt': normalizeTime(iso(now))!, ':reason': r.reason }, 'ALL_OLD');
    quarantineChanged = out.passed && (out.item?.quarantined !== true || out.item?.quarantinedBy === r.eventKey);
    snapshot = out.passed ? undefined : out.item;
    changedNothing = changedNothing && !out.passed;
  }
  if (r.action === 'restore') {
    // Lifts only quarantines recorded up to the restore's time: a newer critical finding stays in force.
    const out = await update('SET quarantined = :false, restoredBy = :id, restoredAt = :t, restoreReason = :reason',
      '(quarantined = :true AND quarantinedAt <= :t) OR (quarantined = :false AND restoredBy = :id)',
      { ':true': true, ':false': false, ':id': r.eventKey, ':t': r.time, ':reason': r.reason }, 'ALL_OLD');
    quarantineChanged = out.passed;
    snapshot = out.passed ? undefined : out.item;
    changedNothing = !out.passed;
  }

  // (3, 4) Write the policies from STATE until STATE is stable. A request that changed nothing (its
  // time is not newer than the ledger's) writes no IAM when STATE's policies are known to be in force.
  const converged = await converge(clients, config, r, r.action === 'restore', snapshot, changedNothing);
  const outcome: RevocationResult['outcome'] = quarantineChanged
    ? (r.action === 'restore' ? 'restored' : 'quarantined')
    : advanced ? 'revoked' : 'unchanged';
  const result: RevocationResult = {
    agent: r.agent, action: r.action, outcome, revokedBefore: converged.state?.revokedBefore,
    quarantined: converged.state?.quarantined === true, eventId: r.eventId,
  };

  // (5) Notify, then mark applied (a failure in between re-notifies on redelivery rather than never).
  if (outcome !== 'unchanged') await notify(clients, config, r, roleArn, result);
  await ledger.send(new UpdateCommand({
    TableName: table, Key: key(r.eventKey),
    UpdateExpression: 'SET #status = :applied, outcome = :outcome, #result = :result, appliedAt = :now',
    ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
    ExpressionAttributeValues: { ':applied': 'applied', ':outcome': outcome, ':result': result, ':now': iso(now) },
  }));
  return { result, rounds: converged.rounds, duplicate: false };
}

/**
 * Makes the role's inline policies match STATE: write from a snapshot (or a consistent read), then
 * record that version as applied (a conditional update that returns STATE as it stands when it
 * moved on), repeat while it changed. Every writer that changes STATE runs this afterwards, so the
 * last policy write reflects the last STATE. With `unlessApplied`, a STATE whose version is already
 * recorded as applied is left alone: no IAM write (rounds = 0).
 */
async function converge(clients: RevokerClients, config: RevokerConfig, r: ParsedRequest, deleteQuarantine: boolean, snapshot?: AgentState,
  unlessApplied = false): Promise<{ state: AgentState | undefined; rounds: number }> {
  const Key = { [LEDGER_KEYS.partition]: r.agent, [LEDGER_KEYS.sort]: LEDGER_KEYS.state };
  const read = async () => (await clients.ledger.send(new GetCommand({ TableName: config.ledgerTable, Key, ConsistentRead: true }))).Item as AgentState | undefined;
  /** Records `s.version` as applied; answers STATE after (or as it stands, when it moved on). */
  const settle = async (s: AgentState | undefined): Promise<AgentState | undefined> => {
    if (s?.version === undefined) return read();
    try {
      const out = await clients.ledger.send(new UpdateCommand({
        TableName: config.ledgerTable, Key,
        UpdateExpression: 'SET appliedVersion = :v', ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':v': s.version }, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return out.Attributes as AgentState;
    } catch (e) {
      if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
      return stateOf((e as { Item?: Record<string, Record<string, unknown>> }).Item);
    }
  };
  let state = snapshot ?? await read();
  if (unlessApplied && state?.version !== undefined && state.appliedVersion === state.version) return { state, rounds: 0 };
  for (let round = 1; round <= CONVERGE_ROUNDS; round++) {
    await writePolicies(clients.iam, r.roleName, state, deleteQuarantine);
    const after = await settle(state);
    if ((after?.version ?? 0) === (state?.version ?? 0)) return { state: after, rounds: round };
    state = after;
  }
  throw new Error(`revoker: state of agent "${r.agent}" kept changing for ${CONVERGE_ROUNDS} rounds; a redelivery converges it`);
}

async function writePolicies(iam: IAMClient, roleName: string, state: AgentState | undefined, deleteQuarantine: boolean): Promise<void> {
  if (state?.revokedBefore) {
    await iam.send(new PutRolePolicyCommand({
      RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME, PolicyDocument: JSON.stringify(revocationPolicy(state.revokedBefore)),
    }));
  }
  if (state?.quarantined) {
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: QUARANTINE_POLICY_NAME, PolicyDocument: JSON.stringify(quarantinePolicy()) }));
  } else if (state?.quarantinedAt || deleteQuarantine) {
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: QUARANTINE_POLICY_NAME }));
    } catch (e) {
      if (errorName(e) !== 'NoSuchEntityException') throw e;
    }
  }
}

async function notify(clients: RevokerClients, config: RevokerConfig, r: ParsedRequest, roleArn: string, result: RevocationResult): Promise<void> {
  const what = { revoked: 'sessions revoked', quarantined: 'quarantined', restored: 'restored', unchanged: 'unchanged' }[result.outcome];
  const subject = `[agent-iam ${config.environment}] agent ${r.agent} ${what}${r.ruleId ? ` (${r.ruleId})` : ''}`.slice(0, 100);
  await clients.sns.send(new PublishCommand({
    TopicArn: config.topicArn,
    Subject: subject,
    Message: JSON.stringify({
      ...result, environment: config.environment, roleArn, kind: r.kind, reason: r.reason, actor: r.actor,
      ruleId: r.ruleId, severity: r.severity, requestTime: r.time,
    }),
  }));
}
