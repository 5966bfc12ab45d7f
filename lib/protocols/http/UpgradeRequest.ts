// The Request an http:// worker that takes WebSocket upgrades (worker.websocket)
// hands to onWebSocketConnect: the same Request its HTTP handlers get (get(),
// header(), cookie(), session(), ...), plus what deciding an upgrade needs and
// a websocket:// worker's WebSocketRequest offers: reject(), protocols, query, headers.
import { upgradeRejection, type UpgradeRejection } from '../websocket/upgradeRejection';
import { serializeCookie } from './cookies';
import { Request } from './Request';
import type { HeaderValue } from './Response';

export class UpgradeRequest extends Request {
  /** @internal */ _rejection: UpgradeRejection | null = null;
  private searchParams: URLSearchParams | undefined;
  private offered: string[] | undefined;

  /** The query as URLSearchParams (as WebSocketRequest's query); get() gives it PHP-style. */
  get query(): URLSearchParams {
    this.searchParams ??= new URLSearchParams(this.queryString);
    return this.searchParams;
  }
  /** Header names in lower case; repeated headers are joined with ", " (as WebSocketRequest's headers). */
  get headers(): Record<string, string> {
    return { ...this.header() };
  }
  /** Offered subprotocols (Sec-WebSocket-Protocol), in the client's order. */
  get protocols(): string[] {
    this.offered ??= (this.header('sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    return this.offered;
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

  /** @internal The session used in onWebSocketConnect is saved with the 101, which carries its cookie when it is new. */
  _upgradeHeaderLines(): string {
    const id = this._finishSession();
    if (!id) return '';
    const settings = Request.session;
    return `Set-Cookie: ${serializeCookie(settings.name, id, settings.cookie)}\r\n`;
  }
}
