import * as dns from 'node:dns';
import { isIP } from 'node:net';

import { invoke } from '../connection/callbacks';
import { startDispatcher } from '../dispatcher';
import { CONNECT_FAIL, SEND_FAIL, errnoName } from '../errors';
import { native, NativeProtocol } from '../native';
import { lookupProtocol, resolveProtocol, type ProtocolObject } from '../protocols/protocol';
import { parseAddress } from '../socketName';
import { TcpConnection } from '../connection/TcpConnection';
import { DatagramSocket, type DatagramOwner } from './DatagramSocket';
import type { UdpConnection } from './UdpConnection';

export type AsyncUdpCallback = (connection: AsyncUdpConnection) => unknown;
export type AsyncUdpMessageCallback = (connection: AsyncUdpConnection, data: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
export type AsyncUdpErrorCallback = (connection: AsyncUdpConnection, code: number, message: string) => unknown;

/** Schemes a datagram can carry, split natively; registered protocols run in JavaScript. */
const DATAGRAM_SCHEMES: Record<string, string | null> = { udp: null, text: 'text', frame: 'frame' };

/**
 * A UDP client: `new AsyncUdpConnection('udp://host:port')` (or text://,
 * frame://, a registered protocol), callbacks, connect(). The socket is
 * connected to the peer, so only its datagrams arrive and an ICMP error (port
 * unreachable) reaches onError. onClose fires after close().
 */
export class AsyncUdpConnection implements DatagramOwner {
  onConnect: AsyncUdpCallback | undefined = undefined;
  onMessage: AsyncUdpMessageCallback | undefined = undefined;
  onError: AsyncUdpErrorCallback | undefined = undefined;
  onClose: AsyncUdpCallback | undefined = undefined;
  readonly remoteAddress: string;
  readonly transport = 'udp';
  readonly worker = null;
  readonly protocol: ProtocolObject | string | null;
  /** Datagrams larger than this are dropped (and counted in udpDropped). */
  maxPackageSize = TcpConnection.defaultMaxPackageSize;

  private _status: 'initial' | 'connecting' | 'established' | 'closed' = 'initial';
  private socket: DatagramSocket | undefined;
  private peer = { ip: '', port: 0 };
  private queued: Array<[string | Buffer | Uint8Array, boolean]> = [];
  private readonly host: string;
  private readonly port: number;

  constructor(remoteAddress: string) {
    const parsed = parseAddress(remoteAddress);
    if (!parsed) throw new TypeError(`invalid remote address "${remoteAddress}"`);
    if (!(parsed.scheme in DATAGRAM_SCHEMES) && !lookupProtocol(parsed.scheme)) {
      throw new TypeError(`unsupported scheme "${parsed.scheme}" for UDP (udp, text, frame, or one registered with Worker.registerProtocol())`);
    }
    if (!parsed.port || parsed.port > 65535) throw new TypeError(`"${remoteAddress}" needs a port`);
    this.remoteAddress = remoteAddress;
    this.host = parsed.host;
    this.port = parsed.port;
    this.protocol = parsed.scheme in DATAGRAM_SCHEMES ? DATAGRAM_SCHEMES[parsed.scheme] : parsed.scheme;
  }

  get status(): string {
    return this._status;
  }

  /** Resolves the host (dns.lookup) and connects the socket; onConnect follows. */
  connect(): void {
    if (this._status === 'connecting' || this._status === 'established') {
      throw new Error(`AsyncUdpConnection to ${this.remoteAddress} is already ${this._status}`);
    }
    this._status = 'connecting';
    startDispatcher();
    if (isIP(this.host)) return this.open([this.host]);
    dns.lookup(this.host, { all: true }, (error, found) => {
      if (this._status !== 'connecting') return;
      if (error) return this.fail(`getaddrinfo ${(error as NodeJS.ErrnoException).code ?? error.message} ${this.host}`);
      this.open(found.map((entry) => entry.address));
    });
  }

  /** true: sent; null: kept until connected; false: closed, or the kernel refused it. */
  send(data: string | Buffer | Uint8Array, raw = false): boolean | null {
    if (this._status === 'initial' || this._status === 'connecting') {
      this.queued.push([data, raw]);
      return null;
    }
    if (this._status !== 'established' || !this.socket) return false;
    return this.socket.sendTo(data, raw, 0, 0, 0);
  }

  /** Sends `data` if given, then closes the socket; onClose follows. */
  close(data?: string | Buffer | Uint8Array, raw = false): void {
    if (this._status === 'closed') return;
    if (data !== undefined) this.send(data, raw);
    this.queued = [];
    const wasOpen = this._status !== 'initial';
    this._status = 'closed';
    this.socket?.close();
    this.socket = undefined;
    if (wasOpen && this.onClose) invoke(this.onClose, this);
  }

  getRemoteIp(): string {
    return this.peer.ip;
  }
  getRemotePort(): number {
    return this.peer.port;
  }
  getLocalIp(): string {
    return this.socket?.localAddress()?.[0] ?? '';
  }
  getLocalPort(): number {
    return this.socket?.localAddress()?.[1] ?? 0;
  }

  /** @internal */
  _message(_connection: UdpConnection, data: unknown): void {
    if (this.onMessage) invoke(this.onMessage, this, data);
  }

  /** @internal An ICMP error for what this socket sent (ECONNREFUSED: nothing listens on the port). */
  _socketError(errno: number): void {
    const where = this.peer.ip.includes(':') ? `[${this.peer.ip}]:${this.peer.port}` : `${this.peer.ip}:${this.peer.port}`;
    if (this.onError) invoke(this.onError, this, SEND_FAIL, `udp ${errnoName(errno)} ${where}`);
  }

  private open(addresses: string[]): void {
    const { kind, userProtocol } = resolveProtocol(this.protocol);
    let failure = '';
    for (const address of addresses) {
      const id = native.udpConnect(address, this.port, kind === NativeProtocol.Text || kind === NativeProtocol.Frame ? kind : NativeProtocol.Raw);
      if (id < 0) {
        failure = `connect ${errnoName(id)} ${address}:${this.port}`;
        continue;
      }
      this.peer = { ip: address, port: this.port };
      this.socket = new DatagramSocket(id, this, userProtocol, this.peer);
      this.socket.setMaxPackageSize(this.maxPackageSize);
      this._status = 'established';
      if (this.onConnect) invoke(this.onConnect, this);
      const queued = this.queued;
      this.queued = [];
      for (const [data, raw] of queued) this.send(data, raw);
      return;
    }
    this.fail(failure || `no address for ${this.host}`);
  }

  private fail(message: string): void {
    this._status = 'closed';
    this.queued = [];
    if (this.onError) invoke(this.onError, this, CONNECT_FAIL, message);
    if (this.onClose) invoke(this.onClose, this);
  }
}
