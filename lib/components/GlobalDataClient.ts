// Workerman's GlobalData client over Node's `net`, with Promises: works in any
// Node process. Keys are spread over the servers by crc32(key) % servers (as
// Workerman). One connection per server, opened on the first request and
// reopened on the next request after it closed; requests on it are answered
// in order. The connection keeps the process alive only while a request waits.
import * as net from 'node:net';

import { encodeFrame, FrameDecoder, parseServerAddress, PING_FRAME } from './frameClient';

export interface GlobalDataClientOptions {
  /** Seconds to connect and to get each answer; over it the request fails and the connection is closed. Default 5 (as Workerman). */
  timeout?: number;
  /** Seconds between pings while a connection is open; 0 = none. Default 25. */
  pingInterval?: number;
}

type Answer = { value?: unknown; result?: unknown; error?: unknown };

interface Waiting {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One server's connection and its requests in flight (answered in order). */
class ServerConnection {
  private socket: net.Socket | undefined;
  private readonly waiting: Waiting[] = [];
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: net.NetConnectOpts,
    private readonly options: Required<GlobalDataClientOptions>,
  ) {}

  request(message: object): Promise<Answer> {
    const text = JSON.stringify(message);
    return new Promise<Answer>((resolve, reject) => {
      const socket = this.socket ?? this.open();
      const timer = setTimeout(() => this.fail(new Error(`GlobalData: no answer within ${this.options.timeout} s`)), this.options.timeout * 1000);
      this.waiting.push({ resolve, reject, timer });
      socket.ref();
      socket.write(encodeFrame(text));
    });
  }

  close(): void {
    this.socket?.end();
    this.fail(new Error('GlobalData: client closed'));
  }

  private open(): net.Socket {
    const socket = net.connect(this.address);
    this.socket = socket;
    this.decoder.reset();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (error) => { if (socket === this.socket) this.fail(new Error(`GlobalData: ${error.message}`)); });
    socket.on('close', () => { if (socket === this.socket) this.fail(new Error('GlobalData: connection closed')); });
    if (this.options.pingInterval > 0) {
      this.pingTimer = setInterval(() => socket.write(PING_FRAME), this.options.pingInterval * 1000);
      this.pingTimer.unref();
    }
    return socket;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.decoder.push(chunk);
    for (;;) {
      let payload: Buffer | null;
      try {
        payload = this.decoder.next();
      } catch (error) {
        return this.fail(error as Error);
      }
      if (payload === null) return;
      let answer: Answer;
      try {
        answer = JSON.parse(payload.toString('utf8')) as Answer;
      } catch {
        return this.fail(new Error('GlobalData: the server answered with something that is not JSON'));
      }
      const waiting = this.waiting.shift();
      if (!waiting) return this.fail(new Error('GlobalData: an answer nobody asked for'));
      clearTimeout(waiting.timer);
      if (this.waiting.length === 0) socket.unref();
      if (answer.error !== undefined) waiting.reject(new Error(`GlobalData: ${String(answer.error)}`));
      else waiting.resolve(answer);
    }
  }

  /** Ends the connection and fails every request in flight (their order is lost with it). */
  private fail(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    clearInterval(this.pingTimer);
    socket?.destroy();
    for (const waiting of this.waiting.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }
}

export class GlobalDataClient {
  private readonly servers: ServerConnection[];

  /** Workerman's `new GlobalData\Client('127.0.0.1:2207')`: one address, several (sharded by key), or `unix:///path`. */
  constructor(servers: string | string[] = '127.0.0.1:2207', options: GlobalDataClientOptions = {}) {
    const list = Array.isArray(servers) ? servers : [servers];
    if (list.length === 0) throw new TypeError('GlobalDataClient: no server address');
    const resolved: Required<GlobalDataClientOptions> = { timeout: options.timeout ?? 5, pingInterval: options.pingInterval ?? 25 };
    this.servers = list.map((address) => new ServerConnection(parseServerAddress(address, 2207), resolved));
  }

  /** The value, or undefined when the key is not set (`T` is an assertion of yours, not checked). */
  async get<T = any>(key: string): Promise<T | undefined> {
    const answer = await this.ask({ cmd: 'get', key: String(key) });
    return answer.value as T | undefined;
  }

  /** Workerman's isset(): set and not null. */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) != null;
  }

  async set(key: string, value: unknown): Promise<true> {
    await this.ask({ cmd: 'set', key: String(key), value: checkValue(value) });
    return true;
  }

  async unset(key: string): Promise<true> {
    await this.ask({ cmd: 'unset', key: String(key) });
    return true;
  }

  /** Stores only when the key is not set; false when it is. */
  async add(key: string, value: unknown): Promise<boolean> {
    return (await this.ask({ cmd: 'add', key: String(key), value: checkValue(value) })).result === true;
  }

  /** Stores `value` only when the current value equals `old` (deep, as JSON; a missing key equals null). */
  async cas(key: string, old: unknown, value: unknown): Promise<boolean> {
    const message = { cmd: 'cas', key: String(key), old: old === undefined ? null : old, value: checkValue(value) };
    return (await this.ask(message)).result === true;
  }

  /** Adds `step` (a non-numeric value counts as 0); the new value, or false when the key is not set. */
  async increment(key: string, step = 1): Promise<number | false> {
    if (typeof step !== 'number' || !Number.isFinite(step)) throw new TypeError('GlobalDataClient.increment: step must be a finite number');
    const { result } = await this.ask({ cmd: 'increment', key: String(key), step });
    return typeof result === 'number' ? result : false;
  }

  /** Closes the connections; requests in flight fail. A later request opens them again. */
  close(): void {
    for (const server of this.servers) server.close();
  }

  private ask(message: { cmd: string; key: string; [field: string]: unknown }): Promise<Answer> {
    const server = this.servers.length === 1 ? this.servers[0] : this.servers[crc32(message.key) % this.servers.length];
    return server.request(message);
  }
}

function checkValue(value: unknown): unknown {
  if (value === undefined || JSON.stringify(value) === undefined) throw new TypeError('GlobalData values must be JSON-serialisable (not undefined)');
  return value;
}

let table: Int32Array | undefined;

/** CRC-32 (IEEE) of the key's UTF-8 bytes, as PHP's crc32(). */
export function crc32(text: string): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (const byte of Buffer.from(text, 'utf8')) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
