/**
 * Single byte-range requests (RFC 9110 section 14).
 *
 * Returns the inclusive range to serve (answer 206 with `Content-Range: bytes start-end/size`),
 * 'unsatisfiable' (answer 416 with `Content-Range: bytes *\/size`), or null (ignore the header
 * and serve the whole file with 200): when the header is absent, is not a `bytes` range, or
 * asks for several ranges.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (typeof header !== 'string') return null;
  const m = /^[ \t]*bytes[ \t]*=(.*)$/is.exec(header);
  if (!m) return null;
  const spec = m[1];
  if (spec.indexOf(',') >= 0) return null;
  const r = /^[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*$/.exec(spec);
  if (!r) return 'unsatisfiable';
  const [, first, last] = r;
  if (first === '') {
    if (last === '') return 'unsatisfiable';
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size <= 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
  let end = size - 1;
  if (last !== '') {
    const e = Number(last);
    if (e < start) return 'unsatisfiable';
    if (e < end) end = e;
  }
  return { start, end };
}
