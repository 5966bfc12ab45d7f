// Mistakes a new user makes fail loudly, at the line that makes them, naming
// what to write instead: send() of values that cannot go on the wire, settings
// out of range, Workerman idioms (context arrays, ws:// as a server name), host
// names as listen addresses, and a script that never starts its Workers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, Response } from 'netwright';
import { T, harness, until } from './helpers/harness.mjs';
import { wsHarness, OP } from './helpers/ws-client.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const UNSENDABLE = [
  [{ a: 1 }, /got an Object.*JSON\.stringify/],
  [[1, 2], /got an Array/],
  [undefined, /got undefined/],
  [null, /got null/],
  [42, /got 42: send String\(value\)/],
  [true, /got true/],
  [() => {}, /got a function/],
  [Symbol('s'), /got a symbol/],
];

function throwsSendType(fn, pattern, what) {
  assert.throws(fn, (e) => e instanceof TypeError && /send\(\)/.test(e.message) && pattern.test(e.message), what);
}

test('send() throws a TypeError for objects, arrays, undefined, null, numbers, booleans; nothing goes out and the connection keeps serving', T, async (t) => {
  const h = harness(t);
  const results = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, line) => {
      for (const [value, pattern] of UNSENDABLE) throwsSendType(() => c.send(value), pattern, String(line));
      results.push('checked');
      c.send(`ok ${line}`);
    };
  });
  const c = await h.connect(w.port);
  c.write('a\nb\n');
  await c.waitLines(2);
  assert.deepEqual(c.lines, ['ok a', 'ok b'], 'only the good sends reached the peer');
  assert.deepEqual(results, ['checked', 'checked']);
  assert.equal(w.connections.size, 1);
});

test('send() on tcp:// takes a string, Buffer, Uint8Array or ArrayBuffer; close(data) checks the same', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (c) => {
      c.send('s');
      c.send(Buffer.from('b'));
      c.send(new Uint8Array([0x75]));
      c.send(new Uint8Array([0x61]).buffer);
      throwsSendType(() => c.close({}), /got an Object/, 'close({})');
      c.close('!');
    };
  });
  const c = await h.connect(w.port);
  c.write('x');
  await c.waitClose();
  assert.equal(c.text, 'sbua!');
});

test('send() on websocket:// throws for objects; broadcast() and publish() too', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => {
    w.onWebSocketConnected = (c) => { conn = c; };
  });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  throwsSendType(() => conn.send({ type: 'chat' }), /JSON\.stringify/, 'send');
  assert.throws(() => w.broadcast({ type: 'chat' }), (e) => e instanceof TypeError && /broadcast\(\)/.test(e.message));
  assert.throws(() => w.publish('news', undefined), (e) => e instanceof TypeError && /publish\(\)/.test(e.message));
  conn.send(JSON.stringify({ type: 'chat' }));
  const [m] = await c.waitMessages(1);
  assert.equal(m.opcode, OP.TEXT);
  assert.equal(m.text, '{"type":"chat"}');
});

test('send() on http:// takes strings, bytes, Response, Chunk, ServerSentEvents; an object throws naming them', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('http://127.0.0.1:0', (w) => {
    w.onMessage = (c) => {
      assert.throws(() => c.send({ ok: true }), (e) => e instanceof TypeError && /HTTP connection.*Response, Chunk or ServerSentEvents.*got an Object/.test(e.message));
      c.send(new Response(200, { 'Content-Type': 'application/json' }, JSON.stringify({ ok: true })));
    };
  });
  const response = await fetch(`http://127.0.0.1:${w.port}/`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true });
});

