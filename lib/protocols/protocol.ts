import type { TcpConnection } from '../connection/TcpConnection';
import { NativeProtocol } from '../native';

/**
 * Workerman's protocol contract. `input` sees every byte buffered for the
 * connection so far and returns 0 (need more), the length of the first
 * package, or a negative number (bad input: the connection is closed).
 */
export interface ProtocolObject<Decoded = unknown, Encodable = Decoded> {
  input(buffer: Buffer, connection: TcpConnection): number;
  /** Its return type is the type of `data` in onMessage (new Worker<typeof protocol>(...)). */
  decode(buffer: Buffer, connection: TcpConnection): Decoded;
  /** Its parameter type is what send() takes on such a connection. */
  encode(data: Encodable, connection: TcpConnection): string | Buffer | Uint8Array;
}

/** Protocols split in native code. */
export const BUILTIN_PROTOCOLS = ['tcp', 'text', 'frame'] as const;
export type BuiltinProtocol = (typeof BUILTIN_PROTOCOLS)[number];

const registry = new Map<string, ProtocolObject>();

export function registerProtocol(scheme: string, protocol: ProtocolObject): void {
  if (typeof scheme !== 'string' || !/^[a-z][a-z0-9+.-]*$/i.test(scheme)) {
    throw new TypeError(`invalid protocol scheme: ${String(scheme)}`);
  }
  if ((BUILTIN_PROTOCOLS as readonly string[]).includes(scheme.toLowerCase()) || scheme.toLowerCase() === 'unix') {
    throw new Error(`the protocol scheme "${scheme}" is built in`);
  }
  assertProtocolObject(protocol);
  registry.set(scheme.toLowerCase(), protocol);
}

export function lookupProtocol(scheme: string): ProtocolObject | undefined {
  return registry.get(scheme.toLowerCase());
}

export function assertProtocolObject(protocol: unknown): asserts protocol is ProtocolObject {
  const p = protocol as Partial<ProtocolObject> | null;
  if (!p || typeof p.input !== 'function' || typeof p.decode !== 'function' || typeof p.encode !== 'function') {
    throw new TypeError('a protocol object needs input(), decode() and encode() functions');
  }
}

/** A built-in scheme: how the core splits (and frames) it, and who may use it. */
export interface SchemeSpec {
  kind: NativeProtocol;
  /** A Worker listens on it (new Worker('text://...')). */
  listen: boolean;
  /** An AsyncTcpConnection connects with it, to this port when the address names none (0: it must). */
  connect: boolean;
  defaultPort: number;
}

/** The one scheme table: Worker and AsyncTcpConnection both read it. */
export const SCHEMES: Readonly<Record<string, SchemeSpec>> = {
  tcp: { kind: NativeProtocol.Raw, listen: true, connect: true, defaultPort: 0 },
  unix: { kind: NativeProtocol.Raw, listen: true, connect: false, defaultPort: 0 },
  text: { kind: NativeProtocol.Text, listen: true, connect: true, defaultPort: 0 },
  frame: { kind: NativeProtocol.Frame, listen: true, connect: true, defaultPort: 0 },
  websocket: { kind: NativeProtocol.WebSocket, listen: true, connect: false, defaultPort: 0 },
  ws: { kind: NativeProtocol.WebSocket, listen: false, connect: true, defaultPort: 80 },
  http: { kind: NativeProtocol.Http, listen: true, connect: false, defaultPort: 0 },
};

/** The schemes a Worker listens on, split natively. */
export const NATIVE_KINDS: Readonly<Record<string, SchemeSpec>> = Object.fromEntries(
  Object.entries(SCHEMES).filter(([, spec]) => spec.listen),
);

/** The schemes an AsyncTcpConnection connects with. */
export const CLIENT_SCHEMES: Readonly<Record<string, SchemeSpec>> = Object.fromEntries(
  Object.entries(SCHEMES).filter(([, spec]) => spec.connect),
);

export interface ResolvedProtocol {
  kind: NativeProtocol;
  userProtocol: ProtocolObject | null;
}

/** A protocol name, object or null, as the native core and the send path need it. */
export function resolveProtocol(protocol: ProtocolObject | string | null | undefined): ResolvedProtocol {
  if (protocol === null || protocol === undefined) return { kind: NativeProtocol.Raw, userProtocol: null };
  if (typeof protocol === 'string') {
    const builtin = NATIVE_KINDS[protocol.toLowerCase()];
    if (builtin) return { kind: builtin.kind, userProtocol: null };
    const registered = lookupProtocol(protocol);
    if (!registered) throw new Error(`unknown protocol "${protocol}"`);
    return { kind: NativeProtocol.Raw, userProtocol: registered };
  }
  assertProtocolObject(protocol);
  return { kind: NativeProtocol.Raw, userProtocol: protocol };
}
