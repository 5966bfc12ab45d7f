// permessage-deflate with a real browser: headless Chromium (Debian's
// /usr/bin/chromium through playwright-core) offers it by default; the
// netwright server agrees, and compressed text and binary messages go both
// ways. Without Chromium the test is skipped and says so, unless
// NETWRIGHT_REQUIRE_ALL=1 (CI), where it fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'netwright';

import { CHROMIUM, CHROMIUM_ARGS as ARGS, playwright, skip } from './helpers/chromium.mjs';


test('headless Chromium offers permessage-deflate; compressed messages both ways', { timeout: 90_000, skip }, async (t) => {
  assert.ok(fs.existsSync(CHROMIUM), `chromium not installed at ${CHROMIUM} (NETWRIGHT_REQUIRE_ALL=1 makes this mandatory)`);
  assert.ok(playwright, 'playwright-core not installed (NETWRIGHT_REQUIRE_ALL=1 makes this mandatory)');
  const offers = [];
  const worker = new Worker('websocket://127.0.0.1:0', { perMessageDeflate: { threshold: 0 } });
  worker.websocketType = 'auto';
  worker.onWebSocketConnect = (c, request) => { offers.push(request.headers['sec-websocket-extensions']); };
  worker.onMessage = (c, data) => c.send(data);
  await worker.listen();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-chromium-'));
  let context = null;
  t.after(async () => {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await worker.stop();
  });
  context = await playwright.chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const before = Worker.getStatistics().wsCompressed;
  const result = await page.evaluate(async (port) => {
    const json = (seed) => JSON.stringify(Array.from({ length: 80 }, (_, i) => ({ id: seed * 100 + i, name: `user-${seed}-${i}`, online: i % 2 === 0 })));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('websocket error')); });
    const sent = [json(1), json(2), 'short', json(3)];
    const bytes = new Uint8Array(5000).map((_, i) => i % 7);
    const got = [];
    const done = new Promise((resolve) => { ws.onmessage = (e) => { got.push(e.data); if (got.length === sent.length + 1) resolve(); }; });
    for (const m of sent) ws.send(m);
    ws.send(bytes);
    await done;
    const binary = new Uint8Array(got[sent.length]);
    return {
      extensions: ws.extensions,
      textOk: sent.every((m, i) => got[i] === m),
      binaryOk: binary.length === bytes.length && binary.every((b, i) => b === bytes[i]),
    };
  }, worker.port);
  assert.match(offers[0], /permessage-deflate/, 'Chromium offers permessage-deflate');
  assert.match(result.extensions, /^permessage-deflate/);
  assert.equal(result.textOk, true);
  assert.equal(result.binaryOk, true);
  // 'short' would not come out shorter compressed: it is sent as it is.
  assert.equal(Worker.getStatistics().wsCompressed - before, 4, 'the server compressed every echo that shrinks');
});
