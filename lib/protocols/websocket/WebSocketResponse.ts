/**
 * The 101 a ws:// client got, as onWebSocketConnect(connection, response) sees
 * it: the status, the headers (names lower-cased; repeated ones joined with
 * ", "), the subprotocol the server chose, and the raw head.
 */
export class WebSocketResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Record<string, string> = {};

  constructor(readonly raw: string) {
    const lines = raw.split('\r\n');
    const status = /^HTTP\/\d\.\d (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
    this.status = status ? Number(status[1]) : 0;
    this.statusText = status ? status[2] : '';
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) continue;
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      this.headers[name] = name in this.headers ? `${this.headers[name]}, ${value}` : value;
    }
  }

  /** Sec-WebSocket-Protocol: the subprotocol the server accepted, or '' for none. */
  get protocol(): string {
    return this.headers['sec-websocket-protocol'] ?? '';
  }
}
