import { inspect } from 'node:util';

import { headMethod, headTarget, parseHeadFields, targetPath, targetQuery } from '../http/headers';
import { parseQuery, type QueryValue } from '../http/query';
import type { HeaderValue } from '../http/Response';
import { upgradeRejection, type UpgradeRejection } from './upgradeRejection';

/** Where the request came from, asked only when a hook reads it. */
export interface RequestPeer {
  getRemoteIp(): string;
  getRemotePort(): number;
}

/**
 * The upgrade request handed to onWebSocketConnect / onWebSocketConnected.
 * Its parts are split from the head when first read: a hook that looks at
 * one header does not pay for the rest.
 */
export class WebSocketRequest {
  /** @internal */ _rejection: UpgradeRejection | null = null;
  // True private fields: keys, JSON and inspection show the request, not the connection.
  readonly #head: string;
  readonly #peer: RequestPeer;
  #headers: Record<string, string> | undefined;
  #query: URLSearchParams | undefined;
  #protocols: string[] | undefined;
  #parsedQuery: Record<string, QueryValue> | undefined;

  /** @internal The head was validated natively; this only splits it. */
  constructor(head: string, peer: RequestPeer) {
    this.#head = head;
    this.#peer = peer;
  }

  get method(): string {
    return headMethod(this.#head);
  }
  /** The whole request target, e.g. "/chat?room=1". */
  get uri(): string {
    return headTarget(this.#head);
  }
  /** The request target's path, e.g. "/chat". */
  get path(): string {
    return targetPath(this.uri);
  }
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(targetQuery(this.uri));
    return this.#query;
  }
  /** Workerman's $request->get(): query parameters (PHP-style, as an HTTP Request's get()); all of them without a name. */
  get(): Record<string, QueryValue>;
  get(name: string, defaultValue?: QueryValue): QueryValue | undefined;
  get(name?: string, defaultValue?: QueryValue): unknown {
    this.#parsedQuery ??= parseQuery(targetQuery(this.uri));
    return name === undefined ? this.#parsedQuery : (this.#parsedQuery[name] ?? defaultValue);
  }

  /** Workerman's $request->header(): a header by name (any case; SP/HTAB around the value stripped), or all of them. */
  header(): Record<string, string>;
  header(name: string, defaultValue?: string): string | undefined;
  header(name?: string, defaultValue?: string): unknown {
    const headers = this.headers;
    return name === undefined ? headers : (headers[name.toLowerCase()] ?? defaultValue);
  }

  /** Header names in lower case; repeated headers are joined with ", ". */
  get headers(): Record<string, string> {
    this.#headers ??= { ...parseHeadFields(this.#head) }; // a plain object, as users compare it
    return this.#headers;
  }
  get remoteAddress(): string {
    return this.#peer.getRemoteIp();
  }
  get remotePort(): number {
    return this.#peer.getRemotePort();
  }
  /** Offered subprotocols (Sec-WebSocket-Protocol), in the client's order. */
  get protocols(): string[] {
    this.#protocols ??= (this.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    return this.#protocols;
  }

  toJSON(): Record<string, unknown> {
    const { method, path, uri, headers, remoteAddress, remotePort, protocols } = this;
    return { method, path, uri, query: Object.fromEntries(this.query), headers, remoteAddress, remotePort, protocols };
  }

  [inspect.custom](): string {
    return `WebSocketRequest ${inspect(this.toJSON())}`;
  }

  /**
   * Refuses the upgrade with this HTTP status (an integer 400-599, default 403), body and
   * headers (e.g. { 'WWW-Authenticate': 'Bearer' }), then closes. Checked here: a bad
   * status or a header name or value that could split the head throws.
   */
  reject(status = 403, body = '', headers?: Record<string, HeaderValue>): void {
    const rejection = upgradeRejection(status, body, headers);
    this._rejection ??= rejection;
  }
}
