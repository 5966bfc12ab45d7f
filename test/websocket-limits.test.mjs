// websocket:// limits and bad input: pingInterval keep-alive (ping after silence,
// 1001 when unanswered), idleTimeout, and a tour of every kind of bad input
// after which the server still serves, counts what happened in
// Worker.getStatistics(), and holds no extra file descriptors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import {
  T, T_LONG, wsHarness, echoServer, wsConnect, rawConnect, handshakeRequest, encodeFrame, closePayload,
  OP, until, sleep, statDelta, fdCount,
} from './helpers/ws-client.mjs';

test('pingInterval: a silent client gets a ping, then is closed with 1001 when it never answers; counted', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h, (w) => { w.pingInterval = 1; });
  assert.equal(w.pingInterval, 1);
  const d = statDelta();
  const c = await h.ws(w.port);
  const started = Date.now();
  const ping = await c.waitFrame((f) => f.opcode === OP.PING, 'a ping from the server', 3500);
  const pingAt = Date.now() - started;
  assert.ok(pingAt >= 800, `ping after ${pingAt} ms, not before the interval`);
  assert.equal(ping.masked, false);
  const cf = await c.waitCloseFrame(4000);
  const closeAt = Date.now() - started;
  assert.equal(cf.code, 1001, `close code ${cf.code}`);
  assert.ok(closeAt >= pingAt + 800, `closed ${closeAt - pingAt} ms after the ping: a full interval is given to answer`);
  await c.waitEnd(6000);
  assert.ok('pingTimeouts' in Worker.getStatistics(), 'getStatistics() has pingTimeouts');
  assert.equal(d().pingTimeouts, 1);
  assert.equal(ev.errors.length <= 1, true);
});

test('pingInterval: answering pongs keeps the connection; traffic counts as life', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h, (w) => { w.pingInterval = 1; });
  const answering = await h.ws(w.port);
  answering.autoPong = true;
  const chatty = await h.ws(w.port);
  const timer = setInterval(() => chatty.text('tick'), 250);
  t.after(() => clearInterval(timer));
  await sleep(4500);
  clearInterval(timer);
  assert.ok(answering.frames.filter((f) => f.opcode === OP.PING).length >= 2, `pinged repeatedly: ${answering.describeFrames()}`);
  assert.equal(answering.closeFrame, null, 'a client that answers is not closed');
  assert.equal(answering.ended, false);
  assert.equal(chatty.frames.filter((f) => f.opcode === OP.PING).length, 0, 'a client sending every 250 ms is never pinged');
  assert.equal(chatty.closeFrame, null);
});

test('pingInterval 0 (default): no pings', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  await sleep(1500);
  assert.equal(c.frames.length, 0);
});

test('idleTimeout applies to websocket connections (nothing received → close 1001, then closed), counted', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h, (w) => { w.idleTimeout = 1; });
  const d = statDelta();
  const c = await h.ws(w.port);
  const cf = await c.expectClose(1001, 4000);
  assert.equal(cf.reason, 'idle timeout');
  assert.equal(d().idleTimeouts, 1);
});

/** Every kind of bad input, each on its own connection. Returns a description per case. */
function badInputs() {
  const frame = (o) => encodeFrame(o);
  const ws = (bytes, closeCode) => ({ handshake: true, bytes, closeCode });
  return [
    ['garbage instead of a handshake', { bytes: Buffer.from('\x00\x01\x02garbage\r\n\r\n'), status: 400 }],
    ['wrong version', { bytes: handshakeRequest({ version: '7' }).text, status: 426 }],
    ['missing key', { bytes: handshakeRequest({ key: null }).text, status: 400 }],
    ['head over maxHeadSize', { bytes: handshakeRequest({ headers: { 'X-Big': 'z'.repeat(20000) } }).text, status: 431 }],
    ['unterminated head, then RST', { bytes: 'GET / HTTP/1.1\r\nHost: x\r\n', reset: true }],
    ['unmasked frame', ws(frame({ opcode: OP.TEXT, payload: 'x', mask: false }), 1002)],
    ['RSV bit', ws(frame({ opcode: OP.TEXT, payload: 'x', rsv: 4 }), 1002)],
    ['reserved opcode', ws(frame({ opcode: 0xb, payload: 'x' }), 1002)],
    ['orphan continuation', ws(frame({ opcode: OP.CONT, payload: 'x' }), 1002)],
    ['oversized ping', ws(frame({ opcode: OP.PING, payload: Buffer.alloc(200) }), 1002)],
    ['invalid UTF-8', ws(frame({ opcode: OP.TEXT, payload: Buffer.from([0xc0, 0x80]) }), 1007)],
    ['invalid close code', ws(frame({ opcode: OP.CLOSE, payload: closePayload(1005) }), 1002)],
    ['message over maxPackageSize', ws(frame({ opcode: OP.BINARY, headerOnly: true, declaredLength: 50 * 1024 * 1024 }), 1009)],
    ['RST in the middle of a frame', { handshake: true, bytes: frame({ opcode: OP.BINARY, payload: Buffer.alloc(5000) }).subarray(0, 100), reset: true }],
    ['RST in the middle of a fragmented message', { handshake: true, bytes: frame({ opcode: OP.TEXT, payload: 'abc', fin: false }), reset: true }],
    ['FIN in the middle of a frame', { handshake: true, bytes: frame({ opcode: OP.BINARY, payload: Buffer.alloc(5000) }).subarray(0, 100), end: true }],
  ];
}

