// idleTimeout on WebSocket connections: an open connection is ended with a
// close frame 1001 (then the TCP close once the peer answers, or at most 5 s
// later), and worker.pingPongIsActivity decides whether pings and pongs
// received keep it alive. With the ws package as the client, and a raw one
// where the test needs a peer that misbehaves.
import test from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Worker } from 'netwright';
import { T, T_LONG, wsHarness, echoServer, encodeFrame, OP, until, sleep, statDelta, fdCount } from './helpers/ws-client.mjs';

/** A ws client that records how it ended: { code, reason, closedAt }. */
async function wsClient(h, port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  h.onCleanup(() => ws.terminate());
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const ended = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  return { ws, ended, openedAt: Date.now() };
}

test('defaults: pingPongIsActivity true; it is a checked boolean', T, () => {
  const w = new Worker('websocket://127.0.0.1:0');
  assert.equal(w.pingPongIsActivity, true);
  w.pingPongIsActivity = false;
  assert.equal(w.pingPongIsActivity, false);
  assert.throws(() => { w.pingPongIsActivity = 'no'; }, /pingPongIsActivity must be true or false/);
  assert.throws(() => { w.pingPongIsActivity = 0; }, TypeError);
});

test('idleTimeout: a silent ws client receives close 1001 "idle timeout" and the connection closes; counted', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h, (w) => { w.idleTimeout = 1; });
  const d = statDelta();
  const c = await wsClient(h, w.port);
  const end = await c.ended;
  assert.equal(end.code, 1001);
  assert.equal(end.reason, 'idle timeout');
  assert.ok(end.at - c.openedAt >= 800, `closed after ${end.at - c.openedAt} ms`);
  await until(() => ev.closes.length === 1, 'onClose on the server');
  assert.equal(d().idleTimeouts, 1);
  assert.equal(d().closeTimeouts, 0, 'the ws client answered the close');
  assert.equal(w.connections.size, 0);
});

test('idleTimeout: messages keep a connection open', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h, (w) => { w.idleTimeout = 1; w.pingPongIsActivity = false; });
  const c = await wsClient(h, w.port);
  let echoes = 0;
  c.ws.on('message', () => echoes++);
  const timer = setInterval(() => c.ws.send('tick'), 250);
  t.after(() => clearInterval(timer));
  await sleep(2500);
  clearInterval(timer);
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  assert.ok(echoes >= 5, `${echoes} echoes`);
  const end = await c.ended; // and once it stops talking, it goes
  assert.equal(end.code, 1001);
});

test('pingPongIsActivity true (default): a client that only pings stays; false: it is closed with 1001', T_LONG, async (t) => {
  const h = wsHarness(t);
  const counts = {};
  for (const activity of [true, false]) {
    const { w } = await echoServer(h, (w) => { w.idleTimeout = 1; w.pingPongIsActivity = activity; });
    const c = await wsClient(h, w.port);
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    const timer = setInterval(() => c.ws.ping('alive'), 200);
    t.after(() => clearInterval(timer));
    const outcome = await Promise.race([c.ended, sleep(2500).then(() => 'open')]);
    clearInterval(timer);
    counts[activity] = pongs;
    if (activity) {
      assert.equal(outcome, 'open', 'pings count as activity');
    } else {
      assert.notEqual(outcome, 'open', 'pings alone do not keep it');
      assert.equal(outcome.code, 1001);
      assert.ok(outcome.at - c.openedAt >= 800 && outcome.at - c.openedAt < 2400, `closed after ${outcome.at - c.openedAt} ms`);
    }
  }
  assert.ok(counts.true >= 5 && counts.false >= 2, `the pings were answered: ${JSON.stringify(counts)}`);
});

test('pingInterval + idleTimeout: automatic pongs keep the client by default; with pingPongIsActivity false a silent but live client is kicked', T_LONG, async (t) => {
  const h = wsHarness(t);
  for (const activity of [true, false]) {
    const { w } = await echoServer(h, (w) => { w.pingInterval = 0.5; w.idleTimeout = 1.5; w.pingPongIsActivity = activity; });
    const d = statDelta();
    const c = await wsClient(h, w.port);
    let pings = 0;
    c.ws.on('ping', () => pings++); // ws answers each with a pong by itself
    const outcome = await Promise.race([c.ended, sleep(3500).then(() => 'open')]);
    assert.ok(pings >= 1, `pinged ${pings} times`);
    if (activity) {
      assert.equal(outcome, 'open');
      assert.equal(d().pingTimeouts, 0);
    } else {
      assert.equal(outcome.code, 1001);
      assert.equal(outcome.reason, 'idle timeout');
      assert.equal(d().idleTimeouts, 1);
      assert.equal(d().pingTimeouts, 0, 'it answered every ping: not a ping timeout');
    }
  }
});

test('pingPongIsActivity false: a message trickling in slower than idleTimeout still counts as activity', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h, (w) => { w.idleTimeout = 1; w.pingPongIsActivity = false; });
  const c = await h.ws(w.port);
  const frame = encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(600, 7) });
  for (let at = 0; at < frame.length; at += 100) {
    c.write(frame.subarray(at, at + 100));
    await sleep(400); // 6 pieces over 2.4 s, never 1 s apart
  }
  await c.waitMessages(1, 3000);
  assert.equal(ev.messages[0].length, 600);
  assert.equal(c.closeFrame, null, `no close while the message arrived: ${c.describeFrames()}`);
});

test('idleTimeout: a peer that never answers the close frame is disconnected within the close answer time (5 s); no fd leak', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h, (w) => { w.idleTimeout = 1; });
  const fds = fdCount();
  const d = statDelta();
  const c = await h.ws(w.port); // raw client: does not answer
  const cf = await c.waitCloseFrame(4000);
  const sentAt = Date.now();
  assert.equal(cf.code, 1001);
  await c.waitEnd(7000);
  const waited = Date.now() - sentAt;
  assert.ok(waited >= 4000, `disconnected ${waited} ms after the close frame: the peer is given time to answer`);
  await until(() => ev.closes.length === 1, 'onClose');
  assert.equal(d().idleTimeouts, 1, 'counted once, not once per sweep while closing');
  assert.equal(d().closeTimeouts, 1);
  await until(() => fdCount() <= fds, `fds back to ${fds}`);
});

test('idleTimeout before the upgrade (no handshake yet) is a plain close, as before', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h, (w) => { w.idleTimeout = 1; w.handshakeTimeout = 0; });
  const d = statDelta();
  const c = await h.raw(w.port);
  c.write('GET / HTTP/1.1\r\nHost: x\r\n'); // an unfinished head
  await c.waitEnd(4000);
  assert.equal(c.raw.length, 0, 'nothing sent: no frames before a 101');
  assert.equal(d().idleTimeouts, 1);
});
