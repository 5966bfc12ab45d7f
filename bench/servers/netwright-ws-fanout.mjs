// netwright websocket:// fan-out: every message goes to every connection of the worker (the
// publisher included) with worker.broadcast(), the native counterpart of Bun's server.publish;
// a build without broadcast() loops over worker.connections as a Workerman user would.
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'websocket://127.0.0.1:' + port(), (w) => {
  w.onMessage =
    typeof w.broadcast === 'function'
      ? (_c, d) => w.broadcast(d)
      : (_c, d) => {
          for (const c of w.connections.values()) c.send(d);
        };
});
