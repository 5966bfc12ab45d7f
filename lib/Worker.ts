import * as fs from 'node:fs';

import {
  TcpConnection,
  checkWebSocketType,
  nativeWebSocketType,
  type WorkermanWebSocketType,
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
import { WorkerDatagrams } from './udp/WorkerDatagrams';
import { createServerContext, outerServerOptions, type ServerSecureContextOptions } from './tls/secureContext';
import { ServerNameResolver } from './tls/serverNameCallback';
import { PROTOCOL_ERROR } from './errors';
import type { SecureContextHandle } from './native';
import { clusterNode } from './cluster/ClusterNode';
import { clusterSettings, type ClusterSettings } from './cluster/settings';
import { runAll, stopAll } from './master/cli';
import { defaultLogFile, defaultPidFile } from './master/files';
import { masterHooks, type MasterHooks } from './master/hooks';
import { bindsWithReusePort, inheritedSocket, registerWorker, setDaemonize } from './master/role';
import { checkBoolean, checkCallback, checkSize, integerAtLeast, nonNegative } from './optionChecks';
import { assertBytes } from './connection/sendable';
import { checkPerMessageDeflate, nativeDeflateOptions, type PerMessageDeflate, type ResolvedPerMessageDeflate } from './protocols/websocket/perMessageDeflate';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './workerOptions';
import type { DefaultContext, ProtocolSpec, SocketNameOf } from './protocols/protocolTypes';
import { markRunAll, watchForUnstartedWorkers } from './unstartedWarning';
import { checkListenHost, schemeHint } from './listenHints';
import { upgradeRoute, type UpgradeRoute, type WebSocketRoutes, type WebSocketUpgrades } from './protocols/websocket/upgradeRoutes';

export type { WorkerOptions };

let daemonizeSetting = false;

/** A Worker of any protocol and context: what code that handles every Worker takes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorker = Worker<any, any>;

/**
 * P, the protocol, comes from the socket name: `new Worker('text://0.0.0.0:9000')`
 * gives onMessage a string. For a protocol object: `new Worker<typeof myProtocol>(…)`.
 * C is the type of each connection's `context` (the `context` option makes it).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class Worker<P extends ProtocolSpec = any, C = DefaultContext> {
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
  /** The master's pid file; default `<project root>/netwright.<script name>.pid` (the nearest package.json's directory, else the script's). The control socket is beside it. */
  static pidFile = defaultPidFile();
  /** Timestamped master lines; default `<project root>/netwright.log`. */
  static logFile = defaultLogFile();
  /** Where a daemon's (`start -d`) stdout and stderr go. */
  static stdoutFile = '/dev/null';
  /** Workerman's Worker::$daemonize: true makes `start` and `restart` behave as with -d. */
  static get daemonize(): boolean {
    return daemonizeSetting;
  }
  static set daemonize(value: boolean) {
    daemonizeSetting = checkBoolean('Worker.daemonize', value);
    setDaemonize(daemonizeSetting);
  }
  /** Workerman's Worker::$onMasterReload: in the master, when a reload starts (a returned Promise is awaited, up to 5 s). */
  static get onMasterReload(): MasterHooks['onMasterReload'] {
    return masterHooks.onMasterReload;
  }
  static set onMasterReload(callback: MasterHooks['onMasterReload']) {
    masterHooks.onMasterReload = checkCallback('Worker.onMasterReload', callback);
  }
  /** Workerman's Worker::$onMasterStop: in the master, after every worker process has stopped, before it exits (a Promise is awaited, up to 5 s). */
  static get onMasterStop(): MasterHooks['onMasterStop'] {
    return masterHooks.onMasterStop;
  }
  static set onMasterStop(callback: MasterHooks['onMasterStop']) {
    masterHooks.onMasterStop = checkCallback('Worker.onMasterStop', callback);
  }
  /** Workerman 5's Worker::$onWorkerExit(worker, status, pid): in the master, after any worker process exits; a Worker's own onWorkerExit (Workerman 4) wins. */
  static get onWorkerExit(): MasterHooks['onWorkerExit'] {
    return masterHooks.onWorkerExit;
  }
  static set onWorkerExit(callback: MasterHooks['onWorkerExit']) {
    masterHooks.onWorkerExit = checkCallback('Worker.onWorkerExit', callback);
  }
  /** Runs the command in argv (start, stop, reload, status, ...): the master, or in a worker process its Worker. */
  static runAll(): Promise<void> {
    markRunAll();
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
  get stopTimeout(): number {
    return this._stopTimeout;
  }
  set stopTimeout(seconds: number) {
    this._stopTimeout = nonNegative('stopTimeout', seconds);
  }
  private _stopTimeout = 2;
  /** Seconds a graceful stop waits for connections to finish; 0 = as long as it takes. */
  get gracefulStopTimeout(): number {
    return this._gracefulStopTimeout;
  }
  set gracefulStopTimeout(seconds: number) {
    this._gracefulStopTimeout = nonNegative('gracefulStopTimeout', seconds);
  }
  private _gracefulStopTimeout = 0;
  /** In the worker process, before it accepts; a returned Promise is awaited. */
  onWorkerStart: ((worker: Worker<P, C>) => unknown) | undefined = undefined;
  onWorkerStop: ((worker: Worker<P, C>) => unknown) | undefined = undefined;
  onWorkerReload: ((worker: Worker<P, C>) => unknown) | undefined = undefined;
  /** In the master (not in this Worker's processes), after one of this Worker's processes exits: Workerman 4's onWorkerExit(worker, status, pid). */
  onWorkerExit: ((worker: Worker<P, C>, status: number, pid: number) => unknown) | undefined = undefined;
  /** @internal listen() or runAll() was called (see unstartedWarning.ts) */
  _started = false;
  /** @internal The constructor finished (one that threw leaves a registered but unusable Worker). */
  _constructed = false;
  /** @internal creation order: a worker process finds its Worker by it */
  readonly _index = registerWorker(this);

  name = 'none';
  /** Worker processes under runAll(): an integer >= 1. */
  get count(): number {
    return this._count;
  }
  set count(value: number) {
    this._count = integerAtLeast('count', value, 1);
  }
  private _count = 1;
  reusePort: boolean;
  protocol: ProtocolObject | string | null;
  /** 'tcp', 'unix', 'ssl' (TLS over TCP, Workerman's spelling; needs the ssl option, which, like wss:// and https://, makes it 'ssl') or 'udp' (udp://, or text/frame/a registered protocol over UDP); set before listen(). */
  transport: 'tcp' | 'unix' | 'ssl' | 'udp';
  /** Carry the async context (AsyncLocalStorage stores) from onConnect into the connection's later callbacks. */
  keepAsyncContext = false;
  readonly connections = new Map<number, TcpConnection<P, C>>();
  /** @internal A graceful stop or reload is under way: HTTP responses end their connection. */
  _draining = false;

  onConnect: ConnectionCallback<P, C> | undefined = undefined;
  onMessage: MessageCallback<P, C> | undefined = undefined;
  onClose: ConnectionCallback<P, C> | undefined = undefined;
  onBufferFull: ConnectionCallback<P, C> | undefined = undefined;
  onBufferDrain: ConnectionCallback<P, C> | undefined = undefined;
  onError: ErrorCallback<P, C> | undefined = undefined;

  /** WebSocket and HTTP: bytes of a request head; over it the answer is 431. */
  get maxHeadSize(): number {
    return this._maxHeadSize;
  }
  set maxHeadSize(bytes: number) {
    this._maxHeadSize = integerAtLeast('maxHeadSize', bytes, 1);
    this.pushListenerLimits();
  }
  private _maxHeadSize = 16384;

  /**
   * The largest message (HTTP: request body, answered with 413) a connection of this
   * worker accepts; each connection starts with it. Until set, TcpConnection.defaultMaxPackageSize.
   */
  get maxPackageSize(): number {
    return this.ownMaxPackageSize ?? TcpConnection.defaultMaxPackageSize;
  }
  set maxPackageSize(value: number) {
    this.ownMaxPackageSize = checkSize('maxPackageSize', value);
    this.datagrams?.setMaxPackageSize(this.ownMaxPackageSize);
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
  get handshakeTimeout(): number {
    return this._handshakeTimeout;
  }
  set handshakeTimeout(seconds: number) {
    this._handshakeTimeout = nonNegative('handshakeTimeout', seconds);
    this.pushListenerLimits();
  }
  private _handshakeTimeout = 10;
  /** WebSocket: seconds of silence before a ping; a connection that stays silent another interval is closed with 1001. 0 = off. */
  get pingInterval(): number {
    return this._pingInterval;
  }
  set pingInterval(seconds: number) {
    this._pingInterval = nonNegative('pingInterval', seconds);
    this.pushListenerLimits();
  }
  private _pingInterval = 0;
  /**
   * WebSocket: the default websocketType of this worker's connections: 'auto'
   * (strings as text frames, bytes as binary) until set.
   */
  get websocketType(): WebSocketType {
    return this._websocketType;
  }
  set websocketType(type: WebSocketType | WorkermanWebSocketType) {
    this._websocketType = checkWebSocketType('websocketType', type);
    this.pushListenerLimits();
  }
  private _websocketType: WebSocketType = 'auto';
  /**
   * WebSocket: permessage-deflate (RFC 7692): false (default), true, or
   * { threshold, serverNoContextTakeover, clientNoContextTakeover,
   * serverMaxWindowBits, clientMaxWindowBits, memLevel }. Agreed per
   * connection with clients that offer it; upgrades from then on use it.
   */
  get perMessageDeflate(): ResolvedPerMessageDeflate {
    return this._perMessageDeflate;
  }
  set perMessageDeflate(value: PerMessageDeflate) {
    this._perMessageDeflate = checkPerMessageDeflate('perMessageDeflate', value);
    this.pushListenerLimits();
  }
  private _perMessageDeflate: ResolvedPerMessageDeflate = false;
  onWebSocketConnect: WebSocketConnectCallback<C, P> | undefined = undefined;
  onWebSocketConnected: WebSocketConnectCallback<C, P> | undefined = undefined;
  onWebSocketPing: WebSocketDataCallback<C> | undefined = undefined;
  onWebSocketPong: WebSocketDataCallback<C> | undefined = undefined;
  onWebSocketClose: WebSocketCloseCallback<C> | undefined = undefined;

  /** HTTP: seconds to receive a complete request head; slower clients get 408 and are closed. It ends with the head. */
  get headersTimeout(): number {
    return this._headersTimeout;
  }
  set headersTimeout(seconds: number) {
    this._headersTimeout = nonNegative('headersTimeout', seconds);
    this.pushListenerLimits();
  }
  private _headersTimeout = 30;
  /** HTTP: seconds to receive a whole request, head and body (as Node's http); 408 past it. 0 = off. */
  get requestTimeout(): number {
    return this._requestTimeout;
  }
  set requestTimeout(seconds: number) {
    this._requestTimeout = nonNegative('requestTimeout', seconds);
    this.pushListenerLimits();
  }
  private _requestTimeout = 300;
  /** HTTP: seconds a request body may go without a byte arriving; 408 past it. 0 = off. */
  get bodyTimeout(): number {
    return this._bodyTimeout;
  }
  set bodyTimeout(seconds: number) {
    this._bodyTimeout = nonNegative('bodyTimeout', seconds);
    this.pushListenerLimits();
  }
  private _bodyTimeout = 30;
  /** HTTP: CONNECT requests reach onMessage (no tunnel: nothing after them is read, the connection closes after the response); otherwise 405. */
  get allowConnect(): boolean {
    return this._allowConnect;
  }
  set allowConnect(allow: boolean) {
    this._allowConnect = allow === true;
    this.pushListenerLimits();
  }
  private _allowConnect = false;
  /** HTTP: seconds an idle keep-alive connection stays open. */
  get keepAliveTimeout(): number {
    return this._keepAliveTimeout;
  }
  set keepAliveTimeout(seconds: number) {
    this._keepAliveTimeout = nonNegative('keepAliveTimeout', seconds);
    this.pushListenerLimits();
  }
  private _keepAliveTimeout = 5;
  /** HTTP: the Server header of responses; null leaves it out. */
  serverHeader: string | null = 'netwright';
  /**
   * http:// workers: WebSocket upgrades on the same port. false (default): none
   * (an upgrade request is an ordinary request); true: on every path;
   * `{ path: '/ws' | ['/ws', ...] | (path) => boolean }`: on those paths, while
   * an upgrade request on another path reaches onMessage as ordinary HTTP. An
   * upgraded connection is then a WebSocket connection as a websocket:// worker's.
   * For the types, give it as the option: `new Worker('http://…', { websocket: true })`.
   */
  get websocket(): WebSocketUpgrades {
    return this._websocket;
  }
  set websocket(value: WebSocketUpgrades) {
    this._upgradeRoute = upgradeRoute(value);
    this._websocket = value;
    this.pushListenerLimits();
  }
  private _websocket: WebSocketUpgrades = false;
  /** @internal Which paths may upgrade (null: none). */
  _upgradeRoute: UpgradeRoute | null = null;

  private ssl: ServerSecureContextOptions | undefined;
  private secureContext: SecureContextHandle | undefined;
  /** ssl.sni as a callback: what answers the handshakes' server name queries. */
  private serverNames: ServerNameResolver | undefined;
  private readonly socketName: string | undefined;
  private readonly address: SocketAddress | undefined;
  private readonly options: ResolvedWorkerOptions;
  private readonly contextFactory: (() => C) | undefined;
  private listenerId = -1;
  private lastListenerId = -1;  // broadcast still reaches connections after unlisten()
  private boundPort: number | undefined;
  private _maxConnections = 0;
  private _idleTimeout = 0;
  private acceptPaused = false;
  private setup: ConnectionSetup = { userProtocol: null, websocket: false, http: false };
  private stopping: Promise<void> | null = null;
  /** transport 'udp': the socket datagrams arrive on. */
  private datagrams: WorkerDatagrams | undefined;
  private resolveStopped: (() => void) | null = null;

  constructor(socketName?: SocketNameOf<P>, options: WorkerOptions<C> = {}) {
    if (socketName !== undefined && typeof socketName !== 'string') {
      throw new TypeError(`new Worker() takes a socket name such as 'websocket://0.0.0.0:8080', got ${typeof socketName}`);
    }
    this.socketName = socketName;
    this.options = resolveWorkerOptions(options);
    this.contextFactory = options.context;
    this.reusePort = this.options.reusePort;
    if (options.perMessageDeflate !== undefined) this.perMessageDeflate = options.perMessageDeflate;
    if (options.websocket !== undefined) this.websocket = options.websocket;
    watchForUnstartedWorkers();
    this.ssl = options.ssl;
    if (socketName === undefined) {
      this.protocol = null;
      this.transport = 'tcp';
      return;
    }
    this.address = parseSocketName(socketName);
    this.transport = this.address.transport;
    let scheme = this.address.scheme;
    const plainScheme = TLS_SHORTHANDS[scheme];
    if (plainScheme) scheme = plainScheme;
    if (scheme === 'udp') this.transport = 'udp';
    else if (plainScheme || (this.ssl !== undefined && this.transport === 'tcp')) this.transport = 'ssl';
    if (scheme === 'tcp' || scheme === 'unix' || scheme === 'udp') this.protocol = null;
    else if (NATIVE_KINDS[scheme]) this.protocol = scheme;
    else if (lookupProtocol(scheme)) this.protocol = scheme;
    else throw new Error(`unknown protocol "${scheme}" in "${socketName}": ${schemeHint(scheme, socketName)}`);
    if (this.address.transport === 'tcp') checkListenHost(socketName, this.address.host);
    this._constructed = true;
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
    return this.datagrams?.port ?? this.boundPort ?? this.address?.port;
  }

  get maxConnections(): number {
    return this._maxConnections;
  }
  set maxConnections(value: number) {
    this._maxConnections = integerAtLeast('maxConnections', value, 0);
    this.pushListenerLimits();
  }
  /**
   * Seconds without received data before a connection is closed; 0 = off. An open
   * WebSocket gets a close frame 1001 (and the TCP connection goes once the peer
   * answers, or 5 s later).
   */
  get idleTimeout(): number {
    return this._idleTimeout;
  }
  set idleTimeout(value: number) {
    this._idleTimeout = nonNegative('idleTimeout', value);
    this.pushListenerLimits();
  }
  /**
   * WebSocket: whether pings and pongs received (a client's automatic answers to
   * pingInterval's pings, its own keep-alive pings) count as activity for
   * idleTimeout. true (default): any byte does. false: only messages do, so a
   * client that is alive but says nothing is closed after idleTimeout.
   */
  get pingPongIsActivity(): boolean {
    return this._pingPongIsActivity;
  }
  set pingPongIsActivity(value: boolean) {
    this._pingPongIsActivity = checkBoolean('pingPongIsActivity', value);
    this.pushListenerLimits();
  }
  private _pingPongIsActivity = true;

  /** Starts accepting in this process. Throws an Error with .code (EADDRINUSE, EACCES, ...) on failure. */
  listen(): void {
    if (!this.address || this.listenerId >= 0 || this.datagrams) return;
    this._started = true;
    if (this.transport === 'udp') {
      if (this.ssl !== undefined) throw new Error(`worker ${this.name}: the ssl option is for TCP; a udp:// worker cannot serve TLS (DTLS is not supported)`);
      return this.listenDatagrams(this.address);
    }
    const tls = this._secureContext();
    const { kind, userProtocol } = resolveProtocol(this.protocol);
    if (this._upgradeRoute && kind !== NativeProtocol.Http) {
      const protocol = typeof this.protocol === 'string' ? this.protocol : 'not http';
      throw new Error(`worker ${this.name}: worker.websocket is for http:// workers (this one's protocol is ${protocol}); a websocket:// worker upgrades every connection by itself`);
    }
    startDispatcher();
    const address = this.address;
    const inherited = inheritedSocket(this); // runAll(): the socket the master bound, or the port it resolved
    const id = inherited?.fd !== undefined ? native.listenFd(inherited.fd, { kind, tls }) : native.listen({
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
      tls,
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

  private listenDatagrams(address: SocketAddress): void {
    const inherited = inheritedSocket(this);
    this.datagrams = new WorkerDatagrams(this as Worker, {
      address,
      reusePort: bindsWithReusePort(this),
      ipv6Only: this.options.ipv6Only,
      inheritedFd: inherited?.fd,
      port: inherited?.port,
    });
  }

  /**
   * TLS: replaces the certificates (and the other ssl options) for connections
   * accepted from now on; open connections keep theirs. Throws, changing
   * nothing, when the options are unusable.
   */
  setSecureContext(options: ServerSecureContextOptions): void {
    if (this.transport !== 'ssl') throw new Error("setSecureContext() is for a worker whose transport is 'ssl'");
    const context = createServerContext(options);
    this.ssl = options;
    this.secureContext = context;
    this.serverNames = resolverFor(options);
    if (this.listenerId >= 0) native.setSecureContext(this.listenerId, context);
  }

  /**
   * @internal The TLS context listen() serves with, built once (it also checks
   * the options: runAll()'s master calls it before starting worker processes).
   */
  _secureContext(): SecureContextHandle | undefined {
    if (this.transport !== 'ssl') {
      if (this.ssl !== undefined) throw new Error(`worker ${this.name}: the ssl option needs transport 'ssl' (it is '${this.transport}'); netwright never serves plaintext in its place`);
      return undefined;
    }
    if (this.address?.transport === 'unix') throw new Error("transport 'ssl' is for TCP addresses, not unix sockets");
    if (this.ssl === undefined) throw new Error("worker.transport = 'ssl' needs the ssl option: new Worker(address, { ssl: { cert, key } })");
    if (!this.secureContext) {
      this.secureContext = createServerContext(this.ssl);
      this.serverNames = resolverFor(this.ssl);
    }
    return this.secureContext;
  }

  /** @internal A connection's TLS handshake waits for the certificate for `servername` (ssl.sni callback). */
  _serverName(connection: TcpConnection<P, C>, servername: string): void {
    const slot = connection._slot;
    const answer = (context: SecureContextHandle | null, error?: Error): void => {
      // Closed meanwhile (handshakeTimeout, the client left): the slot is no longer its.
      if (connection.status === 'closed' || connection._slot !== slot) return;
      if (error) connection._reportError(PROTOCOL_ERROR, `ssl.sni callback for "${servername}" failed: ${error.message}`);
      native.resolveServerName(slot, context);
    };
    if (!this.serverNames) return answer(null);
    this.serverNames.resolve(servername, answer);
  }

  /** Stops accepting and closes the listening socket; open connections stay. */
  unlisten(): void {
    if (this.datagrams) {
      this.datagrams.close();
      this.datagrams = undefined;
    }
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

  /** @internal A connection's context on first use: the `context` option's, else {}. */
  _newContext(): C {
    return this.contextFactory ? this.contextFactory() : ({} as C);
  }

  /** @internal */
  _accept(slot: number): TcpConnection<P, C> | undefined {
    const connection = new TcpConnection<P, C>(this, slot, this.setup);
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
  _connectionClosed(connection: TcpConnection<any, any>): void {
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
    native.setListenerLimits(this.listenerId, this._maxConnections, Math.round(this._idleTimeout * 1000), this._pingPongIsActivity);
    native.setWebSocketLimits(
      this.listenerId,
      this._maxHeadSize,
      Math.round(this._handshakeTimeout * 1000),
      Math.round(this._pingInterval * 1000),
      nativeWebSocketType(this._websocketType),
    );
    native.setWebSocketDeflate(this.listenerId, nativeDeflateOptions(this._perMessageDeflate));
    native.setHttpLimits(
      this.listenerId,
      Math.round(this._headersTimeout * 1000),
      Math.round(this._keepAliveTimeout * 1000),
      Math.round(this._requestTimeout * 1000),
      Math.round(this._bodyTimeout * 1000),
      this._allowConnect,
      this._upgradeRoute !== null,
    );
  }

  /**
   * WebSocket: sends one message to every open connection of this worker but
   * `except`, in every process of the cluster (`{ local: true }`: this process
   * only). The frame is encoded once per process. Strings go as text, bytes as
   * binary. Returns the number of connections written to in this process; the
   * other processes are reached asynchronously.
   */
  broadcast(data: string | Buffer | Uint8Array, except?: TcpConnection<any, any> | TcpConnection<any, any>[] | null, options?: { local?: boolean }): number {
    assertBytes('broadcast()', data);
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
    assertBytes('publish()', data);
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

/**
 * The constructor as the package exports it: with the `websocket` option, an
 * http:// (or https://) Worker is typed `Worker<'http+websocket'>`, so
 * onMessage's data is `HttpRequest | string | Buffer`; every other call is the
 * class's own constructor.
 */
export type WorkerConstructor = {
  // Three type parameters without defaults: only inferred, never matched by explicit
  // type arguments, so `class X extends Worker<'text'>` sees the class's constructor alone.
  new <S extends `http://${string}` | `https://${string}`, C, W extends true | WebSocketRoutes>(
    socketName: S,
    options: WorkerOptions<C> & { websocket: W },
  ): Worker<'http+websocket', unknown extends C ? DefaultContext : C>;
} & typeof Worker;

/** Socket names that mean a protocol over TLS. */
const TLS_SHORTHANDS: Readonly<Record<string, string>> = { wss: 'websocket', https: 'http' };

function resolverFor(options: ServerSecureContextOptions): ServerNameResolver | undefined {
  return typeof options.sni === 'function' ? new ServerNameResolver(options.sni, outerServerOptions(options)) : undefined;
}
