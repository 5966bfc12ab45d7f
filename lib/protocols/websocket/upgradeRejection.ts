// request.reject(status, body?, headers?) on an upgrade request (a websocket://
// worker's WebSocketRequest, or the Request of an http:// worker's upgrade):
// what the core answers instead of the 101, checked when reject() is called.
import { checkHeader, type HeaderValue } from '../http/Response';

export interface UpgradeRejection {
  status: number;
  body: string;
  /** Header lines, each ending in CRLF. */
  headerLines: string;
}

/** The core writes these itself (the refusal ends the connection). */
const FRAMING_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding']);

export function upgradeRejection(status: unknown, body: unknown, headers: Record<string, HeaderValue> | undefined): UpgradeRejection {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`reject(): status must be an HTTP error status (an integer 400-599), got ${String(status)}`);
  }
  let headerLines = '';
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) throw new TypeError('reject(): headers is an object such as { "WWW-Authenticate": "Bearer" }');
    for (const [name, value] of Object.entries(headers)) {
      checkHeader(name, value);
      if (FRAMING_HEADERS.has(name.toLowerCase())) throw new TypeError(`reject(): the ${name} header is the core's (the refusal closes the connection)`);
      for (const v of Array.isArray(value) ? value : [value]) headerLines += `${name}: ${String(v)}\r\n`;
    }
  }
  return { status, body: body === undefined ? '' : String(body), headerLines };
}
