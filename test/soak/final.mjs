// The soak's pass criteria after the churn: flat descriptors and memory over
// the quiet samples, nothing refused or left open, the counts agreeing, and a
// fresh request of each protocol answered.
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { generator } from './random.mjs';
import { sleep } from './conn.mjs';

async function freshStream(o, proto) {
  const conn = await o.Conn.open(o.ports[proto]);
  const expect = new o.StreamExpect(conn);
  const m = o.codecs[proto](generator(1), `fresh-${proto}`, 100);
  expect.add(m.echo);
  conn.write(m.wire);
  try {
    await expect.waitAll(`a fresh ${proto} echo`);
  } finally {
    conn.end();
    await conn.closed;
  }
}

function freshWebSocket(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/fresh`);
    const text = `fresh websocket ${crypto.randomUUID()} é日😀`;
    const bin = crypto.randomBytes(300);
    const got = [];
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no echo from ws within 10 s')); }, 10000);
    ws.on('open', () => { ws.send(text); ws.send(bin); });
    ws.on('message', (data, isBinary) => {
      got.push({ data, isBinary });
      if (got.length < 2) return;
      clearTimeout(timer);
      const ok = !got[0].isBinary && got[0].data.toString() === text && got[1].isBinary && Buffer.from(got[1].data).equals(bin);
      ws.close(1000);
      ws.on('close', (code) => (ok && code === 1000 ? resolve() : reject(new Error(`ws echo ${ok ? 'ok' : 'wrong'}, close ${code}`))));
    });
    ws.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

function freshHttp(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end('POST /fresh?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'));
    let b = '';
    s.setEncoding('latin1');
    s.on('data', (d) => { b += d; });
    s.on('error', reject);
    s.on('close', () => (/^HTTP\/1\.1 200 /.test(b) && b.endsWith('\r\n\r\nPOST /fresh?x=1\nhello') ? resolve() : reject(new Error(`unexpected answer ${JSON.stringify(b.slice(0, 200))}`))));
    setTimeout(() => s.destroy(), 10000).unref();
  });
}

export async function finalChecks(o) {
  const { check, quiet, end, log, mb } = o;
  const warm = quiet.find((q) => q.label === 'after warm-up') ?? quiet[1] ?? end;
  const after = quiet.slice(quiet.indexOf(warm));

  // Descriptors: back to the count after warm-up at every quiet sample (every client gone).
  const fdDrift = after.filter((q) => q.fds !== warm.fds);
  check(fdDrift.length === 0, 'fds flat', `after warm-up ${warm.fds}, then ${after.map((q) => q.fds).join(', ')}`);

  // RSS: growth from the sample after warm-up to the end within the tolerance. Allocator noise settles in a longer quiet period; a leak does not, so give it
  // up to three more before deciding.
  let last = end;
  for (let i = 0; i < 3 && last.rss - warm.rss > o.RSS_TOLERANCE; i++) {
    await sleep(3000);
    last = await o.quietPeriod('extra quiet');
  }
  const growth = last.rss - warm.rss;
  const heapGrowth = last.heapUsed - warm.heapUsed;
  check(heapGrowth <= o.HEAP_TOLERANCE, 'js heap flat', `${mb(warm.heapUsed)} after warm-up → ${mb(last.heapUsed)} (tolerance ${mb(o.HEAP_TOLERANCE)})`);
  check(growth <= o.RSS_TOLERANCE, 'rss flat', `${mb(warm.rss)} after warm-up → ${mb(last.rss)} at the end (+${mb(growth)}, tolerance ${mb(o.RSS_TOLERANCE)})`);
  log(`rss after warm-up ${mb(warm.rss)} → end ${mb(last.rss)} (${growth >= 0 ? '+' : ''}${mb(growth)}; tolerance ${mb(o.RSS_TOLERANCE)}; anon ${mb(warm.anon)} → ${mb(last.anon)}); heap ${mb(warm.heapUsed)} → ${mb(last.heapUsed)}; fds ${o.start.fds} before any client, ${warm.fds} after warm-up, ${last.fds} at the end`);

  // Nothing refused, nothing left open, every connection the clients made was accepted.
  const st = last.stats;
  // A send can be refused on a connection the client reset (the core saw the reset before
  // JS did); on any other it means a lost echo.
  const refusedTokens = Object.entries(st.refusedTokens);
  const lost = refusedTokens.filter(([token]) => !/-(reset|destroy)$/.test(token));
  const refused = Object.values(st.refused).reduce((a, b) => a + b, 0);
  check(lost.length === 0, 'no send refused on a connection the client kept', lost.slice(0, 10).map(([t, n]) => `${t} ×${n}`).join(', '));
  log(`sends refused: ${refused} (${refusedTokens.length - lost.length} connections the client reset or destroyed, ${lost.length} others)`);
  check(st.statistics.connections === 0, 'server counts no open connection', String(st.statistics.connections));
  check(st.statistics.accepted === o.limits.connected, 'server accepted every client connection', `accepted ${st.statistics.accepted}, clients connected ${o.limits.connected}`);
  check(st.intake.problems === 0, 'server received every message intact', `${st.intake.problems} of ${st.intake.checked}: ${st.intake.first.join('; ')}`);
  log(`server intake: ${st.intake.checked} messages checked on arrival (order and CRC), ${st.intake.problems} wrong`);
  log(`server errors: ${Object.entries(st.errors).map(([k, v]) => `${k} ×${v}`).join('; ') || 'none'}`);
  log(`server buffer-full pauses: ${JSON.stringify(st.bufferFull)}; statistics: ${JSON.stringify(st.statistics)}`);

  // Still serving: a fresh request of each protocol.
  for (const proto of ['tcp', 'text', 'frame']) {
    try {
      await freshStream(o, proto);
      check(true);
    } catch (err) {
      check(false, `fresh ${proto} echo`, err.message);
    }
  }
  try {
    await freshWebSocket(o.ports.websocket);
    check(true);
  } catch (err) {
    check(false, 'fresh websocket echo (ws client)', err.message);
  }
  try {
    await freshHttp(o.ports.http);
    check(true);
  } catch (err) {
    check(false, 'fresh http request', err.message);
  }
}
