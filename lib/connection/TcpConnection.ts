import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

import { PACKAGE_TOO_LARGE, PROTOCOL_ERROR, SEND_FAIL, ERROR_MESSAGES, SEND_BUFFER_FULL_MESSAGE } from '../errors';
import { native, SendResult, stringLength, WebSocketType as NativeWebSocketType, type ConnectionInfo, type TlsInfo } from '../native';
import { peerCertificateOf, tlsInfoOf, type PeerCertificate } from '../tls/secureContext';
import { resolveProtocol, type ProtocolObject } from '../protocols/protocol';
import type { AnyWorker, Worker } from '../Worker';
import { clientIdOf, clusterNode } from '../cluster/ClusterNode';
import { invoke, invokeMessage } from './callbacks';
import { ReceiveBuffer } from './ReceiveBuffer';
import { jsCounters } from './counters';
import { EarlyQueue } from './EarlyQueue';
import { decideUpgrade, startHandshake } from '../protocols/websocket/handshake';
import { UpgradeRequest } from '../protocols/http/UpgradeRequest';
import { WebSocketEndpoint, WebSocketPhase } from '../protocols/websocket/WebSocketEndpoint';
import type { WebSocketRequest } from '../protocols/websocket/WebSocketRequest';
import { httpExchangeOver } from '../protocols/http/ConnectionTransport';
import type { HttpExchange } from '../protocols/http/HttpExchange';
import { Chunk, Response } from '../protocols/http/Response';
import { ServerSentEvents } from '../protocols/http/ServerSentEvents';
import { checkSize, describeValue } from '../optionChecks';
import { asWireData, assertBytes, isBytes } from './sendable';
import type { Bytes, MessageOf, ProtocolSpec, SendOf } from '../protocols/protocolTypes';

/** 'initial': a client connection before connect(). */
export type ConnectionStatus = 'initial' | 'connecting' | 'established' | 'closing' | 'closed';
/* eslint-disable @typescript-eslint/no-explicit-any */
/** P: the protocol (a scheme such as 'text', or a protocol object's type); C: the type of connection.context. */
export type MessageCallback<P extends ProtocolSpec = any, C = any> = (connection: TcpConnection<P, C>, data: MessageOf<P>) => unknown;
export type ConnectionCallback<P extends ProtocolSpec = any, C = any> = (connection: TcpConnection<P, C>) => unknown;
export type ErrorCallback<P extends ProtocolSpec = any, C = any> = (connection: TcpConnection<P, C>, code: number, message: string) => unknown;
/**
 * A callback type whose parameters compare both ways, as a method's do, so a
 * subclass can narrow the connection it passes (AsyncTcpConnection's callbacks
 * get an AsyncTcpConnection).
 */
type Narrowable<F extends (...args: any[]) => unknown> = { callback(...args: Parameters<F>): ReturnType<F> }['callback'];
export type WebSocketType = 'text' | 'binary' | 'auto';
/** Workerman's constants: "\x81" (Websocket::BINARY_TYPE_BLOB, text frames) and "\x82" (BINARY_TYPE_ARRAYBUFFER, binary). */
export type WorkermanWebSocketType = '\x81' | '\x82';
/** The request onWebSocketConnect sees: a websocket:// worker's WebSocketRequest, or the Request of an http:// worker that upgrades. */
export type UpgradeRequestOf<P> = 0 extends 1 & P ? any : P extends 'http+websocket' | 'http' ? UpgradeRequest : WebSocketRequest;
export type WebSocketConnectCallback<C = any, P extends ProtocolSpec = 'websocket'> = (connection: TcpConnection<'websocket', C>, request: UpgradeRequestOf<P>) => unknown;
export type WebSocketDataCallback<C = any> = (connection: TcpConnection<'websocket', C>, data: Buffer) => unknown;
export type WebSocketCloseCallback<C = any> = (connection: TcpConnection<'websocket', C>, code: number, reason: string) => unknown;

/** How a connection frames what it sends and gets what it receives. */
export interface ConnectionSetup {
  userProtocol: ProtocolObject | null;
  websocket: boolean;
  http: boolean;
}

type Runner = <R>(fn: (...args: any[]) => R, ...args: any[]) => R;

/** Called when a connection finishes closing; the dispatcher forgets its slot. */
let onConnectionClosed: (connection: TcpConnection) => void = () => {};
export function setConnectionClosedHook(hook: (connection: TcpConnection) => void): void {
  onConnectionClosed = hook;
}

