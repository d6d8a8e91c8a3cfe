/**
 * The credential broker's decision (stage 4, continuous authentication): from
 * an agent's current risk band, what a task's request for credentials gets.
 * One pure function shared by the broker Lambda, the tests and the assessor;
 * plus the read-only variant of a session-policy template and the approval
 * record that re-authenticates an agent.
 *
 * Pure: no AWS SDK, no cdktf.
 */
import { AwsLimits } from './limits';
import { PolicyDoc, policySize } from './policy';
import { RISK_KEYS, RiskBand } from './risk';

/** What a task asks for: read-only credentials, or everything its template grants. */
export type BrokerAccess = 'read' | 'write';

/**
 * The broker's answer.
 * - `issue`: credentials with the requested access.
 * - `issue-read-only`: a short read-only session (elevated risk).
 * - `refuse-reauth`: write access refused until a person approves the agent again.
 * - `refuse-revoke`: refused, and the agent's live sessions are revoked (high risk).
 * - `refuse-policy`: the session policy to pass would be empty (a template with no
 *   read actions asked for read access) or over STS's size limit: nothing useful can be issued.
 */
export type BrokerDecisionKind = 'issue' | 'issue-read-only' | 'refuse-reauth' | 'refuse-revoke' | 'refuse-policy';

/** What the broker knows when it decides. */
export interface BrokerDecisionInput {
  /** The agent's current band (decayed score). */
  readonly band: RiskBand;
  readonly access: BrokerAccess;
  /** When a person last approved the agent (ISO 8601); absent when never. */
  readonly approvedSince?: string;
  /** When the agent last moved up into a band above low (ISO 8601); absent while low. */
  readonly elevatedSince?: string;
  /**
   * When the latest detection was counted (ISO 8601). An approval covers one elevation episode:
   * a detection after it needs a new approval.
   * @default - elevatedSince only
   */
  readonly lastDetectionAt?: string;
  /** The agent's session TTL (its registry `sessionTtlSeconds`). */
  readonly ttlSeconds: number;
  /** The task's session-policy template. */
  readonly templateFull: PolicyDoc;
  /** Its read-only variant (`readOnlyVariant(templateFull)`). */
  readonly templateReadOnly: PolicyDoc;
}

/** The decision, and for `issue*` what to pass to AssumeRole. */
export interface BrokerDecision {
  readonly decision: BrokerDecisionKind;
  readonly durationSeconds?: number;
  readonly sessionPolicy?: PolicyDoc;
  /** Why, in words for the log and the caller. */
  readonly reason: string;
}

/** Session length at elevated risk: the shortest AssumeRole accepts. */
export const ELEVATED_SESSION_SECONDS = AwsLimits.ASSUME_ROLE_DURATION_MIN;

/**
 * Longest session the broker can get: it calls AssumeRole with its own role
 * session's credentials (role chaining), which AWS caps at one hour whatever
 * the agent role's MaxSessionDuration.
 */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** Decides what a request for credentials gets at the agent's current risk. */
export function decide(input: BrokerDecisionInput): BrokerDecision {
  switch (input.band) {
    case RiskBand.LOW: {
      const duration = Math.min(Math.max(AwsLimits.ASSUME_ROLE_DURATION_MIN, input.ttlSeconds), ROLE_CHAINING_MAX_SECONDS);
      const readOnly = input.access === 'read';
      return withPolicy('issue', duration, readOnly ? input.templateReadOnly : input.templateFull,
        `risk low: ${readOnly ? 'read-only' : 'full'} template for the agent's TTL`);
    }
    case RiskBand.ELEVATED: {
      if (input.access === 'read') {
        return withPolicy('issue-read-only', ELEVATED_SESSION_SECONDS, input.templateReadOnly,
          'risk elevated: short read-only session');
      }
      if (isApprovedSinceElevated(input.approvedSince, input.elevatedSince, input.lastDetectionAt)) {
        return withPolicy('issue', ELEVATED_SESSION_SECONDS, input.templateFull,
          `risk elevated: write access approved at ${input.approvedSince} (after the elevation at ${input.elevatedSince} and the latest detection); short session`);
      }
      const predates = input.approvedSince && input.lastDetectionAt && Date.parse(input.approvedSince) <= Date.parse(input.lastDetectionAt)
        && !(input.elevatedSince && Date.parse(input.approvedSince) <= Date.parse(input.elevatedSince))
        ? `the last one, at ${input.approvedSince}, predates the detection at ${input.lastDetectionAt} (an approval covers one episode)`
        : input.approvedSince ? `the last one, at ${input.approvedSince}, predates the elevation` : 'there is none';
      return {
        decision: 'refuse-reauth',
        reason: input.elevatedSince
          ? `risk elevated since ${input.elevatedSince}: write access needs a new approval (npx agent-iam approve); ${predates}`
          : 'risk elevated and the time of the elevation is unknown: write access needs a new approval (npx agent-iam approve)',
      };
    }
    case RiskBand.HIGH:
      return { decision: 'refuse-revoke', reason: 'risk high: credentials refused and the agent\'s sessions revoked' };
    default:
      // An unknown band is refused like a high one: fail closed.
      return { decision: 'refuse-revoke', reason: `unknown risk band "${String(input.band)}": refused as high` };
  }
}

