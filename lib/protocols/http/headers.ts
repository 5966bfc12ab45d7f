// Reading a request head the native core has already validated: the request
// line's parts and the header fields. Shared by HTTP requests and WebSocket upgrades.

/** The method: the request line up to its first space. */
export function headMethod(head: string): string {
  return head.slice(0, head.indexOf(' '));
}

/** The request target, e.g. "/search?q=1": between the request line's two spaces. */
export function headTarget(head: string): string {
  const start = head.indexOf(' ') + 1;
  return head.slice(start, head.indexOf(' ', start));
}

/** The authority of an absolute-form target ("http://host:8080/x" → "host:8080"); undefined for other forms. */
export function targetAuthority(target: string): string | undefined {
  // The core lets only http and https URIs through in absolute-form; origin-form starts with "/".
  if (target.charCodeAt(0) === 0x2f || target === '*' || !/^https?:\/\//i.test(target)) return undefined;
  const start = target.indexOf('//') + 2;
  let end = start;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  return target.slice(start, end);
}

/** A target's path: up to the "?"; of an absolute-form target, the part after its authority ("/" when empty). */
export function targetPath(target: string): string {
  const authority = targetAuthority(target);
  const path = authority === undefined ? target : target.slice(target.indexOf('//') + 2 + authority.length);
  const q = path.indexOf('?');
  const result = q < 0 ? path : path.slice(0, q);
  return authority !== undefined && result === '' ? '/' : result;
}

/** A target's query string: after the "?" ('' without one). */
export function targetQuery(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q + 1);
}

/** Strips optional whitespace (RFC 9110 5.6.3: SP and HTAB only) from both ends. */
export function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * Header fields of a head the native core has already validated, with
 * lower-case names; a repeated field's values are joined with ", ". The host
 * of an absolute-form target replaces the Host header (RFC 9112 3.2.2).
 */
export function parseHeadFields(head: string): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  const lines = head.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) break;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = stripOws(line.slice(colon + 1));
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const authority = targetAuthority(headTarget(head));
  if (authority !== undefined) headers.host = authority;
  return headers;
}
