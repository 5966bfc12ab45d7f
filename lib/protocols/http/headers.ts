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
