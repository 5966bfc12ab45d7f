// The master's handle on one worker process: spawns it (the same script again,
// its role and Worker in the environment, its listening socket as an extra
// stdio entry), and talks to it over the IPC channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';

import type { AnyWorker as Worker } from '../Worker';
import { CLUSTER_FD_INDEX, ENV, LISTEN_FD_INDEX } from './role';

/** Master → worker process. */
export type WorkerCommand =
  | { cmd: 'status'; seq: number }
  | { cmd: 'connections'; seq: number }
  | { cmd: 'stop'; graceful: boolean; seq: number }
  | { cmd: 'reload'; graceful: boolean; exit: boolean; seq: number };

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

/** Worker process → master. */
export type WorkerMessage = { type: 'ready' } | { type: 'reply'; seq: number; data: unknown };

export interface SpawnPlan {
  worker: Worker;
  /** The Worker's index among the script's Workers. */
  index: number;
  id: number;
  /** A listening descriptor of the master to hand over. */
  fd?: number;
  /** The port the master resolved, for reusePort workers. */
  port?: number;
  /** Every listening descriptor the master holds (they leak into children: no close-on-exec). */
  masterFds: number[];
  script: string;
  args: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Workerman's raw status: code << 8, or the signal number. */
  status: number;
}

/** execArgv without inspector flags: worker processes would fight over the inspector port. */
function childExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^--inspect(-brk|-port|-wait)?(=|$)/.test(arg) && !/^--debug-port(=|$)/.test(arg));
}

export class WorkerProcess {
  readonly worker: Worker;
  readonly index: number;
  readonly id: number;
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly whenReady: Promise<boolean>;
  readonly whenExited: Promise<Exit>;
  isReady = false;
  exited = false;
  /** Being replaced by a reload (or told to stop): its exit is expected. */
  retiring = false;
  killTimer: NodeJS.Timeout | undefined;
  /** The master's end of this process's link to the cluster relay (null when spawning failed). */
  readonly clusterLink: Duplex | null;
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, (data: unknown) => void>();

  constructor(plan: SpawnPlan) {
    this.worker = plan.worker;
    this.index = plan.index;
    this.id = plan.id;
    const stdio: (string | number)[] = ['ignore', 'inherit', 'inherit', 'ipc', 'ignore'];
    if (plan.fd !== undefined) stdio[LISTEN_FD_INDEX] = plan.fd;
    stdio[CLUSTER_FD_INDEX] = 'pipe';
    this.child = spawn(process.execPath, [...childExecArgv(), plan.script, ...plan.args], {
      stdio: stdio as ('ignore' | 'inherit' | 'ipc' | number)[],
      env: {
        ...process.env,
        [ENV.role]: 'worker',
        [ENV.index]: String(plan.index),
        [ENV.name]: plan.worker.name,
        [ENV.id]: String(plan.id),
        [ENV.listenFd]: plan.fd !== undefined ? String(LISTEN_FD_INDEX) : '',
        [ENV.listenPort]: plan.port !== undefined ? String(plan.port) : '',
        [ENV.masterFds]: plan.masterFds.join(','),
        [ENV.clusterFd]: String(CLUSTER_FD_INDEX),
      },
    });
    this.pid = this.child.pid ?? -1;
    this.clusterLink = ((this.child.stdio as unknown[])[CLUSTER_FD_INDEX] as Duplex | null | undefined) ?? null;
    let markReady: (ready: boolean) => void = () => {};
    this.whenReady = new Promise((resolve) => {
      markReady = resolve;
    });
    this.whenExited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        for (const reply of this.pending.values()) reply(undefined);
        this.pending.clear();
        markReady(false);
        const status = signal ? (constants.signals[signal] ?? 0) : (code ?? 0) << 8;
        resolve({ code, signal, status });
      };
      this.child.on('exit', finish);
      // spawn failed (EAGAIN, ENOMEM): there is no process to wait for
      this.child.on('error', () => {
        if (this.child.pid === undefined) finish(127, null);
      });
    });
    this.child.on('message', (message: WorkerMessage) => {
      if (message?.type === 'ready') {
        this.isReady = true;
        markReady(true);
      } else if (message?.type === 'reply') {
        const reply = this.pending.get(message.seq);
        this.pending.delete(message.seq);
        reply?.(message.data);
      }
    });
  }

  /** Sends a command; resolves with the answer, or undefined when none came within `timeoutMs` (or the process exited). */
  request(command: WithoutSeq<WorkerCommand>, timeoutMs: number): Promise<unknown> {
    if (this.exited || !this.child.connected) return Promise.resolve(undefined);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(seq, (data) => {
        clearTimeout(timer);
        resolve(data);
      });
      try {
        this.child.send({ ...command, seq }, (error) => {
          if (error) this.pending.get(seq)?.(undefined);
        });
      } catch {
        this.pending.get(seq)?.(undefined);
      }
    });
  }

  /** Kills with SIGKILL after `seconds` unless it exits first. */
  killAfter(seconds: number): void {
    if (this.exited) return;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => this.kill('SIGKILL'), Math.max(0, seconds * 1000));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch {
      // gone
    }
  }
}
