// new Worker(socketName, options): the options checked, and Workerman's
// context array ({ socket: { backlog, so_reuseport, ... } }) mapped to them.
import { checkBoolean, describeValue, integerAtLeast } from './optionChecks';
import type { ServerSecureContextOptions } from './tls/secureContext';
import type { PerMessageDeflate } from './protocols/websocket/perMessageDeflate';
import type { WebSocketUpgrades } from './protocols/websocket/upgradeRoutes';

export interface WorkerOptions<C = unknown> {
  /** listen() backlog; default 511. */
  backlog?: number;
  /** SO_REUSEPORT; default false. Same as the property. */
  reusePort?: boolean;
  /** For [::] addresses: accept IPv6 only; default false (IPv4 too). */
  ipv6Only?: boolean;
  /** TCP_NODELAY on accepted sockets; default true. */
  noDelay?: boolean;
  /** TCP keepalive idle seconds; default 55; 0 turns it off. */
  keepAlive?: number;
  /** Workerman's context `socket` options, mapped to the ones above. */
  socket?: WorkermanSocketContext;
  /** Makes each connection's `connection.context` on first use (its return type types it). */
  context?: () => C;
  /** TLS (Workerman's `ssl` context): certificate, key and the rest; makes transport 'ssl'. */
  ssl?: ServerSecureContextOptions;
  /** WebSocket: permessage-deflate (RFC 7692), off by default; same as the property. */
  perMessageDeflate?: PerMessageDeflate;
  /**
   * http:// workers: WebSocket upgrades on the same port (as worker.websocket);
   * given here, onMessage's data is typed `HttpRequest | string | Buffer`.
   */
  websocket?: WebSocketUpgrades;
}

/** The keys of Workerman's `['socket' => [...]]` context that have a netwright equivalent. */
export interface WorkermanSocketContext {
  backlog?: number;
  so_reuseport?: boolean | 0 | 1;
  ipv6_v6only?: boolean | 0 | 1;
  tcp_nodelay?: boolean | 0 | 1;
}

export type ResolvedWorkerOptions = Required<Omit<WorkerOptions, 'socket' | 'context' | 'ssl' | 'websocket' | 'perMessageDeflate'>>;

const OPTION_NAMES = ['backlog', 'reusePort', 'ipv6Only', 'noDelay', 'keepAlive', 'socket', 'context', 'ssl', 'websocket', 'perMessageDeflate'];
const SOCKET_CONTEXT: Record<string, keyof ResolvedWorkerOptions> = {
  backlog: 'backlog',
  so_reuseport: 'reusePort',
  ipv6_v6only: 'ipv6Only',
  tcp_nodelay: 'noDelay',
};

export function resolveWorkerOptions(options: WorkerOptions<unknown> | undefined): ResolvedWorkerOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`new Worker()'s second argument is an options object, got ${describeValue(options)}`);
  }
  const given: Record<string, unknown> = { ...options };
  for (const key of Object.keys(given)) {
    if (OPTION_NAMES.includes(key)) continue;
    throw new TypeError(`new Worker(): unknown option "${key}" (known: ${OPTION_NAMES.join(', ')})`);
  }
  if (given.context !== undefined && typeof given.context !== 'function') {
    throw new TypeError(`new Worker(): the context option is a function that makes a connection's context, got ${describeValue(given.context)}`);
  }
  if (given.socket !== undefined) Object.assign(given, fromSocketContext(given.socket));
  return {
    backlog: given.backlog === undefined ? 511 : integerAtLeast('backlog', given.backlog, 1),
    reusePort: given.reusePort === undefined ? false : checkBoolean('reusePort', given.reusePort),
    ipv6Only: given.ipv6Only === undefined ? false : checkBoolean('ipv6Only', given.ipv6Only),
    noDelay: given.noDelay === undefined ? true : checkBoolean('noDelay', given.noDelay),
    keepAlive: given.keepAlive === undefined ? 55 : integerAtLeast('keepAlive', given.keepAlive, 0),
  };
}

function fromSocketContext(context: unknown): Partial<ResolvedWorkerOptions> {
  if (context === null || typeof context !== 'object') {
    throw new TypeError(`new Worker(): the socket context is an object such as { backlog: 1024 }, got ${describeValue(context)}`);
  }
  const mapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    const name = SOCKET_CONTEXT[key];
    if (!name) {
      throw new TypeError(`new Worker(): the socket context option "${key}" has no netwright equivalent (supported: ${Object.keys(SOCKET_CONTEXT).join(', ')})`);
    }
    mapped[name] = name === 'backlog' ? value : value === 1 ? true : value === 0 ? false : value;
  }
  return mapped;
}
