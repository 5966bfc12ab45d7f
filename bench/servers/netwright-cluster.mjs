// netwright fan-out across processes: `node netwright-cluster.mjs PORT COUNT [relay|redis]`.
// A websocket:// Worker under Worker.runAll() with COUNT processes on one port (reusePort: the
// kernel spreads the connections); every connection subscribes to one topic and every message
// is published to it with worker.publish(), which reaches the subscribers of the other processes
// through the master's relay, or with `redis` through Redis (REDIS_URL, REDIS_PREFIX from the
// environment). The master prints "ready PORT" once every worker process is accepting.
//
// runAll() reads its command from argv and the worker processes run this script again with the
// master's argv: the settings travel in the environment, argv becomes `start`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netwright, port } from './netwright-load.mjs';

const env = process.env;
if (env.NW_BENCH_PORT === undefined) {
  env.NW_BENCH_PORT = String(port());
  env.NW_BENCH_COUNT = process.argv[3] || '2';
  env.NW_BENCH_BACKEND = process.argv[4] || 'relay';
  env.NW_BENCH_DIR = mkdtempSync(join(tmpdir(), 'netwright-bench-'));
  process.argv = [process.argv[0], process.argv[1], 'start'];
}
const backend = env.NW_BENCH_BACKEND;
if (backend !== 'relay' && backend !== 'redis') {
  console.error(`netwright-cluster: backend must be relay or redis, not ${backend}`);
  process.exit(2);
}
if (backend === 'redis' && !env.REDIS_URL) {
  console.error('netwright-cluster: the redis backend needs REDIS_URL');
  process.exit(2);
}

const { Worker, processRole } = await netwright();
const master = processRole() === 'master';
Worker.pidFile = join(env.NW_BENCH_DIR, 'bench.pid');
Worker.logFile = join(env.NW_BENCH_DIR, 'bench.log');
if (backend === 'redis') Worker.cluster = { redis: env.REDIS_URL, prefix: env.REDIS_PREFIX || 'netwright-bench:' };
if (master) process.on('exit', () => rmSync(env.NW_BENCH_DIR, { recursive: true, force: true }));

const w = new Worker(`websocket://127.0.0.1:${env.NW_BENCH_PORT}`);
w.name = 'fanout';
w.count = Number(env.NW_BENCH_COUNT);
w.reusePort = true;
w.onWebSocketConnected = (c) => c.subscribe('all');
w.onMessage = (_c, d) => w.publish('all', d);

await Worker.runAll();
if (master) console.log(`ready ${env.NW_BENCH_PORT}`);
