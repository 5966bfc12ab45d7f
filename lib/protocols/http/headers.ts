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

/** A target's path: up to the "?". */
export function targetPath(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** A target's query string: after the "?" ('' without one). */
export function targetQuery(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q + 1);
}

/**
 * Header fields of a head the native core has already validated, with
 * lower-case names; a repeated field's values are joined with ", ".
 */
export function parseHeadFields(head: string): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  const lines = head.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) break;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}
