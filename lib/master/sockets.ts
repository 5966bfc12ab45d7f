// The master's side of listening: with reusePort off it binds each Worker's
// socket once (worker processes inherit it); with reusePort on it only checks
// the address and resolves port 0, and every worker process binds that port.
import * as fs from 'node:fs';
import * as net from 'node:net';

import { errnoName } from '../errors';
import { native } from '../native';
import { parseSocketName, type SocketAddress } from '../socketName';
import type { AnyWorker as Worker } from '../Worker';
import { removeQuietly } from './files';

export interface MasterSocket {
  /** The socket name with the resolved port: what the start table and status show. */
  listen: string;
  /** The master's listening descriptor (reusePort off, or unix sockets). */
  fd?: number;
  /** The resolved port (reusePort on). */
  port?: number;
  /** A unix socket path the master removes on exit. */
  unixPath?: string;
}

/** Options the master needs beyond the socket name; Worker keeps them private, so they are read here. */
interface WorkerListenOptions {
  backlog: number;
  ipv6Only: boolean;
  noDelay: boolean;
  keepAlive: number;
}

function listenOptions(worker: Worker): WorkerListenOptions {
  return worker._listenOptions;
}

function socketNameOf(worker: Worker): string | undefined {
  return worker.getSocketName();
}

/** The port a listening descriptor of this process is bound to, read from /proc (Linux). */
export function portOfFd(fd: number): number | undefined {
  let inode: string | undefined;
  try {
    inode = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
  if (!inode) return undefined;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[9] === inode) return Number.parseInt(fields[1].split(':').pop()!, 16);
    }
  }
  return undefined;
}

function withPort(socketName: string, address: SocketAddress, port: number): string {
  const scheme = socketName.slice(0, socketName.indexOf('://'));
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${scheme}://${host}:${port}`;
}

/** Removes a unix socket file nobody listens on any more (left by a crash). */
async function removeStaleUnixSocket(file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!alive) removeQuietly(file);
}

/** Binds (or checks) the socket of one Worker; throws an Error with .code on failure. */
export async function prepareSocket(worker: Worker): Promise<MasterSocket | undefined> {
  const socketName = socketNameOf(worker);
  if (!socketName) return undefined;
  const address = parseSocketName(socketName);
  const { backlog, ipv6Only, noDelay, keepAlive } = listenOptions(worker);
  const request = {
    unix: address.transport === 'unix',
    host: address.host,
    port: address.port ?? 0,
    path: address.path,
    backlog,
    ipv6Only,
    noDelay,
    keepAlive,
  };
  if (address.transport === 'unix') {
    // SO_REUSEPORT means nothing for unix sockets: they are always inherited.
    await removeStaleUnixSocket(address.path);
    const fd = native.bindSocket({ ...request, reusePort: false });
    return { listen: socketName, fd, unixPath: address.path };
  }
  if (worker.transport === 'udp') return prepareDatagramSocket(worker, socketName, address, ipv6Only);
  if (!worker.reusePort) {
    const fd = native.bindSocket({ ...request, reusePort: false });
    const port = address.port || portOfFd(fd) || 0;
    return { listen: withPort(socketName, address, port), fd };
  }
  // reusePort: this process must not keep a socket in the group (it would get
  // a share of the connections and never accept them): bind to check the
  // address and learn the port, then close.
  const probe = native.bindSocket({ ...request, reusePort: true });
  const port = address.port || portOfFd(probe) || 0;
  native.closeFd(probe);
  return { listen: withPort(socketName, address, port), port };
}

/** UDP: as for TCP, one bound socket the worker processes share, or (reusePort) a port each binds. */
function prepareDatagramSocket(worker: Worker, socketName: string, address: SocketAddress, ipv6Only: boolean): MasterSocket {
  const request = { host: address.host, port: address.port ?? 0, ipv6Only };
  const bind = (reusePort: boolean): number => {
    const fd = native.udpBindFd({ ...request, reusePort });
    if (fd < 0) {
      const code = errnoName(fd);
      throw Object.assign(new Error(`udp bind ${code} ${socketName}`), { code });
    }
    return fd;
  };
  if (!worker.reusePort) {
    const fd = bind(false);
    return { listen: withPort(socketName, address, address.port || portOfFd(fd) || 0), fd };
  }
  const probe = bind(true);
  const port = address.port || portOfFd(probe) || 0;
  native.closeFd(probe);
  return { listen: withPort(socketName, address, port), port };
}

export function closeSocket(socket: MasterSocket | undefined): void {
  if (socket?.fd !== undefined) {
    native.closeFd(socket.fd);
    socket.fd = undefined;
  }
}
