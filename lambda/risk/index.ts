/**
 * The risk Lambda (stage 4): every detection rule delivers
 * `{ kind: 'detection', ruleId, severity, event }` here. It finds the agent the
 * event is about, adds the severity's points to the agent's decayed risk score
 * in the risk table, and when the score crosses into the high band asks the
 * revoker (asynchronously) to revoke the agent's sessions: exactly once per
 * crossing.
 *
 * Counting is exactly-once per detection (rule + event id), also under
 * concurrent deliveries, retries and a crash between two writes:
 * 1. the detection is claimed with a conditional put of `EVENT#<event id>#<rule id>`;
 *    a claim that exists and is applied is a duplicate;
 * 2. the score item `RISK` is replaced with optimistic concurrency (its `version`),
 *    and carries the keys of the last detections it counted (`recentEvents`), so that a
 *    claimed-but-unapplied detection (a crash, or a duplicate still in flight) is counted
 *    by whichever delivery gets there first, and only once;
 * 3. the claim is marked applied. When the detection took the agent into high, the
 *    delivery that first marks the claim `notifiedAt` (conditional update) invokes the
 *    revoker, and clears the mark if the invocation fails so that a redelivery sends it:
 *    one invocation per crossing, also when deliveries of the detection race.
 * Single-item conditional writes only: no transactions (see the tests for why moto matters).
 *
 * Runtime code: it shares only pure modules of ../../lib and is bundled by esbuild.
 *
 * Environment: ENVIRONMENT (agent roles are `/agents/<env>/agent-<name>-<env>`),
 * RISK_TABLE, REVOKER_FUNCTION. Clients honour AWS_ENDPOINT_URL (tests point them at moto).
 */
import { detectionSubject } from '../../lib/detection-subject';
import { isSeverity, Severity } from '../../lib/severity';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RevocationRequest } from '../../lib/revocation';
import { agentOfRoleArn, agentOfRoleName, readLambdaEnvironment, RISK_ENVIRONMENT } from '../../lib/naming';
import { decayedScore, RISK_HALF_LIFE_SECONDS, RISK_KEYS, RISK_THRESHOLDS, riskBand, RiskBand, SEVERITY_POINTS } from '../../lib/risk';

/** Sort-key prefix of a counted detection: `EVENT#<event id>#<rule id>`. */
export const RISK_EVENT_PREFIX = 'EVENT#';

/** How many counted detections the score item remembers (only the claim-to-apply window needs covering). */
export const RECENT_EVENTS_KEPT = 100;

/** Detection claims expire (DynamoDB TTL attribute `expiresAt`, epoch seconds) after this long: beyond EventBridge's 24 h of retries. */
export const EVENT_CLAIM_TTL_SECONDS = 7 * 24 * 3600;

/** Rounds of read, compute, conditional write when concurrent detections race for the score item. */
const MAX_ROUNDS = 50;

/** Backoff between rounds: a random wait up to 10 ms x 2^round, capped at 1 s (full jitter). */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 1000;

/** SDK retries per call. */
const MAX_ATTEMPTS = 5;

export interface RiskConfig {
  readonly environment: string;
  readonly riskTable: string;
  readonly revokerFunction: string;
}

export interface RiskClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
}

/** The score item of an agent (sort key `RISK`). */
export interface RiskItem {
  readonly agent: string;
  readonly sk: string;
  /** Score at `updatedAt`, before decay. */
  readonly score: number;
  readonly updatedAt: string;
  /** Band at `updatedAt`. */
  readonly band: RiskBand;
  /** When the agent last moved up into a band above low (absent while low); approvals must be newer. */
  readonly elevatedSince?: string;
  /** When the latest detection was counted; an approval covers one episode, so it must be newer too. */
  readonly lastDetectionAt?: string;
  /** Optimistic-concurrency counter. */
  readonly version: number;
  readonly recentEvents: string[];
  /** The detection that last took the agent into high, when, and the score it reached. */
  readonly highCrossing?: { eventKey: string; at: string; score: number };
}

