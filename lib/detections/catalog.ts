/**
 * The detection catalog (control AIAM-3.07) as data: each rule's id, severity, the control it
 * serves, what it catches and its blind spots, and how EventBridge must deliver its events. The
 * constructs, the README table, the stage check and the assessor read it; `rule-patterns.ts`
 * gives each rule its event pattern.
 */
import { Severity } from '../severity';

/** One rule of the detection catalog. */
export interface DetectionRule {
  /** Stable identifier, for example `DET-3.01`. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** The maturity control the rule serves. */
  readonly controlId: string;
  /**
   * The rule judges per-agent facts (declared principals, allowed regions): agents that share
   * the same facts share one pattern, and a group covering every agent matches on the agents'
   * path, so the number of rules grows with distinct facts, not with agents.
   */
  readonly perAgent: boolean;
  /** What the rule catches, and its known blind spots. */
  readonly description: string;
  /** Not required by the stage check (for example it needs GuardDuty enabled). */
  readonly optional?: boolean;
  /**
   * The rule matches read-only management events (AssumeRole, Get*, List*, Describe*), which
   * EventBridge delivers only to rules in state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
   */
  readonly readOnlyEvents: boolean;
  /**
   * The events come from a global service (IAM, Organizations, Account), which delivers them to
   * EventBridge only in the partition's home region (us-east-1 in `aws`); the rule must live there.
   */
  readonly globalService: boolean;
  /**
   * Delivered to people and the SIEM only, never to the revoker or the risk scorer: the rule
   * watches people or the library's own control plane (no agent to charge), or an attempt that
   * must not be turned against its target (a denied AssumeRole names the victim, not the caller).
   */
  readonly notifyOnly?: boolean;
  /**
   * The rule runs in the stack's region only and sees only calls made there. Stated so that the
   * catalog, the README and the assessor say what the rule cannot see.
   */
  readonly homeRegionOnly?: boolean;
}

/** The rule state that also delivers read-only management events. */
export const RULE_STATE_WITH_READ_ONLY_EVENTS = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** The control every detection rule serves. */
const CONTROL = 'AIAM-3.07';

