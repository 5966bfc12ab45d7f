// examples/ws-relay.mjs: a WebSocket client's bytes reach its own upstream TCP
// connection and back, and 100 MiB from a fast upstream to a slow WebSocket
// reader go through with the relay's memory bounded (pipe() backpressure).
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { T, sleep } from './helpers/harness.mjs';
import { freePort } from './fixtures/runall-helpers.mjs';

const MiB = 1024 * 1024;

function rssKiB(pid, field) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field + ':'));
  return Number(line.split(/\s+/)[1]);
}

async function startRelay(t, upstreamPort) {
  const port = await freePort();
  const child = spawn(process.execPath, ['examples/ws-relay.mjs'], {
    env: { ...process.env, UPSTREAM: `127.0.0.1:${upstreamPort}`, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const [line] = await once(child.stdout, 'data');
  assert.match(String(line), /^relay ws:\/\/127\.0\.0\.1:\d+ -> tcp:\/\/127\.0\.0\.1:\d+/);
  return { child, port };
}

async function upstreamServer(t, onSocket) {
  const server = net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return server.address().port;
}

test('ws-relay: each client talks to its own upstream, both ways', T, async (t) => {
  const upstreamPort = await upstreamServer(t, (socket) => socket.on('data', (d) => socket.write(Buffer.from(String(d).toUpperCase()))));
  const { port } = await startRelay(t, upstreamPort);
  const clients = await Promise.all([0, 1].map(async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await once(ws, 'open');
    return ws;
  }));
  const replies = clients.map((ws, i) => new Promise((resolve) => {
    let got = '';
    ws.on('message', (data) => { got += String(data); if (got.length >= 6) resolve(got); });
    ws.send(`hello${i}`);
  }));
  assert.deepEqual(await Promise.all(replies), ['HELLO0', 'HELLO1']);
  for (const ws of clients) ws.close();
});

test('ws-relay: 100 MiB from a fast upstream to a slow WebSocket reader, relay memory bounded', T, async (t) => {
  const total = 100 * MiB;
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const upstreamPort = await upstreamServer(t, (socket) => {
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  const { child, port } = await startRelay(t, upstreamPort);
  const baseline = rssKiB(child.pid, 'VmRSS');
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload: 16 * MiB });
  let received = 0;
  let sinceRest = 0;
  ws.on('message', (data) => {
    received += data.length;
    sinceRest += data.length;
    if (sinceRest >= 4 * MiB) { // the slow reader: rests 25 ms every 4 MiB
      sinceRest = 0;
      ws.pause();
      setTimeout(() => ws.resume(), 25);
    }
  });
  const closed = once(ws, 'close');
  let peak = baseline;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rssKiB(child.pid, 'VmRSS')); } catch {} }, 20);
  await closed;
  clearInterval(sampler);
  await sleep(10);
  assert.equal(received, total, 'every byte arrived');
  const growthMiB = (peak - baseline) / 1024;
  // Under ASan (scripts/test-asan.sh) the quarantine keeps freed memory; the byte count above still holds.
  if (process.env.NETWRIGHT_ASAN !== '1') assert.ok(growthMiB < 64, `relay RSS grew ${growthMiB.toFixed(1)} MiB moving 100 MiB (baseline ${(baseline / 1024).toFixed(0)} MiB)`);
});