/** Counts packages per connection for runAll's `connections` (lib/master/packages.ts). */
export interface PackageCounter {
  /** A message is about to reach `onMessage`. */
  received(connection: TcpConnection, onMessage: MessageCallback): void;
  /** send() was called. */
  sent(connection: TcpConnection): void;
}
let packageCounter: PackageCounter | null = null;
/** Installs the process's package counter (null: nothing counts, the default). */
export function setPackageCounter(counter: PackageCounter | null): void {
  packageCounter = counter;
}

let lastId = 0;

/**
 * A connection at the transport level: its socket's status, addresses, limits,
 * send results and backpressure, received messages (and a JavaScript protocol's
 * framing loop), async context, uid. What a protocol keeps per connection lives
 * in its module and the members Workerman puts here delegate to it: WebSocket in
 * lib/protocols/websocket/WebSocketEndpoint, HTTP in lib/protocols/http/HttpExchange.
 */
export class TcpConnection<P extends ProtocolSpec = any, C = any> {
  static defaultMaxSendBufferSize = 1048576;
  static defaultMaxPackageSize = 10485760;

  readonly id: number;
  readonly worker: AnyWorker | null;
  declare private ownProtocol: ProtocolObject | string | null | undefined;
  /** 'tcp' or 'unix', the worker's (client connections: 'tcp'). */
  get transport(): 'tcp' | 'unix' | 'ssl' {
    const transport = this.worker?.transport;
    return transport === 'unix' || transport === 'ssl' ? transport : 'tcp';
  }

  // Rarely set members are declared, not initialised: an idle connection's
  // object then holds only what every connection needs (see bench idle memory).
  declare onMessage: Narrowable<MessageCallback<P, C>> | undefined;
  declare onClose: Narrowable<ConnectionCallback<P, C>> | undefined;
  declare onBufferFull: Narrowable<ConnectionCallback<P, C>> | undefined;
  declare onBufferDrain: Narrowable<ConnectionCallback<P, C>> | undefined;
  declare onError: Narrowable<ErrorCallback<P, C>> | undefined;

  /**
   * This connection's own state, for your code: made on first use by the
   * Worker's `context` option (`new Worker(name, { context: () => ({ user: null }) })`),
   * else `{}`. Typed by that option, so no WeakMap or casts are needed.
   */
  get context(): C {
    if (this.ownContext === undefined) this.ownContext = (this.worker ? this.worker._newContext() : {}) as C;
    return this.ownContext;
  }
  set context(value: C) {
    this.ownContext = value;
  }
  declare private ownContext: C | undefined;

  /**
   * WebSocket: the frame type send() uses: 'text', 'binary', or 'auto' (strings
   * text, bytes binary). Until set, the worker's websocketType ('auto' by default).
   * Workerman's "\x81" (BINARY_TYPE_BLOB) means 'text', "\x82" (BINARY_TYPE_ARRAYBUFFER) 'binary'.
   */
  get websocketType(): WebSocketType {
    return this.ownWebsocketType ?? this.worker?.websocketType ?? 'auto';
  }
  set websocketType(type: WebSocketType | WorkermanWebSocketType) {
    this.ownWebsocketType = checkWebSocketType('websocketType', type);
    this.pushWebSocketType();
  }
  declare private ownWebsocketType: WebSocketType | undefined;
  /** WebSocket: extra response headers for the 101, set in onWebSocketConnect. */
  declare headers: Record<string, string | string[]> | null | undefined;
  /** WebSocket: the subprotocol to accept (one the client offered), set in onWebSocketConnect. */
  declare websocketProtocol: string | null | undefined;
  /** WebSocket: the close code received or sent. */
  declare closeCode: number | undefined;
  /** WebSocket: the close reason received or sent ('' by default). */
  declare closeReason: string;
  /**
   * Server: (connection, request: WebSocketRequest) decides the upgrade. ws://
   * client (AsyncTcpConnection): (connection, response: WebSocketResponse) after the 101.
   */
  declare onWebSocketConnect: ((connection: any, handshake: any) => unknown) | undefined;
  declare onWebSocketConnected: WebSocketConnectCallback<C> | undefined;
  declare onWebSocketPing: WebSocketDataCallback<C> | undefined;
  declare onWebSocketPong: WebSocketDataCallback<C> | undefined;
  declare onWebSocketClose: WebSocketCloseCallback<C> | undefined;

