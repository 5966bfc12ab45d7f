// Which part a process plays under Worker.runAll(), and what the master hands
// a worker process: the environment marks the role; the Workers of the script
// are registered in creation order so a worker process finds its own one by
// index (the script runs again there and creates the same Workers).
import type { AnyWorker as Worker } from '../Worker';

export const ENV = {
  /** 'worker' in a worker process, 'daemon' in a detached master; unset otherwise. */
  role: 'NETWRIGHT_ROLE',
  /** Index of the Worker among those the script created, in creation order. */
  index: 'NETWRIGHT_WORKER_INDEX',
  name: 'NETWRIGHT_WORKER_NAME',
  id: 'NETWRIGHT_WORKER_ID',
  /** The descriptor (stdio index) of the listening socket the master bound. */
  listenFd: 'NETWRIGHT_LISTEN_FD',
  /** The port the master resolved (port 0 with reusePort). */
  listenPort: 'NETWRIGHT_LISTEN_PORT',
  /** Listening sockets the master holds that leaked into this process (no close-on-exec). */
  masterFds: 'NETWRIGHT_MASTER_FDS',
  /** The descriptor (stdio index) of this process's link to the master's cluster relay. */
  clusterFd: 'NETWRIGHT_CLUSTER_FD',
} as const;

/** The stdio index at which a worker process receives its listening socket. */
export const LISTEN_FD_INDEX = 4;
/** The stdio index of the link to the master's cluster relay. */
export const CLUSTER_FD_INDEX = 5;

export type ProcessRole = 'master' | 'worker' | 'cli';

const COMMANDS = new Set(['start', 'stop', 'restart', 'reload', 'status', 'connections']);

let daemonize = false;
/** Worker.daemonize (Workerman's Worker::$daemonize): `start` and `restart` run as with -d. */
export function setDaemonize(value: boolean): void {
  daemonize = value;
}
/** `-d` given, or Worker.daemonize set. */
export function daemonRequested(args: readonly string[]): boolean {
  return daemonize || args.includes('-d');
}

/**
 * What this process is under Worker.runAll(), known before runAll() is called:
 * 'worker' in a worker process; 'master' in the process that will supervise
 * (`start`, `restart`, or the detached master of `-d`); 'cli' for every other
 * invocation (`stop`, `status`, ..., the launcher of `start -d`, no command).
 * Top-level code runs in all of them: guard what must run once with this.
 */
export function processRole(): ProcessRole {
  const role = process.env[ENV.role];
  if (role === 'worker') return 'worker';
  if (role === 'daemon') return 'master';
  const args = process.argv.slice(2);
  const command = args.find((a) => COMMANDS.has(a));
  if ((command === 'start' || command === 'restart') && !daemonRequested(args)) return 'master';
  return 'cli';
}

// ---- the Workers of this process, in creation order ------------------------

const registry: Worker[] = [];

/** Called once per Worker by its constructor; returns its index. */
export function registerWorker(worker: Worker): number {
  registry.push(worker);
  return registry.length - 1;
}

export function registeredWorkers(): readonly Worker[] {
  return registry;
}

// ---- the socket a worker process serves --------------------------------------

export interface InheritedSocket {
  /** A listening descriptor to serve instead of binding. */
  fd?: number;
  /** The port to bind instead of the socket name's (the master resolved port 0). */
  port?: number;
}

const inherited = new Map<Worker, InheritedSocket>();

export function setInheritedSocket(worker: Worker, socket: InheritedSocket): void {
  inherited.set(worker, socket);
}

/** For Worker.listen(): what the master handed this Worker, if anything. A descriptor is handed out once. */
export function inheritedSocket(worker: Worker): InheritedSocket | undefined {
  const socket = inherited.get(worker);
  if (socket?.fd !== undefined) {
    inherited.set(worker, { port: socket.port });
    inheritedFdWorkers.add(worker);
  }
  return socket;
}

const inheritedFdWorkers = new WeakSet<Worker>();

/** True when this Worker serves a descriptor the master bound (its unix path belongs to the master). */
export function usesInheritedFd(worker: Worker): boolean {
  return inheritedFdWorkers.has(worker);
}

/**
 * Whether a Worker that binds its own socket sets SO_REUSEPORT: when asked
 * (`reusePort`), and always in a worker process. A reload starts the new
 * process before the old one stops, so a Worker created and listen()ed in
 * onWorkerStart (the manual's inner text:// Worker) must be able to bind while
 * the old process still listens on the same port.
 */
export function bindsWithReusePort(worker: Worker): boolean {
  return worker.reusePort || process.env[ENV.role] === 'worker';
}
