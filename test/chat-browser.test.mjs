// A real browser against examples/chat: one http:// worker serves the page and
// upgrades /chat to WebSocket on the same port (worker.websocket), driven by
// headless Chromium (Debian's /usr/bin/chromium through playwright-core).
// Two pages join, one sends, the other sees it; over ws://, and over https://
// and wss:// on that one port with certificates from a test CA that Chromium is told
// to accept by the leaf's public key hash (--ignore-certificate-errors-spki-list,
// which works headless without an NSS database). Without Chromium the tests are
// skipped and say so, unless NETWRIGHT_REQUIRE_ALL=1 (CI), where they fail.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CHROMIUM, CHROMIUM_ARGS as ARGS, playwright, skip } from './helpers/chromium.mjs';


async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Chromium's --ignore-certificate-errors-spki-list value: base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
function spkiHash(certPem) {
  const spki = crypto.createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

test('chat in headless Chromium: two pages join, one sends, the other sees it', { timeout: 90_000, skip }, async (t) => {
  await chatInChromium(t);
});

test('chat in headless Chromium over wss:// (page on https), certificates from a test CA', { timeout: 90_000, skip }, async (t) => {
  const { testCertificates } = await import('./helpers/certs.mjs');
  const certs = testCertificates();
  await chatInChromium(t, { ssl: certs.server, args: [`--ignore-certificate-errors-spki-list=${spkiHash(certs.server.cert)}`] });
});

async function chatInChromium(t, { ssl, args = [] } = {}) {
  assert.ok(fs.existsSync(CHROMIUM), `chromium not installed at ${CHROMIUM} (NETWRIGHT_REQUIRE_ALL=1 makes this mandatory)`);
  assert.ok(playwright, 'playwright-core not installed (NETWRIGHT_REQUIRE_ALL=1 makes this mandatory)');
  const { startChat } = await import('../examples/chat/server.mjs');
  const chat = await startChat({ host: '127.0.0.1', port: 0, ssl });
  if (ssl) assert.match(chat.url, /^https:/);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-chromium-'));
  let context = null;
  // one hook, in order: browser first, then its profile, then the servers
  t.after(async () => {
    if (context) await withTimeout(context.close(), 10_000, 'close chromium').catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await withTimeout(chat.stop(), 8000, 'chat.stop()');
  });
  context = await withTimeout(playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...args],
    timeout: 30_000,
  }), 40_000, 'launch chromium');

  const consoleErrors = [];
  const open = async () => {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(chat.url);
    await page.waitForFunction(() => document.getElementById('status').textContent === 'connected');
    return page;
  };
  const alice = await open();
  const bob = await open();
  await bob.waitForFunction(() => document.getElementById('online').textContent === '2');
  assert.equal(chat.online(), 2);
  // The page's WebSocket went to the port that served the page: one port for both.
  assert.equal(await alice.evaluate(() => location.port), String(chat.port));
  const upgraded = [...chat.worker.connections.values()].filter((c) => c._isWebSocket).length;
  assert.equal(upgraded, 2, 'two upgraded connections among the worker\'s');
  // Every connection (the page's and the WebSocket ones) over TLS when the page came over https.
  for (const c of chat.worker.connections.values()) {
    assert.equal(c.transport, ssl ? 'ssl' : 'tcp');
    if (c._isWebSocket) assert.equal(c.tlsVersion, ssl ? 'TLSv1.3' : null);
  }

  const text = `hello from alice ${Date.now()} 😀`;
  await alice.fill('#text', text);
  await alice.click('#send');
  await bob.waitForFunction((t) => [...document.querySelectorAll('#messages li.message')].some((li) => li.textContent.endsWith(t)), text);
  const bobSees = await bob.$$eval('#messages li.message', (lis) => lis.map((li) => li.textContent));
  assert.equal(bobSees.length, 1);
  assert.ok(bobSees[0].endsWith(`: ${text}`), bobSees[0]);
  // the sender sees its own message too (broadcast to everyone)
  await alice.waitForFunction((t) => [...document.querySelectorAll('#messages li.message')].some((li) => li.textContent.endsWith(t)), text);

  // and the other way round
  await bob.fill('#text', 'hi alice');
  await bob.press('#text', 'Enter');
  await alice.waitForFunction(() => [...document.querySelectorAll('#messages li.message')].some((li) => li.textContent.endsWith(': hi alice')));

  // a page leaving is seen by the other
  await bob.close();
  await alice.waitForFunction(() => document.getElementById('online').textContent === '1');
  assert.deepEqual(consoleErrors, []);
}
