// Packages in and out per connection for `connections`, counted in the worker
// process without the native core: deliveries to the Worker's onMessage (as it
// is when the process starts accepting) and send() calls, reported by the
// connections through their package counter hook.
import { setPackageCounter, type TcpConnection } from '../connection/TcpConnection';
import type { AnyWorker as Worker } from '../Worker';

interface Packages {
  in: number;
  out: number;
}

const counts = new WeakMap<TcpConnection, Packages>();

function countsOf(connection: TcpConnection): Packages {
  let packages = counts.get(connection);
  if (!packages) {
    packages = { in: 0, out: 0 };
    counts.set(connection, packages);
  }
  return packages;
}

export function packagesOf(connection: TcpConnection): Packages {
  return counts.get(connection) ?? { in: 0, out: 0 };
}

/** Starts counting for `worker`'s connections (call once, in a worker process). */
export function countPackages(worker: Worker): void {
  const onMessage = worker.onMessage;
  setPackageCounter({
    received(connection, callback) {
      if (callback === onMessage) countsOf(connection).in++;
    },
    sent(connection) {
      countsOf(connection).out++;
    },
  });
}
