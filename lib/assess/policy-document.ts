/**
 * Policy documents as Terraform holds them: a JSON string, an object, or an
 * `aws_iam_policy_document` data source (statements, source and override documents), normalised
 * to the `PolicyDoc` shape of lib/policy. Pure.
 */
import { PolicyDoc, Statement } from '../policy';
import { TerraformResource } from './config';
import { ResourceIndex } from './resource-index';
import { asArray, isObject, strings } from './values';

function normaliseStatement(s: any): Statement | undefined {
  if (!isObject(s)) return undefined;
  const out: Statement = { Effect: s.Effect === 'Deny' ? 'Deny' : 'Allow' };
  if (typeof s.Sid === 'string' && s.Sid) out.Sid = s.Sid;
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (s[k] !== undefined) out[k] = strings(s[k]);
  }
  const principal = s.Principal ?? (s.NotPrincipal !== undefined && out.Effect === 'Allow' ? '*' : undefined);
  if (principal === '*') {
    out.Principal = { AWS: ['*'] };
  } else if (isObject(principal)) {
    out.Principal = Object.fromEntries(Object.entries(principal).map(([k, v]) => [k, strings(v)]));
  }
  if (isObject(s.Condition)) {
    const c: Record<string, Record<string, string[]>> = {};
    for (const [op, keys] of Object.entries(s.Condition)) {
      if (!isObject(keys)) continue;
      c[op] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, asArray(v).map(String)]));
    }
    out.Condition = c;
  }
  return out;
}

/** A policy document from a JSON string or object; undefined when it is not one. */
export function readPolicyDocument(v: unknown): PolicyDoc | undefined {
  let doc: any = v;
  if (typeof v === 'string') {
    try {
      doc = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (!isObject(doc) || doc.Statement === undefined) return undefined;
  const statements = asArray(doc.Statement).map(normaliseStatement).filter((s): s is Statement => !!s);
  return { Version: '2012-10-17', Statement: statements };
}

/** Statements of an `aws_iam_policy_document` data source, in policy form. */
function policyDocumentData(r: TerraformResource, index: ResourceIndex, depth = 0): PolicyDoc | undefined {
  const json = readPolicyDocument(r.values.json);
  if (json) return json;
  if (depth > 4) return undefined;
  const statements: Statement[] = [];
  for (const src of [...asArray(r.values.source_policy_documents), ...asArray(r.values.source_json)]) {
    statements.push(...(resolvePolicyValue(src, index, r, depth + 1)?.Statement ?? []));
  }
  for (const s of asArray<any>(r.values.statement)) {
    if (!isObject(s)) continue;
    const st: Statement = { Effect: s.effect === 'Deny' ? 'Deny' : 'Allow' };
    if (s.sid) st.Sid = String(s.sid);
    if (s.actions !== undefined) st.Action = strings(s.actions);
    if (s.not_actions !== undefined) st.NotAction = strings(s.not_actions);
    if (s.resources !== undefined) st.Resource = strings(s.resources);
    if (s.not_resources !== undefined) st.NotResource = strings(s.not_resources);
    const principals = asArray<any>(s.principals).filter(isObject);
    if (principals.length > 0) {
      st.Principal = {};
      for (const p of principals) {
        const kind = p.type === '*' ? 'AWS' : String(p.type);
        st.Principal[kind] = [...(st.Principal[kind] ?? []), ...strings(p.identifiers)];
      }
    }
    if (asArray(s.not_principals).length > 0 && st.Effect === 'Allow') st.Principal = { AWS: ['*'] };
    for (const c of asArray<any>(s.condition).filter(isObject)) {
      st.Condition = st.Condition ?? {};
      const op = String(c.test);
      st.Condition[op] = st.Condition[op] ?? {};
      st.Condition[op][String(c.variable)] = [...(st.Condition[op][String(c.variable)] ?? []), ...strings(c.values)];
    }
    statements.push(st);
  }
  for (const o of asArray(r.values.override_policy_documents)) {
    statements.push(...(resolvePolicyValue(o, index, r, depth + 1)?.Statement ?? []));
  }
  return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** A policy attribute's document: JSON, or a reference to an aws_iam_policy_document. */
export function resolvePolicyValue(v: unknown, index: ResourceIndex, from: TerraformResource, depth = 0): PolicyDoc | undefined {
  const direct = readPolicyDocument(v);
  if (direct) return direct;
  const data = index.resolve(v, ['data.aws_iam_policy_document'], from);
  return data ? policyDocumentData(data, index, depth) : undefined;
}
