// What send() can put on the wire. Anything else is a mistake that used to
// go out as "[object Object]" or "undefined": it throws, saying what to write.
import { describeValue } from '../optionChecks';

export type Bytes = string | Buffer | Uint8Array | ArrayBuffer;

export function isBytes(data: unknown): data is Bytes {
  return typeof data === 'string' || data instanceof Uint8Array || data instanceof ArrayBuffer;
}

/** Throws a TypeError naming `what` unless `data` is a string, Buffer, Uint8Array or ArrayBuffer. */
export function assertBytes(what: string, data: unknown, alsoAccepted = ''): asserts data is Bytes {
  if (isBytes(data)) return;
  throw new TypeError(
    `${what} takes a string, Buffer, Uint8Array or ArrayBuffer${alsoAccepted}, got ${describeValue(data)}` + hint(data),
  );
}

function hint(data: unknown): string {
  if (typeof data === 'number' || typeof data === 'bigint' || typeof data === 'boolean') return `: send String(value)`;
  if (data !== null && typeof data === 'object') return ': send JSON.stringify(value), or set a protocol whose encode() takes objects';
  return '';
}

/** A string or bytes as the core takes them (ArrayBuffers viewed as bytes). */
export function asWireData(data: Bytes): string | Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
