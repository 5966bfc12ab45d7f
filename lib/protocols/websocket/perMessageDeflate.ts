// permessage-deflate (RFC 7692) options, as `ws` names them: checked where they
// are set, and packed for the native core, which negotiates and compresses.
import { checkBoolean, describeValue, integerAtLeast } from '../../optionChecks';

export interface PerMessageDeflateOptions {
  /** Messages shorter than this many bytes go uncompressed; default 1024 (as ws). */
  threshold?: number;
  /** Server: each message the server sends starts from an empty window (asked for in the offer, or granted in the answer). */
  serverNoContextTakeover?: boolean;
  /** Client: each message the client sends starts from an empty window. */
  clientNoContextTakeover?: boolean;
  /** The server's LZ77 window, 8..15 (2^bits bytes); default 15, or what the client asks for if less. */
  serverMaxWindowBits?: number;
  /** The client's LZ77 window, 8..15; default: not limited (15). A server needs a client that offers client_max_window_bits. */
  clientMaxWindowBits?: number;
  /** zlib's memLevel for the compressor, 1..9; default 8. */
  memLevel?: number;
}

export type PerMessageDeflate = boolean | PerMessageDeflateOptions;

/** Options in effect (false: off). */
export type ResolvedPerMessageDeflate = false | Required<Omit<PerMessageDeflateOptions, 'serverMaxWindowBits' | 'clientMaxWindowBits'>> & {
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | undefined;
};

const NAMES = ['threshold', 'serverNoContextTakeover', 'clientNoContextTakeover', 'serverMaxWindowBits', 'clientMaxWindowBits', 'memLevel'];

function windowBits(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 8 || value > 15) {
    throw new RangeError(`${name} must be an integer from 8 to 15, got ${describeValue(value)}`);
  }
  return value;
}

export function checkPerMessageDeflate(name: string, value: unknown): ResolvedPerMessageDeflate {
  if (value === false || value === undefined || value === null) return false;
  if (value === true) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} is true, false or an options object such as { threshold: 1024 }, got ${describeValue(value)}`);
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!NAMES.includes(key)) throw new TypeError(`${name}: unknown option "${key}" (known: ${NAMES.join(', ')})`);
  }
  const memLevel = given.memLevel === undefined ? 8 : integerAtLeast(`${name}.memLevel`, given.memLevel, 1);
  if (memLevel > 9) throw new RangeError(`${name}.memLevel must be an integer from 1 to 9, got ${memLevel}`);
  const threshold = given.threshold === undefined ? 1024 : integerAtLeast(`${name}.threshold`, given.threshold, 0);
  return {
    threshold: Math.min(threshold, 0xffffffff),
    serverNoContextTakeover: given.serverNoContextTakeover === undefined ? false : checkBoolean(`${name}.serverNoContextTakeover`, given.serverNoContextTakeover),
    clientNoContextTakeover: given.clientNoContextTakeover === undefined ? false : checkBoolean(`${name}.clientNoContextTakeover`, given.clientNoContextTakeover),
    serverMaxWindowBits: windowBits(`${name}.serverMaxWindowBits`, given.serverMaxWindowBits),
    clientMaxWindowBits: windowBits(`${name}.clientMaxWindowBits`, given.clientMaxWindowBits),
    memLevel,
  };
}

/** @internal The array the binding reads (native/binding/addon.cc deflateOptionsOf). */
export function nativeDeflateOptions(options: ResolvedPerMessageDeflate): number[] {
  if (!options) return [0, 0, 0, 0, 0, 0, 8];
  return [
    1,
    options.threshold,
    options.serverNoContextTakeover ? 1 : 0,
    options.clientNoContextTakeover ? 1 : 0,
    options.serverMaxWindowBits ?? 0,
    options.clientMaxWindowBits ?? 0,
    options.memLevel,
  ];
}
