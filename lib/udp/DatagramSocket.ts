// One native UDP socket as JavaScript sees it: a udp:// worker's bound socket
// or an AsyncUdpConnection's connected one. Turns each datagram event into
// onMessage(connection, data), decoding with a JavaScript protocol when the
// owner has one (native text/frame decoding happens in the core), and sends.
import { jsCounters } from '../connection/counters';
import { registerDatagramSocket, unregisterDatagramSocket } from '../dispatcher';
import { native, SendResult, stringLength } from '../native';
import type { ProtocolObject } from '../protocols/protocol';
import type { Worker } from '../Worker';
import { UdpConnection } from './UdpConnection';

/** What a datagram socket reports to: the worker, or the AsyncUdpConnection. */
export interface DatagramOwner {
  readonly worker: Worker | null;
  readonly protocol: ProtocolObject | string | null;
  /** @internal onMessage(connection, data) for one decoded message. */
  _message(connection: UdpConnection, data: unknown): void;
  /** @internal An error on the socket (a connected socket's ICMP error): errno. */
  _socketError(errno: number): void;
}

export class DatagramSocket {
  /** The connected peer (AsyncUdpConnection), for addresses. */
  private peer: { ip: string; port: number } | undefined;
  private local: [string, number] | undefined;

  constructor(
    readonly id: number,
    private readonly owner: DatagramOwner,
    private readonly userProtocol: ProtocolObject | null,
    peer?: { ip: string; port: number },
  ) {
    this.peer = peer;
    registerDatagramSocket(id, this);
  }

  get worker(): Worker | null {
    return this.owner.worker;
  }
  get protocol(): ProtocolObject | string | null {
    return this.owner.protocol;
  }

  /** @internal The dispatcher's: `text` 0 bytes, 1 UTF-8, 2 ASCII; the sender's header at `start`. */
  _datagram(text: number, bytes: Buffer & { latin1Slice(s: number, e: number): string; utf8Slice(s: number, e: number): string }, start: number, payloadStart: number, length: number): void {
    const family = this.peer ? 0 : bytes[start];
    const port = (bytes[start + 2] << 8) | bytes[start + 3];
    const address = family === 4 ? bytes.readUInt32BE(start + 4) : family === 6 ? Buffer.from(bytes.subarray(start + 4, start + 20)) : 0;
    const connection = new UdpConnection(this, family, port, address);
    const end = payloadStart + length;
    if (text === 2) return this.owner._message(connection, bytes.latin1Slice(payloadStart, end));
    if (text === 1) return this.owner._message(connection, bytes.utf8Slice(payloadStart, end));
    const payload = Buffer.allocUnsafe(length);
    bytes.copy(payload, 0, payloadStart, end);
    if (!this.userProtocol) return this.owner._message(connection, payload);
    this.decode(connection, payload);
  }

  /** @internal */
  _error(errno: number): void {
    this.owner._socketError(errno);
  }

  /** Workerman's loop over a JavaScript protocol; what it cannot decode is dropped and counted, never thrown. */
  private decode(connection: UdpConnection, datagram: Buffer): void {
    const protocol = this.userProtocol!;
    let rest = datagram;
    while (rest.length > 0) {
      let length: number;
      let message: unknown;
      try {
        length = protocol.input(rest, connection as never);
        if (!Number.isInteger(length) || length <= 0 || length > rest.length) {
          jsCounters.udpDropped++;
          return;
        }
        message = protocol.decode(rest.subarray(0, length), connection as never);
      } catch {
        jsCounters.udpDropped++;
        return;
      }
      rest = rest.subarray(length);
      this.owner._message(connection, message);
    }
  }

  /** One datagram to a peer (family 0: the connected one); true when it went. */
  sendTo(data: string | Buffer | Uint8Array, raw: boolean, family: number, port: number, address: number | Buffer): boolean {
    let payload: unknown = data;
    if (!raw && this.userProtocol) {
      try {
        payload = this.userProtocol.encode(data, null as never);
      } catch (error) {
        native.raiseUncaught(error);
        return false;
      }
      raw = true;
    }
    const bytes = typeof payload === 'string' || payload instanceof Uint8Array ? payload : String(payload);
    return native.udpSend(this.id, bytes, stringLength(bytes), raw, family, port, address) === SendResult.Sent;
  }

  localAddress(): [string, number] | undefined {
    return (this.local ??= native.udpLocalAddress(this.id));
  }
  remoteIp(): string {
    return this.peer?.ip ?? '';
  }
  remotePort(): number {
    return this.peer?.port ?? 0;
  }

  setMaxPackageSize(size: number): void {
    native.udpSetMaxPackageSize(this.id, size);
  }

  close(): void {
    unregisterDatagramSocket(this.id, this);
    native.udpClose(this.id);
  }
}
