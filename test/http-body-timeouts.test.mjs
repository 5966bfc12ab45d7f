// HTTP body timeouts, black-box over raw sockets: headersTimeout ends with the
// head, so a slow but moving upload finishes; bodyTimeout ends a body that
// stops arriving, requestTimeout one that takes too long in all (408 each,
// counted as requestTimeouts); the process keeps serving and its fds are back.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import { harness, T, T_LONG } from './helpers/harness.mjs';
import { finals, waitResponses, httpServer, assertRecovered, settle, sleep } from './helpers/http-client.mjs';

const echoBody = (c, r) => c.send(`got ${r.rawBody()}`);

test('Worker body timeout properties have the documented defaults', T, () => {
  const w = new Worker('http://127.0.0.1:0');
  assert.equal(w.headersTimeout, 30);
  assert.equal(w.requestTimeout, 300);
  assert.equal(w.bodyTimeout, 30);
  assert.equal(w.allowConnect, false);
  assert.equal(typeof Worker.getStatistics().requestTimeouts, 'number');
});

for (const [what, head, body] of [
  ['Content-Length', 'POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n', '01234567890123456789'],
  ['chunked', 'POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n', '14\r\n01234567890123456789\r\n0\r\n\r\n'],
]) {
  test(`a 20-byte ${what} body sent more slowly than headersTimeout succeeds`, T_LONG, async (t) => {
    const h = harness(t);
    const worker = await httpServer(h, echoBody, { headersTimeout: 1 });
    const c = await h.connect(worker.port);
    c.write(head);
    const started = Date.now();
    await c.trickle(body, Math.ceil(2200 / body.length));
    const [r] = await waitResponses(c, 1);
    assert.ok(Date.now() - started > 1500, 'the body took longer than headersTimeout');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'got 01234567890123456789');
  });
}

test('bodyTimeout: a body that stops arriving → 408 and close; another client is served meanwhile', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoBody, { bodyTimeout: 1, headersTimeout: 30 });
  const before = await settle(worker);
  const stats = Worker.getStatistics();
  for (const partial of [
    'POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n0123',
    'POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n',
    'POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n0123',
    'POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: v\r\n',
  ]) {
    const c = await h.connect(worker.port);
    c.write(partial);
    const started = Date.now();
    await c.waitEnd(4000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 800 && elapsed < 3000, `closed ~1 s after the last byte (took ${elapsed} ms)`);
    const rs = finals(c);
    assert.deepEqual(rs.map((r) => r.status), [408], JSON.stringify(c.text));
    assert.match(rs[0].text, /stalled/);
    c.destroy();
  }
  assert.equal(Worker.getStatistics().requestTimeouts, stats.requestTimeouts + 4);
  await assertRecovered(h, worker, before, 'stalled bodies');
});

test('requestTimeout: a body still moving when the whole request is due → 408', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoBody, { requestTimeout: 1, bodyTimeout: 0 });
  const before = await settle(worker);
  const stats = Worker.getStatistics();
  const c = await h.connect(worker.port);
  c.write('POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n');
  const started = Date.now();
  let stop = false;
  const trickling = (async () => {
    for (let i = 0; i < 100 && !stop && !c.ended && !c.closed; i++) {
      c.write('x');
      await sleep(50);
    }
  })();
  await c.waitEnd(4000);
  stop = true;
  await trickling;
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 800 && elapsed < 3000, `closed at ~1 s (took ${elapsed} ms)`);
  assert.deepEqual(finals(c).map((r) => r.status), [408]);
  assert.match(finals(c)[0].text, /not received in time/);
  assert.equal(Worker.getStatistics().requestTimeouts, stats.requestTimeouts + 1);
  c.destroy();
  await assertRecovered(h, worker, before, 'slow request');
});

test('the body timeouts restart with each request of a keep-alive connection', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoBody, { requestTimeout: 1, bodyTimeout: 1, keepAliveTimeout: 10 });
  const c = await h.connect(worker.port);
  for (let i = 0; i < 4; i++) {
    c.write(`POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n${i}`);
    await sleep(600);
    c.write('!');
    const rs = await waitResponses(c, i + 1);
    assert.equal(rs[i].text, `got ${i}!`);
  }
  assert.ok(!c.ended && !c.closed, 'still open');
});
