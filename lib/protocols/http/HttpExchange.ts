import * as fs from 'node:fs';

import type { TcpConnection } from '../../connection/TcpConnection';
import { contentTypeFor } from './mime';
import { parseRange } from './range';
import { Request } from './Request';
import { Chunk, Response } from './Response';
import { ServerSentEvents } from './ServerSentEvents';
import { serializeCookie } from './cookies';

const REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const FILE_PIECE = 64 * 1024;

let dateSecond = 0;
let dateValue = '';
let prefixSecond = 0;
let prefixServer: string | null = null;
let prefixValue = '';

/** Status line, Date, Server and Content-Type of a 200 text/html response, rebuilt once a second. */
function okPrefix(server: string | null): string {
  const date = httpDate();
  if (dateSecond !== prefixSecond || server !== prefixServer) {
    prefixSecond = dateSecond;
    prefixServer = server;
    prefixValue =
      `HTTP/1.1 200 OK\r\nDate: ${date}\r\n` + (server ? `Server: ${server}\r\n` : '') + 'Content-Type: text/html;charset=utf-8\r\n';
  }
  return prefixValue;
}
/** The Date header, computed once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** What an HTTP connection needs from its TcpConnection. */
export interface HttpTransport {
  /** Raw bytes; `end` marks the end of a response. */
  write(bytes: string | Uint8Array, end: boolean): true | null | false;
  close(): void;
  isOpen(): boolean;
  /** Resolves when the send queue has drained (or at once when it is empty). */
  drained(): Promise<void>;
  serverHeader(): string | null;
  /** The worker is stopping: responses say `Connection: close` and the connection closes after them. */
  draining(): boolean;
}

type Sendable = Response | Chunk | ServerSentEvents | string | Buffer | Uint8Array;

/**
 * Turns what the user sends on an HTTP connection into responses, in request
 * order: status line and headers (Date, Server, Content-Length, Connection),
 * HEAD without a body, chunked streaming, event streams, files with ranges
 * and 304, the session cookie, keep-alive or close.
 */
export class HttpExchange {
  private readonly waiting: Request[] = [];
  private streamingRequest: Request | null | undefined; // set while a chunked response is open
  private unframed = false; // that response goes to an HTTP/1.0 client: raw bytes, then close
  private eventStream = false; // a text/event-stream response is open: it lasts until the connection closes
  private busy = false; // a file is being streamed: later sends wait
  private closeAfterResponse = false; // the head being answered said Connection: close
  private ended = false; // a response closed the connection: requests read after it are not answered (RFC 9112 9.6)
  private readonly deferred: Sendable[] = [];
  /** Runs once every response owed so far is out (an upgrade request waits for it). */
  private idleWaiter: (() => void) | undefined;

  constructor(private readonly transport: HttpTransport) {}

  /**
   * A request arrived on `connection` (its head validated natively); its response is the
   * next one sent after those before it. Null when it can never be answered: an event
   * stream holds the connection.
   */
  request(connection: TcpConnection, head: string, body: Buffer, keepAlive: boolean, isHead: boolean): Request | null {
    const request = new Request(head, body, connection, keepAlive, isHead);
    return this.admit(request) ? request : null;
  }

  /** A request made elsewhere (an upgrade request served as HTTP) takes its place in line; false as request()'s null. */
  admit(request: Request): boolean {
    if (this.eventStream || this.ended) {
      request._cleanup();
      return false;
    }
    this.waiting.push(request);
    return true;
  }

  /** Runs `fn` now if no response is owed, else once the last one owed is out (never, if the connection ends first). */
  whenIdle(fn: () => void): void {
    this.idleWaiter = fn;
    this.runIfIdle();
  }

  private runIfIdle(): void {
    const fn = this.idleWaiter;
    if (!fn || this.waiting.length || this.busy || this.streamingRequest !== undefined || this.deferred.length || this.eventStream || this.ended) return;
    this.idleWaiter = undefined;
    fn();
  }

  /**
   * The process is stopping: close unless graceful. Graceful: an event stream closes (it would
   * never end; EventSource reconnects elsewhere); other responses say Connection: close (draining()),
   * and an idle keep-alive connection goes at keepAliveTimeout.
   */
  goAway(graceful: boolean): void {
    if (!graceful || this.eventStream) this.transport.close();
  }

  /** The connection closed: requests left unanswered give up their uploads. */
  closed(): void {
    this.idleWaiter = undefined;
    this.streamingRequest?._cleanup();
    for (const request of this.waiting) request._cleanup();
    this.waiting.length = 0;
    this.deferred.length = 0;
  }

  send(data: Sendable): true | null | false {
    const result = this.dispatch(data);
    if (this.idleWaiter) this.runIfIdle();
    return result;
  }

