// The memory of an idle TLS connection: a server process holding N idle TLS
// connections (handshake done, one echo each) grows by a bounded amount per
// connection (RSS less V8's unused heap). OpenSSL's own state after a
// handshake is most of it and depends on its version: about 15 KB on 3.0
// (Node 20; the SSL object alone 7.6 KB, two AES-GCM contexts, the session),
// about 29 KB on 3.5 (Node 22, 24). What this guards is that nothing of the
// handshake stays (record buffers, the handshake flight, the ClientHello
// parked for an SNI callback), which would add 16 KB or more.
// RSS under ASan is meaningless (its quarantine keeps freed memory): skipped there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import { testCertificates } from './helpers/certs.mjs';

const certs = testCertificates();
const N = 1500;
// Measured: about 18.6 KB on Node 20, 34 KB on Node 22 and 24.
const BOUND = (process.versions.openssl.startsWith('3.0.') ? 24 : 44) * 1024;
const skip = process.env.NETWRIGHT_ASAN === '1' ? 'RSS is meaningless under ASan' : false;

const SERVER = `
import { Worker } from 'netwright';
import readline from 'node:readline';
const sni = process.env.SNI === '1' ? { sni: async () => ({ cert: process.env.CERT, key: process.env.KEY }) } : {};
const w = new Worker(process.env.SCHEME + '://127.0.0.1:0', { ssl: { cert: process.env.CERT, key: process.env.KEY, ...sni } });
w.onMessage = (c, d) => c.send(d);
w.listen();
console.log('port ' + w.port);
readline.createInterface({ input: process.stdin }).on('line', () => {
  globalThis.gc();
  globalThis.gc();
  // V8's committed but unused heap comes and goes with GC timing: count what is live.
  setTimeout(() => {
    const m = process.memoryUsage();
    console.log('rss ' + (m.rss - m.heapTotal + m.heapUsed) + ' ' + w.connections.size);
  }, 100);
});
`;

/** A server process and a line reader over its stdout. */
function startServer(t, env) {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', SERVER], {
    env: { ...process.env, CERT: certs.server.cert, KEY: certs.server.key, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let pending = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    pending += d;
    for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) waiters.shift()?.(pending.slice(0, i));
  });
  const line = () => new Promise((resolve) => waiters.push(resolve));
  return {
    port: line().then((l) => Number(l.split(' ')[1])),
    async rss() {
      const answer = line();
      child.stdin.write('rss\n');
      const [, rss, connections] = (await answer).split(' ').map(Number);
      return { rss, connections };
    },
  };
}

async function openIdle(port, n, message, sockets) {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca }, () => {
        socket.once('data', resolve);
        socket.write(message);
      });
      socket.on('error', reject);
      sockets.push(socket);
    })));
  }
}

for (const [scheme, message, sni] of [['text', 'x\n', false], ['text', 'x\n', true]]) {
  test(`${N} idle TLS connections (${scheme}://${sni ? ', SNI callback' : ''}) cost under ${BOUND / 1024} KiB each in the server`, { skip, timeout: 120_000 }, async (t) => {
    const server = startServer(t, { SCHEME: scheme, SNI: sni ? '1' : '0' });
    const port = await server.port;
    const sockets = [];
    t.after(() => { for (const s of sockets) s.destroy(); });
    await openIdle(port, 100, message, sockets);  // warm: code paths, pools, JIT
    const before = await server.rss();
    await openIdle(port, N, message, sockets);
    const after = await server.rss();
    assert.equal(after.connections, N + 100);
    const perConnection = Math.round((after.rss - before.rss) / N);
    t.diagnostic(`${perConnection} bytes of server RSS per idle TLS connection`);
    assert.ok(perConnection < BOUND, `${perConnection} bytes per idle TLS connection`);
  });
}
