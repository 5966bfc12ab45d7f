// Workerman's master callbacks: Worker.onMasterReload, Worker.onMasterStop and
// onWorkerExit (static as in Workerman 5, or on a Worker as in 4.x). They run
// in the master, the only user code that does; a throw or a rejection is
// logged and the master carries on.
import type { AnyWorker as Worker } from '../Worker';
import { isThenable } from '../thenable';
import { log } from './log';

export interface MasterHooks {
  onMasterReload: (() => unknown) | undefined;
  onMasterStop: (() => unknown) | undefined;
  onWorkerExit: ((worker: Worker, status: number, pid: number) => unknown) | undefined;
}

export const masterHooks: MasterHooks = { onMasterReload: undefined, onMasterStop: undefined, onWorkerExit: undefined };

/** How long the master waits for a Promise a hook returns (onMasterStop before it exits). */
const HOOK_WAIT_MS = 5000;

export function runMasterHook(name: string, call: () => unknown): Promise<void> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    logFailure(name, error);
    return Promise.resolve();
  }
  if (!isThenable(result)) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`${name} did not settle within ${HOOK_WAIT_MS / 1000} s; the master goes on`);
      resolve();
    }, HOOK_WAIT_MS);
  });
  const settled = Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => logFailure(name, error),
  );
  return Promise.race([settled, waited]).finally(() => clearTimeout(timer));
}

function logFailure(name: string, error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log(`${name} threw: ${text}`);
}
