// Worker processes under a master: replaced with the same worker.id when they
// crash or are killed, backing off on instant crash loops; SO_REUSEPORT spread
// over processes; the master-bound socket inherited by worker processes (port
// 0 resolved once); worker.user.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';

import { Server, ask, isAlive, lineClient, sleep, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 30_000 };

async function processes(s, n) {
  return until(async () => {
    const list = await s.workerPids();
    return list.length === n && list.every((p) => p.status === 'idle') ? list : null;
  }, `${n} worker processes`, 8000, 50);
}

test('a crashed or killed worker process is replaced with the same worker.id; status counts its exit', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  await s.start();
  const before = await processes(s, 2);
  const c = await lineClient(s.port);
  const [victim, victimId] = (await c.request('pid')).split(' ').map(Number);
  c.socket.write('crash\n');
  const after = await until(async () => {
    const list = await s.workerPids();
    return list.length === 2 && !list.some((p) => p.pid === victim) ? list : null;
  }, 'a replacement process', 8000, 50);
  const replacement = after.find((p) => !before.some((b) => b.pid === p.pid));
  assert.equal(replacement.id, victimId, 'same worker.id');
  assert.deepEqual(after.map((p) => p.id).sort(), [0, 1]);
  assert.match(s.log, new RegExp(`worker\\[echo:${victim}\\] id ${victimId} exit with status 256 \\(code 1\\)`));
  let status = await s.json('status');
  assert.equal(status.workers[0].exitStatus['256'], 1);

  // SIGKILL from outside: same story, status 9
  const other = after.find((p) => p.id !== victimId);
  process.kill(other.pid, 'SIGKILL');
  const third = await until(async () => {
    const list = await s.workerPids();
    return list.length === 2 && !list.some((p) => p.pid === other.pid) ? list : null;
  }, 'a replacement for the killed process', 8000, 50);
  assert.equal(third.find((p) => p.pid !== replacement.pid).id, other.id);
  assert.match(s.log, new RegExp(`worker\\[echo:${other.pid}\\] id ${other.id} exit with status 9 \\(signal SIGKILL\\)`));
  status = await s.json('status');
  assert.equal(status.workers[0].exitStatus['9'], 1);
  assert.match((await s.run(['status'])).stdout, /^echo\s+9\s+1$/m);
  // the replacements serve
  const answers = new Set();
  for (let i = 0; i < 20 && answers.size < 2; i++) answers.add((await ask(s.port, 'pid')).split(' ')[0]);
  for (const pid of answers) assert.ok(third.some((p) => String(p.pid) === pid));
  assert.equal((await s.run(['stop'])).code, 0);
});

