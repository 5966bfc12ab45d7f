// A supervised multi-process text echo server: the master starts `count`
// worker processes and replaces any that die; try the commands from another shell.
//   node examples/cluster.mjs start        (foreground; Ctrl+C stops)   then: nc 127.0.0.1 9100
//   node examples/cluster.mjs start -d     (daemon)
//   node examples/cluster.mjs status | status -d | status --json | connections
//   node examples/cluster.mjs reload [-g] | stop [-g] | restart [-d] [-g]
//
// The whole script runs in the master AND again in every worker process (and in
// every command such as `status`): keep top-level code to creating Workers.
// Per-process setup goes in onWorkerStart; run-once work goes behind worker.id === 0.
import { Worker, Timer, processRole } from 'netwright';

const worker = new Worker(`text://127.0.0.1:${process.env.PORT ?? 9100}`);
worker.name = 'echo';
worker.count = 4;
// worker.reusePort = true;   // each process binds its own socket; the kernel spreads connections

worker.onWorkerStart = async (w) => {
  // runs in each worker process before it accepts; a returned Promise is awaited
  // (open database connections here, not at the top level)
  if (w.id === 0) {
    // exactly one process of this Worker runs this (and its replacement, after a crash or reload)
    Timer.add(60, () => console.log(`[${process.pid}] ${Worker.getStatistics().totalRequest} requests so far in process 0`));
  }
};
worker.onMessage = (connection, line) => {
  if (line === 'quit') return connection.close('bye');
  if (line === 'crash') throw new Error('crash on purpose: the master replaces this process with the same worker.id');
  connection.send(`[worker ${worker.id}, pid ${process.pid}] ${line}`);
};
worker.onWorkerReload = (w) => console.log(`[${process.pid}] worker ${w.id} reloading`);

if (processRole() === 'master') console.log(`master ${process.pid}: starting ${worker.count} worker processes`);

Worker.runAll();
