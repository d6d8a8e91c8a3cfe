/**
 * Small readers of Terraform attribute values: objects, lists, single blocks, numbers, and
 * Terraform's `$${` and `%%{` escapes. Pure.
 */
import { readTemplateString } from '../terraform-literal';

/** Whether a value is a plain object (not null, not a list). */
export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Terraform escapes a literal `${` as `$${` and `%{` as `%%{`; undo it in every string of a value (lib/terraform-literal.ts). */
export function unescapeInterpolation(v: any): any {
  if (typeof v === 'string') return readTemplateString(v);
  if (Array.isArray(v)) return v.map(unescapeInterpolation);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeInterpolation(x)]));
  return v;
}

/** A value as a list: `undefined`/`null` -> `[]`, a scalar -> `[scalar]`. */
export function asArray<T = any>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

/** The first block of a nested block attribute (Terraform JSON writes single blocks as lists or objects). */
export function first(v: unknown): Record<string, any> | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  return isObject(x) ? x : undefined;
}

/** A value as a list of strings; objects are written as JSON. */
export function strings(v: unknown): string[] {
  return asArray(v).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}

/** A whole number from a number or a string of digits; undefined otherwise. */
export function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  return n;
}
