import { parseHeadFields } from '../http/headers';

/** The upgrade request handed to onWebSocketConnect / onWebSocketConnected. */
export class WebSocketRequest {
  readonly method: string;
  /** The request target's path, e.g. "/chat". */
  readonly path: string;
  /** The whole request target, e.g. "/chat?room=1". */
  readonly uri: string;
  readonly query: URLSearchParams;
  /** Header names in lower case; repeated headers are joined with ", ". */
  readonly headers: Record<string, string>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Offered subprotocols (Sec-WebSocket-Protocol), in the client's order. */
  readonly protocols: string[];

  /** @internal */ _rejection: { status: number; body: string } | null = null;

  /** @internal The head was validated natively; this only splits it. */
  constructor(head: string, remoteAddress: string, remotePort: number) {
    const [method, target] = head.slice(0, head.indexOf('\n')).trimEnd().split(' ');
    this.method = method;
    this.uri = target;
    const q = target.indexOf('?');
    this.path = q < 0 ? target : target.slice(0, q);
    this.query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const headers = { ...parseHeadFields(head) }; // a plain object, as users compare it
    this.headers = headers;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.protocols = (headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  }

  /** Refuses the upgrade with this HTTP status (default 403) and body, then closes. */
  reject(status = 403, body = ''): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError('reject(): status must be an HTTP error status (400-599)');
    }
    this._rejection ??= { status, body: String(body) };
  }
}
