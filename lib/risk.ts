/**
 * Risk per agent: detection events add weighted points by severity, points
 * decay over time, and the current score falls in a band that decides what the
 * credential broker hands out.
 */
import { Severity } from './severity';

/** Points a detection of each severity adds. */
export const SEVERITY_POINTS: Record<Severity, number> = { [Severity.LOW]: 1, [Severity.MEDIUM]: 5, [Severity.HIGH]: 20, [Severity.CRITICAL]: 50 };

/** Half-life of risk points, seconds. */
export const RISK_HALF_LIFE_SECONDS = 3600;

/** Score at which the band is elevated, and high. */
export const RISK_THRESHOLDS = { elevated: 10, high: 40 };

/** The band of an agent's risk score, which decides the broker's answer (not a detection's Severity). */
export enum RiskBand {
  /** Below `RISK_THRESHOLDS.elevated`: normal sessions. */
  LOW = 'low',
  /** From `RISK_THRESHOLDS.elevated`: read-only sessions until a person approves the agent again. */
  ELEVATED = 'elevated',
  /** From `RISK_THRESHOLDS.high`: no session, and revocation. */
  HIGH = 'high',
}

/** A score decayed from `at` to `now`. */
export function decayedScore(score: number, at: Date, now: Date, halfLifeSeconds = RISK_HALF_LIFE_SECONDS): number {
  const dt = Math.max(0, (now.getTime() - at.getTime()) / 1000);
  return score * Math.pow(0.5, dt / halfLifeSeconds);
}

/** The band of a score. */
export function riskBand(score: number, thresholds = RISK_THRESHOLDS): RiskBand {
  if (score >= thresholds.high) return RiskBand.HIGH;
  if (score >= thresholds.elevated) return RiskBand.ELEVATED;
  return RiskBand.LOW;
}

/** Risk table layout: partition key `agent`, sort key `sk` (`RISK`, `APPROVAL#<time>`). */
export const RISK_KEYS = { partition: 'agent', sort: 'sk', risk: 'RISK', approvalPrefix: 'APPROVAL#' };

// The risk table's name is built in lib/naming.
export { riskTableName } from './naming';
