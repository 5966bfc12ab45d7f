// TcpConnection: identity and addresses, byte counters, status strings,
// close(data) vs destroy(), onClose exactly once, per-connection callbacks.
import test from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';

test('onConnect: id, worker, addresses, status, connections map', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (conn) => {
      seen.push({
        conn,
        isTcp: conn instanceof TcpConnection,
        id: conn.id,
        worker: conn.worker,
        status: conn.status,
        remoteIp: conn.getRemoteIp(),
        remotePort: conn.getRemotePort(),
        remoteAddress: conn.getRemoteAddress(),
        localIp: conn.getLocalIp(),
        localPort: conn.getLocalPort(),
        inMap: w.connections.get(conn.id) === conn,
      });
    };
  });
  const a = await h.connect(w.port);
  const b = await h.connect(w.port);
  await until(() => seen.length === 2, 'two onConnect');
  const [sa, sb] = seen;
  for (const [s, client] of [[sa, a], [sb, b]]) {
    assert.equal(s.isTcp, true);
    assert.ok(Number.isInteger(s.id));
    assert.equal(s.worker, w);
    assert.equal(s.status, 'established');
    assert.equal(s.remoteIp, '127.0.0.1');
    assert.equal(s.remotePort, client.localPort);
    assert.equal(s.remoteAddress, `127.0.0.1:${client.localPort}`);
    assert.equal(s.localIp, '127.0.0.1');
    assert.equal(s.localPort, w.port);
    assert.equal(s.inMap, true);
  }
  assert.ok(sb.id > sa.id, 'ids increase');
  assert.equal(w.connections.size, 2);
  a.destroy();
  await until(() => w.connections.size === 1, 'closed connection leaves the map');
  assert.equal(w.connections.has(sa.id), false);
  assert.equal(w.connections.get(sb.id), sb.conn);
});

test('bytesRead / bytesWritten count wire bytes', T, async (t) => {
  const h = harness(t);
  let conn;
  let closedCounts;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; };
    w.onMessage = (c, d) => c.send('echo: ' + d);
    w.onClose = (c) => { closedCounts = [c.bytesRead, c.bytesWritten]; };
  });
  const c = await h.connect(w.port);
  await until(() => conn, 'onConnect');
  assert.equal(conn.bytesRead, 0);
  assert.equal(conn.bytesWritten, 0);
  c.write('hello\r\n');
  c.write('wörld\n');
  await c.waitLines(2);
  const sentByClient = Buffer.byteLength('hello\r\nwörld\n');
  assert.equal(conn.bytesRead, sentByClient);
  assert.equal(conn.bytesWritten, c.length);
  assert.equal(c.text, 'echo: hello\necho: wörld\n');
  c.end();
  await until(() => closedCounts, 'onClose');
  assert.deepEqual(closedCounts, [sentByClient, c.length]);
});

test('close(data) sends the encoded data, then the peer sees EOF; onClose once', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  let statusInClose;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => { c.send('last words:'); c.close('bye ' + d); };
    w.onClose = (c) => { closes++; statusInClose = c.status; };
  });
  const c = await h.connect(w.port);
  c.write('you\n');
  await c.waitEnd();
  assert.equal(c.text, 'last words:\nbye you\n');
  await until(() => closes === 1, 'onClose');
  await sleep(100);
  assert.equal(closes, 1);
  assert.equal(statusInClose, 'closed');
});

test('close() with a queued backlog: status closing, all bytes flushed, then closed', T, async (t) => {
  const h = harness(t);
  let conn;
  let closes = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.maxSendBufferSize = 64 * 1024 * 1024; };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => conn, 'onConnect');
  const big = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
  assert.equal(conn.send(big), true);
  conn.close();
  assert.equal(conn.status, 'closing', 'queued data: closing until flushed');
  await sleep(100);
  assert.equal(closes, 0, 'not closed while data is queued');
  c.resume();
  await c.waitEnd(20_000);
  assert.equal(c.length, big.length);
  assert.ok(c.data.equals(big), 'every queued byte delivered before EOF');
  await until(() => closes === 1, 'onClose');
  assert.equal(conn.status, 'closed');
});

