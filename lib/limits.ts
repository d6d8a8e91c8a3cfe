/**
 * AWS quotas that the library enforces at synth time. One table, read by the
 * validators, the policy splitter, the README and the tests.
 *
 * Values are AWS defaults (IAM and STS quotas, as documented by AWS). Where a
 * quota can be raised by a service-quota request, the default is used: a
 * configuration that only deploys after a quota increase is a surprise in
 * someone else's account.
 */
export class AwsLimits {
  /** Maximum length of an IAM role name. */
  public static readonly ROLE_NAME_MAX = 64;
  /** Maximum length of an IAM path. */
  public static readonly PATH_MAX = 512;
  /** Aggregate size of all inline policies of one role, JSON without whitespace. */
  public static readonly ROLE_INLINE_POLICY_TOTAL_MAX = 10240;
  /** Size of one customer-managed policy, JSON without whitespace. */
  public static readonly MANAGED_POLICY_MAX = 6144;
  /** Managed policies attached to one role (default quota). */
  public static readonly MANAGED_POLICIES_PER_ROLE = 10;
  /** Size of a role trust policy (default quota), JSON without whitespace. */
  public static readonly TRUST_POLICY_MAX = 2048;
  /** Tags on one IAM role. */
  public static readonly TAGS_PER_ROLE = 50;
  /** Length of a tag key. */
  public static readonly TAG_KEY_MAX = 128;
  /** Length of a tag value. */
  public static readonly TAG_VALUE_MAX = 256;
  /** Size of a session policy passed to AssumeRole (plain text; a packed limit applies too). */
  public static readonly SESSION_POLICY_MAX = 2048;
  /** Shortest MaxSessionDuration a role accepts, in seconds. */
  public static readonly MAX_SESSION_DURATION_MIN = 3600;
  /** Longest MaxSessionDuration a role accepts, in seconds. */
  public static readonly MAX_SESSION_DURATION_MAX = 43200;
  /** Shortest DurationSeconds that AssumeRole accepts, in seconds. */
  public static readonly ASSUME_ROLE_DURATION_MIN = 900;
  /** Length of a role description. */
  public static readonly ROLE_DESCRIPTION_MAX = 1000;
  /** Length of an sts:ExternalId value. */
  public static readonly EXTERNAL_ID_MAX = 1224;
  /** Shortest sts:ExternalId value. */
  public static readonly EXTERNAL_ID_MIN = 2;
  /**
   * How many characters an unresolved token (for example the ARN of a resource
   * created in the same stack) is assumed to take in a policy once Terraform
   * resolves it. Deliberately generous so that size checks err on the safe side.
   */
  public static readonly UNRESOLVED_TOKEN_ESTIMATE = 128;
  /**
   * Longest IAM role ARN: `arn:aws-us-gov:iam::<12 digits>:role` (37), a path of up to 512 and a
   * name of up to 64 characters. What an unresolved role reference may take once resolved.
   */
  public static readonly IAM_ROLE_ARN_MAX = 37 + 512 + 64;
  /** Size of a standard-tier SSM parameter value, bytes (4 KB). */
  public static readonly SSM_STANDARD_VALUE_MAX = 4096;
  /** Size of an advanced-tier SSM parameter value, bytes (8 KB; advanced parameters are charged per month). */
  public static readonly SSM_ADVANCED_VALUE_MAX = 8192;
}

/**
 * The SSM tier a parameter value needs: `Standard` up to 4 KB, `Advanced` up to 8 KB (charged
 * per parameter and month), or undefined when it fits neither. Sizes are UTF-8 bytes, with
 * each unresolved reference counted as `referenceSize` characters (default
 * `AwsLimits.UNRESOLVED_TOKEN_ESTIMATE`; the longest value it may resolve to, where known).
 * Source: AWS Systems Manager quotas (parameter value size).
 */
