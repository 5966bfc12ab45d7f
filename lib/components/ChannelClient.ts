// Workerman's Channel client over Node's `net`: works in any Node process (a
// netwright worker process, a plain script, an express app). One connection to
// a ChannelServer; on close it reconnects every second and subscribes (and
// watches) again. What is published while it is disconnected waits in a
// bounded queue and goes out on reconnect; past the bound it is dropped and
// counted (`dropped`), never buffered without limit.
import * as net from 'node:net';

import { describeAddress, encodeFrame, FrameDecoder, parseServerAddress, PING_FRAME } from './frameClient';

export interface ChannelClientOptions {
  /** Seconds between pings (empty frames) while connected; 0 = none. Default 25 (Workerman's pingInterval). */
  pingInterval?: number;
  /** Seconds between reconnect attempts. Default 1 (as Workerman). */
  reconnectInterval?: number;
  /** publish / enqueue messages kept while disconnected; more are dropped and counted. Default 1000. */
  maxPendingMessages?: number;
  /** Bytes the socket may hold unsent while connected; a message over it is dropped and counted. Default 1 MiB. */
  maxSendBufferSize?: number;
  /** The largest message accepted from the server; a larger one ends the connection (then reconnect). Default 10 MiB. */
  maxPackageSize?: number;
}

/** What arrives is whatever JSON the publisher sent: `T` is an assertion of yours, not checked. */
type EventCallback<T = any> = (data: T) => void;

let defaultClient: ChannelClient | undefined;
function shared(): ChannelClient {
  return (defaultClient ??= new ChannelClient());
}

export class ChannelClient {
  // ---- Workerman's static API: one shared client per process ---------------
  /** `Channel\Client::connect($ip, $port)`: the shared client. */
  static connect(ip?: string, port?: number): Promise<void> {
    return shared().connect(ip, port);
  }
  static on<T = any>(event: string, callback: EventCallback<T>): void {
    shared().on(event, callback);
  }
  static subscribe(events: string | string[]): void {
    shared().subscribe(events);
  }
  static unsubscribe(events: string | string[]): void {
    shared().unsubscribe(events);
  }
  static publish(events: string | string[], data: unknown): boolean {
    return shared().publish(events, data);
  }
  static watch<T = any>(channels: string | string[], callback: EventCallback<T>, autoReserve = true): void {
    shared().watch(channels, callback, autoReserve);
  }
  static unwatch(channels: string | string[]): void {
    shared().unwatch(channels);
  }
  static enqueue(channels: string | string[], data: unknown): boolean {
    return shared().enqueue(channels, data);
  }
  static reserve(): void {
    shared().reserve();
  }
  static close(): void {
    defaultClient?.close();
    defaultClient = undefined;
  }
  /** The client behind the static methods (its hooks, counters, `connected`). */
  static get shared(): ChannelClient {
    return shared();
  }

  // ---- hooks ----------------------------------------------------------------
  /** For events without their own callback (subscribe() without on()): (channel, data). */
  onMessage: ((channel: string, data: any) => void) | undefined = undefined;
  /** After each (re)connect, once subscriptions are sent again. */
  onConnect: (() => void) | undefined = undefined;
  /** After the connection closed (a reconnect follows unless close() was called). */
  onClose: (() => void) | undefined = undefined;
  /** Connection errors; without it the first failure of an outage is printed once to stderr. */
  onError: ((error: Error) => void) | undefined = undefined;

  /** publish / enqueue messages dropped: disconnected with the pending queue full, or the socket's buffer full. */
  dropped = 0;
  readonly options: Required<ChannelClientOptions>;

  private address: net.NetConnectOpts | undefined;
  private socket: net.Socket | undefined;
  private isConnected = false;
  private closed = false;
  private warned = false;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly pending: Buffer[] = [];
  private readonly events = new Map<string, EventCallback | undefined>();
  private readonly watches = new Map<string, { callback: EventCallback; autoReserve: boolean }>();
  private readonly decoder: FrameDecoder;
  private waiters: (() => void)[] = [];

