// A real redis-server (Debian's package) for the cluster suites: each test
// starts its own on a free port, without persistence, and stops it. Without
// the binary the suites skip, saying so; NETWRIGHT_REQUIRE_ALL=1 makes them
// mandatory (CI installs redis-server).
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading node modules.
import { spawn, spawnSync } from 'node:child_process';

import { freePort } from '../fixtures/runall-helpers.mjs';

export const REDIS_BINARY = process.env.REDIS_SERVER ?? 'redis-server';
export const hasRedis = spawnSync(REDIS_BINARY, ['--version'], { stdio: 'ignore' }).status === 0;
export const requireRedis = process.env.NETWRIGHT_REQUIRE_ALL === '1';

/** The test options: skip (with the reason) when redis-server is missing and not required. */
export function redisTest(options = {}) {
  if (hasRedis || requireRedis) return options;
  return { ...options, skip: `${REDIS_BINARY} is not installed (apt-get install redis-server); NETWRIGHT_REQUIRE_ALL=1 makes this mandatory` };
}


/** Starts redis-server on `port` (a free one by default); stop() ends it; restart() starts it again on the same port. */
export async function startRedis(t, port) {
  port ??= await freePort();
  const redis = { port, url: `redis://127.0.0.1:${port}`, process: null };
  redis.start = () =>
    new Promise((resolve, reject) => {
      const child = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      redis.process = child;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10000);
      child.stdout.on('data', (d) => {
        output += d;
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve(redis);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${output}`));
      });
    });
  redis.stop = () =>
    new Promise((resolve) => {
      const child = redis.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  t.after(() => redis.stop());
  await redis.start();
  return redis;
}
