// ssl.sni as a callback: the native handshake pauses at the ClientHello
// until the (possibly async) callback answers, on that connection only.
// Node's tls as the client, two server names, and every way an answer fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, createSecureContext, PROTOCOL_ERROR } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';
import { fdCount } from './helpers/http-client.mjs';
import { testCertificates } from './helpers/certs.mjs';
import { tlsConnect, tlsHandshakeFails } from './helpers/tls-client.mjs';

const certs = testCertificates();
const trust = { ca: certs.ca };

function echoWithName(w) {
  w.onMessage = (c, d) => c.send(`${c.servername}:${d}`);
}

async function echoes(c, line, expected) {
  c.write(`${line}\n`);
  await c.waitLines(1);
  assert.deepEqual(c.lines, [expected]);
}

test('an async sni callback chooses the certificate per server name; options or a SecureContext as the answer', T, async (t) => {
  const h = harness(t);
  const calls = [];
  const otherOptions = { ...certs.other };
  const localContext = createSecureContext(certs.server);
  const w = await h.serve('text://127.0.0.1:0', echoWithName, {
    ssl: {
      ...certs.server,
      sni: async (servername) => {
        calls.push(servername);
        await sleep(20);
        return servername.endsWith('other.test') ? otherOptions : localContext;
      },
    },
  });
  for (const [servername, cn] of [['other.test', 'other.test'], ['localhost', 'localhost'], ['a.other.test', 'other.test']]) {
    const c = h.ownClient(await tlsConnect(w.port, { ...trust, servername }));
    assert.equal(c.socket.authorized, true);
    assert.equal(c.socket.getPeerCertificate().subject.CN, cn, `certificate for ${servername}`);
    await echoes(c, 'hi', `${servername}:hi`);
    c.destroy();
  }
  assert.deepEqual(calls, ['other.test', 'localhost', 'a.other.test']);
  // Without a server name (an address): the outer certificate, and no call.
  const bare = h.ownClient(await tlsConnect(w.port, { ...trust, servername: '' }));
  assert.equal(bare.socket.getPeerCertificate().subject.CN, 'localhost');
  assert.equal(calls.length, 3);
});

test('a synchronous sni callback, and handshakes waiting on one answer while another connection is served', T, async (t) => {
  const h = harness(t);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const w = await h.serve('text://127.0.0.1:0', echoWithName, {
    ssl: {
      ...certs.server,
      sni: (servername) => (servername === 'slow.other.test' ? gate.then(() => certs.other) : certs.other),
    },
  });
  const slow = tlsConnect(w.port, { ...trust, servername: 'slow.other.test' });
  const fast = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  await echoes(fast, 'first', 'other.test:first');
  release();
  const late = h.ownClient(await slow);
  assert.equal(late.socket.getPeerCertificate().subject.CN, 'other.test');
  await echoes(late, 'second', 'slow.other.test:second');
});

test('an sni callback that throws, rejects, answers null or answers bad options: only that handshake fails, counted, onError says why', T, async (t) => {
  const h = harness(t);
  const errors = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    echoWithName(w);
    w.onError = (c, code, message) => errors.push([code, message]);
  }, {
    ssl: {
      ...certs.server,
      sni: (servername) => {
        if (servername === 'throws.test') throw new Error('no such tenant');
        if (servername === 'rejects.test') return Promise.reject(new Error('database down'));
        if (servername === 'bad.test') return { cert: certs.other.cert, key: certs.server.key };
        if (servername === 'other.test') return certs.other;
        return null;
      },
    },
  });
  const steady = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  const fds = fdCount();
  const before = Worker.getStatistics();
  for (const servername of ['throws.test', 'rejects.test', 'bad.test', 'unknown.test']) {
    const failed = await tlsHandshakeFails(w.port, { ...trust, servername });
    assert.match(String(failed.code ?? failed.message), /UNRECOGNIZED_NAME/, servername);
  }
  await until(() => Worker.getStatistics().tlsHandshakeErrors - before.tlsHandshakeErrors === 4, 'four refused handshakes counted');
  assert.deepEqual(errors.map(([code]) => code), [PROTOCOL_ERROR, PROTOCOL_ERROR, PROTOCOL_ERROR]);
  assert.match(errors[0][1], /ssl.sni callback for "throws.test" failed: no such tenant/);
  assert.match(errors[1][1], /ssl.sni callback for "rejects.test" failed: database down/);
  assert.match(errors[2][1], /ssl.sni callback for "bad.test" failed: .*key does not match cert/);
  await until(() => w.connections.size === 1, 'only the steady connection left');
  await until(() => fdCount() === fds, `fds back to ${fds}`);
  await echoes(steady, 'still', 'other.test:still');
  const again = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  await echoes(again, 'new', 'other.test:new');
});

