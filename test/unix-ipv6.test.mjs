// Other address families: unix:// sockets (with worker.protocol and with a
// text protocol) and IPv6 ([::1], and [::] accepting IPv4 unless ipv6Only).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { Worker } from 'netwright';
import { T, harness, until, connectFails, stopWorker } from './helpers/harness.mjs';

let seq = 0;
function sockPath(t) {
  const p = `/tmp/netwright-test-${process.pid}-${seq++}.sock`;
  if (existsSync(p)) unlinkSync(p);
  t.after(() => { try { unlinkSync(p); } catch {} });
  return p;
}

const semi = {
  input: (b) => { const i = b.indexOf(0x3b); return i < 0 ? 0 : i + 1; },
  decode: (b) => b.subarray(0, b.length - 1).toString(),
  encode: (s) => s + ';',
};

test('unix:// with worker.protocol = obj echoes records', T, async (t) => {
  const h = harness(t);
  const path = sockPath(t);
  let conn;
  const w = await h.serve(`unix://${path}`, (w) => {
    w.protocol = semi;
    w.onConnect = (c) => { conn = c; };
    w.onMessage = (c, d) => c.send('u:' + d);
  });
  assert.equal(w.transport, 'unix');
  assert.equal(w.port, undefined, 'no port for unix sockets');
  const c = await h.connect({ path });
  await c.trickle('on');
  c.write('e;two;');
  await c.waitText('u:two;');
  assert.equal(c.text, 'u:one;u:two;');
  await until(() => conn, 'onConnect');
  assert.equal(conn.status, 'established');
});

test('unix:// with the text protocol (worker.protocol = "text")', T, async (t) => {
  const h = harness(t);
  const path = sockPath(t);
  const w = await h.serve(`unix://${path}`, (w) => {
    w.protocol = 'text';
    w.onMessage = (c, d) => c.send(`[${d}]`);
  });
  const c = await h.connect({ path });
  c.write('hello\r\nworld\n');
  await c.waitLines(2);
  assert.equal(c.text, '[hello]\n[world]\n');
});

test('unix:// stop() closes clients; the path is reusable', T, async (t) => {
  const h = harness(t);
  const path = sockPath(t);
  const w = h.own(new Worker(`unix://${path}`));
  w.protocol = semi;
  w.onMessage = (c, d) => c.send(d);
  w.listen();
  const c = await h.connect({ path });
  c.write('x;');
  await c.waitText('x;');
  await stopWorker(w);
  await c.waitEnd();
  const again = await h.serve(`unix://${path}`, (w2) => { w2.protocol = semi; w2.onMessage = (cc, d) => cc.send(d + d); });
  assert.equal(again.transport, 'unix');
  const c2 = await h.connect({ path });
  c2.write('y;');
  await c2.waitText('yy;');
});

async function ipv6Loopback() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}
const HAVE_V6 = await ipv6Loopback();
const V6_SKIP = HAVE_V6 ? false : 'this machine has no IPv6 loopback (::1): IPv6 tests skipped';

test('IPv6: tcp://[::1]:0 serves over ::1 and reports IPv6 addresses', { ...T, skip: V6_SKIP }, async (t) => {
  const h = harness(t);
  let info;
  const w = await h.serve('text://[::1]:0', (w) => {
    w.onConnect = (c) => { info = { ip: c.getRemoteIp(), port: c.getRemotePort(), local: c.getLocalIp(), lport: c.getLocalPort() }; };
    w.onMessage = (c, d) => c.send(d);
  });
  assert.ok(w.port > 0);
  const c = await h.connect({ host: '::1', port: w.port });
  c.write('six\n');
  await c.waitText('six\n');
  assert.deepEqual(info, { ip: '::1', port: c.localPort, local: '::1', lport: w.port });
  assert.equal(await connectFails({ host: '127.0.0.1', port: w.port }), 'ECONNREFUSED', '::1 does not listen on IPv4');
});

test('IPv6: [::] accepts IPv4 too by default (ipv6Only false)', { ...T, skip: V6_SKIP }, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://[::]:0', (w) => { w.onMessage = (c, d) => c.send(d + ' from ' + c.getRemoteIp()); });
  const v6 = await h.connect({ host: '::1', port: w.port });
  const v4 = await h.connect({ host: '127.0.0.1', port: w.port });
  v6.write('a\n');
  v4.write('b\n');
  await v6.waitLines(1);
  await v4.waitLines(1);
  assert.equal(v6.lines[0], 'a from ::1');
  assert.match(v4.lines[0], /^b from (::ffff:)?127\.0\.0\.1$/);
});

test('IPv6: ipv6Only: true refuses IPv4 on [::]', { ...T, skip: V6_SKIP }, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://[::]:0', (w) => { w.onMessage = (c, d) => c.send(d); }, { ipv6Only: true });
  const v6 = await h.connect({ host: '::1', port: w.port });
  v6.write('ok\n');
  await v6.waitText('ok\n');
  assert.equal(await connectFails({ host: '127.0.0.1', port: w.port }), 'ECONNREFUSED');
});