export function ssmParameterTier(value: string, unresolvedReferences: number = 0, referenceSize: number = AwsLimits.UNRESOLVED_TOKEN_ESTIMATE): { tier: 'Standard' | 'Advanced' | undefined; size: number } {
  const size = Buffer.byteLength(value, 'utf8') + unresolvedReferences * referenceSize;
  const tier = size <= AwsLimits.SSM_STANDARD_VALUE_MAX ? 'Standard' : size <= AwsLimits.SSM_ADVANCED_VALUE_MAX ? 'Advanced' : undefined;
  return { tier, size };
}

/**
 * An AWS quota on what one environment adds to an account, region, event bus or function: the
 * counts a stack can stay within at synth. Defaults are AWS's for a new account (Service Quotas).
 */
export interface AccountQuota {
  /** Key of the quota in `AccountQuotaValues` (where a raised value is declared). */
  readonly key: string;
  /** The quota's name as AWS documents it. */
  readonly name: string;
  /** The service that enforces it. */
  readonly service: string;
  /** What the quota counts over: `account`, `account and region`, `event bus`, `function`. */
  readonly scope: string;
  /** What is counted, plural (`roles`, `characters`, `bytes`). */
  readonly unit: string;
  /** AWS's default value. */
  readonly defaultValue: number;
  /** Whether a Service Quotas request (or support case) can raise it. */
  readonly adjustable: boolean;
  /** The highest value AWS grants on request, where documented. */
  readonly maxValue?: number;
  /** How to stay within it or raise it. */
  readonly howToRaise: string;
}

/**
 * Raised values of adjustable account quotas, as granted to the account (declare only what AWS
 * granted: a value above the real quota passes synth and fails at apply).
 */
export interface AccountQuotaValues {
  /**
   * IAM roles per account (all roles in the account count, not only this stack's).
   * @default 1000
   */
  readonly iamRolesPerAccount?: number;
  /**
   * Customer-managed IAM policies per account.
   * @default 1500
   */
  readonly iamManagedPoliciesPerAccount?: number;
  /**
   * EventBridge rules per event bus (the default bus of the stack's region).
   * @default 300
   */
  readonly eventBridgeRulesPerBus?: number;
  /**
   * EventBridge event pattern size, characters.
   * @default 2048
   */
  readonly eventPatternSize?: number;
  /**
   * CloudWatch metric alarms per account and region.
   * @default 10000
   */
  readonly cloudWatchAlarms?: number;
}

/** The account quotas checked at synth: one table, read by the stack's check, the README and the tests. */
export const ACCOUNT_QUOTAS: readonly AccountQuota[] = [
  {
    key: 'iamRolesPerAccount', name: 'Roles per account', service: 'IAM', scope: 'account', unit: 'roles',
    defaultValue: 1000, adjustable: true, maxValue: 5000,
    howToRaise: 'request "Roles per account" (IAM, us-east-1) in Service Quotas',
  },
  {
    key: 'iamManagedPoliciesPerAccount', name: 'Customer managed policies per account', service: 'IAM', scope: 'account', unit: 'customer-managed policies',
    defaultValue: 1500, adjustable: true, maxValue: 5000,
    howToRaise: 'request "Customer managed policies per account" (IAM, us-east-1) in Service Quotas',
  },
  {
    key: 'eventBridgeRulesPerBus', name: 'Rules per event bus', service: 'EventBridge', scope: 'event bus', unit: 'rules',
    defaultValue: 300, adjustable: true,
    howToRaise: 'request "Maximum number of rules an event bus can have" (EventBridge) in Service Quotas for the stack\'s region',
  },
  {
    key: 'eventPatternSize', name: 'Event pattern size', service: 'EventBridge', scope: 'rule', unit: 'characters',
    defaultValue: 2048, adjustable: true, maxValue: 4096,
    howToRaise: 'request "Event pattern size" (EventBridge) in Service Quotas for the stack\'s region (up to 4,096)',
  },
  {
    key: 'lambdaResourcePolicySize', name: 'Function resource-based policy size', service: 'Lambda', scope: 'function', unit: 'bytes',
    defaultValue: 20480, adjustable: false,
    howToRaise: 'cannot be raised; grant invocations with fewer statements (one per source, with a source-ARN pattern)',
  },
  {
    key: 'ssmStandardParameters', name: 'Standard parameters per account and region', service: 'Systems Manager', scope: 'account and region', unit: 'standard parameters',
    defaultValue: 10000, adjustable: false,
    howToRaise: 'cannot be raised; split the agents over environments (regions or accounts) or move parameters to the advanced tier',
  },
  {
    key: 'cloudWatchAlarms', name: 'Metric alarms per account and region', service: 'CloudWatch', scope: 'account and region', unit: 'alarms',
    defaultValue: 10000, adjustable: true,
    howToRaise: 'request a higher alarm quota (CloudWatch) in Service Quotas for the stack\'s region',
  },
  {
    key: 'cloudTrailSelectorValues', name: 'Values in all advanced event selectors of a trail', service: 'CloudTrail', scope: 'trail', unit: 'values',
    defaultValue: 500, adjustable: false,
    howToRaise: 'cannot be raised; the audit trail widens its data-event selectors to fit (synth warning); to keep them exact, split the agents over environments (one trail each)',
  },
];

