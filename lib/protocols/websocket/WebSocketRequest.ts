import { inspect } from 'node:util';

import { headMethod, headTarget, parseHeadFields, targetPath, targetQuery } from '../http/headers';

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
  /** @internal */ _rejection: { status: number; body: string } | null = null;
  // True private fields: keys, JSON and inspection show the request, not the connection.
  readonly #head: string;
  readonly #peer: RequestPeer;
  #headers: Record<string, string> | undefined;
  #query: URLSearchParams | undefined;
  #protocols: string[] | undefined;

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

  /** Refuses the upgrade with this HTTP status (default 403) and body, then closes. */
  reject(status = 403, body = ''): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError('reject(): status must be an HTTP error status (400-599)');
    }
    this._rejection ??= { status, body: String(body) };
  }
}
