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
}
