/**
 * IAM condition operators: which ones IAM knows (with `IfExists` and the set prefixes), and which
 * hold when the key is missing.
 */

const CONDITION_OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);

/** Whether a condition operator (with IfExists and set prefixes) is one IAM knows. */
export function isConditionOperator(op: string): boolean {
  const m = /^(ForAllValues:|ForAnyValue:)?(.+?)(IfExists)?$/.exec(op);
  return !!m && CONDITION_OPERATORS.has(m[2]) && !(m[2] === 'Null' && m[3]);
}

/** Operators that hold when the key is missing, so a key IAM never sets makes them always true. */
export function holdsWhenMissing(op: string): boolean {
  return /IfExists$/.test(op) || /Not/.test(op) || op === 'Null' || op.startsWith('ForAllValues:');
}