  /** @internal */ _slot: number;
  /** WebSocket connections: their endpoint (upgrade, close frames, pings, topics); an http:// one's once it upgrades. */
  private websocket: WebSocketEndpoint | undefined;
  protected _status: ConnectionStatus = 'established';
  private _maxSendBufferSize: number;
  private _maxPackageSize: number;
  protected userProtocol: ProtocolObject | null;
  declare private received: ReceiveBuffer | null | undefined;
  declare private packageLength: number | undefined;
  declare private paused: boolean | undefined;
  declare private pending: unknown[] | null | undefined;
  declare private delivering: boolean | undefined;
  /** The core knows that this connection holds messages not yet delivered (native.setHeld). */
  declare private held: boolean | undefined;
  declare private closedInfo: ConnectionInfo | undefined;
  /** Runs callbacks in the async context left by onConnect (worker.keepAsyncContext). */
  declare private runInContext: Runner | null | undefined;
  declare private http: HttpExchange | undefined;
  declare private drainWaiters: Array<() => void> | undefined;
  declare private boundUid: string | undefined;
  /** Sends made before the connection can carry them (connecting, before the WebSocket 101). */
  declare private early: EarlyQueue | undefined;
  /** http:// with worker.websocket: the next request asks for a WebSocket (0: a valid upgrade, else the status refusing it). */
  declare private upgradeAsked: number | undefined;

  /** @internal */
  constructor(worker: AnyWorker | null, slot: number, setup: ConnectionSetup) {
    this.id = ++lastId;
    this.worker = worker;
    this._slot = slot;
    this.userProtocol = setup.userProtocol;
    this.websocket = setup.websocket ? new WebSocketEndpoint(this) : undefined;
    if (setup.http) this.http = httpExchangeOver(this);
    this._maxSendBufferSize = worker ? worker.maxSendBufferSize : TcpConnection.defaultMaxSendBufferSize;
    this._maxPackageSize = worker ? worker.maxPackageSize : TcpConnection.defaultMaxPackageSize;
    // The native core starts every connection with 1 MiB and 10 MiB.
    if (slot >= 0 && (this._maxSendBufferSize !== 1048576 || this._maxPackageSize !== 10485760)) this.pushLimits();
  }

  /**
   * The protocol of this connection. Assigning one in a callback switches a
   * tcp/text/frame connection's splitting from then on; WebSocket and HTTP
   * connections keep theirs.
   */
  get protocol(): ProtocolObject | string | null {
    return this.ownProtocol !== undefined ? this.ownProtocol : (this.worker?.protocol ?? null);
  }
  set protocol(protocol: ProtocolObject | string | null) {
    const resolved = resolveProtocol(protocol);
    this.ownProtocol = protocol;
    if (this.websocket || this.http || this._status === 'closed') return;
    if (this._slot >= 0 && !native.setKind(this._slot, resolved.kind)) return;
    this.userProtocol = resolved.userProtocol;
    this.packageLength = 0;
  }

  get status(): ConnectionStatus {
    return this._status;
  }
  get maxSendBufferSize(): number {
    return this._maxSendBufferSize;
  }
  set maxSendBufferSize(value: number) {
    this._maxSendBufferSize = checkSize('maxSendBufferSize', value);
    this.pushLimits();
  }
  get maxPackageSize(): number {
    return this._maxPackageSize;
  }
  set maxPackageSize(value: number) {
    this._maxPackageSize = checkSize('maxPackageSize', value);
    this.pushLimits();
  }
  get bytesRead(): number {
    return this.info()?.[4] ?? 0;
  }
  get bytesWritten(): number {
    return this.info()?.[5] ?? 0;
  }

  getRemoteIp(): string {
    return this.info()?.[0] ?? '';
  }
  getRemotePort(): number {
    return this.info()?.[1] ?? 0;
  }
  getRemoteAddress(): string {
    const ip = this.getRemoteIp();
    if (!ip) return '';
    return ip.includes(':') ? `[${ip}]:${this.getRemotePort()}` : `${ip}:${this.getRemotePort()}`;
  }
  getLocalIp(): string {
    return this.info()?.[2] ?? '';
  }
  getLocalPort(): number {
    return this.info()?.[3] ?? 0;
  }
  getLocalAddress(): string {
    const ip = this.getLocalIp();
    if (!ip) return '';
    return ip.includes(':') ? `[${ip}]:${this.getLocalPort()}` : `${ip}:${this.getLocalPort()}`;
  }
  isIpV4(): boolean {
    const ip = this.getRemoteIp();
    return ip !== '' && !ip.includes(':');
  }
  isIpV6(): boolean {
    return this.getRemoteIp().includes(':');
  }
  // ---- TLS (transport 'ssl'): what the handshake settled; null before it is done, on plain connections and after close ----
  /** The peer's certificate (a client's, when the worker's ssl asked with requestCert), or null. */
  getPeerCertificate(): PeerCertificate | null {
    return this._status === 'closed' ? null : peerCertificateOf(this._slot);
  }
  /** 'TLSv1.3', 'TLSv1.2', ... */
  get tlsVersion(): string | null {
    return this.tlsInfo()?.[0] ?? null;
  }
  /** The ALPN protocol agreed on ('' when none was). */
  get alpnProtocol(): string | null {
    return this.tlsInfo()?.[1] ?? null;
  }
  /** The host name the client asked for (SNI; '' when it sent none). */
  get servername(): string | null {
    return this.tlsInfo()?.[2] ?? null;
  }
  /** Whether the peer's certificate verified (false when it sent none). */
  get authorized(): boolean {
    return this.tlsInfo()?.[3] === 0 && this.getPeerCertificate() !== null;
  }
  private tlsInfo(): TlsInfo | undefined {
    return this._status === 'closed' ? undefined : tlsInfoOf(this._slot);
  }

