// A script that creates Workers but never calls listen() or runAll() used to
// exit 0 without a word. When the event loop empties with such Workers, say so.
import { registeredWorkers } from './master/role';

let runAllCalled = false;
let installed = false;

export function markRunAll(): void {
  runAllCalled = true;
}

/** Called by every Worker constructor: the check runs once, over every Worker created. */
export function watchForUnstartedWorkers(): void {
  if (installed) return;
  installed = true;
  process.once('beforeExit', warnIfUnstarted);
}

function warnIfUnstarted(): void {
  if (runAllCalled) return;
  const names = registeredWorkers().filter((w) => w._constructed && !w._started).map((w) => w.getSocketName());
  if (names.length === 0) return;
  process.emitWarning(
    `${names.length === 1 ? 'a Worker was' : `${names.length} Workers were`} created but never started (${names.join(', ')}): ` +
      'call worker.listen() to serve in this process, or Worker.runAll() for worker processes and the start/stop/status commands',
    { code: 'NETWRIGHT_WORKER_NOT_STARTED' },
  );
}