/** What one detection did (also the structured log line). */
export interface RiskResult {
  readonly outcome: 'counted' | 'duplicate' | 'ignored';
  readonly ruleId: string;
  readonly severity: string;
  readonly eventId?: string;
  readonly agent?: string;
  /** Points added (the severity's points, decayed by the event's age). */
  readonly points?: number;
  readonly previousBand?: RiskBand;
  readonly score?: number;
  readonly band?: RiskBand;
  /** This detection took the agent into high. */
  readonly crossedToHigh?: boolean;
  /** The revoker was invoked by this delivery. */
  readonly revocationRequested: boolean;
  readonly reason?: string;
}

let defaultClients: RiskClients | undefined;

function clientsFromEnv(): RiskClients {
  if (!defaultClients) {
    defaultClients = {
      dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: MAX_ATTEMPTS })),
      lambda: new LambdaClient({ maxAttempts: MAX_ATTEMPTS }),
    };
  }
  return defaultClients;
}

/** Reads and checks the risk function's environment (`RISK_ENVIRONMENT`: ENVIRONMENT, RISK_TABLE, REVOKER_FUNCTION). */
export function riskConfigFromEnv(env: NodeJS.ProcessEnv): RiskConfig {
  return readLambdaEnvironment('risk', RISK_ENVIRONMENT, env);
}

/** The Lambda entry point. */
export async function handler(event: RevocationRequest): Promise<RiskResult> {
  return recordDetection(clientsFromEnv(), riskConfigFromEnv(process.env), event, new Date());
}


/**
 * The agent a detection is about (see lib/detection-subject.ts): for an AssumeRole
 * call the agent role being assumed, else the agent role whose session made the
 * call, else the role of a GuardDuty finding's access key.
 * Only roles `agent-<name>-<env>` under `/agents/<env>/` of this environment count.
 */
export function agentOfEvent(event: any, environment: string): string | undefined {
  // The same subject the revoker acts on (lib/detection-subject.ts): the assumed agent role of an
  // AssumeRole call first, then the calling session's role, else a GuardDuty finding's role.
  const subject = detectionSubject(event?.detail ?? {});
  for (const arn of subject.roleArns) {
    const agent = typeof arn === 'string' ? agentOfRoleArn(arn, environment) : undefined;
    if (agent) return agent;
  }
  const user = subject.guardDutyUserName;
  return typeof user === 'string' ? agentOfRoleName(user, environment) : undefined;
}

