/**
 * Revocation: the policy documents and the event shapes of stage 4. One
 * source for the revoker Lambda, the constructs, the CLI, the assessor and
 * the tests.
 */
import { policyDoc, PolicyDoc, policySize } from './policy';
import { Severity } from './severity';

/** Inline policy that revokes live sessions: the name and shape the AWS console uses. */
export const REVOCATION_POLICY_NAME = 'AWSRevokeOlderSessions';

/** Inline policy that makes every session of a quarantined agent useless until a person restores it. */
export const QUARANTINE_POLICY_NAME = 'AgentIamQuarantine';

/** Deny everything to sessions issued before `revokedBefore` (ISO 8601, UTC). */
export function revocationPolicy(revokedBefore: string): PolicyDoc {
  return policyDoc([{
    Effect: 'Deny',
    Action: ['*'],
    Resource: ['*'],
    Condition: { DateLessThan: { 'aws:TokenIssueTime': [revokedBefore] } },
  }]);
}

/** Deny everything, with no time condition: new sessions are useless too. */
export function quarantinePolicy(): PolicyDoc {
  return policyDoc([{ Sid: 'QuarantinedUntilRestored', Effect: 'Deny', Action: ['*'], Resource: ['*'] }]);
}

/**
 * The inline policies the revoker may put on an agent role at run time, both at once and at
 * their largest (a millisecond timestamp): built by the same functions the revoker calls.
 */
export function revokerInlinePolicies(): { name: string; document: PolicyDoc }[] {
  return [
    { name: REVOCATION_POLICY_NAME, document: revocationPolicy('2026-12-31T23:59:59.999Z') },
    { name: QUARANTINE_POLICY_NAME, document: quarantinePolicy() },
  ];
}

/**
 * Characters of a role's inline-policy budget (IAM's aggregate 10,240) that the revoker needs
 * at run time; a stage-4 agent's own inline policies must leave them free, or a revocation
 * would fail with LimitExceeded exactly when it matters.
 */
export function revokerInlineReserve(): number {
  return revokerInlinePolicies().reduce((n, p) => n + policySize(p.document), 0);
}

/** What a revocation request asks for. */
export type RevocationAction = 'revoke' | 'quarantine' | 'restore';

/**
 * The revoker's input. EventBridge detection rules deliver
 * `{ kind: 'detection', ruleId, severity, event: <the original EventBridge event> }` (an input
 * transformer wraps the event); the kill switch and the risk Lambda send the other kinds.
 */
export type RevocationRequest =
  | { kind: 'detection'; ruleId: string; severity: string; event: any }
  | { kind: 'manual'; action: RevocationAction; agent: string; reason: string; actor: string; requestId: string; time?: string }
  | { kind: 'risk'; agent: string; score: number; band: string; eventId: string; time: string; reason: string };

/** What the revoker answers (synchronous invocations, such as the kill switch). */
export interface RevocationResult {
  readonly agent: string;
  readonly action: RevocationAction;
  /** revoked/quarantined/restored: the policy changed; unchanged: an equal or newer revocation was already in force. */
  readonly outcome: 'revoked' | 'quarantined' | 'restored' | 'unchanged';
  readonly revokedBefore?: string;
  readonly quarantined: boolean;
  readonly eventId: string;
}

/** Severities whose detections revoke live sessions; critical ones also quarantine. */
export const REVOKING_SEVERITIES: readonly Severity[] = [Severity.HIGH, Severity.CRITICAL];
export const QUARANTINING_SEVERITIES: readonly Severity[] = [Severity.CRITICAL];

/**
 * Actions the revoker's role may never have: each would let an abused revoker let a stranger in
 * (trust), lift the cap (boundary) or grant through a managed policy. Denied in its role and
 * checked by AIAM-4.05.
 */
export const REVOKER_FORBIDDEN_ACTIONS = [
  'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary', 'iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:PassRole',
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:TagRole', 'iam:UntagRole',
];

// The revoker's function name and the ledger's table name are built in lib/naming.
export { ledgerTableName, revokerFunctionName } from './naming';

/**
 * Ledger (DynamoDB) layout: partition key `agent`, sort key `sk`: `STATE`, `EVENT#<id>` (the
 * revoker's record of each request) and `RESTORE#<requestId>` (a responder's request to restore).
 */
export const LEDGER_KEYS = { partition: 'agent', sort: 'sk', state: 'STATE', eventPrefix: 'EVENT#', restorePrefix: 'RESTORE#' };

/**
 * A responder's request to restore an agent, written to the ledger by `agent-iam restore` before it
 * invokes the revoker. The ledger's resource policy denies item writes to everyone but the revoker
 * and the declared responders, so the item's existence is what proves a responder asked: the
 * revoker restores only on such an item, never on a payload.
 */
export interface RestoreRequestItem {
  readonly agent: string;
  /** `RESTORE#<requestId>`. */
  readonly sk: string;
  readonly requestId: string;
  /** The responder as IAM saw it (GetCallerIdentity of the writer). */
  readonly requestedBy: string;
  /** ISO 8601 UTC. */
  readonly requestedAt: string;
  readonly reason: string;
}

/** How long a restore request stays usable, seconds. */
export const RESTORE_REQUEST_MAX_AGE_SECONDS = 900;

/** The ledger item that asks the revoker to restore `agent`. */
export function restoreRequestItem(agent: string, requestId: string, requestedBy: string, reason: string, now: Date): RestoreRequestItem {
  return { agent, sk: `${LEDGER_KEYS.restorePrefix}${requestId}`, requestId, requestedBy, requestedAt: now.toISOString(), reason };
}