test('an sni callback slower than handshakeTimeout: the handshake is closed and counted; its late answer changes nothing', T, async (t) => {
  const h = harness(t);
  let answered = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.handshakeTimeout = 0.4;
    echoWithName(w);
  }, {
    ssl: {
      ...certs.server,
      sni: async (servername) => {
        if (servername === 'slow.test') await sleep(1200);
        answered++;
        return certs.other;
      },
    },
  });
  const before = Worker.getStatistics();
  const started = Date.now();
  const failed = await tlsHandshakeFails(w.port, { ...trust, servername: 'slow.test' });
  assert.ok(failed);
  assert.ok(Date.now() - started < 1100, 'closed by handshakeTimeout, not by the answer');
  assert.equal(Worker.getStatistics().tlsHandshakeTimeouts - before.tlsHandshakeTimeouts, 1);
  await until(() => answered === 1, 'the late answer', 3000);
  await sleep(50);
  const fine = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  await echoes(fine, 'ok', 'other.test:ok');
  assert.equal(w.connections.size, 1);
});

test('sni callback options are checked: an answer cannot nest sni; createSecureContext throws naming the option', T, async () => {
  assert.throws(() => createSecureContext({ cert: certs.server.cert }), /cert and key go together/);
  assert.throws(() => createSecureContext({ ...certs.server, sni: {} }), /sni belongs to the outer ssl options/);
  const w = new Worker('text://127.0.0.1:0', { ssl: { ...certs.server, sni: 'nope' } });
  assert.throws(() => w.listen(), /ssl.sni must map host names to ssl options, or be a callback/);
});

test('pauseRecv() in onConnect holds a handshake answered by the sni callback; resumeRecv() lets it finish', T, async (t) => {
  const h = harness(t);
  let paused;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    echoWithName(w);
    w.onConnect = (c) => {
      c.pauseRecv();
      paused = c;
    };
  }, { ssl: { ...certs.server, sni: async () => certs.other } });
  let done = false;
  const pending = tlsConnect(w.port, { ...trust, servername: 'other.test' }).then((c) => { done = true; return c; });
  await until(() => paused, 'onConnect');
  await sleep(200);
  assert.equal(done, false, 'no handshake while paused');
  paused.resumeRecv();
  const c = h.ownClient(await pending);
  await echoes(c, 'go', 'other.test:go');
});

test('setSecureContext() switches between an SNI callback and none; open connections keep their certificate', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', echoWithName, { ssl: certs.server });
  const before = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'localhost' }));
  const asked = [];
  w.setSecureContext({ ...certs.server, sni: (servername) => { asked.push(servername); return certs.other; } });
  const viaCallback = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  assert.equal(viaCallback.socket.getPeerCertificate().subject.CN, 'other.test');
  assert.deepEqual(asked, ['other.test']);
  w.setSecureContext(certs.server);
  const without = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'localhost' }));
  assert.equal(without.socket.getPeerCertificate().subject.CN, 'localhost');
  assert.deepEqual(asked, ['other.test'], 'the callback is gone');
  await echoes(before, 'a', 'localhost:a');
  await echoes(viaCallback, 'b', 'other.test:b');
});
