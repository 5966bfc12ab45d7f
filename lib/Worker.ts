import * as fs from 'node:fs';

import {
  TcpConnection,
  checkSize,
  nativeWebSocketType,
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
import { native, NativeProtocol } from './native';
import { lookupProtocol, NATIVE_KINDS, registerProtocol, resolveProtocol, type ProtocolObject } from './protocols/protocol';
import { parseSocketName, type SocketAddress } from './socketName';
import { getStatistics, type Statistics } from './statistics';
import { clusterNode } from './cluster/ClusterNode';
import { clusterSettings, type ClusterSettings } from './cluster/settings';
import { runAll, stopAll } from './master/cli';
import { defaultLogFile, defaultPidFile } from './master/files';
import { bindsWithReusePort, inheritedSocket, registerWorker } from './master/role';

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


export class Worker {
  static registerProtocol(scheme: string, protocol: ProtocolObject): void {
    registerProtocol(scheme, protocol);
  }
  static getStatistics(): Statistics {
    return getStatistics();
  }

  // ---- the cluster: every process of the script, and with Redis every host (lib/cluster/) ----
  /**
   * null (default): the processes of one runAll() script are one cluster,
   * linked by the master. `{ redis: 'redis://host:6379' }` (or ioredis
   * options): every process that points at the same Redis. Set it before
   * runAll() / listen().
   */
  static get cluster(): ClusterSettings | null {
    return clusterSettings.value;
  }
  static set cluster(settings: ClusterSettings | null) {
    if (settings !== null && (typeof settings !== 'object' || (settings.redis !== undefined && typeof settings.redis !== 'string' && typeof settings.redis !== 'object'))) {
      throw new TypeError("Worker.cluster takes null or { redis: 'redis://host:port' | ioredis options, prefix? }");
    }
    if (clusterSettings.frozen) throw new Error('Worker.cluster must be set before runAll() or listen()');
    clusterSettings.value = settings;
  }
  /** Sends to one connection of the cluster by its connection.clientId; false when that id cannot be reached. */
  static sendTo(clientId: string, data: string | Buffer | Uint8Array): boolean {
    return clusterNode().sendTo(clientId, data);
  }
  /** Closes one connection of the cluster by its clientId, sending `data` first if given. */
  static closeClient(clientId: string, data?: string | Buffer | Uint8Array): boolean {
    return clusterNode().closeClient(clientId, data);
  }
  static isOnline(clientId: string): Promise<boolean> {
    return clusterNode().isOnline(clientId);
  }
  /** Sends to every connection bound to `uid` (connection.bindUid) in the cluster; returns how many in this process were written to. */
  static sendToUid(uid: string, data: string | Buffer | Uint8Array): number {
    return clusterNode().sendToUid(String(uid), data);
  }
  static isUidOnline(uid: string): Promise<boolean> {
    return clusterNode().isUidOnline(String(uid));
  }
  static getClientIdsByUid(uid: string): Promise<string[]> {
    return clusterNode().getClientIdsByUid(String(uid));
  }

  // ---- Worker.runAll(): worker processes, the CLI, supervision (lib/master/) ----
  /** The master's pid file; default `<script dir>/netwright.<script name>.pid`. The control socket is beside it. */
  static pidFile = defaultPidFile();
  /** Timestamped master lines; default `<script dir>/netwright.log`. */
  static logFile = defaultLogFile();
  /** Where a daemon's (`start -d`) stdout and stderr go. */
  static stdoutFile = '/dev/null';
  /** Runs the command in argv (start, stop, reload, status, ...): the master, or in a worker process its Worker. */
  static runAll(): Promise<void> {
    return runAll(Worker);
  }
  /** In a worker process: ends it (the master starts another); in the master: stops everything. */
  static stopAll(): Promise<void> {
    return stopAll();
  }
  /** 0..count-1 in its worker process; a replacement process gets the same id. */
  id = 0;
  /** Worker processes switch to this user (and group) after binding, when the master runs as root. */
  user = '';
  group = '';
  /** false: a reload runs onWorkerReload and keeps the process. */
  reloadable = true;
  /** Seconds a stopping worker process gets before it is killed. */
  stopTimeout = 2;
  /** Seconds a graceful stop waits for connections to finish; 0 = as long as it takes. */
  gracefulStopTimeout = 0;
  /** In the worker process, before it accepts; a returned Promise is awaited. */
  onWorkerStart: ((worker: Worker) => unknown) | undefined = undefined;
  onWorkerStop: ((worker: Worker) => unknown) | undefined = undefined;
  onWorkerReload: ((worker: Worker) => unknown) | undefined = undefined;
  /** @internal creation order: a worker process finds its Worker by it */
  readonly _index = registerWorker(this);

  name = 'none';
  count = 1;
  reusePort: boolean;
  protocol: ProtocolObject | string | null;
  transport: 'tcp' | 'unix';
  /** Carry the async context (AsyncLocalStorage stores) from onConnect into the connection's later callbacks. */
  keepAsyncContext = false;
  readonly connections = new Map<number, TcpConnection>();
  /** @internal A graceful stop or reload is under way: HTTP responses end their connection. */
  _draining = false;

  onConnect: ConnectionCallback | undefined = undefined;
  onMessage: MessageCallback | undefined = undefined;
  onClose: ConnectionCallback | undefined = undefined;
  onBufferFull: ConnectionCallback | undefined = undefined;
  onBufferDrain: ConnectionCallback | undefined = undefined;
  onError: ErrorCallback | undefined = undefined;

  /** WebSocket and HTTP: bytes of a request head; over it the answer is 431. */
  maxHeadSize = 16384;

  /**
   * The largest message (HTTP: request body, answered with 413) a connection of this
   * worker accepts; each connection starts with it. Until set, TcpConnection.defaultMaxPackageSize.
   */
  get maxPackageSize(): number {
    return this.ownMaxPackageSize ?? TcpConnection.defaultMaxPackageSize;
  }
  set maxPackageSize(value: number) {
    this.ownMaxPackageSize = checkSize('maxPackageSize', value);
  }
  /** The send buffer each connection of this worker starts with. Until set, TcpConnection.defaultMaxSendBufferSize. */
  get maxSendBufferSize(): number {
    return this.ownMaxSendBufferSize ?? TcpConnection.defaultMaxSendBufferSize;
  }
  set maxSendBufferSize(value: number) {
    this.ownMaxSendBufferSize = checkSize('maxSendBufferSize', value);
  }
  private ownMaxPackageSize: number | undefined;
  private ownMaxSendBufferSize: number | undefined;
  /** WebSocket: seconds to receive the whole upgrade request head. */
  handshakeTimeout = 10;
  /** WebSocket: seconds of silence before a ping; a connection that stays silent another interval is closed with 1001. 0 = off. */
  pingInterval = 0;
  /** WebSocket: the default websocketType of this worker's connections. */
  get websocketType(): WebSocketType {
    return this._websocketType;
  }
  set websocketType(type: WebSocketType) {
    this._websocketType = type;
    this.pushListenerLimits();
  }
  private _websocketType: WebSocketType = 'text';
  onWebSocketConnect: WebSocketConnectCallback | undefined = undefined;
  onWebSocketConnected: WebSocketConnectCallback | undefined = undefined;
  onWebSocketPing: WebSocketDataCallback | undefined = undefined;
  onWebSocketPong: WebSocketDataCallback | undefined = undefined;
  onWebSocketClose: WebSocketCloseCallback | undefined = undefined;

  /** HTTP: seconds to receive a complete request head; slower clients get 408 and are closed. It ends with the head. */
  headersTimeout = 30;
  /** HTTP: seconds to receive a whole request, head and body (as Node's http); 408 past it. 0 = off. */
  requestTimeout = 300;
  /** HTTP: seconds a request body may go without a byte arriving; 408 past it. 0 = off. */
  bodyTimeout = 30;
  /** HTTP: CONNECT requests reach onMessage (no tunnel: nothing after them is read, the connection closes after the response); otherwise 405. */
  allowConnect = false;
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
  private setup: ConnectionSetup = { userProtocol: null, websocket: false, http: false };
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

  /** The socket name given to the constructor (Workerman's getSocketName()). */
  getSocketName(): string | undefined {
    return this.socketName;
  }

  /** @internal The listen options a master needs to bind this worker's socket. */
  get _listenOptions(): { backlog: number; ipv6Only: boolean; noDelay: boolean; keepAlive: number } {
    const { backlog, ipv6Only, noDelay, keepAlive } = this.options;
    return { backlog, ipv6Only, noDelay, keepAlive };
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
    const { kind, userProtocol } = resolveProtocol(this.protocol);
    startDispatcher();
    const address = this.address;
    const inherited = inheritedSocket(this); // runAll(): the socket the master bound, or the port it resolved
    const id = inherited?.fd !== undefined ? native.listenFd(inherited.fd, { kind }) : native.listen({
      unix: address.transport === 'unix',
      host: address.host,
      port: inherited?.port ?? address.port ?? 0,
      path: address.path,
      backlog: this.options.backlog,
      reusePort: bindsWithReusePort(this), // in a worker process always: old and new overlap during a reload
      ipv6Only: this.options.ipv6Only,
      noDelay: this.options.noDelay,
      keepAlive: this.options.keepAlive,
      kind,
    });
    this.listenerId = id;
    this.lastListenerId = id;
    this.setup = {
      userProtocol,
      websocket: kind === NativeProtocol.WebSocket,
      http: kind === NativeProtocol.Http,
    };
    this.boundPort = address.transport === 'unix' ? undefined : native.listenerPort(id);
    registerListener(id, this);
    clusterNode().listening(this);
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

  /**
   * @internal The process is stopping: asks each connection to go away (TcpConnection._goAway).
   * Graceful: from now on HTTP responses also end their connection (Connection: close).
   */
  _drain(graceful: boolean): void {
    if (graceful) this._draining = true;
    for (const connection of this.connections.values()) connection._goAway(graceful);
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

  private pushListenerLimits(): void {
    if (this.listenerId < 0) return;
    native.setListenerLimits(this.listenerId, this._maxConnections, Math.round(this._idleTimeout * 1000));
    native.setWebSocketLimits(
      this.listenerId,
      Math.max(0, Math.floor(this.maxHeadSize)),
      Math.round(Math.max(0, this.handshakeTimeout) * 1000),
      Math.round(Math.max(0, this.pingInterval) * 1000),
      nativeWebSocketType(this._websocketType),
    );
    native.setHttpLimits(
      this.listenerId,
      Math.round(Math.max(0, this.headersTimeout) * 1000),
      Math.round(Math.max(0, this.keepAliveTimeout) * 1000),
      Math.round(Math.max(0, this.requestTimeout) * 1000),
      Math.round(Math.max(0, this.bodyTimeout) * 1000),
      this.allowConnect === true,
    );
  }

  /**
   * WebSocket: sends one message to every open connection of this worker but
   * `except`, in every process of the cluster (`{ local: true }`: this process
   * only). The frame is encoded once per process. Strings go as text, bytes as
   * binary. Returns the number of connections written to in this process; the
   * other processes are reached asynchronously.
   */
  broadcast(data: string | Buffer | Uint8Array, except?: TcpConnection | TcpConnection[] | null, options?: { local?: boolean }): number {
    if (!options?.local) clusterNode().broadcast(this, data);
    if (this.listenerId < 0 && this.connections.size === 0) return 0;
    const excluded = except === undefined || except === null ? null : Int32Array.from((Array.isArray(except) ? except : [except]).map((c) => c._slot));
    return native.broadcast(this.listenerIdForBroadcast(), data, typeof data !== 'string', excluded);
  }

  /**
   * WebSocket: sends one message to this worker's connections subscribed to
   * `topic`, in every process of the cluster (`{ local: true }`: this process
   * only). Returns how many were written to in this process.
   */
  publish(topic: string, data: string | Buffer | Uint8Array, options?: { local?: boolean }): number {
    topic = String(topic);
    if (!options?.local) clusterNode().publish(this, topic, data);
    return this._publishLocal(topic, data, typeof data !== 'string');
  }

  /** Subscribers of `topic` among this worker's connections in the whole cluster. */
  subscriberCount(topic: string): Promise<number> {
    return clusterNode().subscriberCount(this, String(topic));
  }

  /** Open connections of this worker in the whole cluster. */
  connectionCount(): Promise<number> {
    return clusterNode().connectionCount(this);
  }

  /** @internal A publish reaching this process: its subscribers only. `binary` picks the frame type of bytes. */
  _publishLocal(topic: string, data: string | Uint8Array, binary: boolean): number {
    if (this.lastListenerId < 0) return 0;
    return native.publish(this.lastListenerId, topic, data, binary);
  }

  /** @internal A broadcast reaching this process. */
  _broadcastLocal(data: Uint8Array, binary: boolean): number {
    if (this.listenerId < 0 && this.connections.size === 0) return 0;
    return native.broadcast(this.listenerIdForBroadcast(), data, binary, null);
  }

  private listenerIdForBroadcast(): number {
    return this.listenerId >= 0 ? this.listenerId : this.lastListenerId;
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

