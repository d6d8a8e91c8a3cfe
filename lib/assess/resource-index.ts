/**
 * Lookups over a configuration's resources: a reference (`${aws_iam_role.x.arn}`) or a literal
 * name/ARN to the resource it names, and "which resources point at this one". Pure.
 */
import { TerraformResource } from './config';
import { asArray, isObject } from './values';

/** A parsed reference. */
export interface Ref {
  /** Module path from the referring module (`module.grants.`), for references through module outputs. */
  readonly module: string;
  readonly type: string;
  readonly name: string;
  /** Instance key as written, `["a"]` or `[0]`, for `for_each` and `count` instances. */
  readonly index?: string;
  readonly attr?: string;
}

/**
 * `${aws_iam_role.x.arn}` -> { type, name, attr }; `${data.t.x.json}` -> { type: 'data.t', ... };
 * `${t.x["k"].arn}` -> index `["k"]`; `${module.m.t.x.arn}` -> module `module.m.`.
 */
export function parseRef(v: unknown): Ref | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)((?:data\.)?[a-z0-9_]+)\.([A-Za-z0-9_-]+)(\[[^\]]*\])?(?:\.([a-z0-9_]+))?[^}]*\}/.exec(v.trim());
  if (!m || m[2] === 'module') return undefined;
  return { module: m[1], type: m[2], name: m[3], index: m[4], attr: m[5] };
}

/** The instance key at the end of an address (`aws_iam_policy.p["a"]` -> `["a"]`), if any. */
function instanceKey(address: string): string | undefined {
  return /(\[[^\]]*\])$/.exec(address)?.[1];
}

/** The resources of one configuration, indexed by module, type, name and instance key. */
export class ResourceIndex {
  private readonly byKey = new Map<string, TerraformResource[]>();
  private readonly byType = new Map<string, TerraformResource[]>();

  constructor(public readonly resources: TerraformResource[]) {
    for (const r of resources) {
      const k = `${r.module}${r.type}.${r.name}`;
      this.byKey.set(k, [...(this.byKey.get(k) ?? []), r]);
      const i = instanceKey(r.address);
      if (i) this.byKey.set(`${k}${i}`, [...(this.byKey.get(`${k}${i}`) ?? []), r]);
      this.byType.set(r.type, [...(this.byType.get(r.type) ?? []), r]);
    }
  }

  ofType(type: string): TerraformResource[] {
    return this.byType.get(type) ?? [];
  }

  /**
   * The resource of `type` a value points at: a reference, or a literal equal to one of the
   * resource's identifying attributes (name, ARN tail, bucket).
   */
  resolve(value: unknown, types: string[], from: TerraformResource | undefined, literalKeys: string[] = ['name']): TerraformResource | undefined {
    const ref = parseRef(value);
    if (ref) {
      if (!types.includes(ref.type)) return undefined;
      const key = `${ref.module}${ref.type}.${ref.name}${ref.index ?? ''}`;
      return this.byKey.get(`${from?.module ?? ''}${key}`)?.[0] ?? this.byKey.get(key)?.[0];
    }
    if (typeof value !== 'string' || value === '') return undefined;
    const tail = value.startsWith('arn:') ? value.split(/[/:]/).pop()! : value;
    for (const t of types) {
      for (const k of [...literalKeys, 'arn']) {
        const lookup = this.literals(t, k);
        const hit = lookup.get(value) ?? (k === 'arn' ? undefined : lookup.get(tail));
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /**
   * The resources of `type` that `attr` of each `sourceType` resource points at, computed once:
   * target -> sources (for attachments: role -> its policies).
   */
  pointing(sourceType: string, attr: string, targetType: string, literalKeys: string[] = ['name']): Map<TerraformResource, TerraformResource[]> {
    const key = `${sourceType}|${attr}|${targetType}`;
    let map = this.pointingCache.get(key);
    if (!map) {
      map = new Map();
      for (const src of this.ofType(sourceType)) {
        for (const v of asArray(src.values[attr])) {
          const target = this.resolve(v, [targetType], src, literalKeys);
          if (target) map.set(target, [...(map.get(target) ?? []), src]);
        }
      }
      this.pointingCache.set(key, map);
    }
    return map;
  }

  private readonly pointingCache = new Map<string, Map<TerraformResource, TerraformResource[]>>();
  private readonly literalCache = new Map<string, Map<string, TerraformResource>>();

  private literals(type: string, key: string): Map<string, TerraformResource> {
    const k = `${type}|${key}`;
    let map = this.literalCache.get(k);
    if (!map) {
      map = new Map();
      for (const r of this.ofType(type)) {
        const v = r.values[key];
        if (typeof v === 'string' && !map.has(v)) map.set(v, r);
      }
      this.literalCache.set(k, map);
    }
    return map;
  }
}

/** A resource's tags (`tags_all` overlaid by `tags`), values as strings. */
export function tagsOf(r: TerraformResource): Record<string, string> {
  const t = { ...(isObject(r.values.tags_all) ? r.values.tags_all : {}), ...(isObject(r.values.tags) ? r.values.tags : {}) };
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)]));
}
