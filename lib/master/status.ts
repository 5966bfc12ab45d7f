// What `status` and `connections` print: the JSON shapes (`--json`, stable,
// documented in docs/processes.md) and Workerman's text layout over them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Statistics } from '../statistics';

/** One worker process as `status` sees it; the counters are null when it was busy (no answer within 1 s). */
export interface ProcessStatus {
  pid: number;
  /** The Worker's name. */
  worker: string;
  /** worker.id: 0..count-1. */
  id: number;
  listen: string;
  status: 'idle' | 'busy';
  /** Resident set size in bytes. */
  memory: number | null;
  /** Accepted connections open now. */
  connections: number | null;
  /** Client connections (AsyncTcpConnection) open or connecting, and the messages they delivered: apart from accepted ones. */
  outbound: number | null;
  outboundRequest: number | null;
  sendFail: number | null;
  timers: number | null;
  totalRequest: number | null;
  /** Requests per second since the previous status query of this process (0 on the first). */
  qps: number | null;
  /** Every counter of Worker.getStatistics() in that process. */
  statistics: Statistics | null;
  /** How the process reaches the rest of the cluster: 'relay up', 'redis up', 'redis reconnecting', ...; null when busy. */
  cluster: string | null;
  /** Cluster messages this process could not hand on (its queue full, Redis away). */
  clusterDropped: number | null;
}

export interface WorkerSummary {
  name: string;
  listen: string;
  count: number;
  reusePort: boolean;
  /** Exit statuses of its processes so far, Workerman style: code << 8, or the signal number. */
  exitStatus: Record<string, number>;
}

export interface StatusReport {
  version: 1;
  master: {
    pid: number;
    script: string;
    daemon: boolean;
    state: 'starting' | 'running' | 'reloading' | 'stopping';
    /** ISO 8601. */
    startTime: string;
    /** Seconds. */
    uptime: number;
    loadAverage: number[];
    netwright: string;
    node: string;
  };
  workers: WorkerSummary[];
  processes: ProcessStatus[];
  /** The master's relay between the worker processes. */
  relay: {
    /** Worker processes linked to it. */
    processes: number;
    /** Messages it dropped because a process did not read them fast enough. */
    dropped: number;
  };
  summary: {
    processes: number;
    busy: number;
    memory: number;
    connections: number;
    outbound: number;
    outboundRequest: number;
    sendFail: number;
    timers: number;
    totalRequest: number;
    qps: number;
    /** Cluster messages lost on the way: every process's clusterDropped plus the relay's drops. */
    clusterDropped: number;
  };
}

/** One open connection in some worker process. */
export interface ConnectionStatus {
  pid: number;
  worker: string;
  workerId: number;
  /** Accepted by the worker, or a client connection the process opened (AsyncTcpConnection). */
  direction: 'inbound' | 'outbound';
  /** connection.id (unique within its process). */
  id: number;
  /** tcp, text, frame, websocket or the registered scheme. */
  protocol: string;
  transport: string;
  status: string;
  remoteAddress: string;
  localAddress: string;
  bytesIn: number;
  bytesOut: number;
  /** Messages delivered to onMessage. */
  packagesIn: number;
  /** send() calls. */
  packagesOut: number;
  /** Bytes queued for sending (not yet taken by the kernel). */
  sendBufferSize: number;
  /** Bytes received and not yet framed into a message (JavaScript protocols). */
  recvBufferSize: number;
}

export interface ConnectionsReport {
  version: 1;
  connections: ConnectionStatus[];
  /** Processes that did not answer within 1 s. */
  busy: number[];
}

