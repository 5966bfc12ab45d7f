import { randomBytes } from 'node:crypto';
import * as dns from 'node:dns';
import { isIP } from 'node:net';

import { attachClient, detachClient, startDispatcher, type ClientConnection } from '../dispatcher';
import { CONNECT_FAIL, errnoName } from '../errors';
import { native, NativeProtocol } from '../native';
import { CLIENT_SCHEMES, lookupProtocol } from '../protocols/protocol';
import { WebSocketResponse } from '../protocols/websocket/WebSocketResponse';
import { parseAddress } from '../socketName';
import { createClientContext, type ClientSecureContextOptions } from '../tls/secureContext';
import type { SecureContextHandle } from '../native';
import { checkPerMessageDeflate, nativeDeflateOptions, type PerMessageDeflate, type ResolvedPerMessageDeflate } from '../protocols/websocket/perMessageDeflate';
import { TcpConnection, type ConnectionSetup } from './TcpConnection';
import type { Bytes, DefaultContext, MessageOf, ProtocolSpec, SendOf, SocketNameOf } from '../protocols/protocolTypes';

export interface AsyncTcpConnectionOptions {
  /** ws://: extra request headers (also `connection.headers`). */
  headers?: Record<string, string>;
  /** ws://: subprotocols to offer, Sec-WebSocket-Protocol (also `connection.websocketProtocols`). */
  protocols?: string | string[];
  /** Seconds each address may take to connect; default 10. */
  connectTimeout?: number;
  /** TLS: seconds the handshake may take once TCP is connected (as a Worker's handshakeTimeout); default 10, 0 = no limit. */
  handshakeTimeout?: number;
  /** ws://: seconds between the pings the client sends; 0 (default): none. */
  websocketPingInterval?: number;
  /**
   * TLS (makes transport 'ssl'): the server's certificate is verified against
   * `ca` (default: Node's root CAs, tls.rootCertificates) and the host name,
   * unless rejectUnauthorized is false; cert/key: a client certificate.
   */
  ssl?: ClientSecureContextOptions;
  /**
   * ws://: offer permessage-deflate (RFC 7692): false (default), true, or
   * { threshold, serverNoContextTakeover, clientNoContextTakeover,
   * serverMaxWindowBits, clientMaxWindowBits, memLevel }. A server's answer
   * that breaks the offer fails the connection (onError, then onClose).
   */
  perMessageDeflate?: PerMessageDeflate;
}

/** A callback of a client connection: it gets the AsyncTcpConnection itself. */
type ClientCallback<Connection, Args extends unknown[] = []> = (connection: Connection, ...args: Args) => unknown;

export type ClientWebSocketConnectCallback = (connection: AsyncTcpConnection, response: WebSocketResponse) => unknown;

/** Client connections of this process that are connecting or open (for `connections`). */
const openClients = new Set<AsyncTcpConnection>();

/** @internal */
export function openClientConnections(): IterableIterator<AsyncTcpConnection> {
  return openClients.values();
}

/** Where a client connects: a host (name or address) and port, or a unix socket path. */
interface Target {
  scheme: string;
  host: string;
  port: number;
  /** ws://: the request path and query. */
  path: string;
  unixPath: string;
  /** wss:// */
  secure: boolean;
}

