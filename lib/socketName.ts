/**
 * The one address parser: Workerman socket names ("text://0.0.0.0:9000",
 * "tcp://[::]:80", "unix:///tmp/app.sock") and client targets
 * ("ws://example.com/chat?x=1", port optional) both go through parseAddress().
 */
export interface SocketAddress {
  scheme: string;
  transport: 'tcp' | 'unix';
  host: string;
  port: number | undefined;
  path: string;
}

/** scheme://host[:port][/path?query]; an IPv6 host in brackets, returned without them. */
export interface ParsedAddress {
  scheme: string;
  host: string;
  /** undefined when the address names none. */
  port: number | undefined;
  /** '' when the address has none; else from its "/" or "?". */
  path: string;
}

const ADDRESS = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[^/:?#[\]]+)(?::(\d+))?([/?][^#]*)?$/i;

/** undefined when `address` is not scheme://host[:port][/path]. */
export function parseAddress(address: string): ParsedAddress | undefined {
  const m = ADDRESS.exec(address);
  if (!m) return undefined;
  let host = m[2];
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { scheme: m[1].toLowerCase(), host, port: m[3] === undefined ? undefined : Number(m[3]), path: m[4] ?? '' };
}

export function parseSocketName(socketName: string): SocketAddress {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(socketName);
  if (!match) throw new TypeError(`invalid socket name "${socketName}": expected scheme://address`);
  const scheme = match[1].toLowerCase();
  const rest = match[2];
  if (scheme === 'unix') {
    if (!rest.startsWith('/') && !rest.startsWith('.')) {
      throw new TypeError(`invalid unix socket name "${socketName}": expected unix:///path/to.sock`);
    }
    return { scheme, transport: 'unix', host: '', port: undefined, path: rest };
  }
  const address = parseAddress(socketName);
  if (!address || address.port === undefined || address.path !== '') {
    throw new TypeError(`invalid socket name "${socketName}": expected ${scheme}://host:port`);
  }
  if (address.port > 65535) throw new RangeError(`invalid port in "${socketName}"`);
  const host = address.host === 'localhost' ? '127.0.0.1' : address.host;
  return { scheme, transport: 'tcp', host, port: address.port, path: '' };
}