  getSendBufferQueueSize(): number {
    return this._status === 'closed' ? 0 : native.queueSize(this._slot);
  }
  getRecvBufferQueueSize(): number {
    return this.received?.length ?? 0;
  }

  /**
   * true: nothing is left queued beyond this loop turn; null: queued behind
   * bytes the kernel has not taken; false: refused (closing/closed, or the
   * queue is at or over maxSendBufferSize). What `data` may be follows the
   * protocol: bytes and strings; on HTTP also Response, Chunk, ServerSentEvents;
   * with a protocol object what its encode() takes. `raw`: bytes as they are.
   * Anything else throws a TypeError.
   */
  send(data: SendOf<P>, raw?: false): true | null | false;
  send(data: Bytes, raw: boolean): true | null | false;
  send(data: unknown, raw = false): true | null | false {
    const encoded = !raw && (this.http !== undefined || this.userProtocol !== null);
    if (!encoded) assertBytes('send()', data);
    else if (this.http && !isBytes(data) && !(data instanceof Response || data instanceof Chunk || data instanceof ServerSentEvents)) {
      assertBytes('send() on an HTTP connection', data, ', Response, Chunk or ServerSentEvents');
    }
    if (packageCounter !== null) packageCounter.sent(this);
    if (this.early || !this.canCarry()) return this.queueEarly(data, raw);
    return this.sendNow(data, raw);
  }

  /** False while sends must wait: a client connecting, a WebSocket not yet past its 101. */
  protected canCarry(): boolean {
    return this._status !== 'established' || !this.websocket || this.websocket.open;
  }

  private sendNow(data: unknown, raw: boolean): true | null | false {
    if (this._status !== 'established') return false;
    if (!raw && (this.http !== undefined || this.userProtocol !== null)) return this.sendEncoded(data);
    // The core frames it the connection's way (text line, frame, WebSocket by websocketType).
    const bytes = asWireData(data as string | Uint8Array | ArrayBuffer);
    const length = stringLength(bytes);
    return this.interpret(raw ? native.sendRaw(this._slot, bytes, length) : native.send(this._slot, bytes, length));
  }

  /** Keeps a send for later: null, or false (onError SEND_FAIL) once maxSendBufferSize bytes wait. */
  private queueEarly(data: unknown, raw: boolean): null | false {
    if (this._status === 'closing' || this._status === 'closed') return false;
    const queue = (this.early ??= new EarlyQueue());
    if (queue.bytes >= this._maxSendBufferSize) {
      this.emitError(SEND_FAIL, SEND_BUFFER_FULL_MESSAGE);
      return false;
    }
    queue.push(data, raw);
    if (queue.bytes >= this._maxSendBufferSize && !queue.signalledFull) {
      queue.signalledFull = true;
      this._bufferFull();
    }
    return null;
  }

  /** @internal The connection can carry sends now: what waited goes out first, in order. */
  _sendEarly(): void {
    const queue = this.early;
    if (!queue) return;
    this.early = undefined;
    for (const [data, raw] of queue.messages) if (this.sendNow(data, raw) === false) break;
    // The core owes a drain if these filled its queue; otherwise the wait is over now.
    if (queue.signalledFull && this._status === 'established' && this.getSendBufferQueueSize() < this._maxSendBufferSize) this._drained();
  }

  /** @internal What waited will never go (a refused handshake, a failed connect, a close): counted. */
  _dropEarly(): void {
    const queue = this.early;
    if (!queue) return;
    this.early = undefined;
    jsCounters.earlySendsDropped += queue.messages.length;
  }

  /** HTTP responses, or what a user protocol's encode() makes: sent as they are. */
  private sendEncoded(data: unknown): true | null | false {
    if (this.http) return this.http.send(data as Parameters<HttpExchange['send']>[0]);
    let payload: unknown;
    try {
      payload = this.userProtocol!.encode(data, this);
    } catch (error) {
      native.raiseUncaught(error);
      return false;
    }
    if (payload === '') return null;
    if (!isBytes(payload)) throw new TypeError(`the protocol's encode() must return a string, Buffer or Uint8Array, got ${describeValue(payload)}`);
    const bytes = asWireData(payload);
    return this.interpret(native.sendRaw(this._slot, bytes, stringLength(bytes)));
  }

