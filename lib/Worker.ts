import * as fs from 'node:fs';

import {
  TcpConnection,
  type ConnectionCallback,
  type ConnectionSetup,
  type ErrorCallback,
  type MessageCallback,
  type WebSocketCloseCallback,
  type WebSocketConnectCallback,
  type WebSocketDataCallback,
  type WebSocketType,
} from './connection/TcpConnection';
import { registerListener, startDispatcher, unregisterListener } from './dispatcher';
import { Framing, native, NativeProtocol } from './native';
import { assertProtocolObject, lookupProtocol, registerProtocol, type ProtocolObject } from './protocols/protocol';
import { parseSocketName, type SocketAddress } from './socketName';
import { getStatistics, type Statistics } from './statistics';

export interface WorkerOptions {
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
}

const NATIVE_KINDS: Record<string, { kind: NativeProtocol; framing: Framing }> = {
  tcp: { kind: NativeProtocol.Raw, framing: Framing.None },
  unix: { kind: NativeProtocol.Raw, framing: Framing.None },
  text: { kind: NativeProtocol.Text, framing: Framing.Line },
  frame: { kind: NativeProtocol.Frame, framing: Framing.Length },
  websocket: { kind: NativeProtocol.WebSocket, framing: Framing.WsText },
  http: { kind: NativeProtocol.Http, framing: Framing.None },
};

export class Worker {
  static registerProtocol(scheme: string, protocol: ProtocolObject): void {
    registerProtocol(scheme, protocol);
  }
  static getStatistics(): Statistics {
    return getStatistics();
  }

  name = 'none';
  count = 1;
  reusePort: boolean;
  protocol: ProtocolObject | string | null;
  transport: 'tcp' | 'unix';
  /** Carry the async context (AsyncLocalStorage stores) from onConnect into the connection's later callbacks. */
  keepAsyncContext = false;
  readonly connections = new Map<number, TcpConnection>();

  onConnect: ConnectionCallback | undefined = undefined;
  onMessage: MessageCallback | undefined = undefined;
  onClose: ConnectionCallback | undefined = undefined;
  onBufferFull: ConnectionCallback | undefined = undefined;
  onBufferDrain: ConnectionCallback | undefined = undefined;
  onError: ErrorCallback | undefined = undefined;

  /** WebSocket: bytes of the upgrade request head; over it the answer is 431. */
  maxHeadSize = 16384;
  /** WebSocket: seconds to receive the whole upgrade request head. */
  handshakeTimeout = 10;
  /** WebSocket: seconds of silence before a ping; a connection that stays silent another interval is closed with 1001. 0 = off. */
  pingInterval = 0;
  /** WebSocket: the default websocketType of this worker's connections. */
  websocketType: WebSocketType = 'text';
  onWebSocketConnect: WebSocketConnectCallback | undefined = undefined;
  onWebSocketConnected: WebSocketConnectCallback | undefined = undefined;
  onWebSocketPing: WebSocketDataCallback | undefined = undefined;
  onWebSocketPong: WebSocketDataCallback | undefined = undefined;
  onWebSocketClose: WebSocketCloseCallback | undefined = undefined;

  /** HTTP: seconds to receive a complete request head; slower clients get 408 and are closed. */
  headersTimeout = 30;
  /** HTTP: seconds an idle keep-alive connection stays open. */
  keepAliveTimeout = 5;
  /** HTTP: the Server header of responses; null leaves it out. */
  serverHeader: string | null = 'netwright';

  private readonly socketName: string | undefined;
  private readonly address: SocketAddress | undefined;
  private readonly options: Required<WorkerOptions>;
  private listenerId = -1;
  private lastListenerId = -1;  // broadcast still reaches connections after unlisten()
  private boundPort: number | undefined;
  private _maxConnections = 0;
  private _idleTimeout = 0;
  private acceptPaused = false;
  private setup: ConnectionSetup = { framing: Framing.None, userProtocol: null, websocket: false, http: false, transport: 'tcp' };
  private stopping: Promise<void> | null = null;
  private resolveStopped: (() => void) | null = null;

  constructor(socketName?: string, options: WorkerOptions = {}) {
    this.socketName = socketName;
    this.options = {
      backlog: options.backlog ?? 511,
      reusePort: options.reusePort ?? false,
      ipv6Only: options.ipv6Only ?? false,
      noDelay: options.noDelay ?? true,
      keepAlive: options.keepAlive ?? 55,
    };
    this.reusePort = this.options.reusePort;
    if (socketName === undefined) {
      this.protocol = null;
      this.transport = 'tcp';
      return;
    }
    this.address = parseSocketName(socketName);
    this.transport = this.address.transport;
    const scheme = this.address.scheme;
    if (scheme === 'tcp' || scheme === 'unix') this.protocol = null;
    else if (NATIVE_KINDS[scheme]) this.protocol = scheme;
    else if (lookupProtocol(scheme)) this.protocol = scheme;
    else throw new Error(`unknown protocol "${scheme}" in "${socketName}": register it with Worker.registerProtocol()`);
  }

  /** From the socket name; after listen() the bound port (port 0 becomes the real one); undefined for unix. */
  get port(): number | undefined {
    return this.boundPort ?? this.address?.port;
  }

  get maxConnections(): number {
    return this._maxConnections;
  }
  set maxConnections(value: number) {
    this._maxConnections = nonNegative('maxConnections', value);
    this.pushListenerLimits();
  }
  /** Seconds without received data before a connection is closed; 0 = off. */
  get idleTimeout(): number {
    return this._idleTimeout;
  }
  set idleTimeout(value: number) {
    this._idleTimeout = nonNegative('idleTimeout', value);
    this.pushListenerLimits();
  }