/**
 * Whether an approval is newer than the elevation it answers and than every detection since (one
 * approval covers one episode). Without an elevation time no approval counts.
 */
function isApprovedSinceElevated(approvedSince: string | undefined, elevatedSince: string | undefined, lastDetectionAt: string | undefined): boolean {
  if (!approvedSince || !elevatedSince) return false;
  const approved = Date.parse(approvedSince);
  const elevated = Date.parse(elevatedSince);
  if (!Number.isFinite(approved) || !Number.isFinite(elevated) || approved <= elevated) return false;
  if (lastDetectionAt === undefined) return true;
  const last = Date.parse(lastDetectionAt);
  return Number.isFinite(last) && approved > last;
}

/** How far in the future an approval may be dated (clock skew between the approver and the broker), ms. */
export const APPROVAL_FUTURE_SKEW_MS = 60_000;

function withPolicy(decision: 'issue' | 'issue-read-only', durationSeconds: number, sessionPolicy: PolicyDoc, reason: string): BrokerDecision {
  if (sessionPolicy.Statement.length === 0) {
    return { decision: 'refuse-policy', reason: `${reason}, but the template grants no read actions, so a read-only session could do nothing` };
  }
  if (!sessionPolicyWithinLimit(sessionPolicy)) {
    return {
      decision: 'refuse-policy',
      reason: `${reason}, but the session policy is ${policySize(sessionPolicy)} characters; STS accepts at most ${AwsLimits.SESSION_POLICY_MAX}`,
    };
  }
  return { decision, durationSeconds, sessionPolicy, reason };
}

/** Whether STS accepts a session policy of this size (JSON without whitespace, as the broker sends it). */
export function sessionPolicyWithinLimit(doc: PolicyDoc): boolean {
  return policySize(doc) <= AwsLimits.SESSION_POLICY_MAX;
}

/** The approval record a person writes (`npx agent-iam approve`) to re-authenticate an agent at elevated risk. */
export interface ApprovalItem {
  /** Partition key: the agent name. */
  readonly agent: string;
  /** Sort key: `APPROVAL#<approvedAt>`; the newest sorts last. */
  readonly sk: string;
  /** Who approved: the approver's identity (an IAM ARN or an e-mail address). */
  readonly approver: string;
  readonly reason: string;
  /** ISO 8601 UTC, milliseconds included. */
  readonly approvedAt: string;
}

/** The risk-table item that approves `agent` again from `now` on. */
export function approvalItem(agent: string, approver: string, reason: string, now: Date): ApprovalItem {
  if (!agent || !/^[a-z][a-z0-9-]*$/.test(agent)) {
    throw new Error(`approval: agent "${agent}" is not an agent name (lower-case letters, digits and hyphens)`);
  }
  if (!approver || approver.trim() === '') throw new Error(`approval of agent "${agent}": the approver is empty; name the person approving`);
  if (!reason || reason.trim() === '') throw new Error(`approval of agent "${agent}": the reason is empty; say why the agent may write again`);
  const approvedAt = now.toISOString();
  return { agent, sk: `${RISK_KEYS.approvalPrefix}${approvedAt}`, approver: approver.trim(), reason: reason.trim(), approvedAt };
}
