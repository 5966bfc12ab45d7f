/**
 * Cookie header parsing and Set-Cookie serialisation.
 *
 * Like Workerman, cookie values are NOT URL-decoded when parsed and NOT URL-encoded when
 * serialised: what the client sent (or what the application passes) is used verbatim.
 */

/** RFC 7230 token (tchar+), used for cookie names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters (incl. CR, LF, NUL, DEL) and ';' may never appear in a Set-Cookie value or attribute. */
const UNSAFE = /[\u0000-\u001f\u007f;]/;

/**
 * Parses a Cookie request header into name → value.
 *
 * Pairs are split on ';' and then on the first '='; names and values are trimmed of spaces and
 * tabs. Pairs without '=' or with an empty name are ignored. When a name repeats, the first
 * occurrence wins (browsers send the most specific cookie first). Values are returned verbatim
 * (not URL-decoded, surrounding double quotes kept).
 *
 * The result has a null prototype, so `cookies.constructor` or `cookies.__proto__` are only ever
 * real cookies; use `Object.hasOwn` / `in`, not `cookies.hasOwnProperty(...)`.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  let start = 0;
  const len = header.length;
  while (start < len) {
    let end = header.indexOf(';', start);
    if (end < 0) end = len;
    const eq = header.indexOf('=', start);
    if (eq >= 0 && eq < end) {
      const name = trimOws(header.slice(start, eq));
      if (name !== '' && !(name in out)) {
        out[name] = trimOws(header.slice(eq + 1, end));
      }
    }
    start = end + 1;
  }
  return out;
}

function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

export interface CookieOptions {
  /** Max-Age in seconds (integer part used; 0 or negative expires the cookie at once). */
  maxAge?: number;
  /** Expires: a Date, a millisecond timestamp, or anything `new Date(string)` accepts. */
  expires?: Date | number | string;
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

/**
 * Builds a Set-Cookie header value: `name=value; Max-Age=..; Expires=..; Domain=..; Path=..;
 * Secure; HttpOnly; SameSite=..`.
 *
 * Throws TypeError when the name is not an RFC 7230 token, when the value, path or domain
 * contains a control character (CR, LF, NUL, ...) or ';', when maxAge is not a finite number,
 * when expires is not a valid date, or when sameSite is not Strict/Lax/None.
 * The value is NOT URL-encoded (encode it yourself if it may contain such characters).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  }
  value = String(value ?? '');
  if (UNSAFE.test(value)) {
    throw new TypeError(`invalid cookie value for ${name}: control characters and ';' are not allowed`);
  }
  let out = `${name}=${value}`;
  if (options.maxAge !== undefined) {
    if (typeof options.maxAge !== 'number' || !Number.isFinite(options.maxAge)) {
      throw new TypeError('cookie maxAge must be a finite number');
    }
    out += `; Max-Age=${Math.floor(options.maxAge)}`;
  }
  if (options.expires !== undefined) {
    const d = options.expires instanceof Date ? options.expires : new Date(options.expires);
    if (Number.isNaN(d.getTime())) throw new TypeError('cookie expires is not a valid date');
    out += `; Expires=${d.toUTCString()}`;
  }
  if (options.domain) {
    if (UNSAFE.test(options.domain)) throw new TypeError('invalid cookie domain');
    out += `; Domain=${options.domain}`;
  }
  if (options.path) {
    if (UNSAFE.test(options.path)) throw new TypeError('invalid cookie path');
    out += `; Path=${options.path}`;
  }
  if (options.secure) out += '; Secure';
  if (options.httpOnly) out += '; HttpOnly';
  if (options.sameSite !== undefined) {
    if (options.sameSite !== 'Strict' && options.sameSite !== 'Lax' && options.sameSite !== 'None') {
      throw new TypeError(`invalid cookie sameSite ${JSON.stringify(options.sameSite)}`);
    }
    out += `; SameSite=${options.sameSite}`;
  }
  return out;
}