  /** Starts accepting in this process. Throws an Error with .code (EADDRINUSE, EACCES, ...) on failure. */
  listen(): void {
    if (!this.address || this.listenerId >= 0) return;
    const { kind, framing, userProtocol } = this.resolveProtocol();
    startDispatcher();
    const address = this.address;
    const id = native.listen({
      unix: address.transport === 'unix',
      host: address.host,
      port: address.port ?? 0,
      path: address.path,
      backlog: this.options.backlog,
      reusePort: this.reusePort,
      ipv6Only: this.options.ipv6Only,
      noDelay: this.options.noDelay,
      keepAlive: this.options.keepAlive,
      kind,
    });
    this.listenerId = id;
    this.lastListenerId = id;
    this.setup = {
      framing,
      userProtocol,
      websocket: kind === NativeProtocol.WebSocket,
      http: kind === NativeProtocol.Http,
      transport: this.transport,
    };
    this.boundPort = address.transport === 'unix' ? undefined : native.listenerPort(id);
    registerListener(id, this);
    this.pushListenerLimits();
    if (this.acceptPaused) native.setAccepting(id, false);
  }

  /** Stops accepting and closes the listening socket; open connections stay. */
  unlisten(): void {
    if (this.listenerId < 0) return;
    native.unlisten(this.listenerId);
    unregisterListener(this.listenerId);
    this.listenerId = -1;
    if (this.address?.transport === 'unix') {
      try {
        fs.unlinkSync(this.address.path);
      } catch {
        // already gone
      }
    }
  }

  pauseAccept(): void {
    this.acceptPaused = true;
    if (this.listenerId >= 0) native.setAccepting(this.listenerId, false);
  }

  resumeAccept(): void {
    this.acceptPaused = false;
    if (this.listenerId >= 0) native.setAccepting(this.listenerId, true);
  }

  /** Unlistens, closes every connection (flushing what is queued) and resolves when all are closed. */
  stop(): Promise<void> {
    this.unlisten();
    if (!this.stopping) {
      this.stopping = new Promise<void>((resolve) => {
        this.resolveStopped = resolve;
      });
    }
    const stopping = this.stopping;
    for (const connection of [...this.connections.values()]) connection.close();
    this.checkStopped();
    return stopping;
  }

  /** @internal */
  _accept(slot: number): TcpConnection | undefined {
    const connection = new TcpConnection(this, slot, this.setup);
    this.connections.set(connection.id, connection);
    connection._connected();
    return connection;
  }

  /** @internal */
  _connectionClosed(connection: TcpConnection): void {
    this.connections.delete(connection.id);
    if (this.resolveStopped) this.checkStopped();
  }

  private checkStopped(): void {
    if (this.connections.size > 0 || !this.resolveStopped) return;
    const resolve = this.resolveStopped;
    this.resolveStopped = null;
    this.stopping = null;
    resolve();
  }

  private resolveProtocol(): { kind: NativeProtocol; framing: Framing; userProtocol: ProtocolObject | null } {
    const protocol = this.protocol;
    if (protocol === null || protocol === undefined) return { kind: NativeProtocol.Raw, framing: Framing.None, userProtocol: null };
    if (typeof protocol === 'string') {
      const builtin = NATIVE_KINDS[protocol.toLowerCase()];
      if (builtin) return { ...builtin, userProtocol: null };
      const registered = lookupProtocol(protocol);
      if (!registered) throw new Error(`unknown protocol "${protocol}"`);
      return { kind: NativeProtocol.Raw, framing: Framing.None, userProtocol: registered };
    }
    assertProtocolObject(protocol);
    return { kind: NativeProtocol.Raw, framing: Framing.None, userProtocol: protocol };
  }

  private pushListenerLimits(): void {
    if (this.listenerId < 0) return;
    native.setListenerLimits(this.listenerId, this._maxConnections, Math.round(this._idleTimeout * 1000));
    native.setWebSocketLimits(
      this.listenerId,
      Math.max(0, Math.floor(this.maxHeadSize)),
      Math.round(Math.max(0, this.handshakeTimeout) * 1000),
      Math.round(Math.max(0, this.pingInterval) * 1000),
    );
    native.setHttpLimits(
      this.listenerId,
      Math.round(Math.max(0, this.headersTimeout) * 1000),
      Math.round(Math.max(0, this.keepAliveTimeout) * 1000),
    );
  }

  /**
   * WebSocket: sends one message to every open connection of this worker but
   * `except`; the frame is encoded once. Strings go as text, bytes as binary.
   * Returns the number of connections written to.
   */
  broadcast(data: string | Buffer | Uint8Array, except?: TcpConnection | TcpConnection[]): number {
    if (this.listenerId < 0 && this.connections.size === 0) return 0;
    const excluded = except === undefined ? null : Int32Array.from((Array.isArray(except) ? except : [except]).map((c) => c._slot));
    return native.broadcast(this.listenerIdForBroadcast(), data, typeof data !== 'string', excluded);
  }

  /** WebSocket: sends one message to this worker's connections subscribed to `topic`; returns how many. */
  publish(topic: string, data: string | Buffer | Uint8Array): number {
    if (this.lastListenerId < 0) return 0;
    return native.publish(this.lastListenerId, String(topic), data, typeof data !== 'string');
  }

  private listenerIdForBroadcast(): number {
    return this.listenerId >= 0 ? this.listenerId : this.lastListenerId;
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