  /** @internal Maps a native send result to true/null/false, firing the callbacks it implies (also for the protocol modules). */
  interpret(result: number): true | null | false {
    switch (result & 7) {
      case SendResult.RefusedClosed:
        return false;
      case SendResult.RefusedFull:
        this.emitError(SEND_FAIL, SEND_BUFFER_FULL_MESSAGE);
        return false;
      case SendResult.PeerGone:
        this.emitError(SEND_FAIL, ERROR_MESSAGES[SEND_FAIL]);
        this._closed();
        return false;
    }
    if (result & SendResult.BecameFull) {
      const full = this.onBufferFull ?? this.worker?.onBufferFull;
      if (full) this.call(full, this);
    }
    return (result & 7) === SendResult.Queued ? null : true;
  }

  /** Sends `data` if given, flushes what is queued, then closes. */
  close(data?: SendOf<P>, raw?: false): void;
  close(data: Bytes, raw: boolean): void;
  close(data?: unknown, raw = false): void {
    if (this._status !== 'established') return;
    // Still deciding the upgrade: close() there means "reject" (403).
    if (this.websocket?.deferClose()) return;
    if (data !== undefined) this.send(data as Bytes, raw);
    if (this.websocket?.open) return this.closeWebSocket(1000);
    this._status = 'closing';
    if (native.close(this._slot)) this._closed();
  }

  /** WebSocket: sends a close frame with this code and reason; the TCP connection closes after the peer answers (at most 5 s). */
  closeWebSocket(code = 1000, reason = ''): void {
    if (this._status !== 'established') return;
    if (!this.websocket?.open) return this.close();
    this.websocket.close(code, reason);
  }

  /** WebSocket: sends a ping (payload up to 125 bytes). */
  ping(data: string | Buffer | Uint8Array = ''): boolean {
    return this.websocket?.ping(data) ?? false;
  }

  /** WebSocket: joins a topic for Worker.publish(); subscriptions end with the connection. */
  subscribe(topic: string): boolean {
    topic = String(topic);
    return this.websocket?.subscribe(topic) ?? false;
  }

  unsubscribe(topic: string): boolean {
    topic = String(topic);
    return this.websocket?.unsubscribe(topic) ?? false;
  }

  /**
   * This connection's address in the cluster: 20 hex digits, unique across
   * every process (and, with Worker.cluster.redis, every host). Worker.sendTo,
   * closeClient and isOnline take it from any process.
   */
  get clientId(): string {
    return clientIdOf(this.id);
  }

  /** The uid given to bindUid(), if any. */
  get uid(): string | undefined {
    return this.boundUid;
  }

  /** Binds this connection to a user id for Worker.sendToUid() (one user, several devices); a connection has one uid at a time. */
  bindUid(uid: string | number): void {
    const value = String(uid);
    if (this._status === 'closed' || this.boundUid === value) return;
    this.unbindUid();
    this.boundUid = value;
    clusterNode().uidBound(this, value);
  }

  unbindUid(): void {
    const uid = this.boundUid;
    if (uid === undefined) return;
    this.boundUid = undefined;
    clusterNode().uidUnbound(this, uid);
  }

  /** Closes at once; queued bytes are dropped. */
  destroy(): void {
    if (this._status === 'closed') return;
    native.destroy(this._slot);
    this._closed();
  }

  pauseRecv(): void {
    if (this._status === 'closed' || this.paused) return;
    this.paused = true;
    native.setReceiving(this._slot, false);
  }

  resumeRecv(): void {
    if (this._status === 'closed' || !this.paused) return;
    this.paused = false;
    try {
      this.deliverPending();
      if (this.paused || this.isClosed()) return;
      if (this.userProtocol && this.received?.length) this.splitUserProtocol();
      if (!this.paused && !this.isClosed()) native.setReceiving(this._slot, true);
    } finally {
      this.syncHeld();
    }
  }

  /** Forwards everything this connection receives to `dest`, with backpressure. */
  pipe(dest: TcpConnection<any, any>): void {
    const previousClose = this.onClose;
    this.onMessage = (_source, data) => dest.send(data);
    this.onClose = (source) => {
      const onClose = previousClose ?? this.worker?.onClose;
      try {
        if (onClose) onClose(source);
      } finally {
        dest.close();
      }
    };
    dest.onBufferFull = () => this.pauseRecv();
    dest.onBufferDrain = () => this.resumeRecv();
  }