/** What one stack adds against the account quotas, counted from the resources it declares. */
export interface QuotaUsage {
  /** Quota key -> the count (for sizes: the largest one) and where it comes from (for example a function's name). */
  readonly [key: string]: { readonly count: number; readonly what?: string };
}

/** The quota in force: the declared raised value, else AWS's default. */
export function quotaValue(q: AccountQuota, declared: AccountQuotaValues | undefined): number {
  const raised = (declared as Record<string, number | undefined> | undefined)?.[q.key];
  return raised ?? q.defaultValue;
}

/**
 * Problems of a stack against the account quotas: each usage over the quota in force (naming the
 * quota, the count and how to raise it), and each declared value AWS would not grant.
 */
export function checkAccountQuotas(stack: string, usage: QuotaUsage, declared?: AccountQuotaValues): string[] {
  const problems: string[] = [];
  const fmt = (n: number) => n.toLocaleString('en-US');
  for (const [key, value] of Object.entries(declared ?? {})) {
    if (value === undefined) continue;
    const q = ACCOUNT_QUOTAS.find((x) => x.key === key);
    if (!q) {
      problems.push(`stack "${stack}": quotas.${key}: is not a quota the library checks; known: ${ACCOUNT_QUOTAS.filter((x) => x.adjustable).map((x) => x.key).join(', ')}`);
    } else if (!q.adjustable) {
      problems.push(`stack "${stack}": quotas.${key}: "${q.name}" cannot be raised (${fmt(q.defaultValue)} ${q.unit}); remove it`);
    } else if (!Number.isInteger(value) || value < q.defaultValue) {
      problems.push(`stack "${stack}": quotas.${key}: ${value} is below AWS's default of ${fmt(q.defaultValue)} ${q.unit}; declare only a raised quota, or omit it`);
    } else if (q.maxValue !== undefined && value > q.maxValue) {
      problems.push(`stack "${stack}": quotas.${key}: ${fmt(value)} is above the ${fmt(q.maxValue)} ${q.unit} AWS grants for "${q.name}"`);
    }
  }
  for (const q of ACCOUNT_QUOTAS) {
    const u = usage[q.key];
    if (!u) continue;
    const limit = quotaValue(q, declared);
    if (u.count <= limit) continue;
    const raised = limit !== q.defaultValue ? ` (declared raised from AWS's default ${fmt(q.defaultValue)})` : ' (AWS\'s default)';
    const fix = q.adjustable
      ? `${q.howToRaise}${q.maxValue ? ` (up to ${fmt(q.maxValue)})` : ''}, then declare it: quotas: { ${q.key}: <granted value> }`
      : q.howToRaise;
    problems.push(`stack "${stack}": quota "${q.name}" (${q.service}, per ${q.scope}): ${u.what ? `${u.what}: ` : ''}${fmt(u.count)} ${q.unit}, over the quota of ${fmt(limit)}${raised}. Fix: ${fix}`);
  }
  return problems;
}
