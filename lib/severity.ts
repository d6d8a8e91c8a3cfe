/**
 * Severity of a detection: one enum shared by the detection catalog, the EventBridge targets, the
 * revoker (which severities revoke), the risk scorer (points per severity) and the reader.
 */

/** How urgently a detection needs a human. */
export enum Severity {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  CRITICAL = 'critical',
}

/** Every severity, lowest first. */
export const SEVERITIES: readonly Severity[] = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL];

/** Whether a value from an event payload is a severity. */
export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}
