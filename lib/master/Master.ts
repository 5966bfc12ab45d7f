// The master process: binds what worker processes inherit, starts `count`
// processes per Worker, replaces the ones that die (same worker.id, backing
// off on crash loops), stops, reloads one process at a time, and answers the
// control socket. Of the user's code it runs only Workerman's master hooks
// (hooks.ts).
import * as os from 'node:os';
import type { Server } from 'node:net';

import { Relay } from '../cluster/Relay';
import type { Statistics } from '../statistics';
import type { AnyWorker as Worker } from '../Worker';
import { serveControl, type ControlRequest } from './control';
import { masterHooks, runMasterHook } from './hooks';
import { claimPidFile, controlSocketPath, readPid, removeQuietly, scriptName, scriptPath } from './files';
import { log } from './log';
import { registeredWorkers } from './role';
import { closeSocket, prepareSocket, type MasterSocket } from './sockets';
import { formatStartTable } from './startTable';
import { netwrightVersion, type ConnectionsReport, type ConnectionStatus, type ProcessStatus, type StatusReport } from './status';
import { WorkerProcess, type Exit } from './WorkerProcess';

export interface MasterFiles {
  pidFile: string;
}

type State = 'starting' | 'running' | 'reloading' | 'stopping';

/** How long a busy worker process may take to answer status / connections. */
const ANSWER_MS = 1000;

export class Master {
  private state: State = 'starting';
  private readonly workers: readonly Worker[];
  private readonly sockets: (MasterSocket | undefined)[] = [];
  /** slots[workerIndex][id]: the process serving that worker.id. */
  private readonly slots: (WorkerProcess | undefined)[][];
  /** Consecutive instant exits per slot, for the back-off. */
  private readonly failures: number[][];
  private readonly processes = new Set<WorkerProcess>();
  private readonly exitInfo: Map<number, number>[];
  private readonly qpsSamples = new Map<number, { total: number; time: number }>();
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private readonly startTime = new Date();
  private readonly controlPath: string;
  private control: Server | undefined;
  private gracefulStop = false;
  /** Carries publish, broadcast, sendTo and the cluster's questions between the worker processes. */
  private readonly relay = new Relay();

  constructor(
    private readonly files: MasterFiles,
    private readonly daemon: boolean,
  ) {
    this.workers = [...registeredWorkers()];
    this.slots = this.workers.map((w) => new Array<WorkerProcess | undefined>(workerCount(w)).fill(undefined));
    this.failures = this.workers.map((w) => new Array<number>(workerCount(w)).fill(0));
    this.exitInfo = this.workers.map(() => new Map());
    this.controlPath = controlSocketPath(files.pidFile);
  }

  /**
   * Claims the pid file, binds, opens the control socket, installs the signal
   * handlers and starts every worker process; resolves with the start table
   * once each process is accepting or has failed once. Throws (with nothing
   * left behind) when it cannot start; `running` is set when another master
   * owns the pid file.
   */
  async start(): Promise<{ table: string; ok: boolean }> {
    if (this.workers.length === 0) throw new Error('no Worker was created before Worker.runAll()');
    if (!claimPidFile(this.files.pidFile)) {
      const error = new Error('already running') as Error & { running: boolean };
      error.running = true;
      throw error;
    }
    try {
      for (const worker of this.workers) this.sockets.push(await prepareSocket(worker));
      this.control = await serveControl(this.controlPath, (request) => this.handle(request));
    } catch (error) {
      this.releaseFiles();
      throw error;
    }
    this.installSignals();
    log(`netwright[${scriptName()}] start in ${this.daemon ? 'DAEMON' : 'DEBUG'} mode`);
    const started: WorkerProcess[] = [];
    this.workers.forEach((worker, index) => {
      for (let id = 0; id < workerCount(worker); id++) started.push(this.spawn(index, id));
    });
    const ready = await Promise.all(started.map((p) => p.whenReady));
    const ok = this.workers.map((_, index) => started.every((p, i) => p.index !== index || ready[i]));
    if (this.state === 'starting') this.state = 'running';
    const table = formatStartTable(
      this.workers.map((worker, index) => ({
        worker,
        listen: this.sockets[index]?.listen ?? 'none',
        count: workerCount(worker),
        ok: ok[index],
      })),
    );
    return { table, ok: ok.every(Boolean) };
  }