/** The event's id: EventBridge's `id`, else CloudTrail's `detail.eventID`, else a GuardDuty finding's `detail.id`. */
export function eventIdOf(event: any): string | undefined {
  const id = event?.id ?? event?.detail?.eventID ?? event?.detail?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The points a detection adds at `now`: the severity's points, decayed by the event's age (late deliveries count less). */
export function pointsAt(severity: Severity, eventTime: string | undefined, now: Date): number {
  const points = SEVERITY_POINTS[severity];
  const t = eventTime ? new Date(eventTime) : now;
  if (Number.isNaN(t.getTime()) || t > now) return points;
  return decayedScore(points, t, now, RISK_HALF_LIFE_SECONDS);
}

const BAND_RANK: Record<RiskBand, number> = { [RiskBand.LOW]: 0, [RiskBand.ELEVATED]: 1, [RiskBand.HIGH]: 2 };

/** The revoker's request for one crossing into high; its eventId is shared with the broker's, so the revoker dedups them. */
export function riskRevocationRequest(agent: string, score: number, crossedAt: string, reason: string): RevocationRequest {
  return { kind: 'risk', agent, score, band: RiskBand.HIGH, eventId: `risk:${agent}:${crossedAt}`, time: crossedAt, reason };
}

/** Counts one detection. */
export async function recordDetection(clients: RiskClients, config: RiskConfig, request: RevocationRequest, now: Date): Promise<RiskResult> {
  const result = await count(clients, config, request, now);
  console.log(JSON.stringify({ message: `detection ${result.outcome}`, time: now.toISOString(), ...result }));
  return result;
}

async function count(clients: RiskClients, config: RiskConfig, request: RevocationRequest, now: Date): Promise<RiskResult> {
  if (request?.kind !== 'detection') {
    throw new Error(`risk: expected a detection ({"kind": "detection", "ruleId", "severity", "event"}), got kind ${JSON.stringify((request as any)?.kind)}`);
  }
  const { ruleId, severity, event } = request;
  if (typeof ruleId !== 'string' || ruleId === '') throw new Error('risk: the detection has no ruleId');
  if (!isSeverity(severity)) {
    throw new Error(`risk: detection ${ruleId} has severity ${JSON.stringify(severity)}; expected one of ${Object.keys(SEVERITY_POINTS).join(', ')}`);
  }
  const eventId = eventIdOf(event);
  if (!eventId) throw new Error(`risk: detection ${ruleId} carries an event without an id; cannot count it exactly once`);
  const agent = agentOfEvent(event, config.environment);
  if (!agent) {
    return { outcome: 'ignored', ruleId, severity, eventId, revocationRequested: false, reason: `no agent role of environment "${config.environment}" in the event` };
  }
  const eventKey = `${RISK_EVENT_PREFIX}${eventId}#${ruleId}`;
  const points = pointsAt(severity, event?.time, now);
  const base = { ruleId, severity, eventId, agent, points };

  const claimed = await claim(clients, config, agent, eventKey, request, now);
  if (!claimed.fresh && claimed.existing?.applied) {
    const requested = claimed.existing.revocation && !claimed.existing.notifiedAt
      ? await notifyRevoker(clients, config, agent, eventKey, claimed.existing.revocation, now)
      : false;
    return { ...base, outcome: 'duplicate', crossedToHigh: !!claimed.existing.revocation, revocationRequested: requested };
  }

  const applied = await apply(clients, config, agent, eventKey, points, now);
  // Built from the crossing as the score item recorded it: every delivery of the detection builds the same request.
  const revocation = applied.crossing
    ? riskRevocationRequest(agent, applied.crossing.score, applied.crossing.at,
      `risk score ${applied.crossing.score.toFixed(1)} reached high (>= ${RISK_THRESHOLDS.high}) after ${ruleId} (${severity}) on event ${eventId}`)
    : undefined;
  await clients.dynamodb.send(new UpdateCommand({
    TableName: config.riskTable,
    Key: { [RISK_KEYS.partition]: agent, [RISK_KEYS.sort]: eventKey },
    UpdateExpression: revocation ? 'SET applied = :t, revocation = :r' : 'SET applied = :t',
    ExpressionAttributeValues: revocation ? { ':t': true, ':r': revocation } : { ':t': true },
  }));
  const requested = revocation ? await notifyRevoker(clients, config, agent, eventKey, revocation, now) : false;
  return {
    ...base,
    outcome: applied.alreadyCounted ? 'duplicate' : 'counted',
    previousBand: applied.previousBand,
    score: applied.score,
    band: applied.band,
    crossedToHigh: !!applied.crossing,
    revocationRequested: requested,
  };
}

interface Claim {
  readonly fresh: boolean;
  readonly existing?: { applied?: boolean; revocation?: RevocationRequest; notifiedAt?: string };
}

async function claim(clients: RiskClients, config: RiskConfig, agent: string, eventKey: string, request: RevocationRequest & { kind: 'detection' }, now: Date): Promise<Claim> {
  try {
    await clients.dynamodb.send(new PutCommand({
      TableName: config.riskTable,
      Item: {
        [RISK_KEYS.partition]: agent,
        [RISK_KEYS.sort]: eventKey,
        ruleId: request.ruleId,
        severity: request.severity,
        receivedAt: now.toISOString(),
        applied: false,
        expiresAt: Math.floor(now.getTime() / 1000) + EVENT_CLAIM_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(#sk)',
      ExpressionAttributeNames: { '#sk': RISK_KEYS.sort },
    }));
    return { fresh: true };
  } catch (e) {
    if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
    const out = await clients.dynamodb.send(new GetCommand({
      TableName: config.riskTable, Key: { [RISK_KEYS.partition]: agent, [RISK_KEYS.sort]: eventKey }, ConsistentRead: true,
    }));
    return { fresh: false, existing: out.Item as Claim['existing'] };
  }
}

interface Applied {
  readonly alreadyCounted: boolean;
  readonly previousBand?: RiskBand;
  readonly score: number;
  readonly band: RiskBand;
  /** Set when this detection took the agent into high. */
  readonly crossing?: { at: string; score: number };
}

/** Adds the points to the decayed score, with optimistic concurrency on the score item's version. */
async function apply(clients: RiskClients, config: RiskConfig, agent: string, eventKey: string, points: number, now: Date): Promise<Applied> {
  const key = { [RISK_KEYS.partition]: agent, [RISK_KEYS.sort]: RISK_KEYS.risk };
  for (let round = 1; ; round++) {
    const out = await clients.dynamodb.send(new GetCommand({ TableName: config.riskTable, Key: key, ConsistentRead: true }));
    const cur = out.Item as RiskItem | undefined;
    if (cur?.recentEvents?.includes(eventKey)) {
      // Counted by a concurrent or earlier delivery of the same detection.
      const h = cur.highCrossing;
      return { alreadyCounted: true, score: cur.score, band: cur.band, ...(h?.eventKey === eventKey ? { crossing: { at: h.at, score: h.score } } : {}) };
    }
    const last = cur ? new Date(cur.updatedAt) : now;
    const at = last > now ? last : now; // never move updatedAt backwards (clock skew between invocations)
    const previous = cur ? decayedScore(cur.score, last, at) : 0;
    const previousBand = riskBand(previous);
    const score = previous + points;
    const band = riskBand(score);
    const atIso = at.toISOString();
    const movedUp = BAND_RANK[band] > BAND_RANK[previousBand];
    const crossedToHigh = band === RiskBand.HIGH && previousBand !== RiskBand.HIGH;
    const item: RiskItem = {
      agent,
      sk: RISK_KEYS.risk,
      score,
      updatedAt: atIso,
      lastDetectionAt: atIso,
      band,
      ...(band === RiskBand.LOW ? {} : { elevatedSince: movedUp ? atIso : (cur?.elevatedSince ?? atIso) }),
      version: (cur?.version ?? 0) + 1,
      recentEvents: [...(cur?.recentEvents ?? []), eventKey].slice(-RECENT_EVENTS_KEPT),
      ...(crossedToHigh ? { highCrossing: { eventKey, at: atIso, score } } : cur?.highCrossing ? { highCrossing: cur.highCrossing } : {}),
    };
    try {
      await clients.dynamodb.send(new PutCommand({
        TableName: config.riskTable,
        Item: item,
        ...(cur
          ? { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': cur.version } }
          : { ConditionExpression: 'attribute_not_exists(#sk)', ExpressionAttributeNames: { '#sk': RISK_KEYS.sort } }),
      }));
      return { alreadyCounted: false, previousBand, score, band, ...(crossedToHigh ? { crossing: { at: atIso, score } } : {}) };
    } catch (e) {
      if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
      if (round >= MAX_ROUNDS) throw new Error(`risk: agent "${agent}": the score item changed under ${MAX_ROUNDS} consecutive attempts`);
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** round))); // full jitter
    }
  }
}

/**
 * Invokes the revoker asynchronously, if this delivery is the first to mark the
 * detection's claim `notifiedAt`; clears the mark when the invocation fails (and
 * rethrows, so that Lambda retries the delivery). Returns whether it invoked.
 */
async function notifyRevoker(clients: RiskClients, config: RiskConfig, agent: string, eventKey: string, revocation: RevocationRequest, now: Date): Promise<boolean> {
  const Key = { [RISK_KEYS.partition]: agent, [RISK_KEYS.sort]: eventKey };
  const mark = `${now.toISOString()} ${Math.random().toString(36).slice(2)}`;
  try {
    await clients.dynamodb.send(new UpdateCommand({
      TableName: config.riskTable, Key,
      UpdateExpression: 'SET notifiedAt = :n',
      ConditionExpression: 'attribute_not_exists(notifiedAt)',
      ExpressionAttributeValues: { ':n': mark },
    }));
  } catch (e) {
    if (errorName(e) === 'ConditionalCheckFailedException') return false; // another delivery sends it
    throw e;
  }
  try {
    await clients.lambda.send(new InvokeCommand({
      FunctionName: config.revokerFunction,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(revocation)),
    }));
  } catch (e) {
    await clients.dynamodb.send(new UpdateCommand({
      TableName: config.riskTable, Key,
      UpdateExpression: 'REMOVE notifiedAt',
      ConditionExpression: 'notifiedAt = :n',
      ExpressionAttributeValues: { ':n': mark },
    })).catch(() => undefined); // if this fails too, the broker's refusals at high still request the revocation
    throw e;
  }
  return true;
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}