export function netwrightVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function banner(title: string, width: number): string {
  const left = Math.max(0, Math.floor((width - title.length) / 2));
  return '-'.repeat(left) + title + '-'.repeat(Math.max(0, width - left - title.length));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(2)}M`;
}

function pad(value: unknown, width: number): string {
  const text = String(value);
  return text.length >= width ? text + ' ' : text.padEnd(width);
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Workerman's status layout: a global section, one row per process, a Summary row. */
export function formatStatus(report: StatusReport): string {
  const listenWidth = Math.max(26, ...report.processes.map((p) => p.listen.length + 2));
  const nameWidth = Math.max(13, ...report.processes.map((p) => p.worker.length + 2), ...report.workers.map((w) => w.name.length + 2));
  const columns: [string, number][] = [
    ['memory', 9],
    ['listening', listenWidth],
    ['name', nameWidth],
    ['connections', 12],
    ['send_fail', 10],
    ['timers', 8],
    ['total_request', 14],
    ['qps', 8],
    ['status', 0],
  ];
  const width = 8 + columns.reduce((sum, [, w]) => sum + w, 0) + 8;
  const m = report.master;
  const uptime = Math.floor(m.uptime);
  const days = Math.floor(uptime / 86400);
  const hours = Math.floor((uptime % 86400) / 3600);
  const minutes = Math.floor((uptime % 3600) / 60);
  const lines: string[] = [];
  lines.push(banner('GLOBAL STATUS', width));
  lines.push(pad(`netwright/${m.netwright}`, 24) + pad(`Node/${m.node}`, 30) + `${os.type()}/${os.release()}`);
  lines.push(
    `start time:${formatTime(m.startTime)}   run ${days} days ${hours} hours ${minutes} minutes   ` +
      `load average: ${m.loadAverage.map((n) => n.toFixed(2)).join(', ')}`,
  );
  lines.push(`${report.workers.length} workers       ${report.processes.length} processes       mode: ${m.daemon ? 'daemon' : 'foreground'}`);
  lines.push(`cluster: ${clusterStates(report.processes)}   cluster_dropped: ${report.summary.clusterDropped}`);
  lines.push(`outbound: ${report.summary.outbound} connections   ${report.summary.outboundRequest} messages`);
  lines.push(pad('name', nameWidth) + pad('exit_status', 16) + 'exit_count');
  for (const worker of report.workers) {
    const statuses = Object.entries(worker.exitStatus);
    if (statuses.length === 0) statuses.push(['0', 0]);
    for (const [status, count] of statuses) lines.push(pad(worker.name, nameWidth) + pad(status, 16) + count);
  }
  lines.push(banner('PROCESS STATUS', width));
  lines.push('pid\t' + columns.map(([title, w]) => (w ? pad(title, w) : title)).join(''));
  for (const p of report.processes) {
    const na = (v: number | null, format: (n: number) => string = String) => (v === null ? 'N/A' : format(v));
    lines.push(
      `${p.pid}\t` +
        pad(na(p.memory, megabytes), 9) +
        pad(p.listen, listenWidth) +
        pad(p.worker, nameWidth) +
        pad(na(p.connections), 12) +
        pad(na(p.sendFail), 10) +
        pad(na(p.timers), 8) +
        pad(na(p.totalRequest), 14) +
        pad(na(p.qps), 8) +
        `[${p.status}]`,
    );
  }
  lines.push(banner('PROCESS STATUS', width));
  const s = report.summary;
  lines.push(
    'Summary\t' +
      pad(megabytes(s.memory), 9) +
      pad('-', listenWidth) +
      pad('-', nameWidth) +
      pad(s.connections, 12) +
      pad(s.sendFail, 10) +
      pad(s.timers, 8) +
      pad(s.totalRequest, 14) +
      pad(s.qps, 8) +
      '[Summary]',
  );
  return lines.join('\n') + '\n';
}

/** 'relay up (2)' or, while Redis is away from some, 'redis up (1), redis reconnecting (1)'. */
function clusterStates(processes: readonly ProcessStatus[]): string {
  const counts = new Map<string, number>();
  for (const p of processes) if (p.cluster) counts.set(p.cluster, (counts.get(p.cluster) ?? 0) + 1);
  if (counts.size === 0) return 'none';
  return [...counts].map(([state, count]) => `${state} (${count})`).join(', ');
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)}${units[unit]}`;
}

function clip(text: string, width: number): string {
  return text.length > width - 1 ? text.slice(0, width - 3) + '..' : text;
}

/** One row per open connection of every worker process. */
export function formatConnections(report: ConnectionsReport): string {
  const localWidth = Math.max(22, ...report.connections.map((c) => c.localAddress.length + 2));
  const columns: [string, number][] = [
    ['PID', 9],
    ['Worker', 16],
    ['CID', 10],
    ['Trans', 7],
    ['Protocol', 12],
    ['Recv-Q', 9],
    ['Send-Q', 9],
    ['Bytes-R', 11],
    ['Bytes-W', 11],
    ['Pkgs-R', 9],
    ['Pkgs-W', 9],
    ['Status', 13],
    ['Local Address', localWidth],
    ['Foreign Address', 0],
  ];
  const lines: string[] = ['--------------------------------------NETWRIGHT CONNECTION STATUS--------------------------------------'];
  lines.push(columns.map(([title, w]) => (w ? pad(title, w) : title)).join(''));
  for (const c of report.connections) {
    lines.push(
      pad(c.pid, 9) +
        pad(clip(c.direction === 'outbound' ? `${c.worker} (out)` : c.worker, 16), 16) +
        pad(c.id, 10) +
        pad(c.transport, 7) +
        pad(clip(c.protocol, 12), 12) +
        pad(size(c.recvBufferSize), 9) +
        pad(size(c.sendBufferSize), 9) +
        pad(size(c.bytesIn), 11) +
        pad(size(c.bytesOut), 11) +
        pad(c.packagesIn, 9) +
        pad(c.packagesOut, 9) +
        pad(c.status.toUpperCase(), 13) +
        pad(c.localAddress, localWidth) +
        c.remoteAddress,
    );
  }
  for (const pid of report.busy) lines.push(`${pid}\t[busy]: no answer within 1 s`);
  const outbound = report.connections.filter((c) => c.direction === 'outbound').length;
  lines.push(`${report.connections.length - outbound} connection(s)` + (outbound ? `, ${outbound} outbound` : ''));
  return lines.join('\n') + '\n';
}
