// What runAll() does in a worker process: serve the one Worker (and worker.id)
// the master spawned it for, answer the master's status / connections
// questions, and stop or reload when the master says so. Worker processes do
// not rely on signals: they ignore SIGINT (Ctrl+C reaches the whole process
// group) and exit when the master's IPC channel goes away.
import type { TcpConnection } from '../connection/TcpConnection';
import { clusterState } from '../cluster/ClusterNode';
import { native } from '../native';
import type { AnyWorker as Worker } from '../Worker';
import { countPackages, packagesOf } from './packages';
import { switchIdentity } from './identity';
import { configureLog, log } from './log';
import { CLUSTER_FD_INDEX, ENV, registeredWorkers, setInheritedSocket, usesInheritedFd } from './role';
import type { ConnectionStatus } from './status';
import { openClientConnections } from '../connection/AsyncTcpConnection';
import type { WorkerCommand, WorkerMessage } from './WorkerProcess';

interface WorkerStatics {
  logFile: string;
  getStatistics(): import('../statistics').Statistics;
}

type StopMode = 'stop' | 'graceful' | 'reload' | 'graceful-reload';

let stopping = false;
let statics: WorkerStatics;
let mainWorker: Worker | undefined;

/** Worker.stopAll() in a worker process: stop this process (the master starts a new one). */
export function stopWorkerProcess(): Promise<void> {
  return mainWorker ? stopProcess(mainWorker, 'stop') : Promise.resolve();
}

function send(message: WorkerMessage): void {
  try {
    process.send?.(message);
  } catch {
    // the master is gone; 'disconnect' stops us
  }
}

function socketNameOf(worker: Worker): string | undefined {
  return worker.getSocketName();
}

/** Closes the listening sockets the master holds that leaked into this process (they carry no close-on-exec). */
function closeLeakedMasterFds(): void {
  for (const text of (process.env[ENV.masterFds] ?? '').split(',')) {
    const fd = Number.parseInt(text, 10);
    // The stdio entries (0..CLUSTER_FD_INDEX) are this process's own, whatever number the master used.
    if (Number.isInteger(fd) && fd > CLUSTER_FD_INDEX) native.closeFd(fd);
  }
}

async function callHook(name: 'onWorkerStart' | 'onWorkerStop' | 'onWorkerReload', worker: Worker): Promise<void> {
  const hook = worker[name];
  if (typeof hook !== 'function') return;
  try {
    await hook.call(worker, worker);
  } catch (error) {
    log(`worker[${worker.name}:${process.pid}] ${name} threw: ${(error as Error)?.stack ?? String(error)}`);
    if (name === 'onWorkerStart') throw error;
  }
}

/** Runs in the worker process; resolves once it accepts. */
export async function runWorkerProcess(workerClass: WorkerStatics): Promise<void> {
  statics = workerClass;
  configureLog(statics.logFile, false);
  const index = Number(process.env[ENV.index]);
  const worker = registeredWorkers()[index];
  if (!worker || worker.name !== process.env[ENV.name]) {
    log(
      `worker process ${process.pid}: the script created different Workers than in the master ` +
        `(expected "${process.env[ENV.name]}" at index ${index}); create every Worker before Worker.runAll(), the same way each time`,
    );
    process.exit(250);
  }
  worker.id = Number(process.env[ENV.id]) || 0;
  mainWorker = worker;
  closeLeakedMasterFds();
  process.on('SIGINT', () => {});
  process.on('disconnect', () => void stopProcess(worker, 'stop'));
  process.on('message', (message: WorkerCommand) => void obey(worker, message));

  const fd = process.env[ENV.listenFd];
  const port = process.env[ENV.listenPort];
  if (fd) setInheritedSocket(worker, { fd: Number(fd) });
  else if (port) setInheritedSocket(worker, { port: Number(port) });

  const hasSocket = socketNameOf(worker) !== undefined;
  let listening = false;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (hasSocket && root && worker.user && worker.reusePort && !fd) {
    // Bind while still root (a port below 1024), accept only once onWorkerStart is done.
    worker.pauseAccept();
    try {
      worker.listen();
    } catch (error) {
      log(`worker[${worker.name}:${process.pid}] cannot listen: ${(error as Error).message}`);
      setTimeout(() => process.exit(250), 100);
      return;
    }
    listening = true;
  }
  switchIdentity(worker);
  try {
    await callHook('onWorkerStart', worker);
  } catch {
    // Workerman: a failing onWorkerStart ends the process (the master restarts it, backing off)
    setTimeout(() => process.exit(250), 100);
    return;
  }
  if (stopping) return;
  countPackages(worker);
  if (hasSocket) {
    try {
      if (listening) worker.resumeAccept();
      else worker.listen();
    } catch (error) {
      log(`worker[${worker.name}:${process.pid}] cannot listen: ${(error as Error).message}`);
      setTimeout(() => process.exit(250), 100);
      return;
    }
  }
  send({ type: 'ready' });
}

