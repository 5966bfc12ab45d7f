// What test/docs.test.mjs gives a docs block and its `<!-- test -->` check: a
// workspace where `import 'netwright'` is this repository (node_modules/netwright
// a symlink to it, beside links to its own node_modules), run() to start the
// block as a child process, real clients, and the servers the recipes talk to.
//
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading node modules.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

import { ask, canConnect, lineClient, until } from '../fixtures/runall-helpers.mjs';
import { testCertificates } from './certs.mjs';
import { startRedis } from './redis-server.mjs';

export const REQUIRE_ALL = process.env.NETWRIGHT_REQUIRE_ALL === '1';

/** Thrown by a check whose server is not installed here (and not required): the test skips, saying so. */
export class Skip extends Error {}

/** A temporary directory whose node_modules resolves 'netwright' to `root` and every package `root` has. */
export function makeWorkspace(root) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-docs-'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(root, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    fs.symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name));
  }
  fs.symlinkSync(root, path.join(modules, 'netwright'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'docs-blocks', private: true, type: 'module' }));
  return dir;
}

/** Starts `file` (node file ...args) in `cwd`; the handle records its output and is stopped by stop(). */
export function startProcess(file, args, { cwd, env = {} }) {
  const child = spawn(process.execPath, [file, ...args], {
    cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  const handle = { child, stdout: '', stderr: '', output: '', exitStatus: null };
  const record = (key) => (d) => { handle[key] += d; handle.output += d; };
  child.stdout.on('data', record('stdout'));
  child.stderr.on('data', record('stderr'));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { handle.exitStatus = { code, signal }; resolve(handle.exitStatus); }));
  const describe = () => `output so far:\n${handle.output}`;

  /** Resolves with the match once the output matches `pattern` (a RegExp or a string). */
  handle.waitFor = async (pattern, ms = 10_000) => {
    const matches = () => (typeof pattern === 'string' ? handle.output.includes(pattern) && pattern : pattern.exec(handle.output));
    const end = Date.now() + ms;
    for (;;) {
      const m = matches();
      if (m) return m;
      if (handle.exitStatus) throw new Error(`the block exited (${JSON.stringify(handle.exitStatus)}) before printing ${pattern}; ${describe()}`);
      if (Date.now() > end) throw new Error(`the block did not print ${pattern} within ${ms} ms; ${describe()}`);
      await sleep(20);
    }
  };
  /** Resolves with { code, signal } when it ends by itself within `ms`. */
  handle.exit = async (ms = 15_000) => {
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the block did not end within ${ms} ms; ${describe()}`)), ms); });
    try { return await Promise.race([exited, late]); } finally { clearTimeout(timer); }
  };
  /** SIGTERM (a runAll() master stops its workers), then SIGKILL to what is left of the process group. */
  handle.stop = async () => {
    if (!handle.exitStatus) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* the group is gone */ }
    await exited;
    return handle.exitStatus;
  };
  return handle;
}

/** Polls until something accepts connections on 127.0.0.1:port. */
export async function waitPort(port, ms = 10_000) {
  await until(() => canConnect(port, 500), `a listener on port ${port}`, ms, 50);
}

/** A `ws` client recording every message (text as string, binary as Buffer); next() waits for one. */
export async function wsClient(url, options = {}) {
  const socket = new WebSocket(url, options);
  const client = { socket, messages: [], closed: null };
  socket.on('message', (data, isBinary) => client.messages.push(isBinary ? data : data.toString()));
  socket.on('close', (code, reason) => { client.closed = { code, reason: String(reason) }; });
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let read = 0;
  client.next = async (ms = 5000) => {
    await until(() => client.messages.length > read || client.closed, `a message on ${url}`, ms);
    if (client.messages.length <= read) throw new Error(`${url} closed (${JSON.stringify(client.closed)}) before a message`);
    return client.messages[read++];
  };
  /** Waits until a message equal to `value` has arrived (whatever came before or between). */
  client.waitFor = (value, ms = 5000) => until(() => client.messages.some((m) => String(m) === value), `'${value}' on ${url}`, ms);
  client.send = (data) => socket.send(data);
  client.close = () => socket.terminate();
  return client;
}

/** Raw TCP: sends `bytes`, resolves with everything received until the server closes or `ms` of quiet. */
export function exchange(port, bytes, ms = 2000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks = [];
    let timer = setTimeout(() => socket.destroy(), ms);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => { chunks.push(d); clearTimeout(timer); timer = setTimeout(() => socket.destroy(), ms); });
    socket.on('error', reject);
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

/** GET on a connection of its own (no keep-alive pool): { status, headers, body }. */
export async function httpGet(url, options = {}) {
  const http = await import(url.startsWith('https:') ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, ...options }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (d) => { body += d; });
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
    }).on('error', reject);
  });
}

/** The environment for servers that are not netwright: without the ASan run's preload. */
function plainEnv() {
  const { LD_PRELOAD, ASAN_OPTIONS, ...env } = process.env;
  return env;
}

function binary(name, hint) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin']) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  if (REQUIRE_ALL) throw new Error(`${name} is not installed (${hint}) and NETWRIGHT_REQUIRE_ALL=1 requires it`);
  throw new Skip(`${name} is not installed (${hint}); NETWRIGHT_REQUIRE_ALL=1 makes this mandatory`);
}

/** A redis-server of its own on `port` (test/helpers/redis-server.mjs), stopped after the test. */
export async function redisServer(t, port) {
  binary(process.env.REDIS_SERVER ?? 'redis-server', 'apt-get install redis-server');
  return startRedis(t, port);
}

/** Waits for a child's output to match `ready`; rejects with the output when it exits first. */
function started(child, ready, what, ms = 30_000) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms: ${output}`)), ms);
    const onData = (d) => { output += d; if (ready.test(output)) { clearTimeout(timer); resolve(); } };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${output}`)); });
  });
}

function stopOnExit(t, child, dir) {
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * An unprivileged, temporary MariaDB server (Debian's mariadb-server) on 127.0.0.1:port: a fresh data
 * directory from mariadb-install-db, no grant checks beyond the root user without a password, removed after.
 */
export async function mariadbServer(t, port) {
  const installDb = binary(process.env.MARIADB_INSTALL_DB ?? 'mariadb-install-db', 'apt-get install mariadb-server');
  const mariadbd = binary(process.env.MARIADBD ?? 'mariadbd', 'apt-get install mariadb-server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-mariadb-'));
  const user = os.userInfo().username;
  const install = spawnSync(installDb, ['--no-defaults', `--datadir=${dir}/data`, `--user=${user}`, '--auth-root-authentication-method=normal',
    '--skip-test-db', '--skip-name-resolve'], { encoding: 'utf8', env: plainEnv() });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stdout}${install.stderr}`);
  const child = spawn(mariadbd, ['--no-defaults', `--datadir=${dir}/data`, `--socket=${dir}/mysqld.sock`, `--pid-file=${dir}/mysqld.pid`,
    '--bind-address=127.0.0.1', `--port=${port}`, `--user=${user}`, '--skip-log-bin', '--innodb-buffer-pool-size=16M',
    '--skip-name-resolve', '--log-error=' + path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() });
  stopOnExit(t, child, dir);
  await until(() => canConnect(port, 500), 'mariadbd to accept connections', 30_000, 100).catch((e) => {
    throw new Error(`${e.message}: ${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
  });
  return { port, url: `mysql://root@127.0.0.1:${port}/` };
}

/** A mosquitto broker of its own on 127.0.0.1:port (anonymous clients allowed, no persistence). */
export async function mosquittoServer(t, port) {
  const mosquitto = binary(process.env.MOSQUITTO ?? 'mosquitto', 'apt-get install mosquitto');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-mqtt-'));
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\nlog_type all\n`);
  const child = spawn(mosquitto, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'], env: plainEnv() });
  stopOnExit(t, child, dir);
  await Promise.race([started(child, /running|Opening ipv4 listen socket/, 'mosquitto'), until(() => canConnect(port, 300), 'mosquitto', 30_000, 100)]);
  await waitPort(port);
  return { port, url: `mqtt://127.0.0.1:${port}` };
}

/** Everything a `<!-- test -->` check can name. */
export function checkHelpers(t) {
  return {
    assert, sleep, until, ask, lineClient, waitPort, wsClient, exchange, httpGet, fetch: globalThis.fetch, WebSocket, net,
    certificates: testCertificates,
    redisServer: (port) => redisServer(t, port),
    mariadbServer: (port) => mariadbServer(t, port),
    mosquittoServer: (port) => mosquittoServer(t, port),
  };
}