/** The catalog. */
export const DETECTION_RULES: DetectionRule[] = [
  {
    id: 'DET-3.01', title: 'Agent call denied', severity: Severity.MEDIUM, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'A call by an agent session failed with an authorization error (AccessDenied*, AuthorizationError, '
      + '(Client.)UnauthorizedOperation, NotAuthorizedException, ForbiddenException, ...; see DENIAL_ERROR_CODES). One '
      + 'denial is a hint (a grant missing, or an agent probing); bursts are alarmed by a metric filter on the trail log '
      + 'group. A denied AssumeRole by an agent is charged to the calling agent, never to the role it tried to assume.',
  },
  {
    id: 'DET-3.02', title: 'IAM write attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: true,
    description: 'An agent session called an IAM API that creates, changes or removes identities, policies, boundaries '
      + 'or credentials. The boundary denies all of them, so any attempt, failed or not, is privilege escalation.',
  },
  {
    id: 'DET-3.03', title: 'Agent assumed a role outside the agents path', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'An agent session called sts:AssumeRole on a role not under /agents/<env>/: an attempt to leave the '
      + 'boundary by role chaining.',
  },
  {
    id: 'DET-3.04', title: 'Organization or account call by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: true,
    description: 'An agent session called AWS Organizations or Account Management, reads included (reconnaissance); '
      + 'no agent has a reason to.',
  },
  {
    id: 'DET-3.05', title: 'Audit or detection tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session called one of the CloudTrail, CloudWatch Logs, EventBridge, GuardDuty or Config '
      + 'actions that the boundary denies as audit tampering (StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, '
      + 'DisableRule, DeleteDetector, ...).',
  },
  {
    id: 'DET-3.06', title: 'Audit bucket tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session called an S3 write (bucket policy, logging, lifecycle, deletion, ...) on the audit '
      + 'bucket. Object-level writes are seen only if the trail records S3 data events.',
  },
  {
    id: 'DET-3.07', title: 'Audit key tampering attempted by an agent', severity: Severity.CRITICAL, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false,
    description: 'An agent session scheduled deletion of, disabled, re-permissioned or granted on the audit KMS key. '
      + 'The key is matched on requestParameters.keyId (when the caller passed the ARN) or on the record\'s resources '
      + '(when it passed the key id).',
  },
  {
    id: 'DET-3.08', title: 'Agent role assumed without a source identity', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false,
    description: 'A successful sts:AssumeRole of a role under /agents/<env>/ with no SourceIdentity passed and none '
      + 'inherited from the caller\'s session: the session does not name whom the agent acts for. Trust policies deny it, '
      + 'so a match means a trust policy changed out of band. Denied attempts do not match (anyone can make one to get an '
      + 'agent revoked); DET-3.12 reports them to people.',
  },
  {
    id: 'DET-3.09', title: 'Agent role assumed by an undeclared principal', severity: Severity.HIGH, controlId: CONTROL, perAgent: true,
    readOnlyEvents: true, globalService: false,
    description: 'A successful sts:AssumeRole of the agent\'s role by a principal not declared for it: a role session '
      + 'whose sessionIssuer.arn (the caller\'s role ARN) is not declared, or an IAM user or root whose ARN is not. '
      + 'Cross-account callers are recorded as type AWSAccount without an ARN and are not judged here. Denied attempts '
      + 'do not match (they would let anyone get the agent revoked); DET-3.12 reports them to people.',
  },
  {
    id: 'DET-3.10', title: 'Agent acting outside its allowed regions', severity: Severity.HIGH, controlId: CONTROL, perAgent: true,
    readOnlyEvents: true, globalService: false, homeRegionOnly: true,
    description: 'A call by the agent\'s role in a region it is not allowed; global services, whose records always '
      + 'carry the home region, are ignored. LIMIT: EventBridge delivers an event only in the region of the call, and '
      + 'this rule is deployed in the stack\'s region only, so it sees calls made in the stack\'s region and nowhere '
      + 'else: it fires only when that region is not among the agent\'s allowed regions. Calls in other regions are '
      + 'denied by the agent\'s aws:RequestedRegion condition (IAM, not detection) and counted by the trail\'s '
      + 'denied-calls metric filter (multi-region trail); to see them in real time, forward every enabled region\'s '
      + 'CloudTrail events to this bus.',
  },
  {
    id: 'DET-3.11', title: 'GuardDuty finding on an agent role', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false, optional: true,
    description: 'A GuardDuty finding whose access key belongs to a session of an agent role (credential '
      + 'exfiltration, anomalous behaviour). Needs GuardDuty enabled in the account.',
  },
  {
    id: 'DET-3.12', title: 'Denied attempt to assume an agent role', severity: Severity.MEDIUM, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false, notifyOnly: true,
    description: 'sts:AssumeRole of a role under /agents/<env>/ failed with an authorization error. For people only: '
      + 'the record names the role someone tried to assume, not a wrongdoer, so it never raises that agent\'s risk or '
      + 'revokes it (a denial-of-service lever otherwise). When the caller is an agent session, DET-3.01 charges the '
      + 'caller\'s own agent.',
  },
  {
    id: 'DET-3.13', title: 'Change to the library\'s control plane', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: false, notifyOnly: true,
    description: 'Any principal changed one of the environment\'s agent-iam-* Lambda functions (code, configuration, '
      + 'concurrency, permissions), EventBridge rules or their targets, DynamoDB tables (including resource policies and '
      + 'TTL) or the detections topic. Expected during a deploy (correlate with the pipeline); any other change can '
      + 'silently switch off revocation, token-age enforcement or detection.',
  },
  {
    id: 'DET-3.14', title: 'Token-age policy changed outside its Lambda', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: false, globalService: true, notifyOnly: true,
    description: 'A principal other than the environment\'s token-age Lambda created, deleted or set the default version '
      + 'of a token-age policy, deleted it or detached it from a role: a session-lifetime limit loosened or removed.',
  },
  {
    id: 'DET-3.15', title: 'Agent role assumed through break-glass', severity: Severity.HIGH, controlId: CONTROL, perAgent: false,
    readOnlyEvents: true, globalService: false, notifyOnly: true, optional: true,
    description: 'A break-glass role (stage 4, adaptive.breakGlassRoleArns) called sts:AssumeRole on an agent role, '
      + 'successfully or not. People are told at once; nothing is revoked, since break-glass is how people act while '
      + 'the broker is down. Deployed when break-glass roles are declared.',
  },
];