  private dispatch(data: Sendable): true | null | false {
    // Only events go into an event stream; anything else has no place on this connection any more.
    if (this.eventStream) return data instanceof ServerSentEvents ? this.transport.write(data.toString(), false) : false;
    if (data instanceof ServerSentEvents || this.ended) return false; // no stream open (it answered a HEAD, say), or closed
    // Responses wait for the file or chunked stream before them: they go out in request order.
    if (this.busy || (this.streamingRequest !== undefined && !(data instanceof Chunk))) {
      this.deferred.push(data);
      return null;
    }
    if (data instanceof Chunk) return this.sendChunk(data);
    const request = this.waiting.shift();
    if (typeof data === 'string' && request && !request._hasSession()) return this.sendText(data, request);
    const response = data instanceof Response ? data : new Response(200, {}, Buffer.isBuffer(data) || typeof data === 'string' ? data : Buffer.from(data));
    if (response._file) {
      void this.sendFile(response, request);
      return null;
    }
    if (/^\s*text\/event-stream\b/i.test(response.getHeader('content-type') ?? '')) return this.openEventStream(response, request);
    if (/\bchunked\b/i.test(response.getHeader('transfer-encoding') ?? '')) {
      this.streamingRequest = request ?? null;
      if (request?.protocolVersion === '1.0') {
        // HTTP/1.0 has no chunked coding: the body runs until the connection closes.
        this.unframed = true;
        response.withoutHeader('transfer-encoding').withHeader('Connection', 'close');
      }
      const written = this.transport.write(this.head(response, request, -1), false);
      // As in Workerman, the body of the opening response is the first chunk.
      const first = response.rawBody();
      return first.length > 0 ? this.sendChunk(new Chunk(first)) : written;
    }
    return this.writeWhole(response, request);
  }

  /** A response whose body is in memory: head and body in one go, then keep-alive or close. */
  private writeWhole(response: Response, request: Request | undefined): true | null | false {
    const body = response.rawBody();
    const status = response.getStatusCode();
    const bodyAllowed = status >= 200 && status !== 204 && status !== 304;
    const length = bodyAllowed ? (typeof body === 'string' ? Buffer.byteLength(body) : body.length) : -1;
    const head = this.head(response, request, length);
    const withBody = bodyAllowed && !request?._isHead && length > 0;
    let result: true | null | false;
    if (!withBody) result = this.transport.write(head, true);
    else if (typeof body === 'string') result = this.transport.write(head + body, true);
    else {
      this.transport.write(head, false);
      result = this.transport.write(body, true);
    }
    this.finish(request);
    return result;
  }

