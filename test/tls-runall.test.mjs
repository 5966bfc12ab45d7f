// TLS under runAll(): the ssl option reaches every worker process (each
// builds its context from the same script), with the master's inherited
// socket and with reusePort; bad ssl options stop the start in the master.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Server, until } from './fixtures/runall-helpers.mjs';
import { testCertificates } from './helpers/certs.mjs';
import { tlsConnect } from './helpers/tls-client.mjs';

const T = { timeout: 30_000 };
const certs = testCertificates();

async function pidOver(port, options = {}) {
  const c = await tlsConnect(port, { ca: certs.ca, ...options });
  try {
    c.write('pid\n');
    await c.waitLines(1);
    return Number(c.lines[0].split(' ')[0]);
  } finally {
    c.destroy();
  }
}

for (const reusePort of ['0', '1']) {
  test(`count 2${reusePort === '1' ? ' with reusePort' : ''}: both worker processes answer over TLS`, T, async (t) => {
    const s = new Server(t, { COUNT: '2', REUSE_PORT: reusePort, TLS_DIR: certs.dir });
    await s.start();
    assert.match(s.output, /\bssl\b/, 'the start table names the ssl transport');
    const pids = new Set();
    await until(async () => {
      pids.add(await pidOver(s.port));
      return pids.size === 2;
    }, 'answers from two processes', 15_000);
    const status = await s.run(['status']);
    assert.equal(status.code, 0);
  });
}

test('a worker whose ssl options are unusable: start fails in the master, naming the problem', T, async (t) => {
  const s = new Server(t, { COUNT: '2', TLS_DIR: '/nonexistent-tls-dir' });
  const r = await s.run(['start']);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /ssl.cert: cannot read "\/nonexistent-tls-dir\/server.crt"/);
});

test('reload picks up certificate files replaced on disk: new processes serve the new certificate', T, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-tls-reload-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const install = (name) => {
    fs.writeFileSync(path.join(dir, 'server.crt'), certs[name].cert);
    fs.writeFileSync(path.join(dir, 'server.key'), certs[name].key);
  };
  install('server');
  const s = new Server(t, { COUNT: '1', TLS_DIR: dir });
  await s.start();
  const cnOver = async (servername) => {
    const c = await tlsConnect(s.port, { ca: certs.ca, servername });
    try {
      return c.socket.getPeerCertificate().subject.CN;
    } finally {
      c.destroy();
    }
  };
  assert.equal(await cnOver('localhost'), 'localhost');
  const [before] = await s.workerPids();
  install('other');
  assert.equal(await cnOver('localhost'), 'localhost', 'a running process keeps the certificate it loaded');
  const r = await s.run(['reload']);
  assert.equal(r.code, 0);
  await until(async () => {
    const list = await s.workerPids();
    return list.length === 1 && list[0].pid !== before.pid && list[0].status === 'idle';
  }, 'a new worker process', 15_000, 50);
  assert.equal(await cnOver('other.test'), 'other.test', 'the new process read the new files');
});