test('a protocol object may encode() objects; an encode() that returns an object throws a TypeError from send()', T, async (t) => {
  const h = harness(t);
  const json = {
    input: (buffer) => { const nl = buffer.indexOf(10); return nl < 0 ? 0 : nl + 1; },
    decode: (buffer) => JSON.parse(buffer.subarray(0, -1).toString()),
    encode: (data) => (data.broken ? { oops: true } : JSON.stringify(data) + '\n'),
  };
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.protocol = json;
    w.onMessage = (c, data) => {
      assert.throws(() => c.send({ broken: true }), (e) => e instanceof TypeError && /encode\(\) must return a string, Buffer or Uint8Array, got an Object/.test(e.message));
      c.send({ echo: data });
    };
  });
  const c = await h.connect(w.port);
  c.write('{"n":1}\n');
  await c.waitLines(1);
  assert.deepEqual(JSON.parse(c.lines[0]), { echo: { n: 1 } });
});

test('settings are checked where they are set, with the setting\'s name in the message', () => {
  const w = new Worker('websocket://127.0.0.1:0');
  const bad = {
    count: [0, -1, 1.5, NaN, '2', Infinity],
    pingInterval: [NaN, -1, '30', Infinity],
    handshakeTimeout: [NaN, -0.5, null],
    headersTimeout: [NaN, -1],
    keepAliveTimeout: [NaN, -1],
    stopTimeout: [NaN, -1, undefined],
    gracefulStopTimeout: [NaN, -1],
    idleTimeout: [NaN, -1],
    maxConnections: [-1, 1.5, NaN],
    maxHeadSize: [0, 100.5, NaN],
    maxPackageSize: [-1, 1.5, NaN],
    maxSendBufferSize: [-1, 0.5, NaN],
  };
  for (const [name, values] of Object.entries(bad)) {
    const before = w[name];
    for (const value of values) {
      assert.throws(() => { w[name] = value; }, (e) => e instanceof RangeError && e.message.startsWith(`${name} must be`), `${name} = ${String(value)}`);
    }
    assert.equal(w[name], before, `${name} unchanged by refused values`);
  }
  w.count = 4;
  w.pingInterval = 0.5;
  w.maxHeadSize = 8192;
  w.maxConnections = 100;
  assert.deepEqual([w.count, w.pingInterval, w.maxHeadSize, w.maxConnections], [4, 0.5, 8192, 100]);
  assert.throws(() => { Worker.daemonize = 'yes'; }, (e) => e instanceof TypeError && /Worker\.daemonize/.test(e.message));
});

