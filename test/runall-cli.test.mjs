// Worker.runAll() commands, driven as a user would from a shell: usage and
// exit codes, start (table, pid file, control socket), already running / not
// running, status and connections (text and --json), stop by command and by
// signal, and the files removed on exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { FIXTURES, Server, ask, canConnect, isAlive, lineClient, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 30_000 };

test('no command prints usage and exits 64; so do unknown commands and modes', T, async (t) => {
  const s = new Server(t);
  const none = await s.run([]);
  assert.equal(none.code, 64);
  assert.match(none.stdout, /^Usage: node runall-server\.mjs <command> \[mode\]/);
  for (const cmd of ['start', 'stop', 'restart', 'reload', 'status', 'connections']) assert.match(none.stdout, new RegExp(`^${cmd}\\t`, 'm'));
  for (const args of [['bogus'], ['start', '-x'], ['stop', '-d'], ['status', 'stop'], ['connections', '-g']]) {
    const r = await s.run(args);
    assert.equal(r.code, 64, `${args.join(' ')} → ${r.code}`);
    assert.match(r.stdout, /Usage:/);
  }
  assert.equal(fs.existsSync(s.pidFile), false);
});

test('stop, reload, status and connections exit 1 when nothing runs', T, async (t) => {
  const s = new Server(t);
  for (const args of [['stop'], ['stop', '-g'], ['reload'], ['status'], ['status', '--json'], ['connections']]) {
    const r = await s.run(args);
    assert.equal(r.code, 1, `${args.join(' ')} → ${r.code}`);
    assert.match(r.stdout, /not running/);
  }
  // a stale pid file (its master is gone) does not count as running
  fs.writeFileSync(s.pidFile, '999999\n');
  assert.equal((await s.run(['status'])).code, 1);
});

