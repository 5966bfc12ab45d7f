// examples/ as a new user runs them, each as a child process with its ports
// from the environment: echo.mjs, proxy.mjs, cluster.mjs (runAll commands) and
// cluster-chat.mjs (WebSocket rooms + HTTP push across processes). The other
// examples have their own files: chat (chat-browser), static-server
// (http-static), channel/ (channel-examples).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connect, until } from './helpers/harness.mjs';
import { freePort } from './fixtures/runall-helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = path.join(ROOT, 'examples');
const T = { timeout: 60_000 };

/** `node examples/<script> ...args`, output recorded; killed after the test if still running. */
function run(t, script, args = [], env = {}) {
  const child = spawn(process.execPath, [path.join(EXAMPLES, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { child, out: '', err: '', exit: null };
  child.stdout.on('data', (d) => { state.out += d; });
  child.stderr.on('data', (d) => { state.err += d; });
  state.exited = new Promise((resolve) => child.on('exit', (code, signal) => { state.exit = { code, signal }; resolve(state.exit); }));
  t.after(() => { if (state.exit === null) child.kill('SIGKILL'); });
  return state;
}

async function command(t, script, args, env) {
  const r = run(t, script, args, env);
  await r.exited;
  return r;
}

/** Stops a runAll() example and removes what it left beside package.json (the log). */
async function stopCluster(t, script, env) {
  const stop = await command(t, script, ['stop'], env);
  assert.equal(stop.exit.code, 0, stop.out + stop.err);
  assert.equal(fs.existsSync(path.join(ROOT, `netwright.${script}.pid`)), false, 'pid file removed');
}

test('echo.mjs: welcome line, echo, quit; Ctrl+C stops it', T, async (t) => {
  const port = await freePort();
  const echo = run(t, 'echo.mjs', [], { PORT: String(port) });
  await until(() => echo.out.includes('netwright text echo on'), 'the echo server', 10_000);
  assert.match(echo.out, new RegExp(`text echo on 127\\.0\\.0\\.1:${port}`));
  const c = await connect(port);
  t.after(() => c.destroy());
  await c.waitLines(1);
  c.write('hello\nquit\n');
  await c.waitClose();
  assert.deepEqual(c.lines, ['welcome to netwright: type a line', 'echo: hello', 'bye']);
  echo.child.kill('SIGINT');
  assert.deepEqual(await echo.exited, { code: 0, signal: null });
  assert.match(echo.out, /#\d+ connected from 127\.0\.0\.1:\d+/);
});

test('proxy.mjs: bytes both ways through the proxy, 4 MiB with backpressure, close follows', T, async (t) => {
  const target = net.createServer((socket) => socket.pipe(socket));
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.after(() => target.close());
  const port = await freePort();
  const proxy = run(t, 'proxy.mjs', [], { PORT: String(port), TARGET_PORT: String(target.address().port) });
  await until(() => proxy.out.includes('proxy 127.0.0.1:'), 'the proxy', 10_000);
  const c = await connect(port);
  t.after(() => c.destroy());
  const payload = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  c.write(payload);
  await c.waitBytes(payload.length, 20_000);
  assert.ok(c.data.equals(payload), 'echoed intact through the proxy');
  target.close();
  c.end();
  await c.waitClose(5000);
});

test('cluster.mjs: start -d, an echo from one of 4 worker processes, status, stop', T, async (t) => {
  const port = await freePort();
  const env = { PORT: String(port) };
  const start = await command(t, 'cluster.mjs', ['start', '-d'], env);
  t.after(() => command(t, 'cluster.mjs', ['stop'], env));
  assert.equal(start.exit.code, 0, start.out + start.err);
  assert.match(start.out, new RegExp(`echo\\s+text://127\\.0\\.0\\.1:${port}\\s+4\\s+\\[OK\\]`));
  const c = await connect(port);
  t.after(() => c.destroy());
  c.write('hi\n');
  await c.waitLines(1);
  assert.match(c.lines[0], /^\[worker [0-3], pid \d+\] hi$/);
  const status = await command(t, 'cluster.mjs', ['status', '--json'], env);
  assert.equal(JSON.parse(status.out).processes.length, 4);
  c.destroy();
  await stopCluster(t, 'cluster.mjs', env);
  fs.rmSync(path.join(ROOT, 'netwright.log'), { force: true });
});

test('cluster-chat.mjs: rooms, a user on two devices and HTTP push reach every process', T, async (t) => {
  const [wsPort, httpPort] = [await freePort(), await freePort()];
  const env = { WS_PORT: String(wsPort), HTTP_PORT: String(httpPort) };
  const start = await command(t, 'cluster-chat.mjs', ['start', '-d'], env);
  t.after(() => command(t, 'cluster-chat.mjs', ['stop'], env));
  assert.equal(start.exit.code, 0, start.out + start.err);

  const clients = [];
  t.after(() => { for (const ws of clients) ws.terminate(); });
  async function device() {
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`);
    clients.push(ws);
    const messages = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    await until(() => messages.some((m) => m.welcome), 'welcome');
    return { ws, messages };
  }
  const a = await device();
  const b = await device();
  for (const d of [a, b]) {
    d.ws.send(JSON.stringify({ join: 'lobby' }));
    d.ws.send(JSON.stringify({ login: 'alice' }));
  }
  await until(async () => (await (await fetch(`http://127.0.0.1:${httpPort}/count?room=lobby`)).json()).members === 2, 'both in the lobby', 5000);
  a.ws.send('not json');
  await until(() => a.messages.some((m) => m.error === 'send JSON'), 'a JSON error');
  a.ws.send(JSON.stringify({ room: 'lobby', text: 'hi' }));
  await until(() => b.messages.some((m) => m.text === 'hi' && m.from === 'alice'), 'room message to the other device');
  const push = await fetch(`http://127.0.0.1:${httpPort}/push?room=lobby&text=hello`);
  assert.deepEqual(await push.json(), { ok: true });
  await until(() => [a, b].every((d) => d.messages.some((m) => m.from === 'api' && m.text === 'hello')), 'pushed to both');
  const notify = await fetch(`http://127.0.0.1:${httpPort}/notify?user=alice&text=ping`);
  assert.deepEqual(await notify.json(), { online: true });
  await until(() => [a, b].every((d) => d.messages.some((m) => m.notice === 'ping')), 'notice on both devices');
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/nope`)).status, 404);
  for (const ws of clients) ws.terminate();
  await stopCluster(t, 'cluster-chat.mjs', env);
  fs.rmSync(path.join(ROOT, 'netwright.log'), { force: true });
});

test('every program in examples/ is run by a test', () => {
  const programs = fs.readdirSync(EXAMPLES, { recursive: true }).filter((f) => f.endsWith('.mjs')).map((f) => f.split(path.sep).join('/'));
  const tests = fs.readdirSync(path.join(ROOT, 'test')).filter((f) => f.endsWith('.test.mjs'))
    .map((f) => fs.readFileSync(path.join(ROOT, 'test', f), 'utf8')).join('\n');
  // a test names the program by its path under examples/, or by its file name as a string ('echo.mjs')
  const untested = programs.filter((p) => !tests.includes(`examples/${p}`) && !tests.includes(`'${path.basename(p)}'`));
  assert.ok(programs.length >= 10, programs.join(', '));
  assert.deepEqual(untested, []);
});