  toJSON(): object {
    return {
      id: this.id,
      status: this._status,
      transport: this.transport,
      remoteAddress: this.getRemoteAddress(),
      localAddress: this.getLocalAddress(),
    };
  }

  // ---- called by the dispatcher --------------------------------------------

  /** @internal */
  _connected(): void {
    const worker = this.worker!;
    const onConnect = worker.onConnect;
    if (worker.keepAsyncContext) {
      const resource = new AsyncResource('netwright.Connection');
      this.runInContext = resource.runInAsyncScope(() => {
        if (onConnect) invoke(onConnect, this);
        return AsyncLocalStorage.snapshot() as Runner;
      });
      return;
    }
    if (onConnect) invoke(onConnect, this);
  }

  /** @internal A complete message from a native protocol, or raw bytes. */
  _received(data: string | Buffer): void {
    if (this._status === 'closed') return;
    if (this.userProtocol) {
      (this.received ??= new ReceiveBuffer()).append(data as Buffer);
      if (!this.paused) this.splitUserProtocol();
      else if (!this.held) this.syncHeld();
      return;
    }
    this.deliver(data);
  }

  /** @internal A complete HTTP request (head validated natively). */
  _httpRequest(head: string, body: Buffer, keepAlive: boolean, isHead: boolean): void {
    if (this._status === 'closed' || !this.http) return;
    if (this.upgradeAsked !== undefined) return this.upgradeRequested(head, body, keepAlive, isHead);
    const request = this.http.request(this, head, body, keepAlive, isHead);
    if (request) this.deliver(request);
  }

  /** @internal The next HTTP request asks for a WebSocket (the core holds what follows it until told). */
  _httpUpgrade(status: number): void {
    this.upgradeAsked = status;
  }

  /**
   * An upgrade request on an http:// worker: on a path worker.websocket lets
   * upgrade, it is taken once the responses owed before it are out; on any
   * other path it is an ordinary request.
   */
  private upgradeRequested(head: string, body: Buffer, keepAlive: boolean, isHead: boolean): void {
    this.upgradeAsked = undefined;
    const http = this.http!;
    const request = new UpgradeRequest(head, body, this, keepAlive, isHead);
    const route = this.worker?._upgradeRoute;
    if (!route || !route(request.path) || this._status !== 'established') {
      if (this._status !== 'closed') native.declineUpgrade(this._slot);
      if (http.admit(request)) this.deliver(request);
      return;
    }
    http.whenIdle(() => this.takeUpgrade(request));
  }

  /** The core makes this connection a WebSocket one; onWebSocketConnect decides as on a websocket:// worker. */
  private takeUpgrade(request: UpgradeRequest): void {
    if (this._status !== 'established' || !native.upgradeHttp(this._slot)) return; // an invalid upgrade: refused natively
    this.http?.closed();
    this.http = undefined;
    this.ownProtocol = 'websocket'; // as a websocket:// worker's connection says
    const endpoint = (this.websocket = new WebSocketEndpoint(this));
    this.pushWebSocketType();
    if (this.runInContext) this.runInContext(decideUpgrade, endpoint, request);
    else decideUpgrade(endpoint, request);
  }