test('new Worker() options are checked; unknown ones are named', () => {
  const cases = [
    [{ backlog: 0 }, RangeError, /backlog must be an integer >= 1/],
    [{ backlog: NaN }, RangeError, /backlog/],
    [{ keepAlive: -1 }, RangeError, /keepAlive/],
    [{ keepAlive: 1.5 }, RangeError, /keepAlive/],
    [{ reusePort: 'yes' }, TypeError, /reusePort must be true or false/],
    [{ noDelay: 1 }, TypeError, /noDelay/],
    [{ backlogg: 10 }, TypeError, /unknown option "backlogg" \(known: backlog, /],
    [{ socket: { bindto: '0.0.0.0:0' } }, TypeError, /socket context option "bindto" has no netwright equivalent/],
    ['text', TypeError, /options object/],
  ];
  for (const [options, type, pattern] of cases) {
    assert.throws(() => new Worker('tcp://127.0.0.1:0', options), (e) => e instanceof type && pattern.test(e.message), JSON.stringify(options));
  }
  assert.throws(() => new Worker(8080), (e) => e instanceof TypeError && /socket name such as 'websocket:\/\/0\.0\.0\.0:8080'/.test(e.message));
});

test("Workerman's context array: { socket: { backlog, so_reuseport } } works; an ssl context is not silently ignored", T, async (t) => {
  const h = harness(t);
  const a = await h.serve('text://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(`a ${d}`); }, { socket: { backlog: 64, so_reuseport: 1 } });
  assert.equal(a.reusePort, true);
  // SO_REUSEPORT really is on: a second listener binds the same port
  const b = await h.serve(`text://127.0.0.1:${a.port}`, (w) => { w.onMessage = (c, d) => c.send(`b ${d}`); }, { socket: { so_reuseport: true, tcp_nodelay: 1 } });
  assert.equal(b.port, a.port);
  const c = await h.connect(a.port);
  c.write('hi\n');
  await c.waitLines(1);
  assert.match(c.lines[0], /^[ab] hi$/);
  // Workerman's ssl context names are read as cert/key: here the files are missing, and listen() says so
  const tls = new Worker('websocket://127.0.0.1:0', { ssl: { local_cert: '/nonexistent/server.crt', local_pk: '/nonexistent/server.key' } });
  assert.equal(tls.transport, 'ssl');
  assert.throws(() => tls.listen(), /ssl\.cert: cannot read "\/nonexistent\/server\.crt"/);
  assert.throws(() => new Worker('websocket://127.0.0.1:0', { ssl: { verify_peer: true } }).listen(), /unknown ssl option "verify_peer".*local_cert/);
});

test('ws:// as a server socket name says "use websocket://"; wss:// and https:// are TLS shorthands that need the ssl option', () => {
  assert.throws(() => new Worker('ws://0.0.0.0:8080'), (e) => /a server listens on websocket:\/\/ — write "websocket:\/\/0\.0\.0\.0:8080"/.test(e.message) && /AsyncTcpConnection/.test(e.message));
  for (const name of ['wss://127.0.0.1:0', 'https://127.0.0.1:0']) {
    const w = new Worker(name);
    assert.equal(w.transport, 'ssl');
    assert.throws(() => w.listen(), /needs the ssl option/);
  }
  assert.throws(() => new Worker('mqtt://0.0.0.0:1883'), /unknown protocol "mqtt".*Worker\.registerProtocol\(\)/);
});

test('a host name as a listen address names the addresses to use and the lookup, instead of listen EINVAL', () => {
  assert.throws(() => new Worker('websocket://example.com:8080'), (e) =>
    e instanceof TypeError &&
    e.message.includes('"websocket://0.0.0.0:8080" (every interface)') &&
    e.message.includes('"websocket://127.0.0.1:8080" (this machine only)') &&
    e.message.includes("dns.promises.lookup('example.com')"));
  assert.equal(new Worker('text://localhost:0').getSocketName(), 'text://localhost:0', 'localhost still means 127.0.0.1');
  assert.doesNotThrow(() => new Worker('tcp://[::1]:0'));
});

test('listen errors name the address', T, async (t) => {
  const h = harness(t);
  const a = await h.serve('tcp://127.0.0.1:0');
  assert.throws(() => new Worker(`tcp://127.0.0.1:${a.port}`).listen(), (e) => e.code === 'EADDRINUSE' && e.message.includes(`127.0.0.1:${a.port}`) && e.address === `127.0.0.1:${a.port}`);
  assert.throws(() => new Worker('unix:///nonexistent-dir/x.sock').listen(), (e) => e.code === 'ENOENT' && e.message.includes('/nonexistent-dir/x.sock'));
});

function runScript(t, source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-loud-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'script.mjs');
  fs.writeFileSync(file, source.replaceAll('NETWRIGHT', JSON.stringify(path.join(ROOT, 'dist', 'index.mjs'))));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('a script whose Workers never listen() or runAll() warns when the event loop empties', T, async (t) => {
  const forgot = await runScript(t, `import { Worker } from NETWRIGHT;
const worker = new Worker('websocket://127.0.0.1:0');
worker.onMessage = (c, d) => c.send(d);
console.log('configured');`);
  assert.equal(forgot.stdout, 'configured\n');
  assert.match(forgot.stderr, /\[NETWRIGHT_WORKER_NOT_STARTED\] Warning: a Worker was created but never started \(websocket:\/\/127\.0\.0\.1:0\): call worker\.listen\(\)/);
  assert.match(forgot.stderr, /Worker\.runAll\(\)/);

  const started = await runScript(t, `import { Worker } from NETWRIGHT;
const worker = new Worker('text://127.0.0.1:0');
worker.listen();
await worker.stop();
new Worker(); // no socket name: nothing to start
console.log('done');`);
  assert.equal(started.code, 0);
  assert.equal(started.stdout, 'done\n');
  assert.equal(started.stderr, '');
});
