/**
 * Which role a detection is about, read from the event one way for every
 * consumer (the revoker, the risk scorer, the assessor's docs): for a
 * successful AssumeRole call, the role being assumed comes first (DET-3.08/3.09
 * are about that agent), then the role whose session made the call; a failed
 * call (any `errorCode`) is about the caller only, since anyone may try to
 * assume any role and the record names the victim; a GuardDuty finding names
 * the role of its access key.
 */

/** The role candidates of a detection event's `detail`, most specific first. */
export interface DetectionSubject {
  /** Role ARNs, most specific first. */
  readonly roleArns: string[];
  /** A GuardDuty finding's access-key user name (the role name of an assumed-role session). */
  readonly guardDutyUserName?: string;
  /** A GuardDuty finding's access-key user type (`AssumedRole` for role sessions). */
  readonly guardDutyUserType?: string;
}

/**
 * The role whose session made a call: `userIdentity.sessionContext.sessionIssuer.arn` of a CloudTrail
 * event (its detail, or a record of a log file), with the role's path; undefined when the caller is
 * not a role session.
 */
export function sessionIssuerArn(detail: any): string | undefined {
  const issuer = detail?.userIdentity?.sessionContext?.sessionIssuer?.arn;
  return typeof issuer === 'string' ? issuer : undefined;
}

/**
 * The role an AssumeRole* call asks for (`requestParameters.roleArn`), whether or not it was
 * granted; undefined for other calls.
 */
export function assumedRoleArn(detail: any): string | undefined {
  const assumed = detail?.eventSource === 'sts.amazonaws.com' && typeof detail?.eventName === 'string' && detail.eventName.startsWith('AssumeRole')
    ? detail?.requestParameters?.roleArn : undefined;
  return typeof assumed === 'string' ? assumed : undefined;
}

/** Reads the subject of a detection from the event detail (anything not a string is ignored). */
export function detectionSubject(detail: any): DetectionSubject {
  const keyDetails = detail?.resource?.accessKeyDetails;
  if (keyDetails && typeof keyDetails === 'object') {
    return {
      roleArns: [],
      guardDutyUserName: typeof keyDetails.userName === 'string' ? keyDetails.userName : undefined,
      guardDutyUserType: typeof keyDetails.userType === 'string' ? keyDetails.userType : undefined,
    };
  }
  // A denied AssumeRole is the caller's doing; the role it names was only its target.
  const failed = detail?.errorCode !== undefined && detail?.errorCode !== null;
  const assumed = failed ? undefined : assumedRoleArn(detail);
  return { roleArns: [assumed, sessionIssuerArn(detail)].filter((a): a is string => typeof a === 'string') };
}