test('start: table, pid file and control socket; already running; status; connections; stop removes the files', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  await s.start();
  assert.match(s.output, /echo\s+text:\/\/127\.0\.0\.1:\d+\s+2\s+\[OK\]/);
  assert.match(s.output, /^Press Ctrl\+C to stop\.$/m);
  assert.ok(s.port > 0, 'port 0 resolved in the table');
  assert.equal(s.masterPid, s.pid, 'the pid file holds the master pid');
  assert.ok(fs.statSync(s.socketFile).isSocket(), 'control socket beside the pid file');

  const again = await s.run(['start']);
  assert.equal(again.code, 1);
  assert.match(again.stdout, /already running/);
  const againDaemon = await s.run(['start', '-d']);
  assert.equal(againDaemon.code, 1);

  const c = await lineClient(s.port);
  t.after(() => c.close());
  const [pid, id] = (await c.request('pid')).split(' ').map(Number);
  await c.request('hello');

  const status = await s.json('status');
  assert.equal(status.version, 1);
  assert.equal(status.master.pid, s.pid);
  assert.equal(status.processes.length, 2);
  assert.deepEqual(status.processes.map((p) => p.id).sort(), [0, 1]);
  for (const p of status.processes) {
    assert.equal(p.status, 'idle');
    assert.equal(p.worker, 'echo');
    assert.equal(p.listen, `text://127.0.0.1:${s.port}`);
    assert.ok(p.memory > 1e6, 'RSS in bytes');
    assert.ok(p.timers >= 1, 'the fixture adds a timer');
  }
  const mine = status.processes.find((p) => p.pid === pid);
  assert.equal(mine.id, id);
  assert.equal(mine.connections, 1);
  assert.equal(mine.totalRequest, 2);
  assert.equal(status.summary.connections, 1);
  assert.equal(status.workers[0].count, 2);

  const text = await s.run(['status']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /GLOBAL STATUS/);
  assert.match(text.stdout, /start time:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.match(text.stdout, /load average: /);
  assert.match(text.stdout, /1 workers\s+2 processes/);
  assert.match(text.stdout, /^pid\tmemory\s+listening\s+name\s+connections\s+send_fail\s+timers\s+total_request\s+qps\s+status$/m);
  assert.match(text.stdout, new RegExp(`^${pid}\\t[\\d.]+M\\s+text://127\\.0\\.0\\.1:${s.port}\\s+echo\\s+1\\s+0\\s+\\d+\\s+2\\s+\\d+\\s+\\[idle\\]$`, 'm'));
  assert.match(text.stdout, /^Summary\t[\d.]+M\s+-\s+-\s+1\s+0\s+\d+\s+2\s+\d+\s+\[Summary\]$/m);

  const conns = await s.json('connections');
  assert.equal(conns.connections.length, 1);
  const row = conns.connections[0];
  assert.equal(row.pid, pid);
  assert.equal(row.worker, 'echo');
  assert.equal(row.workerId, id);
  assert.equal(row.protocol, 'text');
  assert.equal(row.remoteAddress, `127.0.0.1:${c.socket.localPort}`);
  assert.equal(row.localAddress, `127.0.0.1:${s.port}`);
  assert.equal(row.bytesIn, 'pid\nhello\n'.length);
  assert.ok(row.bytesOut > 'hello\n'.length);
  assert.equal(row.packagesIn, 2);
  assert.equal(row.packagesOut, 2);
  assert.equal(row.sendBufferSize, 0);
  const connText = await s.run(['connections']);
  assert.equal(connText.code, 0);
  assert.match(connText.stdout, new RegExp(`^${pid}\\s+echo\\s+\\d+\\s+tcp\\s+text\\s.*127\\.0\\.0\\.1:${s.port}\\s+127\\.0\\.0\\.1:${c.socket.localPort}$`, 'm'));

  c.close();
  const stop = await s.run(['stop']);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.match(stop.stdout, /stop success/);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
  for (const p of status.processes) assert.equal(isAlive(p.pid), false, `worker process ${p.pid} ended`);
  assert.equal(fs.existsSync(s.pidFile), false, 'pid file removed');
  assert.equal(fs.existsSync(s.socketFile), false, 'control socket removed');
  assert.equal(await canConnect(s.port), false);
  assert.match(s.log, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} pid:\d+ netwright\[runall-server\.mjs\] start in DEBUG mode/);
  assert.match(s.log, /has been stopped/);
  assert.equal((await s.run(['stop'])).code, 1, 'stop again: not running');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  test(`${signal} stops the master and its worker processes`, T, async (t) => {
    const s = new Server(t, { COUNT: '2' });
    await s.start();
    const workers = await s.workerPids();
    process.kill(s.pid, signal);
    assert.deepEqual(await s.exited, { code: 0, signal: null });
    await until(() => workers.every((p) => !isAlive(p.pid)), 'worker processes to end');
    assert.equal(fs.existsSync(s.pidFile), false);
    assert.equal(fs.existsSync(s.socketFile), false);
  });
}

test('worker processes ignore SIGINT (Ctrl+C reaches the whole group); the master decides', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const [worker] = await s.workerPids();
  process.kill(worker.pid, 'SIGINT');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(isAlive(worker.pid));
  assert.equal((await ask(s.port, 'pid')).split(' ')[0], String(worker.pid));
  assert.equal((await s.run(['stop'])).code, 0);
});

test('default pid file: <project root>/netwright.<script name>.pid (nearest package.json), control socket beside it', T, async (t) => {
  const s = new Server(t, { PID_FILE: undefined, COUNT: '1' });
  const root = path.resolve(FIXTURES, '..', '..');
  const pidFile = path.join(root, 'netwright.runall-server.mjs.pid');
  const socket = path.join(root, 'netwright.runall-server.mjs.sock');
  assert.equal(s.pidFile, pidFile);
  t.after(() => { for (const f of [pidFile, socket]) fs.rmSync(f, { force: true }); });
  await s.start();
  assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), s.pid);
  assert.ok(fs.statSync(socket).isSocket());
  const stop = await s.run(['stop']);
  assert.equal(stop.code, 0);
  assert.equal(fs.existsSync(pidFile), false);
  assert.equal(fs.existsSync(socket), false);
});

test('a start that cannot bind exits 1 and leaves no pid file', T, async (t) => {
  const a = new Server(t, { COUNT: '1' });
  await a.start();
  const b = new Server(t, { COUNT: '1', SOCKET: `text://127.0.0.1:${a.port}` });
  const r = await b.run(['start']);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /EADDRINUSE/);
  assert.equal(fs.existsSync(b.pidFile), false);
  assert.equal(fs.existsSync(b.socketFile), false);
  assert.equal((await a.run(['stop'])).code, 0);
});

