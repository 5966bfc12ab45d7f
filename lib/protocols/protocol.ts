import type { TcpConnection } from '../connection/TcpConnection';
import { NativeProtocol } from '../native';

/**
 * Workerman's protocol contract. `input` sees every byte buffered for the
 * connection so far and returns 0 (need more), the length of the first
 * package, or a negative number (bad input: the connection is closed).
 */
export interface ProtocolObject {
  input(buffer: Buffer, connection: TcpConnection): number;
  decode(buffer: Buffer, connection: TcpConnection): unknown;
  encode(data: unknown, connection: TcpConnection): string | Buffer | Uint8Array;
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

/** How each built-in scheme is split natively (and so framed on send, by the core). */
export const NATIVE_KINDS: Record<string, { kind: NativeProtocol }> = {
  tcp: { kind: NativeProtocol.Raw },
  unix: { kind: NativeProtocol.Raw },
  text: { kind: NativeProtocol.Text },
  frame: { kind: NativeProtocol.Frame },
  websocket: { kind: NativeProtocol.WebSocket },
  http: { kind: NativeProtocol.Http },
};

export interface ResolvedProtocol {
  kind: NativeProtocol;
  userProtocol: ProtocolObject | null;
}

/** A protocol name, object or null, as the native core and the send path need it. */
export function resolveProtocol(protocol: ProtocolObject | string | null | undefined): ResolvedProtocol {
  if (protocol === null || protocol === undefined) return { kind: NativeProtocol.Raw, userProtocol: null };
  if (typeof protocol === 'string') {
    const builtin = NATIVE_KINDS[protocol.toLowerCase()];
    if (builtin) return { ...builtin, userProtocol: null };
    const registered = lookupProtocol(protocol);
    if (!registered) throw new Error(`unknown protocol "${protocol}"`);
    return { kind: NativeProtocol.Raw, userProtocol: registered };
  }
  assertProtocolObject(protocol);
  return { kind: NativeProtocol.Raw, userProtocol: protocol };
}
