// The client side of frame:// over Node's own `net` (not the native core), so
// Channel and GlobalData clients work in any Node process, also one that is
// not a netwright server: a 4-byte big-endian total length (header included),
// then the payload; an empty frame is a ping.
import * as net from 'node:net';

/** A frame around `payload` (a string is sent as UTF-8). */
export function encodeFrame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(4 + body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** An empty frame: what Workerman's clients send as a keep-alive ping. */
export const PING_FRAME: Buffer = encodeFrame(Buffer.alloc(0));

/** Splits a byte stream into frame payloads; keeps only an unfinished frame. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameSize: number) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  /** The next complete payload, null when more bytes are needed; throws on a bad length. */
  next(): Buffer | null {
    if (this.buffered.length < 4) return null;
    const total = this.buffered.readUInt32BE(0);
    if (total < 4) throw new Error(`bad frame length ${total}`);
    if (total > this.maxFrameSize) throw new Error(`frame of ${total} bytes over the limit of ${this.maxFrameSize}`);
    if (this.buffered.length < total) return null;
    const payload = this.buffered.subarray(4, total);
    this.buffered = this.buffered.subarray(total);
    return payload;
  }

  reset(): void {
    this.buffered = Buffer.alloc(0);
  }
}

/**
 * Where a client connects: `host:port`, `[v6]:port`, a bare host (then
 * `defaultPort`), `unix:///path`, optionally with a `frame://` or `tcp://` scheme.
 */
export function parseServerAddress(address: string, defaultPort: number): net.NetConnectOpts {
  let text = String(address).trim();
  if (text.startsWith('unix://')) return { path: text.slice('unix://'.length) };
  text = text.replace(/^(frame|tcp):\/\//i, '');
  if (net.isIPv6(text)) return { host: text, port: defaultPort };
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(text);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const hostPort = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!hostPort) throw new TypeError(`invalid server address "${address}": expected host:port or unix:///path`);
  return { host: hostPort[1], port: hostPort[2] ? Number(hostPort[2]) : defaultPort };
}

export function describeAddress(options: net.NetConnectOpts): string {
  const o = options as { path?: string; host?: string; port?: number };
  return o.path !== undefined ? `unix://${o.path}` : `${o.host}:${o.port}`;
}

/** The socket name a component server listens on: `frame://ip:port`, or `unix:///path` with the frame protocol. */
export function serverSocketName(ip: string, port: number): { socketName: string; unix: boolean } {
  if (ip.startsWith('unix://')) return { socketName: ip, unix: true };
  const host = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
  return { socketName: `frame://${host}:${port}`, unix: false };
}