  /** The common case, a string answered with 200 text/html: no Response object, a cached head prefix. */
  private sendText(body: string, request: Request): true | null | false {
    const version = request.protocolVersion === '1.0' ? '1.0' : '1.1';
    const keepAlive = request._keepAlive && !this.transport.draining();
    let head = version === '1.1' ? okPrefix(this.transport.serverHeader()) : okPrefix(this.transport.serverHeader()).replace('HTTP/1.1', 'HTTP/1.0');
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n${keepAlive ? 'Connection: keep-alive' : 'Connection: close'}\r\n\r\n`;
    const result = this.transport.write(request._isHead ? head : head + body, true);
    request._cleanup();
    if (!keepAlive) this.end();
    return result;
  }

  /**
   * As in Workerman: headers only (the body is ignored), then events until the connection
   * closes. Requests behind this one can never be answered and are given up.
   */
  private openEventStream(response: Response, request: Request | undefined): true | null | false {
    response.withoutHeader('transfer-encoding');
    const status = response.getStatusCode();
    if (request?._isHead || status < 200 || status === 204 || status === 304) {
      const result = this.transport.write(this.head(response, request, -1), true);
      this.finish(request);
      return result;
    }
    this.eventStream = true;
    this.streamingRequest = request ?? null;
    for (const later of this.waiting) later._cleanup();
    this.waiting.length = 0;
    this.deferred.length = 0;
    return this.transport.write(this.head(response, request, -1), false);
  }

  private sendChunk(chunk: Chunk): true | null | false {
    const data = chunk.data;
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (length === 0) {
      const request = this.streamingRequest;
      const unframed = this.unframed;
      this.streamingRequest = undefined;
      this.unframed = false;
      const result = this.transport.write(request?._isHead || unframed ? '' : '0\r\n\r\n', true);
      this.finish(request ?? undefined);
      if (unframed) this.transport.close();
      this.flushDeferred();
      return result;
    }
    if (this.streamingRequest !== undefined && this.streamingRequest?._isHead) return true;
    if (this.unframed) return this.transport.write(data, false);
    const sizeLine = `${length.toString(16)}\r\n`;
    if (typeof data === 'string') return this.transport.write(sizeLine + data + '\r\n', false);
    this.transport.write(sizeLine, false);
    this.transport.write(data, false);
    return this.transport.write('\r\n', false);
  }

  private head(response: Response, request: Request | undefined, contentLength: number): string {
    const status = response.getStatusCode();
    const version = request?.protocolVersion === '1.0' ? '1.0' : '1.1';
    let head = `HTTP/${version} ${status} ${response.getReasonPhrase() ?? REASONS[status] ?? 'Unknown'}\r\n`;
    const headers = response._headers;
    const userClose = /\bclose\b/i.test(response.getHeader('connection') ?? '');
    const keepAlive = (request ? request._keepAlive : true) && !userClose && !this.transport.draining();
    this.closeAfterResponse = !keepAlive;
    for (const [lower, [name, values]] of headers) {
      if (lower === 'content-length' || lower === 'connection') continue;
      if (lower === 'transfer-encoding' && contentLength >= 0) continue;
      for (const value of values) head += `${name}: ${value}\r\n`;
    }
    if (!headers.has('date')) head += `Date: ${httpDate()}\r\n`;
    const server = this.transport.serverHeader();
    if (server && !headers.has('server')) head += `Server: ${server}\r\n`;
    if (contentLength >= 0) {
      if (!headers.has('content-type') && contentLength > 0) head += 'Content-Type: text/html;charset=utf-8\r\n';
      head += `Content-Length: ${contentLength}\r\n`;
    }
    const sessionId = request?._finishSession();
    if (sessionId) {
      const settings = Request.session;
      head += `Set-Cookie: ${serializeCookie(settings.name, sessionId, settings.cookie)}\r\n`;
    }
    head += keepAlive ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';
    return head;
  }

  /** After a response: uploads removed; closed unless its head kept the connection alive. */
  private finish(request: Request | undefined): void {
    request?._cleanup();
    if (this.closeAfterResponse) this.end();
  }

  /** The response just written closes the connection: requests pipelined behind it are given up. */
  private end(): void {
    this.ended = true;
    for (const later of this.waiting) later._cleanup();
    this.waiting.length = 0;
    this.deferred.length = 0;
    this.transport.close();
  }

  private async sendFile(response: Response, request: Request | undefined): Promise<void> {
    this.busy = true;
    let fd: number | undefined;
    try {
      const file = response._file!;
      let stat: fs.Stats;
      try {
        fd = await openForReading(file.path);
        stat = await statOf(fd);
        if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      } catch {
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
        this.writeWhole(new Response(404, {}, 'Not Found'), request);
        return;
      }
      const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
      const since = request?.header('if-modified-since');
      if (since && !Number.isNaN(Date.parse(since)) && Date.parse(since) >= lastModified.getTime()) {
        this.writeWhole(new Response(304, { 'Last-Modified': lastModified.toUTCString() }), request);
        return;
      }
      const base = Math.min(file.offset, stat.size);
      const size = Math.min(file.length ?? stat.size - base, stat.size - base);
      let start = base;
      let end = base + size - 1;
      let status = response.getStatusCode();
      const range = parseRange(request?.header('range'), size);
      const extra: Record<string, string> = {
        'Last-Modified': lastModified.toUTCString(),
        'Accept-Ranges': 'bytes',
      };
      if (range === 'unsatisfiable') {
        this.writeWhole(new Response(416, { 'Content-Range': `bytes */${size}` }), request);
        return;
      }
      if (range) {
        status = 206;
        extra['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
        start = base + range.start;
        end = base + range.end;
      }
      if (!response.getHeader('content-type')) extra['Content-Type'] = contentTypeFor(file.path);
      response.withStatus(status).withHeaders(extra);
      const length = Math.max(0, end - start + 1);
      const head = this.head(response, request, length);
      if (request?._isHead || length === 0) {
        this.transport.write(head, true);
        this.finish(request);
        return;
      }
      this.transport.write(head, false);
      let position = start;
      while (position <= end && this.transport.isOpen()) {
        const piece = Buffer.allocUnsafe(Math.min(FILE_PIECE, end - position + 1));
        const { bytesRead } = await readAt(fd, piece, position);
        if (bytesRead === 0) break; // the file shrank: the connection cannot be kept
        position += bytesRead;
        const last = position > end;
        const result = this.transport.write(bytesRead === piece.length ? piece : piece.subarray(0, bytesRead), last);
        if (result === false) break;
        if (result === null && !last) await this.transport.drained();
      }
      if (position <= end) this.transport.close();
      else this.finish(request);
    } finally {
      if (fd !== undefined) fs.close(fd, () => {});
      this.busy = false;
      this.flushDeferred();
    }
  }


  /** Sends what waited, in order, as far as it can go now: a chunk into an open stream, anything once none is open. */
  private flushDeferred(): void {
    while (this.deferred.length && !this.busy && this.transport.isOpen()) {
      if (this.streamingRequest !== undefined && !(this.deferred[0] instanceof Chunk)) break;
      this.dispatch(this.deferred.shift()!);
    }
    if (this.idleWaiter) this.runIfIdle();
  }
}

function openForReading(path: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));
}

function statOf(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (error, stat) => (error ? reject(error) : resolve(stat))));
}

function readAt(fd: number, buffer: Buffer, position: number): Promise<{ bytesRead: number }> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve({ bytesRead })));
  });
}
