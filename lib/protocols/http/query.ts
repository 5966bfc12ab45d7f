/**
 * PHP-style (parse_str) query string parsing, as Workerman's Request::get()/post() do:
 * `a=1&b=2`, a repeated plain key → the last value wins, `a[]=1&a[]=2` → array,
 * `a[x]=1` → object, nested `a[x][]=1`, '+' → space, percent-decoding.
 *
 * Representation: a PHP array whose keys are exactly 0..n-1 in insertion order becomes a JS
 * array; any other becomes a null-prototype object (so `a[0]=x&a[1]=y` → ['x','y'] and
 * `a[1]=y` → { '1': 'y' }, as json_encode would show them). `a[]` appends at the next integer
 * key (max integer key + 1), like PHP.
 *
 * Bounded: at most MAX_QUERY_PAIRS pairs are read (the rest is ignored), keys nested deeper
 * than MAX_QUERY_DEPTH brackets are ignored, and a pair whose key (or any bracketed segment) is
 * `__proto__`, `constructor` or `prototype` is ignored. Never throws.
 *
 * Unlike PHP, '.' and ' ' in names are NOT turned into '_'.
 */

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };

export const MAX_QUERY_PAIRS = 1000;
export const MAX_QUERY_DEPTH = 8;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const CANONICAL_INDEX = /^(?:0|[1-9][0-9]{0,14})$/;

/** Percent-decodes a query component ('+' → space); malformed escapes stay literal, invalid UTF-8 → U+FFFD. */
export function decodeQueryComponent(s: string): string {
  if (s.indexOf('+') >= 0) s = s.replace(/\+/g, ' ');
  if (s.indexOf('%') < 0) return s;
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (m) => Buffer.from(m.replace(/%/g, ''), 'hex').toString('utf8'));
}

/**
 * Splits a decoded key into base + bracket segments: `a[b][]` → ['a', 'b', ''].
 * Returns null when the pair must be ignored (empty base, too deep, forbidden name).
 * A '[' without a matching ']' right after the base makes the whole key literal;
 * text after the last well-formed segment is ignored (as PHP does).
 */
export function splitQueryKey(key: string): string[] | null {
  const open = key.indexOf('[');
  let parts: string[];
  if (open < 0 || key.indexOf(']', open + 1) < 0) {
    parts = [key];
  } else {
    parts = [key.slice(0, open)];
    let p = open;
    while (p < key.length && key.charCodeAt(p) === 0x5b /* [ */) {
      const close = key.indexOf(']', p + 1);
      if (close < 0) break;
      if (parts.length > MAX_QUERY_DEPTH) return null;
      parts.push(key.slice(p + 1, close));
      p = close + 1;
    }
  }
  if (parts[0] === '') return null;
  for (const part of parts) if (FORBIDDEN.has(part)) return null;
  return parts;
}

class Node {
  readonly map = new Map<string, Node | string>();
  nextIndex = 0;

  set(key: string, value: Node | string): void {
    if (CANONICAL_INDEX.test(key)) {
      const n = Number(key);
      if (n >= this.nextIndex) this.nextIndex = n + 1;
    }
    this.map.set(key, value);
  }

  /** '' means "append" (PHP's `[]`). */
  resolveKey(seg: string): string {
    return seg === '' ? String(this.nextIndex) : seg;
  }
}

/**
 * Accumulates decoded key/value pairs PHP-style; used by parseQuery and by the multipart parser
 * for form fields. `add` returns false when the pair was ignored.
 */
export class QueryBuilder {
  private readonly root = new Node();

  add(key: string, value: string): boolean {
    const parts = splitQueryKey(key);
    if (!parts) return false;
    let node = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = node.resolveKey(parts[i]);
      let child = node.map.get(k);
      if (!(child instanceof Node)) {
        child = new Node();
        node.set(k, child);
      }
      node = child;
    }
    node.set(node.resolveKey(parts[parts.length - 1]), value);
    return true;
  }

  /** The result as a null-prototype object. */
  toObject(): Record<string, QueryValue> {
    const out: Record<string, QueryValue> = Object.create(null);
    for (const [k, v] of this.root.map) out[k] = finish(v);
    return out;
  }
}

function finish(v: Node | string): QueryValue {
  if (typeof v === 'string') return v;
  let i = 0;
  let sequential = true;
  for (const k of v.map.keys()) {
    if (k !== String(i++)) {
      sequential = false;
      break;
    }
  }
  if (sequential) {
    const arr: QueryValue[] = [];
    for (const child of v.map.values()) arr.push(finish(child));
    return arr;
  }
  const obj: { [key: string]: QueryValue } = Object.create(null);
  for (const [k, child] of v.map) obj[k] = finish(child);
  return obj;
}

/** Parses a query string (without the leading '?'), PHP parse_str style. See the module comment. */
export function parseQuery(qs: string): Record<string, QueryValue> {
  const builder = new QueryBuilder();
  if (typeof qs !== 'string' || qs === '') return builder.toObject();
  let pairs = 0;
  let start = 0;
  const len = qs.length;
  while (start < len && pairs < MAX_QUERY_PAIRS) {
    let end = qs.indexOf('&', start);
    if (end < 0) end = len;
    if (end > start) {
      pairs++;
      const eq = qs.indexOf('=', start);
      let rawKey: string;
      let rawValue: string;
      if (eq >= 0 && eq < end) {
        rawKey = qs.slice(start, eq);
        rawValue = qs.slice(eq + 1, end);
      } else {
        rawKey = qs.slice(start, end);
        rawValue = '';
      }
      builder.add(decodeQueryComponent(rawKey), decodeQueryComponent(rawValue));
    }
    start = end + 1;
  }
  return builder.toObject();
}
