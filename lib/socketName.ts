/** Parses Workerman socket names: "text://0.0.0.0:9000", "tcp://[::]:80", "unix:///tmp/app.sock". */
export interface SocketAddress {
  scheme: string;
  transport: 'tcp' | 'unix';
  host: string;
  port: number | undefined;
  path: string;
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
  const hostPort = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(rest);
  if (!hostPort) throw new TypeError(`invalid socket name "${socketName}": expected ${scheme}://host:port`);
  const port = Number(hostPort[2]);
  if (port > 65535) throw new RangeError(`invalid port in "${socketName}"`);
  let host = hostPort[1];
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host === 'localhost') host = '127.0.0.1';
  return { scheme, transport: 'tcp', host, port, path: '' };
}
