/**
 * Session tags of agent sessions (ABAC). Set by the caller of AssumeRole
 * (the runtime, orchestrator or broker) for each task.
 */

/** Tags every stage-3 session must carry: the task, and the person the agent acts for. */
export const REQUIRED_SESSION_TAGS: readonly string[] = ['task-id', 'on-behalf-of'];

/** Tag keys a caller may set: the required ones and the broker's risk level. */
export const ALLOWED_SESSION_TAGS: readonly string[] = ['task-id', 'on-behalf-of', 'risk-level'];

/** The IAM policy variable naming the person a session acts for. */
export const ON_BEHALF_OF = '${aws:PrincipalTag/on-behalf-of}';