async function obey(worker: Worker, message: WorkerCommand): Promise<void> {
  switch (message?.cmd) {
    case 'status':
      return reply(message.seq, processStatus(worker));
    case 'connections':
      return reply(message.seq, connectionRows(worker));
    case 'stop':
      return stopProcess(worker, message.graceful ? 'graceful' : 'stop', message.seq);
    case 'reload':
      await callHook('onWorkerReload', worker);
      if (!message.exit) return reply(message.seq, { stayed: true });
      return stopProcess(worker, message.graceful ? 'graceful-reload' : 'reload', message.seq);
  }
}

function reply(seq: number, data: unknown): void {
  send({ type: 'reply', seq, data });
}

function processStatus(worker: Worker): unknown {
  return {
    pid: process.pid,
    worker: worker.name,
    id: worker.id,
    memory: process.memoryUsage.rss(),
    statistics: statics.getStatistics(),
    cluster: clusterState(),
  };
}

function protocolName(worker: Worker | null): string {
  const protocol = worker?.protocol;
  if (protocol === null || protocol === undefined) return worker?.transport ?? 'tcp';
  return typeof protocol === 'string' ? protocol : (protocol.constructor?.name ?? 'custom');
}

function connectionRows(main: Worker): ConnectionStatus[] {
  const row = (connection: TcpConnection, worker: string, direction: ConnectionStatus['direction'], protocol: string): ConnectionStatus => {
    const packages = packagesOf(connection);
    return {
      pid: process.pid,
      worker,
      workerId: main.id,
      direction,
      id: connection.id,
      protocol,
      transport: connection.transport,
      status: connection.status,
      remoteAddress: connection.getRemoteAddress(),
      localAddress: connection.getLocalAddress(),
      bytesIn: connection.bytesRead,
      bytesOut: connection.bytesWritten,
      packagesIn: packages.in,
      packagesOut: packages.out,
      sendBufferSize: connection.getSendBufferQueueSize(),
      recvBufferSize: connection.getRecvBufferQueueSize(),
    };
  };
  const rows: ConnectionStatus[] = [];
  for (const worker of registeredWorkers()) {
    for (const connection of worker.connections.values()) rows.push(row(connection, worker.name, 'inbound', protocolName(worker)));
  }
  for (const client of openClientConnections()) {
    rows.push(row(client, main.name, 'outbound', client.remoteAddress.slice(0, Math.max(0, client.remoteAddress.indexOf('://'))) || 'tcp'));
  }
  return rows;
}

function openConnections(): TcpConnection[] {
  const all: TcpConnection[] = [];
  for (const worker of registeredWorkers()) all.push(...worker.connections.values());
  return all;
}

/** Stops accepting on every Worker of this process (the master's unix path stays: it owns it). */
function stopAccepting(): void {
  for (const worker of registeredWorkers()) {
    if (worker.transport === 'unix' && usesInheritedFd(worker)) worker.pauseAccept();
    else worker.unlisten();
  }
}

/**
 * stop: close every connection (queued bytes are flushed), give up after stopTimeout.
 * graceful: stop accepting; each connection is asked to go away gracefully, and its
 *   protocol ends what would not end by itself (TcpConnection._goAway); the others
 *   finish; gracefulStopTimeout (0 = none) bounds the wait.
 * reload: like graceful, bounded by stopTimeout; then like stop.
 */
async function stopProcess(worker: Worker, mode: StopMode, seq?: number): Promise<void> {
  if (stopping) {
    if (seq !== undefined) reply(seq, { stopping: true });
    if (mode === 'stop') goAway(false);
    return;
  }
  stopping = true;
  const graceful = mode === 'graceful' || mode === 'graceful-reload';
  log(`worker[${worker.name}:${process.pid}] ${mode === 'stop' ? 'stopping' : mode}`);
  await callHook('onWorkerStop', worker);
  stopAccepting();
  if (seq !== undefined) reply(seq, { accepting: false });
  const limit = mode === 'stop' || mode === 'reload' ? worker.stopTimeout : worker.gracefulStopTimeout;
  // Finish a little before the master's SIGKILL, so the exit is ours (status 0).
  const deadline = limit > 0 ? Date.now() + Math.max(0, limit * 1000 - 150) : Infinity;
  if (mode === 'stop') goAway(false);
  for (;;) {
    const open = openConnections();
    if (open.length === 0) break;
    // Each turn: upgrades finish and event streams open meanwhile. Graceful also ends HTTP
    // keep-alive: clients that keep sending would otherwise hold the stop open for ever.
    if (mode !== 'stop') goAway(true);
    if (Date.now() >= deadline) {
      for (const c of open) c.destroy();
      break;
    }
    if (mode === 'reload' && Date.now() >= deadline - 300) goAway(false);
    await new Promise((resolve) => setTimeout(resolve, graceful ? 50 : 10));
  }
  process.exit(0);
}

/** Asks every connection of this process to go away (Worker._drain). */
function goAway(graceful: boolean): void {
  for (const worker of registeredWorkers()) worker._drain(graceful);
}
