// Messages that say what to write instead, for the socket names people bring
// from clients (ws://, https://) and from URLs (host names).
import { isIP } from 'node:net';

const SERVER_SCHEME_FOR: Record<string, string> = { ws: 'websocket', wss: 'websocket', https: 'http' };

/** The hint for an unknown scheme in a server socket name. */
export function schemeHint(scheme: string, socketName: string): string {
  const server = SERVER_SCHEME_FOR[scheme];
  if (!server) return 'register it with Worker.registerProtocol(), or use tcp://, text://, frame://, websocket://, http:// or unix://';
  const suggestion = socketName.replace(/^[a-z]+:/i, `${server}:`);
  const tls = scheme === 'wss' || scheme === 'https' ? ' (TLS is not part of the socket name)' : '';
  return `a server listens on ${server}:// — write "${suggestion}"${tls}; ${scheme}:// is for client connections (AsyncTcpConnection)`;
}

/** A server binds an address; a host name would need a lookup the caller should choose to make. */
export function checkListenHost(socketName: string, host: string): void {
  if (isIP(host) !== 0) return;
  const anyAddress = socketName.replace(`://${host}`, '://0.0.0.0');
  const loopback = socketName.replace(`://${host}`, '://127.0.0.1');
  throw new TypeError(
    `invalid socket name "${socketName}": a server listens on an IP address, not a host name: ` +
      `write "${anyAddress}" (every interface) or "${loopback}" (this machine only); ` +
      `for the address of ${host}, look it up first: (await dns.promises.lookup('${host}')).address`,
  );
}