  /** @internal Resolves when the send queue has drained (at once when it is empty or the connection closed). */
  _whenDrained(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this._status === 'closed' || this.getSendBufferQueueSize() === 0) return resolve();
      (this.drainWaiters ??= []).push(resolve);
    });
  }

  /** @internal */
  _drained(): void {
    const waiters = this.drainWaiters;
    if (waiters?.length) {
      this.drainWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
    const drain = this.onBufferDrain ?? this.worker?.onBufferDrain;
    if (drain) this.call(drain, this);
  }

  /** @internal detail: the WebSocket close code sent, or for SEND_FAIL 1 = buffer full. */
  _failed(code: number, detail: number): void {
    // The core sends that close frame after the replies to messages still held here.
    if (this.websocket && detail >= 1000 && !this.holdBack(() => this._closeSent(detail))) this._closeSent(detail);
    if (code === SEND_FAIL) {
      this.emitError(code, detail === 1 ? SEND_BUFFER_FULL_MESSAGE : ERROR_MESSAGES[SEND_FAIL]);
      return;
    }
    this.emitError(code, ERROR_MESSAGES[code] ?? `error ${code}`);
  }

  /** @internal */
  _bufferFull(): void {
    const full = this.onBufferFull ?? this.worker?.onBufferFull;
    if (full) this.call(full, this);
  }

  /** @internal The upgrade request arrived (validated natively) at bytes[start, start + length). */
  _handshake(bytes: Buffer, start: number, length: number): void {
    const websocket = this.websocket;
    if (this._status === 'closed' || !websocket) return;
    if (this.runInContext) this.runInContext(startHandshake, websocket, bytes, start, length);
    else startHandshake(websocket, bytes, start, length);
  }

  /**
   * @internal The process is stopping. Not graceful: close now (WebSocket: 1001).
   * Graceful: each protocol ends what would not end by itself (WebSocket: 1001; HTTP:
   * an event stream closes, keep-alive ends after the next response); the rest finish.
   */
  _goAway(graceful: boolean): void {
    if (this._status !== 'established') return;
    if (this.websocket) this.websocket.goAway(graceful);
    else if (this.http) this.http.goAway(graceful);
    else if (!graceful) this.close();
  }

  /** @internal A ws:// client's 101 arrived. */
  _upgraded(): void {
    if (this.websocket) this.websocket.phase = WebSocketPhase.Open;
  }

  /** @internal */
  _ping(payload: Buffer): void {
    this.websocket?.pinged(payload);
  }

  /** @internal */
  _pong(payload: Buffer): void {
    this.websocket?.ponged(payload);
  }

  /** @internal The peer's close frame. */
  _peerClose(code: number, reason: string): void {
    // Messages that came before it and wait for resumeRecv() go first; then the handshake is answered.
    if (this.holdBack(() => this.websocket?.peerClosed(code, reason))) return;
    this.websocket?.peerClosed(code, reason);
  }

  /** @internal The core sent a close frame on its own (ping timeout), or will for an error. */
  _closeSent(code: number): void {
    this.closeCode = code;
    this._closing();
  }

  /** @internal A close has begun (a close frame is on its way). */
  _closing(): void {
    if (this._status === 'established') this._status = 'closing';
  }

  /** @internal The core closed the socket, or a close() finished. */
  _closed(): void {
    if (this._status === 'closed') return;
    this.closedInfo = native.info(this._slot) ?? this.closedInfo;
    this._status = 'closed';
    this.pending = null;
    this.held = false;
    this.received = null;
    this._dropEarly();
    if (this.drainWaiters) this._drained();
    this.http?.closed();
    this.websocket?.closed();
    this.unbindUid();
    onConnectionClosed(this);
    const onClose = this.onClose ?? this.worker?.onClose;
    if (onClose) this.call(onClose, this);
  }

  /** @internal A client connection starts over on a new socket (reconnect): per-socket state is reset, the rest kept. */
  _startOver(): void {
    this._slot = -1;
    this.closedInfo = undefined;
    this.received = null;
    this.packageLength = 0;
    this.pending = null;
    this.held = false;
    this.early = undefined;
    this.closeCode = undefined;
    this.closeReason = '';
    if (this.websocket) this.websocket.phase = WebSocketPhase.Opening;
  }

  /** @internal A client connection's new socket: limits and settings the core starts without. */
  _bindSlot(slot: number): void {
    this._slot = slot;
    if (this._maxSendBufferSize !== 1048576 || this._maxPackageSize !== 10485760) this.pushLimits();
    this.pushWebSocketType();
    if (this.paused) native.setReceiving(slot, false);
  }

  /** @internal Whether this is a WebSocket connection (server or ws:// client). */
  get _isWebSocket(): boolean {
    return this.websocket !== undefined;
  }

  // ---- internals -------------------------------------------------------------

  /** @internal Runs a user callback in this connection's async context (also for the protocol modules). */
  call(fn: (...args: any[]) => unknown, ...args: unknown[]): void {
    if (this.runInContext) {
      this.runInContext(invoke, fn, ...args);
    } else {
      invoke(fn, ...args);
    }
  }

  /** @internal An error found outside the core (an SNI callback that failed): onError. */
  _reportError(code: number, message: string): void {
    this.emitError(code, message);
  }

  protected emitError(code: number, message: string): void {
    const onError = this.onError ?? this.worker?.onError;
    if (onError) this.call(onError, this, code, message);
  }

  private deliver(data: unknown): void {
    if (this.paused || this.pending) {
      (this.pending ??= []).push(data);
      if (!this.held) this.syncHeld();
      return;
    }
    const onMessage = this.onMessage ?? this.worker?.onMessage;
    if (!onMessage) return;
    if (packageCounter !== null) packageCounter.received(this, onMessage);
    if (this.runInContext) this.runInContext(invokeMessage, onMessage, this, data);
    else invokeMessage(onMessage, this, data);
  }

  private deliverPending(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      const queue = this.pending;
      while (queue && queue.length && !this.paused && this._status !== 'closed') {
        const data = queue.shift();
        if (data instanceof HeldEvent) {
          data.run();
          continue;
        }
        const onMessage = this.onMessage ?? this.worker?.onMessage;
        if (!onMessage) continue;
        if (packageCounter !== null) packageCounter.received(this, onMessage);
        this.call(onMessage, this, data);
      }
      if (queue && queue.length === 0 && this.pending === queue) this.pending = null;
    } finally {
      this.delivering = false;
    }
  }

  /** Queues an event behind messages waiting for resumeRecv(); false when none wait. */
  private holdBack(run: () => void): boolean {
    if (!this.pending?.length) return false;
    this.pending.push(new HeldEvent(run));
    return true;
  }

  /**
   * Tells the core whether messages read before pauseRecv() took effect still
   * wait here: while they do, bad input or the peer's FIN read after them does
   * not close the connection, so that their replies still go out.
   */
  private syncHeld(): void {
    const held = this._status !== 'closed' && !!(this.pending?.length || (this.paused && this.received?.length));
    if (held === !!this.held) return;
    this.held = held;
    native.setHeld(this._slot, held);
  }

  /** Workerman's framing loop over a JavaScript protocol object. */
  private splitUserProtocol(): void {
    const protocol = this.userProtocol!;
    const buffer = this.received!;
    while (buffer.length > 0 && !this.paused && this._status === 'established') {
      if (!this.packageLength) {
        let length: number;
        try {
          length = protocol.input(buffer.view(), this);
        } catch (error) {
          native.raiseUncaught(error);
          length = -1;
        }
        if (this._status !== 'established') return;
        if (length === 0) {
          if (buffer.length >= this._maxPackageSize) this.reject(PACKAGE_TOO_LARGE);
          return;
        }
        if (!Number.isInteger(length) || length < 0) return this.reject(PROTOCOL_ERROR);
        if (length > this._maxPackageSize) return this.reject(PACKAGE_TOO_LARGE);
        this.packageLength = length;
      }
      if (buffer.length < this.packageLength) return;
      const packet = buffer.take(this.packageLength);
      this.packageLength = 0;
      // A client connection's messages are not its process's requests (status, qps).
      if (this.worker) jsCounters.totalRequest++;
      else jsCounters.outboundRequest++;
      let message: unknown;
      try {
        message = protocol.decode(packet, this);
      } catch (error) {
        native.raiseUncaught(error);
        continue;
      }
      this.deliver(message);
    }
  }

  private reject(code: number): void {
    if (code === PACKAGE_TOO_LARGE) jsCounters.packageTooLarge++;
    else jsCounters.protocolErrors++;
    this.emitError(code, ERROR_MESSAGES[code]);
    // Like the native protocols: replies to what came before still go out.
    this.received = null;
    this.close();
  }

  /** Re-reads the status: callbacks may have closed the connection meanwhile. */
  private isClosed(): boolean {
    return this._status === 'closed';
  }

  private info(): ConnectionInfo | undefined {
    return this._status === 'closed' ? this.closedInfo : native.info(this._slot);
  }

  /** Tells the core this connection's own websocketType (without one it follows the worker's). */
  protected pushWebSocketType(): void {
    const type = this.ownWebsocketType;
    if (!this.websocket || type === undefined || this._slot < 0 || this._status === 'closed') return;
    native.setWebSocketType(this._slot, nativeWebSocketType(type));
  }

  protected pushLimits(): void {
    if (this._status !== 'closed') native.setLimits(this._slot, this._maxSendBufferSize, this._maxPackageSize);
  }
}

Object.defineProperty(TcpConnection.prototype, 'closeReason', { value: '', writable: true, enumerable: false });

/** An event that must follow the messages held before it (a WebSocket close). */
class HeldEvent {
  constructor(readonly run: () => void) {}
}

/** A WebSocketType as the core numbers it; anything but 'binary' and 'auto' is text. */
export function nativeWebSocketType(type: WebSocketType): NativeWebSocketType {
  return type === 'binary' ? NativeWebSocketType.Binary : type === 'auto' ? NativeWebSocketType.Auto : NativeWebSocketType.Text;
}

/** A websocketType as set, Workerman's constants mapped; anything else throws naming the setting. */
export function checkWebSocketType(name: string, type: unknown): WebSocketType {
  if (type === 'text' || type === 'binary' || type === 'auto') return type;
  if (type === '\x81') return 'text';
  if (type === '\x82') return 'binary';
  throw new TypeError(`${name} must be 'text', 'binary' or 'auto' (or Workerman's "\\x81" / "\\x82"), got ${describeValue(type)}`);
}

export { checkSize };
