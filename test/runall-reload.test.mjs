// Rolling reload: worker processes are replaced one at a time, the new one
// accepting before the old one stops. With reusePort off a client that keeps
// connecting and requesting never sees a failure; established connections
// finish (reload -g keeps them as long as they stay). reloadable = false
// processes run onWorkerReload and stay; a new process that cannot start
// stops the reload and the old ones keep serving.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { Server, ask, isAlive, lineClient, sleep, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 40_000 };

/** Clients that keep connecting and requesting (one request per connection) until stop(). */
function hammer(port, clients = 3) {
  const result = { ok: 0, failures: [], pids: new Set(), done: false };
  const loop = async () => {
    while (!result.done) {
      try {
        const answer = await ask(port, 'pid', 5000);
        result.ok++;
        result.pids.add(Number(answer.split(' ')[0]));
      } catch (e) {
        result.failures.push(e.code ?? e.message);
      }
    }
  };
  const running = Promise.all(Array.from({ length: clients }, loop));
  result.stop = async () => {
    result.done = true;
    await running;
    return result;
  };
  return result;
}

async function ready(s, n, exclude = []) {
  return until(async () => {
    const list = await s.workerPids();
    return list.length === n && list.every((p) => p.status === 'idle' && !exclude.includes(p.pid)) ? list : null;
  }, `${n} new worker processes`, 15000, 50);
}

for (const graceful of [false, true]) {
  const args = graceful ? ['reload', '-g'] : ['reload'];
  test(`${args.join(' ')} (reusePort off): every process replaced with its id kept, and a hammering client never fails`, T, async (t) => {
    const s = new Server(t, { COUNT: '2', START_DELAY: '200' });
    await s.start();
    const before = await ready(s, 2);
    const load = hammer(s.port);
    await sleep(300);
    const r = await s.run(args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, graceful ? /gracefully reloading/ : /reloading/);
    await until(() => /netwright\[runall-server\.mjs\] reloaded/.test(s.log), 'the reload to finish', 15000);
    const after = await ready(s, 2, before.map((p) => p.pid));
    await sleep(300);
    const result = await load.stop();
    assert.deepEqual(result.failures, [], `${result.failures.length} failures of ${result.ok + result.failures.length}`);
    assert.ok(result.ok > 50, `${result.ok} requests answered`);
    assert.deepEqual(after.map((p) => p.id).sort(), [0, 1]);
    for (const p of before) {
      assert.ok(s.events.includes(`reload echo ${p.id} ${p.pid}`), `onWorkerReload ran in ${p.pid}`);
      await until(() => !isAlive(p.pid), `old process ${p.pid} to exit`);
    }
    for (const p of after) assert.ok(result.pids.has(p.pid), `new process ${p.pid} answered`);
    // one at a time: new process for an id, then the old one of that id goes, then the next id
    const oldPids = new Set(before.map((p) => p.pid));
    const order = s.events
      .filter((e) => e.startsWith('start ') || e.startsWith('reload '))
      .slice(2) // the first start
      .map((e) => { const [what, , id, pid] = e.split(' '); return `${what === 'start' ? 'new' : oldPids.has(Number(pid)) ? 'old' : '?'}${id}`; });
    assert.equal(order.length, 4, order.join(' '));
    assert.match(order.join(' '), /^new(\d) old\1 new(\d) old\2$/, `order: ${order.join(' ')}`);
    t.diagnostic(`${result.ok} requests answered during the reload, none failed`);
    assert.equal((await s.run(['stop'])).code, 0);
  });
}

test('reload -g: an established connection keeps its old process until the client leaves', T, async (t) => {
  for (const reusePort of ['0', '1']) {
    const s = new Server(t, { COUNT: '1', REUSE_PORT: reusePort });
    await s.start();
    const c = await lineClient(s.port);
    const [oldPid] = (await c.request('pid')).split(' ').map(Number);
    assert.equal((await s.run(['reload', '-g'])).code, 0);
    await until(() => /reloaded/.test(s.log), 'the reload');
    // status lists both while the old one drains: the same worker.id, two pids
    const both = await until(async () => {
      const list = await s.workerPids();
      return list.length === 2 && list.every((p) => p.id === 0 && p.status === 'idle') ? list : null;
    }, 'the old and the new process', 10000, 50);
    const fresh = both.find((p) => p.pid !== oldPid);
    for (let i = 0; i < 5; i++) assert.equal(Number((await c.request('pid')).split(' ')[0]), oldPid, 'still the old process');
    assert.ok(isAlive(oldPid));
    assert.equal(Number((await ask(s.port, 'pid')).split(' ')[0]), fresh.pid, 'new connections reach the new process');
    c.close();
    await until(() => !isAlive(oldPid), 'the old process to exit once its connection is gone');
    assert.equal((await s.run(['stop'])).code, 0);
  }
});

test('reloadable = false: onWorkerReload runs and the process stays', T, async (t) => {
  const s = new Server(t, { COUNT: '2', RELOADABLE: '0' });
  await s.start();
  const before = await ready(s, 2);
  assert.equal((await s.run(['reload'])).code, 0);
  await until(() => before.every((p) => s.events.includes(`reload echo ${p.id} ${p.pid}`)), 'onWorkerReload in both');
  await until(() => /reloaded/.test(s.log), 'the reload');
  const after = await s.workerPids();
  assert.deepEqual(after.map((p) => p.pid).sort(), before.map((p) => p.pid).sort());
  assert.equal((await s.run(['stop'])).code, 0);
});

test('SIGUSR1 reloads, SIGUSR2 reloads gracefully', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const [first] = await ready(s, 1);
  process.kill(s.pid, 'SIGUSR1');
  const [second] = await ready(s, 1, [first.pid]);
  await until(() => /\] reloaded/.test(s.log), 'the reload');
  process.kill(s.pid, 'SIGUSR2');
  await until(() => /gracefully reloading/.test(s.log), 'the graceful reload');
  await ready(s, 1, [first.pid, second.pid]);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('a reload whose new process cannot start stops there; the old processes keep serving', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  s.env.FAIL_FLAG = path.join(s.dir, 'broken');
  await s.start();
  const before = await ready(s, 2);
  fs.writeFileSync(s.env.FAIL_FLAG, '');
  assert.equal((await s.run(['reload'])).code, 0);
  await until(() => /reload stopped/.test(s.log), 'the reload to give up', 10000);
  const after = await s.workerPids();
  assert.deepEqual(after.map((p) => p.pid).sort(), before.map((p) => p.pid).sort());
  for (let i = 0; i < 5; i++) {
    const pid = Number((await ask(s.port, 'pid')).split(' ')[0]);
    assert.ok(before.some((p) => p.pid === pid), `answered by ${pid}`);
  }
  // fixed: the next reload goes through
  fs.rmSync(s.env.FAIL_FLAG);
  assert.equal((await s.run(['reload'])).code, 0);
  await ready(s, 2, before.map((p) => p.pid));
  assert.equal((await s.run(['stop'])).code, 0);
});
