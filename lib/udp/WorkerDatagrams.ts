// A udp:// worker's socket (or any protocol's with worker.transport = 'udp'):
// bound here, or the descriptor the master bound; every datagram is one
// onMessage(connection, data) with a UdpConnection that answers its sender.
import { invokeMessage } from '../connection/callbacks';
import { startDispatcher } from '../dispatcher';
import { errnoName } from '../errors';
import { native, NativeProtocol } from '../native';
import { resolveProtocol, type ProtocolObject } from '../protocols/protocol';
import type { SocketAddress } from '../socketName';
import type { Worker } from '../Worker';
import { DatagramSocket, type DatagramOwner } from './DatagramSocket';
import type { UdpConnection } from './UdpConnection';

export interface DatagramBind {
  address: SocketAddress;
  reusePort: boolean;
  ipv6Only: boolean;
  /** The master's bound descriptor, or the port it resolved. */
  inheritedFd?: number;
  port?: number;
}

export class WorkerDatagrams implements DatagramOwner {
  private readonly socket: DatagramSocket;
  readonly port: number;

  constructor(readonly worker: Worker, bind: DatagramBind) {
    const { kind, userProtocol } = resolveProtocol(worker.protocol);
    if (kind !== NativeProtocol.Raw && kind !== NativeProtocol.Text && kind !== NativeProtocol.Frame) {
      throw new Error(`the ${String(worker.protocol)} protocol does not run over udp (tcp, text, frame and registered protocols do)`);
    }
    startDispatcher();
    const { address } = bind;
    const id =
      bind.inheritedFd !== undefined
        ? native.udpAdopt(bind.inheritedFd, kind)
        : native.udpBind({ host: address.host, port: bind.port ?? address.port ?? 0, reusePort: bind.reusePort, ipv6Only: bind.ipv6Only, kind });
    if (id < 0) {
      const code = errnoName(id);
      const error = new Error(`udp bind ${code} ${address.host}:${address.port}`) as Error & { code: string };
      error.code = code;
      throw error;
    }
    this.socket = new DatagramSocket(id, this, userProtocol);
    this.socket.setMaxPackageSize(worker.maxPackageSize);
    this.port = this.socket.localAddress()?.[1] ?? 0;
  }

  get protocol(): ProtocolObject | string | null {
    return this.worker.protocol;
  }

  setMaxPackageSize(size: number): void {
    this.socket.setMaxPackageSize(size);
  }

  /** @internal */
  _message(connection: UdpConnection, data: unknown): void {
    const onMessage = this.worker.onMessage;
    if (onMessage) invokeMessage(onMessage as (c: unknown, d: unknown) => unknown, connection, data);
  }

  /** @internal An unconnected socket reports next to nothing; what it does is not about one peer. */
  _socketError(): void {}

  close(): void {
    this.socket.close();
  }
}