/**
 * A client connection: `new AsyncTcpConnection('text://host:port')`, set
 * callbacks, then connect(). Every scheme a Worker serves (tcp, text, frame,
 * a registered protocol), ws:// and unix:///path. onConnect fires when the
 * stream connects (ws://: onWebSocketConnect after the 101); a failure fires
 * onError(CONNECT_FAIL, message) and then onClose. reconnect() starts over
 * with the same callbacks, protocol, options and state.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class AsyncTcpConnection<P extends ProtocolSpec = any, C = DefaultContext> extends TcpConnection<P, C> implements ClientConnection {
  // Callbacks get the client connection itself, so `onClose = (c) => c.reconnect(1)` compiles.
  onConnect: ClientCallback<AsyncTcpConnection<P, C>> | undefined = undefined;
  declare onMessage: ClientCallback<AsyncTcpConnection<P, C>, [data: MessageOf<P>]> | undefined;
  declare onClose: ClientCallback<AsyncTcpConnection<P, C>> | undefined;
  declare onBufferFull: ClientCallback<AsyncTcpConnection<P, C>> | undefined;
  declare onBufferDrain: ClientCallback<AsyncTcpConnection<P, C>> | undefined;
  declare onError: ClientCallback<AsyncTcpConnection<P, C>, [code: number, message: string]> | undefined;
  declare onWebSocketConnect: ClientWebSocketConnectCallback | undefined;
  readonly remoteAddress: string;
  /** Seconds each address may take to connect. */
  connectTimeout: number;
  /** TLS: seconds the handshake may take once TCP is connected; 0 = no limit. Set before connect(). */
  handshakeTimeout: number;
  /** ws://: the subprotocols offered in the handshake. */
  websocketProtocols: string[];
  /** ws://: the permessage-deflate offer (false: none). */
  readonly perMessageDeflate: ResolvedPerMessageDeflate;

  private readonly target: Target;
  private readonly kind: NativeProtocol;
  private _websocketPingInterval = 0;
  /** Addresses of the current attempt still to try, and the one being tried. */
  private addresses: string[] = [];
  private tried = '';
  private failures: string[] = [];
  private connectTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Bumped by every attempt: a lookup that answers late for an older one is ignored. */
  private attempt = 0;
  private secure: boolean;
  private readonly ssl: ClientSecureContextOptions | undefined;
  /** TLS: built at connect() (bad ssl options throw there, to the caller), kept for reconnects. */
  private secureContext: SecureContextHandle | undefined;

  /** The scheme types messages: 'ws://…' → string | Buffer, 'text://…' → string, 'tcp://…' and 'frame://…' → Buffer. */
  constructor(remoteAddress: SocketNameOf<P>, options: AsyncTcpConnectionOptions = {}) {
    const target = parseTarget(remoteAddress);
    const registered = lookupProtocol(target.scheme);
    const kind = registered ? NativeProtocol.Raw : (CLIENT_SCHEMES[target.scheme]?.kind ?? NativeProtocol.Raw);
    const setup: ConnectionSetup = { userProtocol: registered ?? null, websocket: kind === NativeProtocol.WebSocket, http: false };
    super(null, -1, setup);
    this.remoteAddress = remoteAddress;
    this.target = target;
    this.kind = kind;
    this._status = 'initial';
    if (kind !== NativeProtocol.WebSocket && target.scheme !== 'tcp' && target.scheme !== 'unix') this.protocol = target.scheme;
    if (options.headers) this.headers = { ...options.headers };
    const protocols = options.protocols;
    this.websocketProtocols = protocols === undefined ? [] : Array.isArray(protocols) ? [...protocols] : [protocols];
    this.connectTimeout = options.connectTimeout ?? 10;
    this.handshakeTimeout = options.handshakeTimeout ?? 10;
    this.websocketPingInterval = options.websocketPingInterval ?? 0;
    this.ssl = options.ssl;
    this.secure = target.secure || options.ssl !== undefined;
    this.perMessageDeflate = checkPerMessageDeflate('perMessageDeflate', options.perMessageDeflate);
  }

  /** 'ssl' for TLS (wss://, the ssl option, or set before connect()), 'unix', else 'tcp'. */
  override get transport(): 'tcp' | 'unix' | 'ssl' {
    if (this.target.unixPath) return 'unix';
    return this.secure ? 'ssl' : 'tcp';
  }
  override set transport(value: 'tcp' | 'unix' | 'ssl') {
    if (value !== 'tcp' && value !== 'ssl') throw new TypeError(`an AsyncTcpConnection's transport is 'tcp' or 'ssl' (got ${String(value)})`);
    if (this._status !== 'initial' && this._status !== 'closed') throw new Error('set transport before connect()');
    if (this.target.unixPath && value === 'ssl') throw new Error("transport 'ssl' is for TCP addresses, not unix sockets");
    if (value === 'tcp' && (this.target.secure || this.ssl !== undefined)) {
      throw new Error(`transport 'tcp' would connect ${this.remoteAddress} without the TLS it asks for`);
    }
    this.secure = value === 'ssl';
    this.secureContext = undefined;
  }

  /** ws://: seconds between pings sent by the client; 0: none. */
  get websocketPingInterval(): number {
    return this._websocketPingInterval;
  }
  set websocketPingInterval(seconds: number) {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('websocketPingInterval must be a non-negative number of seconds');
    this._websocketPingInterval = seconds;
    if (this.pingTimer) this.startPinging();
  }

  /**
   * Starts connecting: host names resolve with dns.lookup and every address is
   * tried in order. Throws when already connecting or connected; after a close
   * it connects again (as reconnect(0) does, without waiting).
   */
  connect(): void {
    if (this._status === 'connecting' || this._status === 'established' || this._status === 'closing') {
      throw new Error(`AsyncTcpConnection to ${this.remoteAddress} is already ${this._status}; close it first, or call reconnect()`);
    }
    if (!Number.isFinite(this.handshakeTimeout) || this.handshakeTimeout < 0) throw new RangeError('handshakeTimeout must be a non-negative number of seconds');
    if (this.secure && !this.secureContext) this.secureContext = createClientContext(this.ssl ?? {});
    this.cancelReconnect();
    if (this._status === 'closed') this._startOver();
    this._status = 'connecting';
    openClients.add(this as AsyncTcpConnection);
    const attempt = ++this.attempt;
    this.failures = [];
    startDispatcher();
    const { host, unixPath } = this.target;
    if (unixPath || isIP(host)) return this.tryAddresses([unixPath || host]);
    dns.lookup(host, { all: true }, (error, found) => {
      if (attempt !== this.attempt || this._status !== 'connecting') return;
      if (error) return this.fail(`getaddrinfo ${(error as NodeJS.ErrnoException).code ?? error.message} ${host}`);
      this.tryAddresses(found.map((entry) => entry.address));
    });
  }

  /**
   * Connects again after `afterSeconds` (0: on the next turn of the loop),
   * keeping callbacks, protocol, options and state; an open connection is
   * destroyed first. Safe from anywhere, onClose and onError included.
   */
  reconnect(afterSeconds = 0): void {
    if (!Number.isFinite(afterSeconds) || afterSeconds < 0) throw new RangeError('reconnect(afterSeconds) needs a non-negative number');
    this.cancelReconnect();
    if (this._status === 'connecting' || this._status === 'established' || this._status === 'closing') this.destroy();
    this.cancelReconnect(); // an onClose inside destroy() may have asked too: one timer
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this._status === 'closed' || this._status === 'initial') this.connect();
    }, afterSeconds * 1000);
  }

  /** Cancels a reconnect() that has not started yet. */
  cancelReconnect(): void {
    if (this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  override destroy(): void {
    if (this._status === 'initial') return;
    if (this._status === 'connecting' && this._slot < 0) {
      // Still resolving the name: no socket yet.
      this.attempt++;
      this.clearConnectTimer();
      this._closed();
      return;
    }
    super.destroy();
  }

  override close(data?: SendOf<P>, raw?: false): void;
  override close(data: Bytes, raw: boolean): void;
  override close(data?: unknown, raw = false): void {
    if (this._status === 'connecting') {
      if (data !== undefined) this.send(data as Bytes, raw);
      // Nothing is on the wire yet: the queued sends would have nowhere to go.
      return this.destroy();
    }
    super.close(data as Bytes, raw);
  }

  protected override canCarry(): boolean {
    return this._status !== 'initial' && this._status !== 'connecting' && super.canCarry();
  }

  /** @internal The stream connected. */
  _established(): void {
    if (this._status !== 'connecting') return;
    this.clearConnectTimer();
    this._status = 'established';
    this.addresses = [];
    if (!this._isWebSocket) this._sendEarly();
    if (this.onConnect) this.call(this.onConnect, this);
  }

  /** @internal A ws:// client's valid 101. */
  _upgradedWith(head: string): void {
    if (this._status !== 'established') return;
    this._upgraded();
    const response = new WebSocketResponse(head);
    this.websocketProtocol = response.protocol || null;
    this._sendEarly();
    if (this._websocketPingInterval > 0) this.startPinging();
    if (this.onWebSocketConnect) this.call(this.onWebSocketConnect, this, response);
  }

  /** @internal errno (0 when `reason` says what failed, as for a refused WebSocket handshake). */
  _connectFailed(errno: number, reason: string): void {
    const address = this.describe(this.tried);
    this.clearConnectTimer();
    if (errno !== 0 && this._status === 'connecting' && this.addresses.length > 0) {
      // Another address may answer: this slot's close is not the connection's.
      this.failures.push(`${errnoName(errno)} ${address}`);
      detachClient(this._slot, this);
      this._slot = -1;
      return this.tryAddresses(this.addresses);
    }
    this.report(errno !== 0 ? `connect ${errnoName(errno)} ${address}` : `${reason} (${address})`);
    // The core's close event follows and fires onClose.
  }

  /** @internal */
  override _closed(): void {
    openClients.delete(this as AsyncTcpConnection);
    this.clearConnectTimer();
    this.stopPinging();
    super._closed();
  }

  /** Tries `addresses` in order; the first that connects wins. */
  private tryAddresses(addresses: string[]): void {
    const [address, ...rest] = addresses;
    this.addresses = rest;
    this.tried = address;
    const { port, unixPath } = this.target;
    let request = '';
    let key = '';
    if (this._isWebSocket) {
      key = randomBytes(16).toString('base64');
      try {
        request = this.upgradeRequest(key);
      } catch (error) {
        return this.fail((error as Error).message);
      }
    }
    const kind = this._isWebSocket ? NativeProtocol.WebSocket : this.nativeKind();
    const servername = this.ssl?.servername ?? this.target.host;
    const slot = unixPath
      ? native.connect('', 0, unixPath, kind, request, key)
      : native.connect(address, port, '', kind, request, key, this.secureContext, servername, Math.round(this.handshakeTimeout * 1000));
    if (slot < 0) {
      if (rest.length > 0) {
        this.failures.push(`${errnoName(slot)} ${this.describe(address)}`);
        return this.tryAddresses(rest);
      }
      return this.fail(`connect ${errnoName(slot)} ${this.describe(address)}`);
    }
    if (this.perMessageDeflate && this._isWebSocket) native.setClientDeflate(slot, nativeDeflateOptions(this.perMessageDeflate));
    attachClient(slot, this);
    this._bindSlot(slot);
    this.connectTimer = setTimeout(() => this.timedOut(slot), this.connectTimeout * 1000);
  }

  private timedOut(slot: number): void {
    this.connectTimer = undefined;
    if (this._slot !== slot || this._status !== 'connecting') return;
    // TLS past the TCP connect: handshakeTimeout (native) bounds the rest.
    if (this.secure && !native.tcpConnecting(slot)) return;
    native.destroy(slot); // no events follow a destroy
    detachClient(slot, this);
    this._slot = -1;
    const address = this.describe(this.tried);
    if (this.addresses.length > 0) {
      this.failures.push(`ETIMEDOUT ${address}`);
      return this.tryAddresses(this.addresses);
    }
    this.fail(`connect ETIMEDOUT ${address} (after ${this.connectTimeout} s)`);
  }

  /** A failure with no native close to follow: onError, then onClose. */
  private fail(message: string): void {
    this.report(message);
    this._closed();
  }

  private report(message: string): void {
    const earlier = this.failures.length ? ` (also tried: ${this.failures.join(', ')})` : '';
    this.failures = [];
    this.addresses = [];
    this._dropEarly();
    this.emitError(CONNECT_FAIL, message + earlier);
  }

  private nativeKind(): NativeProtocol {
    const protocol = this.protocol;
    if (protocol === null || typeof protocol !== 'string') return NativeProtocol.Raw;
    return CLIENT_SCHEMES[protocol.toLowerCase()]?.kind ?? NativeProtocol.Raw;
  }

  private describe(address: string): string {
    if (this.target.unixPath) return this.target.unixPath;
    return address.includes(':') ? `[${address}]:${this.target.port}` : `${address}:${this.target.port}`;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer === undefined) return;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  private startPinging(): void {
    this.stopPinging();
    if (this._websocketPingInterval <= 0) return;
    this.pingTimer = setInterval(() => this.ping(), this._websocketPingInterval * 1000);
  }

  private stopPinging(): void {
    if (this.pingTimer === undefined) return;
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private upgradeRequest(key: string): string {
    const { host, port, path } = this.target;
    const hostHeader = host.includes(':') ? `[${host}]` : host;
    let request =
      `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
    const protocols = this.websocketProtocols;
    if (protocols.length) request += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
    if (this.perMessageDeflate) request += `Sec-WebSocket-Extensions: ${native.deflateOffer(nativeDeflateOptions(this.perMessageDeflate))}\r\n`;
    for (const [name, value] of Object.entries(this.headers ?? {})) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n]/.test(String(one))) throw new TypeError(`invalid header ${name}`);
        request += `${name}: ${String(one)}\r\n`;
      }
    }
    return request + '\r\n';
  }
}

function parseTarget(address: string): Target {
  const unix = /^unix:\/\/(\/.*)$/i.exec(address);
  if (unix) return { scheme: 'unix', host: '', port: 0, path: '', unixPath: unix[1], secure: false };
  const parsed = parseAddress(address);
  if (!parsed) throw new TypeError(`invalid remote address "${address}"`);
  const secure = parsed.scheme === 'wss';
  if (secure) {
    parsed.scheme = 'ws';
    parsed.port ??= 443;
  }
  const spec = CLIENT_SCHEMES[parsed.scheme];
  const registered = lookupProtocol(parsed.scheme);
  if (!spec && !registered) {
    throw new TypeError(
      `unsupported scheme "${parsed.scheme}" in "${address}" (${Object.keys(CLIENT_SCHEMES).join(', ')}, unix, or one registered with Worker.registerProtocol())`,
    );
  }
  const port = parsed.port ?? spec?.defaultPort ?? 0;
  if (!port || port > 65535) throw new TypeError(`"${address}" needs a port`);
  let path = parsed.path || '/';
  if (path.startsWith('?')) path = '/' + path;
  return { scheme: parsed.scheme, host: parsed.host, port, path, unixPath: '', secure };
}