test('Worker.stopAll() in a worker process ends it; the master starts another with the same id', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const [first] = await processes(s, 1);
  const c = await lineClient(s.port);
  c.socket.write('stopall\n');
  await until(() => c.closed, 'the connection to close');
  const [second] = await until(async () => {
    const list = await s.workerPids();
    return list.length === 1 && list[0].pid !== first.pid && list[0].status === 'idle' ? list : null;
  }, 'a new process', 8000, 50);
  assert.equal(second.id, 0);
  assert.equal((await s.json('status')).workers[0].exitStatus['0'], 1);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('an instant crash loop backs off instead of spinning', T, async (t) => {
  const s = new Server(t, { COUNT: '1', START_FAIL: '1' });
  await s.start();
  assert.match(s.output, /echo\s+text:\/\/127\.0\.0\.1:\d+\s+1\s+\[FAIL\]/);
  const t0 = Date.now();
  await sleep(3000);
  const starts = s.events.filter((e) => e.startsWith('start echo 0')).length;
  const elapsed = Date.now() - t0;
  // without a back-off a Node process starts every ~100-200 ms here: 15-30 in 3 s
  assert.ok(starts >= 3 && starts <= 10, `${starts} starts in ${elapsed + 0} ms`);
  assert.match(s.log, /exited right after starting \d+ times in a row: next start in \d+ ms/);
  assert.ok((await s.json('status')).workers[0].exitStatus['64000'] >= 2, 'onWorkerStart failures exit 250 (status 64000)');
  assert.equal((await s.run(['stop'])).code, 0);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('reusePort: every worker process binds the port; the kernel spreads connections over distinct pids', T, async (t) => {
  const s = new Server(t, { COUNT: '2', REUSE_PORT: '1' });
  await s.start();
  const list = await processes(s, 2);
  assert.ok(list.every((p) => p.listen === `text://127.0.0.1:${s.port}`), 'port 0 resolved once');
  const seen = new Set();
  for (let i = 0; i < 60 && seen.size < 2; i++) seen.add(Number((await ask(s.port, 'pid')).split(' ')[0]));
  assert.deepEqual([...seen].sort(), list.map((p) => p.pid).sort(), 'both processes answered');
  // the master holds no socket of the group (it would take a share of connections and never accept)
  const masterSockets = socketInodes(s.pid);
  assert.ok(!listeningInodes(s.port).some((i) => masterSockets.has(i)));
  assert.equal((await s.run(['stop'])).code, 0);
});

function socketInodes(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  return inodes;
}

/** Inodes of the listening sockets on 127.0.0.1:port. */
function listeningInodes(port) {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === hex && f[3] === '0A')
    .map((f) => f[9]);
}

test('reusePort off: the master binds once, worker processes inherit the socket (no other Worker\'s), connections wait in its backlog', T, async (t) => {
  const s = new Server(t, { COUNT: '2', SECOND: 'text://127.0.0.1:0', START_DELAY: '400' });
  await s.start();
  const secondPort = Number(/second\s+text:\/\/127\.0\.0\.1:(\d+)/.exec(s.output)[1]);
  const list = await processes(s, 4);
  const echo = list.filter((p) => p.worker === 'echo');
  assert.equal(echo.length, 2);
  const [inode] = listeningInodes(s.port);
  const [secondInode] = listeningInodes(secondPort);
  assert.equal(listeningInodes(s.port).length, 1, 'one socket for all processes');
  assert.ok(socketInodes(s.pid).has(inode), 'the master holds it');
  for (const p of echo) {
    const inodes = socketInodes(p.pid);
    assert.ok(inodes.has(inode), `worker process ${p.pid} serves the inherited socket`);
    assert.ok(!inodes.has(secondInode), `worker process ${p.pid} does not hold the other Worker's socket`);
  }
  // with every echo process gone, a connection still gets in (the master's backlog) and is answered by a replacement
  for (const p of echo) process.kill(p.pid, 'SIGKILL');
  await until(() => echo.every((p) => !isAlive(p.pid)), 'the kill');
  const answer = await ask(s.port, 'pid', 8000);
  assert.ok(!echo.some((p) => String(p.pid) === answer.split(' ')[0]));
  assert.equal(await ask(secondPort, 'second?'), 'second?');
  assert.equal((await s.run(['stop'])).code, 0);
});

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// `ss` (iproute2) shows the keepalive timer of a socket: what is set on the listening socket.
const SS = ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss'].find((p) => fs.existsSync(p));
let noSs = SS ? false : 'ss (iproute2) not installed';
if (noSs && process.env.NETWRIGHT_REQUIRE_ALL === '1') noSs = false; // CI: run it and let it fail loudly
if (noSs) console.log(`skipped: ${noSs}`);

test('a connection that waits in the master\'s backlog while worker processes start gets the TCP keepalive too', { ...T, skip: noSs }, async (t) => {
  const port = await freePort();
  const s = new Server(t, { COUNT: '1', START_DELAY: '2000', SOCKET: `text://127.0.0.1:${port}` });
  const started = s.start();
  // Connect as soon as the master has bound the socket, long before the worker process listens.
  let c;
  await until(async () => {
    c = net.connect(port, '127.0.0.1');
    const ok = await new Promise((resolve) => c.once('connect', () => resolve(true)).once('error', () => resolve(false)));
    if (!ok) c.destroy();
    return ok;
  }, 'the master to bind', 5000, 20);
  t.after(() => c.destroy());
  const line = execFileSync(SS, ['-tno', 'state', 'established', `( sport = :${port} and dport = :${c.localPort} )`], { encoding: 'utf8' });
  await started;
  assert.match(line, /timer:\(keepalive,/, 'the accepted socket has keepalive before any worker process accepted it');
  c.write('late\n');
  const answer = await new Promise((resolve) => c.once('data', (d) => resolve(String(d))));
  assert.equal(answer, 'late\n');
  assert.equal((await s.run(['stop'])).code, 0);
});

test('worker.user: worker processes of a root master switch user after binding', { ...T, skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  // no EVENTS file: nobody cannot write into the test's private directory
  const s = new Server(t, { COUNT: '1', USER_SWITCH: 'nobody', EVENTS: undefined });
  await s.start();
  assert.match(s.output, /echo\s+text:\/\/127\.0\.0\.1:\d+\s+1\s+\[OK\]/);
  const [, , uid] = (await ask(s.port, 'pid')).split(' ').map(Number);
  assert.equal(uid, 65534);
  assert.match(s.output, /^tcp\s+nobody\s+echo/m);
  assert.equal((await s.run(['stop'])).code, 0);
});
