import { serializeCookie, type CookieOptions } from './cookies';

export type HeaderValue = string | number | Array<string | number>;

/** An HTTP response, as Workerman's: the with* methods change it and return it. */
export class Response {
  /** @internal name (lower case) -> [name as given, values] */
  readonly _headers = new Map<string, [string, string[]]>();
  private statusCode: number;
  private reason: string | undefined;
  private bodyData: string | Buffer;
  /** @internal */ _file: { path: string; offset: number; length: number | undefined } | undefined;

  constructor(status = 200, headers: Record<string, HeaderValue> = {}, body: string | Buffer = '') {
    this.statusCode = checkStatus(status);
    this.withHeaders(headers);
    this.bodyData = body;
  }

  withStatus(status: number, reason?: string): this {
    this.statusCode = checkStatus(status);
    this.reason = reason;
    return this;
  }

  withHeader(name: string, value: HeaderValue): this {
    checkHeader(name, value);
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    this._headers.set(name.toLowerCase(), [name, values]);
    return this;
  }

  withHeaders(headers: Record<string, HeaderValue>): this {
    for (const [name, value] of Object.entries(headers)) this.withHeader(name, value);
    return this;
  }

  withoutHeader(name: string): this {
    this._headers.delete(name.toLowerCase());
    return this;
  }

  withBody(body: string | Buffer): this {
    this.bodyData = body;
    this._file = undefined;
    return this;
  }

  /** Sends a file, streamed from disk in pieces with backpressure; Range and If-Modified-Since are honoured. */
  withFile(path: string, offset = 0, length?: number): this {
    this._file = { path, offset, length };
    return this;
  }

  /** Adds a Set-Cookie header. */
  cookie(name: string, value: string, options: CookieOptions = {}): this {
    const cookie = serializeCookie(name, value, options);
    const existing = this._headers.get('set-cookie');
    if (existing) existing[1].push(cookie);
    else this._headers.set('set-cookie', ['Set-Cookie', [cookie]]);
    return this;
  }

  getStatusCode(): number {
    return this.statusCode;
  }
  getReasonPhrase(): string | undefined {
    return this.reason;
  }
  getHeader(name: string): string | undefined {
    return this._headers.get(name.toLowerCase())?.[1].join(', ');
  }
  getHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, values] of this._headers.values()) out[name] = values.length === 1 ? values[0] : values;
    return out;
  }
  rawBody(): string | Buffer {
    return this.bodyData;
  }
}

/** One piece of a chunked response: send a Response with Transfer-Encoding: chunked first, end with new Chunk(''). */
export class Chunk {
  constructor(readonly data: string | Buffer) {}
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid HTTP status ${status}`);
  return status;
}

/** @internal A header name must be a token; no value may hold CR, LF or NUL (they would split the head). */
export function checkHeader(name: string, value: HeaderValue): void {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new TypeError(`invalid header name "${name}"`);
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) if (/[\r\n\0]/.test(String(v))) throw new TypeError(`invalid value for header ${name}`);
}
