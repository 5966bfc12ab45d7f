// worker.user / worker.group: a worker process started as root switches to
// them after its socket is bound (setgid, initgroups, setuid). Failures are
// logged, never fatal (as Workerman).
import * as fs from 'node:fs';
import * as os from 'node:os';

import type { AnyWorker as Worker } from '../Worker';
import { log } from './log';

/** The primary group of `user` from /etc/passwd, or undefined. */
function primaryGroupOf(user: string): number | undefined {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[0] === user || fields[2] === user) return Number(fields[3]);
    }
  } catch {
    // no passwd file
  }
  return undefined;
}

export function switchIdentity(worker: Worker): void {
  const user = worker.user;
  if (!user || typeof process.getuid !== 'function') return;
  const uid = process.getuid();
  if (uid !== 0) {
    const me = os.userInfo();
    if (user !== me.username && user !== String(me.uid)) {
      log(`Warning: worker[${worker.name}] user "${user}": only a master started as root can switch the user of its worker processes`);
    }
    return;
  }
  try {
    const group: string | number | undefined = worker.group || primaryGroupOf(user);
    if (group === undefined) throw new Error(`user "${user}" not found`);
    process.setgid!(group);
    // initgroups is in Node on POSIX but not in every @types/node
    (process as unknown as { initgroups(user: string, extraGroup: string | number): void }).initgroups(user, group);
    process.setuid!(user);
  } catch (error) {
    log(`Warning: worker[${worker.name}] could not switch to user "${user}"${worker.group ? ` group "${worker.group}"` : ''}: ${(error as Error).message}`);
  }
}