test('status -d refreshes every second until Ctrl+C; status -d --json prints a line a refresh', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  for (const json of [false, true]) {
    const live = spawn(process.execPath, [s.script, 'status', '-d', ...(json ? ['--json'] : [])], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    s.pids.add(live.pid);
    let out = '';
    live.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => live.on('exit', (code) => resolve(code)));
    const t0 = Date.now();
    if (json) await until(() => out.split('\n').filter(Boolean).length >= 2, 'two JSON lines', 5000);
    else await until(() => out.split('GLOBAL STATUS').length >= 3, 'two refreshes', 5000);
    assert.ok(Date.now() - t0 >= 900, 'about a second apart');
    if (json) for (const line of out.split('\n').filter(Boolean)) assert.equal(JSON.parse(line).processes.length, 1);
    else assert.doesNotMatch(out, /\x1b/, 'no terminal codes into a pipe');
    live.kill('SIGINT');
    assert.equal(await exited, 0);
  }
  assert.equal((await s.run(['stop'])).code, 0);
});

test('status marks a process that does not answer within 1 s [busy] with N/A counters', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  await s.start();
  const c = await lineClient(s.port, 8000);
  t.after(() => c.close());
  const [pid] = (await c.request('pid')).split(' ').map(Number);
  // Blocked well past the 1 s answer limit plus a CLI's own start-up (slow under ASan on a
  // loaded machine): the report must come while the process is still blocked.
  const unblocked = c.request('block 5000');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const report = await s.json('status');
  assert.ok(Date.now() - t0 < 4900, 'status does not wait for the busy process');
  const busy = report.processes.find((p) => p.pid === pid);
  assert.equal(busy.status, 'busy');
  assert.equal(busy.memory, null);
  assert.equal(busy.totalRequest, null);
  assert.equal(report.summary.busy, 1);
  assert.equal(report.processes.find((p) => p.pid !== pid).status, 'idle');
  await unblocked;
  const text = await s.run(['status']);
  assert.match(text.stdout, /\[idle\]/);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('stop exits 1 ("stop fail") when the master does not go away in time', T, async (t) => {
  const s = new Server(t, { COUNT: '1', STOP_TIMEOUT: '0.5' });
  await s.start();
  process.kill(s.pid, 'SIGSTOP');
  t.after(() => { try { process.kill(s.pid, 'SIGCONT'); } catch {} });
  const t0 = Date.now();
  const r = await s.run(['stop'], { timeout: 20000 });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /stop fail/);
  t.diagnostic(`stop gave up after ${Date.now() - t0} ms`);
  process.kill(s.pid, 'SIGCONT');
  assert.deepEqual(await s.exited, { code: 0, signal: null }, 'the stop it missed is carried out once it runs again');
});

test('status and connections count client connections (AsyncTcpConnection) apart from accepted ones', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const c = await lineClient(s.port);
  t.after(() => c.close());
  assert.equal(await c.request(`dial ${s.port}`), 'dialed'); // the worker dials itself: one outbound, two accepted

  const status = await s.json('status');
  assert.equal(status.summary.outbound, 1);
  assert.equal(status.summary.connections, 2, 'accepted connections only');
  assert.equal(status.processes[0].outbound, 1);
  assert.equal(status.processes[0].statistics.outbound, 1);
  assert.match((await s.run(['status'])).stdout, /^outbound: 1 connections\s+0 messages$/m);

  const connections = await s.json('connections');
  const outbound = connections.connections.filter((row) => row.direction === 'outbound');
  assert.equal(outbound.length, 1);
  assert.equal(outbound[0].protocol, 'text');
  assert.equal(outbound[0].remoteAddress, `127.0.0.1:${s.port}`);
  assert.equal(connections.connections.filter((row) => row.direction === 'inbound').length, 2);
  assert.match((await s.run(['connections'])).stdout, /^2 connection\(s\), 1 outbound$/m);
});
