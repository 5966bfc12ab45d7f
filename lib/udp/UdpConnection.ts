import type { ProtocolObject } from '../protocols/protocol';
import type { Worker } from '../Worker';
import type { DatagramSocket } from './DatagramSocket';

/**
 * The sender of one datagram, as onMessage(connection, data) gets it on a
 * udp:// worker (Workerman's UdpConnection): send() answers that sender
 * through the worker's socket; close(data?) only sends (the socket is shared).
 * There is no onConnect or onClose for UDP.
 */
export class UdpConnection {
  readonly transport = 'udp';

  /** @internal family 4 or 6 (0: the connected peer); IPv4 as a uint32, IPv6 as 16 bytes. */
  constructor(
    private readonly socket: DatagramSocket,
    private readonly family: number,
    private readonly port: number,
    private readonly address: number | Buffer,
  ) {}

  get worker(): Worker | null {
    return this.socket.worker;
  }

  get protocol(): ProtocolObject | string | null {
    return this.socket.protocol;
  }

  /** Sends one datagram to the sender (framed by the protocol unless raw): true, or false when it could not go. */
  send(data: string | Buffer | Uint8Array, raw = false): boolean {
    return this.socket.sendTo(data, raw, this.family, this.port, this.address);
  }

  /** Sends `data` if given; the shared socket stays open. */
  close(data?: string | Buffer | Uint8Array, raw = false): void {
    if (data !== undefined) this.send(data, raw);
  }

  getRemoteIp(): string {
    if (this.family === 4) {
      const a = this.address as number;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    }
    if (this.family === 6) return formatIpv6(this.address as Buffer);
    return this.socket.remoteIp();
  }
  getRemotePort(): number {
    return this.family === 0 ? this.socket.remotePort() : this.port;
  }
  getRemoteAddress(): string {
    const ip = this.getRemoteIp();
    return ip.includes(':') ? `[${ip}]:${this.getRemotePort()}` : `${ip}:${this.getRemotePort()}`;
  }
  getLocalIp(): string {
    return this.socket.localAddress()?.[0] ?? '';
  }
  getLocalPort(): number {
    return this.socket.localAddress()?.[1] ?? 0;
  }
  getLocalAddress(): string {
    const ip = this.getLocalIp();
    return ip.includes(':') ? `[${ip}]:${this.getLocalPort()}` : `${ip}:${this.getLocalPort()}`;
  }
  isIpV4(): boolean {
    return !this.getRemoteIp().includes(':');
  }
  isIpV6(): boolean {
    return this.getRemoteIp().includes(':');
  }
}

/** RFC 5952 text of 16 address bytes (the longest run of zero groups as "::"; IPv4-mapped as ::ffff:a.b.c.d). */
export function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
