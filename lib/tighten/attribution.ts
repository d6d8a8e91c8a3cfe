/**
 * Which agent a CloudTrail record belongs to, and whom it acted for.
 *
 * A call belongs to the agent whose role issued the calling session
 * (`userIdentity.sessionContext.sessionIssuer.arn`, read by `sessionIssuerArn`, the same reading the
 * detections use): the role's name and path must be the agent's as synthesized (`/agents/<env>/`
 * for this library's agents). An AssumeRole call that asks for an agent's role starts a session of
 * that agent (`assumedRoleArn`); when the caller is itself an agent (role chaining) the call is also
 * the caller's `sts:AssumeRole`. The person is the session's source identity, which STS carries
 * through role chaining (`userIdentity.sessionContext.sourceIdentity`, or the AssumeRole request's
 * `sourceIdentity`).
 */
import { assumedRoleArn, sessionIssuerArn } from '../detection-subject';
import { CloudTrailRecord } from './trail-reader';

/** An agent identity as synthesized, the key calls are attributed by. */
export interface AgentRef {
  /** Stack (environment) the identity is in. */
  readonly stack: string;
  /** Agent name. */
  readonly agent: string;
  /** Role name, or the user name of an ad hoc IAM-user agent. */
  readonly identityName: string;
  /** IAM path (`/agents/prod/`); `/` when unset. */
  readonly path: string;
  readonly kind: 'role' | 'iam-user';
}

/** A role or user ARN split into account, path and name. */
export interface IamArn {
  readonly partition: string;
  readonly account: string;
  readonly kind: 'role' | 'user';
  readonly path: string;
  readonly name: string;
}

/** Reads `arn:<partition>:iam::<account>:role/<path/><name>` (or `user/...`); undefined otherwise. */
export function parseIamArn(arn: string): IamArn | undefined {
  const m = /^arn:([a-z-]+):iam::(\d{12}):(role|user)(\/(?:[^/]+\/)*)?([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], account: m[2], kind: m[3] as 'role' | 'user', path: m[4] ?? '/', name: m[5] };
}

/** What one record says about agents. */
export interface Attribution {
  /** The agent whose session made the call. */
  readonly actor?: AgentRef;
  /** For AssumeRole calls: the agent whose role was asked for. */
  readonly assumed?: AgentRef;
  /** The person the session acts for (STS source identity), if set. */
  readonly sourceIdentity?: string;
  /** The caller's ARN as CloudTrail gives it (`userIdentity.arn`). */
  readonly callerArn?: string;
}

/** The agents of the synthesized stacks, looked up by the identities CloudTrail names. */
export class AgentDirectory {
  private readonly roles = new Map<string, AgentRef>();
  private readonly users = new Map<string, AgentRef>();
  /** Identities named by more than one agent (the first is used); reported by the caller. */
  public readonly duplicates: string[] = [];

  constructor(public readonly agents: AgentRef[]) {
    for (const a of agents) {
      const map = a.kind === 'role' ? this.roles : this.users;
      const key = `${a.path}${a.identityName}`;
      if (map.has(key)) this.duplicates.push(`${a.kind} ${key} (${map.get(key)!.stack}/${map.get(key)!.agent} and ${a.stack}/${a.agent})`);
      else map.set(key, a);
    }
  }

  /** The agent of a role or user ARN (path and name must both match), if any. */
  byArn(arn: string | undefined): AgentRef | undefined {
    if (!arn) return undefined;
    const p = parseIamArn(arn);
    if (!p) return undefined;
    return (p.kind === 'role' ? this.roles : this.users).get(`${p.path}${p.name}`);
  }

  /** Attributes one record. */
  attribute(r: CloudTrailRecord): Attribution {
    const id = r.userIdentity;
    let actor = this.byArn(sessionIssuerArn(r));
    if (!actor && id?.type === 'IAMUser' && typeof id.arn === 'string') actor = this.byArn(id.arn);
    const assumed = this.byArn(assumedRoleArn(r));
    const own = id?.sessionContext?.sourceIdentity;
    const requested = assumed ? r.requestParameters?.sourceIdentity : undefined;
    const sourceIdentity = typeof own === 'string' && own !== '' ? own : typeof requested === 'string' && requested !== '' ? requested : undefined;
    return { actor, assumed, sourceIdentity, callerArn: typeof id?.arn === 'string' ? id.arn : undefined };
  }
}
