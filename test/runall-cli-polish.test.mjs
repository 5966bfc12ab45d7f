// What the runAll() commands print to a new user, driven from a shell as in
// runall-cli.test.mjs: status/connections without a start banner, status -d
// without terminal codes into a pipe (and with them on a terminal), argument
// errors before anything else, Worker.daemonize, and the default pid and log
// files beside the project (nearest package.json), not in a compiled dist/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { FIXTURES, Server, ask, isAlive, until } from './fixtures/runall-helpers.mjs';

const T = { timeout: 30_000 };
const ROOT = path.resolve(FIXTURES, '..', '..');

test('status and connections start with their own report, not a start banner', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const status = await s.run(['status']);
  assert.equal(status.code, 0);
  assert.match(status.stdout.split('\n')[0], /^-+GLOBAL STATUS-+$/);
  assert.match(status.stdout, /1 workers\s+1 processes\s+mode: foreground$/m);
  assert.doesNotMatch(status.stdout, /Start worker|DEBUG mode|DAEMON mode/);
  const connections = await s.run(['connections']);
  assert.equal(connections.code, 0);
  assert.match(connections.stdout.split('\n')[0], /^-+NETWRIGHT CONNECTION STATUS-+$/);
  assert.doesNotMatch(connections.stdout, /Start worker/);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('status -d: terminal codes only on a terminal; a reader that goes away (| head) ends it quietly', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  // a pseudo-terminal from script(1): the screen is cleared before each refresh
  const tty = await new Promise((resolve) => {
    const command = `timeout -s INT 1.6 ${process.execPath} ${s.script} status -d`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    s.pids.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
  assert.match(tty.out, /\x1b\[H\x1b\[2J/);
  assert.match(tty.out, /Press Ctrl\+C to quit\./);

  // a pipe whose reader closes after the first bytes: no EPIPE stack trace, exit 0
  const piped = await new Promise((resolve) => {
    const child = spawn(process.execPath, [s.script, 'status', '-d'], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    s.pids.add(child.pid);
    let err = '';
    let out = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.once('data', (d) => { out += d; child.stdout.destroy(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
  assert.equal(piped.signal, null, 'ended by itself');
  assert.equal(piped.code, 0);
  assert.doesNotMatch(piped.out, /\x1b/);
  assert.doesNotMatch(piped.err, /EPIPE|Error/);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('argument errors come first, say what to write, and start nothing: start --daemon, stop --graceful', T, async (t) => {
  const s = new Server(t);
  const daemon = await s.run(['start', '--daemon']);
  assert.equal(daemon.code, 64);
  assert.equal(daemon.stderr.split('\n')[0], '"--daemon" is not a mode of start (use -d)');
  assert.match(daemon.stdout, /^Usage:/);
  assert.doesNotMatch(daemon.stdout, /NETWRIGHT|WORKERS|Start success/);
  const graceful = await s.run(['stop', '--graceful']);
  assert.equal(graceful.code, 64);
  assert.match(graceful.stderr, /"--graceful" is not a mode of stop \(use -g\)/);
  const other = await s.run(['reload', '-x']);
  assert.match(other.stderr, /"-x" is not a mode of reload \(modes of reload: -g\)/);
  assert.equal(fs.existsSync(s.pidFile), false, 'nothing started');
});

test('Worker.daemonize = true (Workerman\'s Worker::$daemonize): start runs as start -d', T, async (t) => {
  const s = new Server(t, { COUNT: '1', DAEMONIZE: '1', STDOUT_FILE: undefined });
  const r = await s.startDaemon(['start']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Start success\./);
  const master = s.masterPid;
  assert.ok(master && isAlive(master), 'a detached master runs after the launcher exited');
  assert.equal((await s.json('status')).master.daemon, true);
  assert.ok((await ask(s.port, 'pid')).length > 0);
  assert.equal((await s.run(['stop'])).code, 0);
  await until(() => !isAlive(master), 'the master gone');
});

test('default pid and log files: beside the nearest package.json, so a script compiled into dist/ keeps them in the project', T, async (t) => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-project-'));
  t.after(() => fs.rmSync(project, { recursive: true, force: true }));
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "my-gateway", "private": true }\n');
  fs.mkdirSync(path.join(project, 'dist'));
  const script = path.join(project, 'dist', 'server.mjs');
  fs.writeFileSync(script, `import { Worker } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))};
const worker = new Worker('text://127.0.0.1:0');
worker.onMessage = (connection, line) => connection.send(line);
Worker.runAll();
`);
  const s = new Server(t, { PID_FILE: undefined, LOG_FILE: undefined }, script);
  assert.equal(s.pidFile, path.join(project, 'netwright.server.mjs.pid'));
  await s.start();
  assert.equal(Number(fs.readFileSync(path.join(project, 'netwright.server.mjs.pid'), 'utf8')), s.pid);
  assert.ok(fs.statSync(path.join(project, 'netwright.server.mjs.sock')).isSocket());
  assert.match(fs.readFileSync(path.join(project, 'netwright.log'), 'utf8'), /start in DEBUG mode/);
  assert.deepEqual(fs.readdirSync(path.join(project, 'dist')), ['server.mjs'], 'nothing written into dist/');
  assert.equal((await s.run(['stop'])).code, 0);
  assert.equal(fs.existsSync(path.join(project, 'netwright.server.mjs.pid')), false);
});