  constructor(options: ChannelClientOptions = {}) {
    this.options = {
      pingInterval: options.pingInterval ?? 25,
      reconnectInterval: options.reconnectInterval ?? 1,
      maxPendingMessages: options.maxPendingMessages ?? 1000,
      maxSendBufferSize: options.maxSendBufferSize ?? 1024 * 1024,
      maxPackageSize: options.maxPackageSize ?? 10 * 1024 * 1024,
    };
    this.decoder = new FrameDecoder(this.options.maxPackageSize);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Connects to a ChannelServer (`ip` may also be `host:port` or `unix:///path`); a second call
   * does nothing. Resolves once connected (or when close() is called first);
   * a server that is not up yet is retried every reconnectInterval.
   */
  connect(ip = '127.0.0.1', port = 2206): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    const wait = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.address || this.closed) {
      if (this.closed) this.wake();
      return wait;
    }
    this.address = parseServerAddress(ip, port); // also 'host:port', '[v6]:port', 'unix:///path'
    this.open();
    return wait;
  }

  /** Subscribes to `event`; its messages call `callback(data)` (replacing an earlier callback). */
  on<T = any>(event: string, callback: EventCallback<T>): void {
    if (typeof callback !== 'function') throw new TypeError('ChannelClient.on(event, callback): callback must be a function');
    const known = this.events.has(event);
    this.events.set(event, callback);
    if (!known) this.sendControl('subscribe', [event]);
  }

  subscribe(events: string | string[]): void {
    const fresh = list(events).filter((e) => !this.events.has(e));
    for (const event of fresh) this.events.set(event, undefined);
    if (fresh.length > 0) this.sendControl('subscribe', fresh);
  }

  unsubscribe(events: string | string[]): void {
    const known = list(events).filter((e) => this.events.delete(e));
    if (known.length > 0) this.sendControl('unsubscribe', known);
  }

  /** To every subscriber of each event in any process. false: dropped (counted in `dropped`). */
  publish(events: string | string[], data: unknown): boolean {
    return this.sendMessage({ type: 'publish', channels: list(events), data });
  }

  /** Consumes the queue(s): each message goes to one watcher; with autoReserve the next one is asked for after each. */
  watch<T = any>(channels: string | string[], callback: EventCallback<T>, autoReserve = true): void {
    if (typeof callback !== 'function') throw new TypeError('ChannelClient.watch(channels, callback): callback must be a function');
    const names = list(channels);
    for (const channel of names) this.watches.set(channel, { callback, autoReserve });
    this.sendControl('watch', names);
    if (autoReserve) this.sendControl('reserve', []);
  }

  unwatch(channels: string | string[]): void {
    const names = list(channels).filter((c) => this.watches.delete(c));
    if (names.length > 0) this.sendControl('unwatch', names);
  }

  /** Appends to the queue(s) on the server. false: dropped (counted in `dropped`). */
  enqueue(channels: string | string[], data: unknown): boolean {
    return this.sendMessage({ type: 'enqueue', channels: list(channels), data });
  }

  /** Asks every watched queue for its next message. */
  reserve(): void {
    this.sendControl('reserve', []);
  }

  /** Stops reconnecting; what is queued in the socket is flushed, pending messages are dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    this.pending.length = 0;
    this.socket?.end();
    this.socket = undefined;
    this.isConnected = false;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private open(): void {
    if (this.closed || !this.address) return;
    const socket = net.connect(this.address);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => this.onConnected(socket));
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (error) => this.report(error));
    socket.on('close', () => this.onClosed(socket));
  }

  private onConnected(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.isConnected = true;
    this.warned = false;
    this.failedAttempts = 0;
    this.decoder.reset();
    // interest first, then what waited: a publish made after on() sees the subscription
    if (this.events.size > 0) socket.write(frame({ type: 'subscribe', channels: [...this.events.keys()] }));
    if (this.watches.size > 0) {
      socket.write(frame({ type: 'watch', channels: [...this.watches.keys()] }));
      if ([...this.watches.values()].some((w) => w.autoReserve)) socket.write(frame({ type: 'reserve', channels: [] }));
    }
    for (const message of this.pending.splice(0)) socket.write(message);
    clearInterval(this.pingTimer);
    if (this.options.pingInterval > 0) {
      this.pingTimer = setInterval(() => this.socket?.write(PING_FRAME), this.options.pingInterval * 1000);
      this.pingTimer.unref();
    }
    this.wake();
    this.onConnect?.();
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.decoder.push(chunk);
    for (;;) {
      let payload: Buffer | null;
      try {
        payload = this.decoder.next();
      } catch (error) {
        this.report(error as Error);
        socket.destroy();
        return;
      }
      if (payload === null) return;
      if (payload.length > 0) this.deliver(payload);
      if (socket !== this.socket) return;
    }
  }

  private deliver(payload: Buffer): void {
    let message: { type?: unknown; channel?: unknown; data?: unknown; message?: unknown };
    try {
      message = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.report(new Error('ChannelClient: the server sent a message that is not JSON'));
    }
    const channel = String(message.channel);
    if (message.type === 'event') {
      const callback = this.events.get(channel);
      if (callback) callback(message.data);
      else if (this.events.has(channel) && this.onMessage) this.onMessage(channel, message.data);
      else if (this.events.has(channel)) process.emitWarning(`ChannelClient: event "${channel}" has no callback (use on(), or set onMessage)`);
    } else if (message.type === 'queue') {
      const watch = this.watches.get(channel);
      if (!watch) return;
      try {
        watch.callback(message.data);
      } finally {
        if (watch.autoReserve) this.reserve();
      }
    } else if (message.type === 'error') {
      this.report(new Error(`ChannelClient: the server refused a message: ${String(message.message)}`));
    }
  }

  private onClosed(socket: net.Socket): void {
    if (socket !== this.socket && this.socket !== undefined) return;
    const wasConnected = this.isConnected;
    this.isConnected = false;
    this.socket = undefined;
    clearInterval(this.pingTimer);
    if (wasConnected) this.onClose?.();
    if (this.closed) return;
    if (!wasConnected) this.failedAttempts++;
    // a server starting beside us (runAll) is not worth a line; one that went away, or stays away, is
    const worthSaying = wasConnected || this.failedAttempts === 3;
    if (worthSaying && !this.warned && !this.onError) {
      const what = wasConnected ? 'closed' : 'cannot be opened';
      process.stderr.write(
        `netwright ChannelClient: connection to ${describeAddress(this.address!)} ${what}; reconnecting every ${this.options.reconnectInterval} s\n`,
      );
    }
    if (worthSaying) this.warned = true;
    this.reconnectTimer = setTimeout(() => this.open(), this.options.reconnectInterval * 1000);
  }

  private report(error: Error): void {
    this.onError?.(error);
  }

  /** subscribe / unsubscribe / watch / unwatch / reserve: only while connected (on reconnect the state is sent again). */
  private sendControl(type: string, channels: string[]): void {
    if (this.isConnected && this.socket) this.socket.write(frame({ type, channels }));
  }

  private sendMessage(message: { type: string; channels: string[]; data: unknown }): boolean {
    const bytes = frame(message);
    if (this.isConnected && this.socket) {
      if (this.socket.writableLength > this.options.maxSendBufferSize) {
        this.dropped++;
        return false;
      }
      this.socket.write(bytes);
      return true;
    }
    if (this.closed || this.pending.length >= this.options.maxPendingMessages) {
      this.dropped++;
      return false;
    }
    this.pending.push(bytes);
    return true;
  }
}

function list(names: string | string[]): string[] {
  return (Array.isArray(names) ? names : [names]).map(String);
}

function frame(message: object): Buffer {
  const text = JSON.stringify(message);
  if (text === undefined) throw new TypeError('ChannelClient: data must be JSON-serialisable');
  return encodeFrame(text);
}
