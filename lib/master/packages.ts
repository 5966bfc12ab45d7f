// Packages in and out per connection for `connections`, counted in the worker
// process without the native core: deliveries to the Worker's onMessage (as it
// is when the process starts accepting) and send() calls.
import { TcpConnection } from '../connection/TcpConnection';
import type { Worker } from '../Worker';

interface Packages {
  in: number;
  out: number;
}

const counts = new WeakMap<TcpConnection, Packages>();
let sendWrapped = false;

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
  if (typeof onMessage === 'function') {
    worker.onMessage = function countedOnMessage(connection, data) {
      countsOf(connection).in++;
      return onMessage(connection, data);
    };
  }
  if (sendWrapped) return;
  sendWrapped = true;
  const send = TcpConnection.prototype.send;
  TcpConnection.prototype.send = function countedSend(this: TcpConnection, data, raw) {
    countsOf(this).out++;
    return send.call(this, data, raw);
  };
}