test('bad input: each case closes only its connection; the server keeps serving; counted; no fd leak', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  // a bystander that stays connected throughout
  const bystander = await h.ws(w.port);
  bystander.text('warm-up');
  await bystander.waitMessages(1);
  await sleep(50);
  const fdsBefore = fdCount();
  const d = statDelta();
  const cases = badInputs();
  for (const [what, spec] of cases) {
    const c = spec.handshake ? await wsConnect(w.port) : await rawConnect(w.port);
    try {
      c.write(spec.bytes);
      if (spec.reset) {
        await sleep(30);
        c.reset();
      } else if (spec.end) {
        await sleep(30);
        c.end();
        await c.waitEnd();
      } else if (spec.status) {
        await c.waitResponse().catch((e) => { throw new Error(`${what}: ${e.message}`); });
        assert.equal(c.response.status, spec.status, `${what}: ${c.response.statusLine}`);
        await c.waitEnd().catch((e) => { throw new Error(`${what}: not closed: ${e.message}`); });
      } else {
        await c.expectClose(spec.closeCode).catch((e) => { throw new Error(`${what}: ${e.message}`); });
      }
      // the bystander and a fresh connection still work
      bystander.text(what);
      await bystander.wait((b) => b.messages.some((m) => m.text === what), `bystander echo after "${what}"`);
      const fresh = await wsConnect(w.port);
      fresh.text('fresh');
      await fresh.waitMessages(1).finally(() => fresh.destroy());
    } finally {
      c.destroy();
    }
  }
  // wait for the server side of every closed connection to go away
  await until(() => w.connections.size === 1, `server connections back to 1 (have ${w.connections.size})`);
  await until(() => fdCount() === fdsBefore, `fd count back to ${fdsBefore}`, 3000).catch(() => {});
  assert.equal(fdCount(), fdsBefore, 'no file descriptor leaked');
  const delta = d();
  const interesting = Object.fromEntries(Object.entries(delta).filter(([k, v]) => v && !/^bytes|totalRequest|accepted/.test(k)));
  console.log('# bad-input counters:', JSON.stringify(interesting));
  assert.equal(delta.protocolErrors, 7, 'unmasked, RSV, opcode, continuation, ping size, UTF-8, close code');
  assert.equal(delta.packageTooLarge, 1);
  assert.equal(delta.handshakeErrors, 3, '400, 426, 400');
  assert.equal(delta.headTooLarge, 1, '431');
  assert.equal(delta.handshakeTimeouts, 0);
  assert.equal(delta.connections, 0, 'open connections back where they were');
  assert.equal(bystander.closeFrame, null, 'the bystander was never closed');
});

test('many connections cut at random points of the handshake and of frames: server stays healthy, no fd leak', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const fdsBefore = fdCount();
  const req = handshakeRequest().text;
  const frames = Buffer.concat([
    encodeFrame({ opcode: OP.TEXT, payload: 'a'.repeat(300) }),
    encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(70000, 1), fin: false }),
    encodeFrame({ opcode: OP.PING, payload: 'p' }),
    encodeFrame({ opcode: OP.CONT, payload: 'tail' }),
  ]);
  const all = Buffer.concat([Buffer.from(req), frames]);
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const batch = [];
  for (let i = 0; i < 60; i++) {
    batch.push((async () => {
      const c = await rawConnect(w.port);
      const cut = rnd(all.length);
      c.write(all.subarray(0, cut));
      await sleep(rnd(20));
      if (i % 2) c.reset(); else c.destroy();
    })());
  }
  await Promise.all(batch);
  await until(() => w.connections.size === 0, `server connections drain (have ${w.connections.size})`);
  await until(() => fdCount() === fdsBefore, 'fd count back', 3000).catch(() => {});
  assert.equal(fdCount(), fdsBefore);
  const ok = await h.ws(w.port);
  ok.text('alive');
  await ok.waitMessages(1);
});
