// start -d: the launching command exits 0 once a detached master (its own
// session) is listening; the daemon's output goes to Worker.stdoutFile; the
// commands find it through the pid file; restart -d replaces it; stop ends it
// and removes the pid file and control socket.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { Server, ask, childrenOf, isAlive, sessionOf, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 30_000 };

test('start -d, status, restart -d, stop', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  s.env.STDOUT_FILE = path.join(s.dir, 'stdout');
  const launched = await s.startDaemon();
  assert.equal(launched.code, 0, launched.stdout + launched.stderr);
  assert.match(launched.stdout, /echo\s+text:\/\/127\.0\.0\.1:\d+\s+2\s+\[OK\]/);
  assert.match(launched.stdout, /Start success\./);
  const master = s.masterPid;
  assert.ok(isAlive(master));
  assert.equal(sessionOf(master), master, 'the master leads its own session (setsid)');
  assert.notEqual(sessionOf(master), sessionOf(process.pid));
  // listening as soon as the launcher is gone
  const [pid] = (await ask(s.port, 'pid')).split(' ').map(Number);
  assert.ok(childrenOf(master).includes(pid));
  assert.ok(fs.statSync(s.socketFile).isSocket());
  assert.match(s.log, /start in DAEMON mode/);
  await until(() => fs.readFileSync(s.env.STDOUT_FILE, 'utf8').includes('worker echo 1 says hello'), 'worker output in stdoutFile');

  const status = await s.json('status');
  assert.equal(status.master.daemon, true);
  assert.equal(status.master.pid, master);
  const text = (await s.run(['status'])).stdout;
  assert.match(text, /^-+GLOBAL STATUS-+$/m);
  assert.match(text, /processes\s+mode: daemon$/m);
  assert.doesNotMatch(text, /Start worker/);
  assert.equal((await s.run(['start', '-d'])).code, 1, 'already running');

  const restarted = await s.run(['restart', '-d']);
  assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
  assert.match(restarted.stdout, /stop success/);
  await until(() => !isAlive(master), 'the old master to be gone');
  const second = s.masterPid;
  s.pids.add(second);
  await s.remember();
  assert.notEqual(second, master);
  assert.ok(isAlive(second));
  const port = Number(/text:\/\/127\.0\.0\.1:(\d+)/.exec(restarted.stdout)[1]);
  assert.equal((await ask(port, 'hello')), 'hello');

  const stop = await s.run(['stop']);
  assert.equal(stop.code, 0);
  assert.equal(isAlive(second), false);
  assert.equal(fs.existsSync(s.pidFile), false);
  assert.equal(fs.existsSync(s.socketFile), false);
  assert.equal((await s.run(['stop'])).code, 1, 'not running');
});

test('start -d that cannot bind: the launcher exits 1 with the reason', T, async (t) => {
  const a = new Server(t, { COUNT: '1' });
  await a.startDaemon();
  const b = new Server(t, { COUNT: '1', SOCKET: `text://127.0.0.1:${a.port}` });
  const r = await b.startDaemon();
  assert.equal(r.code, 1);
  assert.match(r.stderr, /start failed: .*EADDRINUSE/);
  assert.equal(fs.existsSync(b.pidFile), false);
  assert.equal((await a.run(['stop'])).code, 0);
});

test('restart in the foreground when nothing runs just starts', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start(['restart']);
  assert.equal(await ask(s.port, 'x'), 'x');
  assert.equal((await s.run(['stop'])).code, 0);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});
