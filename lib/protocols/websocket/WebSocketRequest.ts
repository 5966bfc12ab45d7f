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
    const lines = head.split(/\r?\n/);
    const [method, target] = lines[0].split(' ');
    this.method = method;
    this.uri = target;
    const q = target.indexOf('?');
    this.path = q < 0 ? target : target.slice(0, q);
    this.query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (!line) break;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
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