  private installSignals(): void {
    process.on('SIGINT', () => void this.stop(false));
    process.on('SIGTERM', () => void this.stop(false));
    process.on('SIGHUP', () => void this.stop(false));
    process.on('SIGQUIT', () => void this.stop(true));
    process.on('SIGUSR1', () => void this.reload(false));
    process.on('SIGUSR2', () => void this.reload(true));
  }

  private masterFds(): number[] {
    return this.sockets.flatMap((s) => (s?.fd !== undefined ? [s.fd] : []));
  }

  private spawn(index: number, id: number): WorkerProcess {
    const worker = this.workers[index];
    const socket = this.sockets[index];
    const proc = new WorkerProcess({
      worker,
      index,
      id,
      fd: socket?.fd,
      port: socket?.port,
      masterFds: this.masterFds(),
      script: scriptPath(),
      args: process.argv.slice(2),
    });
    this.processes.add(proc);
    this.slots[index][id] = proc;
    if (proc.clusterLink) this.relay.attach(proc.clusterLink);
    void proc.whenExited.then((exit) => this.onExit(proc, exit));
    return proc;
  }

  private onExit(proc: WorkerProcess, exit: Exit): void {
    this.processes.delete(proc);
    const onWorkerExit = proc.worker.onWorkerExit ?? masterHooks.onWorkerExit;
    if (onWorkerExit) void runMasterHook('onWorkerExit', () => onWorkerExit(proc.worker, exit.status, proc.pid));
    this.qpsSamples.delete(proc.pid);
    const info = this.exitInfo[proc.index];
    info.set(exit.status, (info.get(exit.status) ?? 0) + 1);
    if (this.state === 'stopping') {
      if (this.processes.size === 0) this.finish();
      return;
    }
    if (proc.retiring || this.slots[proc.index][proc.id] !== proc) return;
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    log(`worker[${proc.worker.name}:${proc.pid}] id ${proc.id} exit with status ${exit.status} (${how})`);
    this.slots[proc.index][proc.id] = undefined;
    const failures = this.failures[proc.index];
    const instant = !proc.isReady || Date.now() - proc.startedAt < 1000;
    failures[proc.id] = instant ? failures[proc.id] + 1 : 0;
    const delay = failures[proc.id] <= 1 ? 0 : Math.min(100 * 2 ** (failures[proc.id] - 2), 10000);
    if (delay > 0) {
      log(`worker[${proc.worker.name}] id ${proc.id} exited right after starting ${failures[proc.id]} times in a row: next start in ${delay} ms`);
    }
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.state !== 'stopping' && this.slots[proc.index][proc.id] === undefined) this.spawn(proc.index, proc.id);
    }, delay);
    this.respawnTimers.add(timer);
  }

  /** Stops every worker process, then exits (0). A non-graceful stop during a graceful one takes over. */
  stop(graceful: boolean): void {
    if (this.state === 'stopping') {
      if (graceful || !this.gracefulStop) return;
      log(`netwright[${scriptName()}] stopping now`);
      this.gracefulStop = false;
      for (const proc of this.processes) {
        void proc.request({ cmd: 'stop', graceful: false }, ANSWER_MS);
        proc.killAfter(proc.worker.stopTimeout);
      }
      return;
    }
    this.state = 'stopping';
    this.gracefulStop = graceful;
    log(`netwright[${scriptName()}] ${graceful ? 'gracefully stopping' : 'stopping'}`);
    for (const timer of this.respawnTimers) clearTimeout(timer);
    this.respawnTimers.clear();
    // Worker processes keep their own copies until they stop accepting; once
    // the last one has, new connection attempts are refused.
    for (const socket of this.sockets) closeSocket(socket);
    for (const proc of this.processes) {
      proc.retiring = true;
      void proc.request({ cmd: 'stop', graceful }, ANSWER_MS);
      if (!graceful) proc.killAfter(proc.worker.stopTimeout);
      else if (proc.worker.gracefulStopTimeout > 0) proc.killAfter(proc.worker.gracefulStopTimeout);
    }
    if (this.processes.size === 0) this.finish();
  }

  /**
   * Replaces reloadable worker processes one at a time: the new process is
   * accepting before the old one stops. Processes of `reloadable = false`
   * Workers run onWorkerReload and stay.
   */
  async reload(graceful: boolean): Promise<void> {
    if (this.state !== 'running') {
      log(`netwright[${scriptName()}] reload ignored while ${this.state}`);
      return;
    }
    this.state = 'reloading';
    log(`netwright[${scriptName()}] ${graceful ? 'gracefully reloading' : 'reloading'}`);
    const { onMasterReload } = masterHooks;
    if (onMasterReload) await runMasterHook('onMasterReload', onMasterReload);
    const current = [...this.processes].filter((p) => !p.retiring && this.slots[p.index][p.id] === p);
    for (const proc of current) {
      if (!proc.worker.reloadable) void proc.request({ cmd: 'reload', graceful, exit: false }, ANSWER_MS);
    }
    for (const old of current.filter((p) => p.worker.reloadable)) {
      if (this.state !== 'reloading') break;
      if (old.exited || this.slots[old.index][old.id] !== old) continue;
      old.retiring = true;
      const fresh = this.spawn(old.index, old.id);
      if (!(await fresh.whenReady)) {
        const exit = await fresh.whenExited;
        if (this.state !== 'reloading') break;
        log(
          `netwright[${scriptName()}] reload stopped: the new process for worker[${old.worker.name}] id ${old.id} ` +
            `exited before accepting (status ${exit.status}); the old ones keep serving`,
        );
        if (!old.exited) {
          old.retiring = false;
          this.slots[old.index][old.id] = old;
        } else if (this.slots[old.index][old.id] === fresh) {
          this.slots[old.index][old.id] = undefined;
          this.spawn(old.index, old.id);
        }
        break;
      }
      if (this.state !== 'reloading') break;
      const limit = graceful ? old.worker.gracefulStopTimeout : old.worker.stopTimeout;
      if (limit > 0) old.killAfter(limit);
      await Promise.race([old.request({ cmd: 'reload', graceful, exit: true }, Math.max(limit, 5) * 1000), old.whenExited]);
    }
    if (this.state === 'reloading') {
      this.state = 'running';
      log(`netwright[${scriptName()}] reloaded`);
    }
  }

  private handle(request: ControlRequest): unknown {
    switch (request.cmd) {
      case 'ping':
        return { pid: process.pid, state: this.state };
      case 'stop':
        setImmediate(() => this.stop(Boolean(request.graceful)));
        return { pid: process.pid };
      case 'reload': {
        const accepted = this.state === 'running';
        void this.reload(Boolean(request.graceful));
        return { pid: process.pid, accepted };
      }
      case 'status':
        return this.status();
      case 'connections':
        return this.connections();
      default:
        throw new Error(`unknown command "${String((request as { cmd?: unknown }).cmd)}"`);
    }
  }

  private ordered(): WorkerProcess[] {
    return [...this.processes].sort((a, b) => a.index - b.index || a.id - b.id || a.startedAt - b.startedAt);
  }

  async status(): Promise<StatusReport> {
    const procs = this.ordered();
    const answers = (await Promise.all(procs.map((p) => p.request({ cmd: 'status' }, ANSWER_MS)))) as
      | ({ memory: number; statistics: Statistics; cluster: string } | undefined)[];
    const now = Date.now();
    const processes: ProcessStatus[] = procs.map((proc, i) => {
      const answer = answers[i];
      const listen = this.sockets[proc.index]?.listen ?? 'none';
      if (!answer) {
        return {
          pid: proc.pid, worker: proc.worker.name, id: proc.id, listen, status: 'busy',
          memory: null, connections: null, outbound: null, outboundRequest: null, sendFail: null, timers: null, totalRequest: null, qps: null, statistics: null,
          cluster: null, clusterDropped: null,
        };
      }
      const s = answer.statistics;
      const previous = this.qpsSamples.get(proc.pid);
      const qps = previous && now > previous.time ? Math.max(0, Math.round(((s.totalRequest - previous.total) * 1000) / (now - previous.time))) : 0;
      this.qpsSamples.set(proc.pid, { total: s.totalRequest, time: now });
      return {
        pid: proc.pid, worker: proc.worker.name, id: proc.id, listen, status: 'idle',
        memory: answer.memory, connections: s.connections, outbound: s.outbound, outboundRequest: s.outboundRequest, sendFail: s.sendFail, timers: s.timers,
        totalRequest: s.totalRequest, qps, statistics: s,
        cluster: answer.cluster, clusterDropped: s.clusterDropped,
      };
    });
    const sum = (key: 'memory' | 'connections' | 'outbound' | 'outboundRequest' | 'sendFail' | 'timers' | 'totalRequest' | 'qps' | 'clusterDropped') =>
      processes.reduce((total, p) => total + (p[key] ?? 0), 0);
    return {
      version: 1,
      master: {
        pid: process.pid,
        script: scriptPath(),
        daemon: this.daemon,
        state: this.state,
        startTime: this.startTime.toISOString(),
        uptime: Math.round((now - this.startTime.getTime()) / 1000),
        loadAverage: os.loadavg(),
        netwright: netwrightVersion(),
        node: process.version,
      },
      workers: this.workers.map((worker, index) => ({
        name: worker.name,
        listen: this.sockets[index]?.listen ?? 'none',
        count: workerCount(worker),
        reusePort: worker.reusePort,
        exitStatus: Object.fromEntries([...this.exitInfo[index]].map(([status, count]) => [String(status), count])),
      })),
      processes,
      relay: { processes: this.relay.processes, dropped: this.relay.dropped },
      summary: {
        processes: processes.length,
        busy: processes.filter((p) => p.status === 'busy').length,
        memory: sum('memory'),
        connections: sum('connections'),
        outbound: sum('outbound'),
        outboundRequest: sum('outboundRequest'),
        sendFail: sum('sendFail'),
        timers: sum('timers'),
        totalRequest: sum('totalRequest'),
        qps: sum('qps'),
        clusterDropped: sum('clusterDropped') + this.relay.dropped,
      },
    };
  }

  async connections(): Promise<ConnectionsReport> {
    const procs = this.ordered();
    const answers = (await Promise.all(procs.map((p) => p.request({ cmd: 'connections' }, ANSWER_MS)))) as
      | (ConnectionStatus[] | undefined)[];
    return {
      version: 1,
      connections: answers.flatMap((rows) => rows ?? []),
      busy: procs.filter((_, i) => !answers[i]).map((p) => p.pid),
    };
  }

  /** The longest a `stop` may take before the command reports failure (ms; Infinity = wait). */
  static stopWait(graceful: boolean, workers: readonly Worker[] = registeredWorkers()): number {
    if (!graceful) return (Math.max(0, ...workers.map((w) => w.stopTimeout)) + 3) * 1000;
    if (workers.some((w) => !(w.gracefulStopTimeout > 0))) return Infinity;
    return (Math.max(0, ...workers.map((w) => w.gracefulStopTimeout)) + 3) * 1000;
  }

  private releaseFiles(): void {
    for (const socket of this.sockets) {
      closeSocket(socket);
      if (socket?.unixPath) removeQuietly(socket.unixPath);
    }
    if (this.control) {
      this.control.close();
      this.control = undefined;
    }
    removeQuietly(this.controlPath);
    if (readPid(this.files.pidFile) === process.pid) removeQuietly(this.files.pidFile);
  }

  private finish(): void {
    this.releaseFiles();
    log(`netwright[${scriptName()}] has been stopped`);
    const { onMasterStop } = masterHooks;
    if (!onMasterStop) process.exit(0);
    void runMasterHook('onMasterStop', onMasterStop).then(() => process.exit(0));
  }
}

export function workerCount(worker: Worker): number {
  const count = Math.floor(Number(worker.count));
  return Number.isFinite(count) && count > 0 ? count : 1;
}