test('destroy() closes at once and drops the queue; onClose once', T, async (t) => {
  const h = harness(t);
  let conn;
  let closes = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.maxSendBufferSize = 64 * 1024 * 1024; };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => conn, 'onConnect');
  conn.send(Buffer.alloc(16 * 1024 * 1024, 1));
  assert.ok(conn.getSendBufferQueueSize() > 0);
  conn.destroy();
  await until(() => closes === 1, 'onClose after destroy');
  assert.equal(conn.status, 'closed');
  assert.equal(w.connections.size, 0);
  c.resume();
  await c.waitClose(10_000);
  assert.ok(c.length < 16 * 1024 * 1024, `queued bytes were dropped (got ${c.length})`);
  await sleep(50);
  assert.equal(closes, 1);
});

test('onClose fires exactly once per connection whatever closes it', T, async (t) => {
  const h = harness(t);
  const closes = new Map();
  const conns = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conns.push(c); };
    w.onClose = (c) => { closes.set(c.id, (closes.get(c.id) ?? 0) + 1); };
    w.onMessage = (c, d) => {
      switch (d) {
        case 'close-twice': c.close(); c.close(); break;
        case 'close-destroy': c.close('x'); c.destroy(); break;
        case 'destroy-close': c.destroy(); c.close(); c.destroy(); break;
        case 'close-send': c.close(); c.send('nope'); c.close(); break;
        default: break;
      }
    };
  });
  const scenarios = ['close-twice', 'close-destroy', 'destroy-close', 'close-send', 'client-end', 'client-reset', 'client-destroy', 'server-close+client-reset'];
  const clients = [];
  for (const s of scenarios) clients.push(await h.connect(w.port));
  await until(() => conns.length === scenarios.length, 'all connected');
  scenarios.forEach((s, i) => {
    const c = clients[i];
    if (s === 'client-end') c.end();
    else if (s === 'client-reset') c.reset();
    else if (s === 'client-destroy') c.destroy();
    else if (s === 'server-close+client-reset') { conns[i].close(); c.reset(); }
    else c.write(s + '\n');
  });
  await until(() => closes.size === scenarios.length, `onClose for each scenario (have ${closes.size})`);
  await sleep(200);
  for (const [i, s] of scenarios.entries()) {
    assert.equal(closes.get(conns[i].id), 1, `${s}: onClose count`);
    assert.equal(conns[i].status, 'closed', `${s}: status`);
  }
  assert.equal(w.connections.size, 0);
});

test('per-connection onMessage / onClose override the worker callbacks', T, async (t) => {
  const h = harness(t);
  const log = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => {
      if (w.connections.size === 1) {
        c.onMessage = (conn, d) => conn.send('own ' + d);
        c.onClose = () => log.push('own close');
      }
    };
    w.onMessage = (c, d) => c.send('worker ' + d);
    w.onClose = () => log.push('worker close');
  });
  const a = await h.connect(w.port);
  await until(() => w.connections.size === 1, 'first connect');
  const b = await h.connect(w.port);
  a.write('x\n');
  b.write('y\n');
  await a.waitLines(1);
  await b.waitLines(1);
  assert.equal(a.text, 'own x\n');
  assert.equal(b.text, 'worker y\n');
  a.end();
  await until(() => log.length === 1, 'first close');
  b.end();
  await until(() => log.length === 2, 'second close');
  assert.deepEqual(log, ['own close', 'worker close']);
});

test('onMessage may close the connection mid-batch; later messages of the batch are not delivered', T, async (t) => {
  const h = harness(t);
  const got = [];
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => {
      got.push(d);
      if (d === 'stop') c.destroy();
    };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.write('a\nstop\nb\nc\n');
  await c.waitClose();
  await until(() => closes === 1, 'onClose');
  await sleep(50);
  assert.deepEqual(got, ['a', 'stop']);
});

test('close(data) from onConnect: the peer receives the data, then EOF', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  const w = await h.serve('frame://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { c.close(Buffer.from('go away')); };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  await c.waitEnd();
  const head = Buffer.alloc(4);
  head.writeUInt32BE(11);
  assert.deepEqual(c.data, Buffer.concat([head, Buffer.from('go away')]));
  await until(() => closes === 1, 'onClose');
});

test('send() and close() inside onClose are refused or ignored, without errors', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onClose = (c) => {
      seen.push(c.send('too late'));
      c.close('also late');
      c.destroy();
      seen.push('done');
    };
  });
  const c = await h.connect(w.port);
  await until(() => w.connections.size === 1, 'connected');
  c.end();
  await until(() => seen.length === 2, 'onClose ran');
  assert.deepEqual(seen, [false, 'done']);
});
