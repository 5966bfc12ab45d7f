// Workerman's master hooks run in the master: Worker.onMasterReload when a
// reload starts, onWorkerExit(worker, status, pid) after a worker process exits
// (Workerman 5's static or Workerman 4's per-Worker property), Worker.onMasterStop
// after the last worker process has stopped. A hook that throws or rejects is
// logged and the master carries on.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Server, isAlive, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 40_000 };

for (const style of ['static', 'instance']) {
  test(`master hooks (${style} onWorkerExit): reload, a killed worker process, stop`, T, async (t) => {
    const s = new Server(t, { COUNT: '2', MASTER_HOOKS: style });
    await s.start();
    const master = s.pid;
    const before = await until(async () => {
      const list = await s.workerPids();
      return list.length === 2 ? list : null;
    }, 'two worker processes', 10000);

    const victim = before[0].pid;
    process.kill(victim, 'SIGKILL');
    await until(() => s.events.some((e) => e.startsWith(`worker-exit echo `) && e.endsWith(` ${victim}`)), 'onWorkerExit for the killed process', 10000);
    const exitLine = s.events.find((e) => e.endsWith(` ${victim}`) && e.startsWith('worker-exit'));
    assert.equal(exitLine, `worker-exit echo 9 ${victim}`, 'status is the raw wait status: SIGKILL = 9');

    assert.equal((await s.run(['reload'])).code, 0);
    await until(() => /reloaded/.test(s.log), 'the reload to finish', 15000);
    assert.ok(s.events.includes(`master-reload ${master}`), `onMasterReload ran in the master: ${s.events.join(', ')}`);
    // the reload replaced both processes: each old one reported by onWorkerExit, status 0
    const exits = await until(() => {
      const found = s.events.filter((e) => e.startsWith('worker-exit'));
      return found.length >= 3 ? found : null;
    }, 'onWorkerExit for both replaced processes', 10000);
    assert.deepEqual(exits.slice(1).map((e) => e.split(' ')[2]), ['0', '0'], exits.join(', '));

    assert.equal((await s.run(['stop'])).code, 0);
    await until(() => !isAlive(master), 'the master to exit', 10000);
    const events = s.events;
    assert.equal(events.filter((e) => e === `master-stop ${master}`).length, 1, events.join(', '));
    const lastExit = events.findLastIndex((e) => e.startsWith('worker-exit'));
    assert.ok(events.indexOf(`master-stop ${master}`) > lastExit, 'onMasterStop runs after every worker process has exited');
    assert.match(s.log, /has been stopped/);
  });
}

test('a master hook that throws or rejects is logged; the master keeps supervising and stops with code 0', T, async (t) => {
  const s = new Server(t, { COUNT: '1', MASTER_HOOKS: 'instance', MASTER_HOOK_THROW: '1' });
  await s.start();
  const [first] = await until(async () => {
    const list = await s.workerPids();
    return list.length === 1 ? list : null;
  }, 'one worker process', 10000);
  process.kill(first.pid, 'SIGKILL');
  await until(async () => {
    const list = await s.workerPids();
    return list.length === 1 && list[0].pid !== first.pid ? list : null;
  }, 'the replacement process', 10000);
  assert.equal((await s.run(['reload'])).code, 0);
  await until(() => /reloaded/.test(s.log), 'the reload to finish', 15000);
  assert.match(s.log, /onWorkerExit threw: Error: worker-exit hook rejects on purpose/);
  assert.match(s.log, /onMasterReload threw: Error: master-reload hook throws on purpose/);
  assert.equal((await s.run(['stop'])).code, 0);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
  assert.match(s.log, /onMasterStop threw/);
});

test('master hooks are functions: anything else is a TypeError naming the property', async () => {
  const { Worker } = await import('netwright');
  assert.throws(() => { Worker.onMasterStop = 'stop'; }, { name: 'TypeError', message: /Worker\.onMasterStop must be a function/ });
  assert.throws(() => { Worker.onWorkerExit = 1; }, { name: 'TypeError', message: /Worker\.onWorkerExit must be a function/ });
  Worker.onMasterReload = () => {};
  Worker.onMasterReload = null;
  assert.equal(Worker.onMasterReload, undefined);
});
