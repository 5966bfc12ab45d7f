// The manual's "push from another project" pattern: an inner text:// Worker
// created and listen()ed in onWorkerStart. A reload starts the new process
// before the old one stops, so both must be able to listen on the inner port
// at once: Workers that bind inside a worker process use SO_REUSEPORT.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { FIXTURES, Server, ask, freePort, isAlive, until } from './fixtures/runall-helpers.mjs';

const SCRIPT = path.join(FIXTURES, 'inner-worker-server.mjs');


for (const args of [['reload'], ['reload', '-g']]) {
  test(`${args.join(' ')} replaces a process whose onWorkerStart listens an inner Worker`, { timeout: 40_000 }, async (t) => {
    const innerPort = await freePort();
    const s = new Server(t, { INNER_PORT: String(innerPort) }, SCRIPT);
    await s.start();
    const [before] = await s.workerPids();
    assert.equal(await ask(innerPort, 'hello'), String(before.pid));
    for (let round = 0; round < 2; round++) {
      const old = (await s.workerPids())[0].pid;
      const reloads = (s.log.match(/\] reloaded/g) ?? []).length;
      const r = await s.run(args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await until(() => (s.log.match(/\] reloaded/g) ?? []).length > reloads, 'the reload to finish', 15000);
      assert.doesNotMatch(s.log, /reload stopped|EADDRINUSE|cannot listen/, s.log);
      await until(() => !isAlive(old), `old process ${old} to exit`);
      const [now] = await s.workerPids();
      assert.notEqual(now.pid, old);
      assert.equal(await ask(innerPort, 'hello'), String(now.pid));
      assert.match(await ask(s.port, 'x'), new RegExp(`^${now.pid} 0$`));
    }
    assert.equal((await s.run(['stop'])).code, 0);
  });
}
