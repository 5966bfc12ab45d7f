// The table `start` prints: one row per Worker with its listen address (port 0
// resolved), process count and state.
import * as os from 'node:os';

import type { AnyWorker as Worker } from '../Worker';
import { netwrightVersion } from './status';

export interface StartRow {
  worker: Worker;
  listen: string;
  count: number;
  /** Every process of the Worker came up. */
  ok: boolean;
}

const WIDTH = 80;

function banner(title: string): string {
  const left = Math.floor((WIDTH - title.length) / 2);
  return '-'.repeat(left) + title + '-'.repeat(WIDTH - left - title.length);
}

function cell(value: string, width: number): string {
  return value.length >= width ? value + ' ' : value.padEnd(width);
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

export function formatStartTable(rows: StartRow[]): string {
  const nameWidth = Math.max(12, ...rows.map((r) => r.worker.name.length + 2));
  const listenWidth = Math.max(24, ...rows.map((r) => r.listen.length + 2));
  const userWidth = Math.max(8, ...rows.map((r) => (r.worker.user || currentUser()).length + 2));
  const lines = [
    banner(' NETWRIGHT '),
    cell(`netwright/${netwrightVersion()}`, 24) + cell(`Node/${process.version}`, 24) + `${os.type()}/${os.release()}`,
    banner(' WORKERS '),
    cell('proto', 7) + cell('user', userWidth) + cell('worker', nameWidth) + cell('listen', listenWidth) + cell('count', 7) + 'state',
  ];
  for (const row of rows) {
    lines.push(
      cell(row.worker.transport, 7) +
        cell(row.worker.user || currentUser(), userWidth) +
        cell(row.worker.name, nameWidth) +
        cell(row.listen, listenWidth) +
        cell(String(row.count), 7) +
        (row.ok ? '[OK]' : '[FAIL]'),
    );
  }
  lines.push('-'.repeat(WIDTH));
  return lines.join('\n') + '\n';
}
