// TLS in the native core (transport 'ssl'): every protocol over it, against
// real clients (node:tls, ws, fetch), with certificates made at test time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { Worker } from 'netwright';
import { T, T_LONG, harness, until, sleep, frame, parseFrames } from './helpers/harness.mjs';
import { fdCount } from './helpers/http-client.mjs';
import { testCertificates } from './helpers/certs.mjs';
import { tlsConnect, tlsHandshakeFails } from './helpers/tls-client.mjs';

const certs = testCertificates();
const trust = { ca: certs.ca };

function echoText(w) {
  w.onMessage = (c, d) => c.send(d);
}

test('text:// over TLS: node:tls echoes lines; the handshake settles version, servername and counters', T, async (t) => {
  const h = harness(t);
  const before = Worker.getStatistics();
  const seen = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => {
      seen.push({ tlsVersion: c.tlsVersion, servername: c.servername, alpn: c.alpnProtocol, transport: c.transport });
      c.send(`echo:${d}`);
    };
  }, { ssl: certs.server });
  assert.equal(w.transport, 'ssl');
  const c = h.ownClient(await tlsConnect(w.port, trust));
  assert.equal(c.socket.authorized, true, 'the client verified the server against the test CA');
  c.write('hello\nworld\n');
  await c.waitLines(2);
  assert.deepEqual(c.lines, ['echo:hello', 'echo:world']);
  assert.deepEqual(seen[0], { tlsVersion: 'TLSv1.3', servername: 'localhost', alpn: '', transport: 'ssl' });
  const after = Worker.getStatistics();
  assert.equal(after.tlsHandshakes - before.tlsHandshakes, 1);
  assert.equal(after.tlsHandshakeErrors, before.tlsHandshakeErrors);
});

test('onConnect fires at accept, its send goes out after the handshake, the first onMessage follows it', T, async (t) => {
  const h = harness(t);
  const order = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => {
      order.push(`connect:${c.tlsVersion}`);
      c.send('greeting');
    };
    w.onMessage = (c, d) => {
      order.push(`message:${c.tlsVersion}`);
      c.send(d.toUpperCase());
    };
  }, { ssl: certs.server });
  const c = h.ownClient(await tlsConnect(w.port, trust));
  await c.waitLines(1);
  c.write('abc\n');
  await c.waitLines(2);
  assert.deepEqual(c.lines, ['greeting', 'ABC']);
  assert.deepEqual(order, ['connect:null', 'message:TLSv1.3'], 'onConnect ran before the handshake was done');
});

test('frame://, tcp:// and a user protocol over TLS', T, async (t) => {
  const h = harness(t);
  const framed = await h.serve('frame://127.0.0.1:0', echoText, { ssl: certs.server });
  const raw = await h.serve('tcp://127.0.0.1:0', echoText, { ssl: certs.server });
  Worker.registerProtocol('tlsline', {
    input: (buf) => { const i = buf.indexOf(0x3b); return i < 0 ? 0 : i + 1; },
    decode: (buf) => buf.subarray(0, buf.length - 1).toString(),
    encode: (data) => `${data};`,
  });
  const user = await h.serve('tlsline://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(`<${d}>`); }, { ssl: certs.server });

  const f = h.ownClient(await tlsConnect(framed.port, trust));
  f.write(Buffer.concat([frame('one'), frame('two')]));
  await f.wait(() => parseFrames(f.data).payloads.length === 2);
  assert.deepEqual(parseFrames(f.data).payloads.map(String), ['one', 'two']);

  const r = h.ownClient(await tlsConnect(raw.port, trust));
  const bytes = crypto.randomBytes(200_000);
  r.write(bytes);
  await r.waitBytes(bytes.length);
  assert.ok(r.data.equals(bytes), 'raw bytes echoed unchanged');

  const u = h.ownClient(await tlsConnect(user.port, trust));
  u.write('a;b;');
  await u.waitText('<a>;<b>;');
});

test('wss:// echo with the ws client: custom CA, and rejectUnauthorized: false', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('wss://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(d);
  }, { ssl: certs.server });
  assert.equal(w.transport, 'ssl');
  for (const options of [{ ca: certs.ca }, { rejectUnauthorized: false }]) {
    const ws = new WebSocket(`wss://localhost:${w.port}/chat`, options);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const replies = [];
    ws.on('message', (m) => replies.push(String(m)));
    for (let i = 0; i < 50; i++) ws.send(`message ${i} ${'x'.repeat(i * 100)}`);
    await until(() => replies.length === 50, 'ws echoes');
    assert.equal(replies[49], `message 49 ${'x'.repeat(4900)}`);
    ws.close(1000);
    await new Promise((resolve) => ws.once('close', resolve));
  }
  // Without the CA, ws refuses the server: verification is the client's, and it works.
  const refused = new WebSocket(`wss://localhost:${w.port}/`);
  const error = await new Promise((resolve) => refused.once('error', resolve));
  assert.match(String(error.code ?? error.message), /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i);
});

test('https:// answers fetch (verifying against the test CA) and keep-alive requests', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('https://127.0.0.1:0', (w) => {
    w.onMessage = (c, request) => c.send(`hello ${request.path} over ${c.tlsVersion}`);
  }, { ssl: certs.server });
  const caFile = path.join(certs.dir, 'ca.crt');
  const script = `const r = await fetch('https://localhost:${w.port}/a'); const s = await fetch('https://localhost:${w.port}/b');
    console.log(JSON.stringify([r.status, await r.text(), s.status, await s.text()]));`;
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, timeout: 10_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
  assert.deepEqual(JSON.parse(out), [200, 'hello /a over TLSv1.3', 200, 'hello /b over TLSv1.3']);
});

test('SNI picks the certificate by host name; others get the default one', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(`${c.servername}:${d}`);
  }, { ssl: { ...certs.server, sni: { 'other.test': certs.other, '*.other.test': certs.other } } });
  for (const [servername, cn] of [['other.test', 'other.test'], ['a.other.test', 'other.test'], ['localhost', 'localhost']]) {
    const c = h.ownClient(await tlsConnect(w.port, { ...trust, servername }));
    assert.equal(c.socket.getPeerCertificate().subject.CN, cn, `certificate for ${servername}`);
    c.write('hi\n');
    await c.waitLines(1);
    assert.deepEqual(c.lines, [`${servername}:hi`]);
    c.destroy();
  }
});

test('setSecureContext() replaces the certificate for new connections; open ones keep working', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', echoText, { ssl: certs.server });
  const old = h.ownClient(await tlsConnect(w.port, trust));
  assert.equal(old.socket.getPeerCertificate().subject.CN, 'localhost');
  w.setSecureContext(certs.other);
  const fresh = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  assert.equal(fresh.socket.getPeerCertificate().subject.CN, 'other.test');
  old.write('still here\n');
  fresh.write('new one\n');
  await old.waitLines(1);
  await fresh.waitLines(1);
  assert.deepEqual([old.lines, fresh.lines], [['still here'], ['new one']]);
  assert.throws(() => w.setSecureContext({ cert: certs.other.cert, key: certs.server.key }), /key does not match cert/);
  const after = h.ownClient(await tlsConnect(w.port, { ...trust, servername: 'other.test' }));
  assert.equal(after.socket.getPeerCertificate().subject.CN, 'other.test', 'a refused replacement changed nothing');
});

test('client certificates: required and verified, missing or untrusted refused, optional when rejectUnauthorized is false', T, async (t) => {
  const h = harness(t);
  const before = Worker.getStatistics();
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(`${c.getPeerCertificate()?.subject.CN}:${c.authorized}:${d}`);
  }, { ssl: { ...certs.server, ca: certs.ca, requestCert: true } });
  const good = h.ownClient(await tlsConnect(w.port, { ...trust, ...certs.client }));
  good.write('hi\n');
  await good.waitLines(1);
  assert.deepEqual(good.lines, ['test client:true:hi']);
  const missing = await tlsHandshakeFails(w.port, trust);
  assert.match(String(missing.code ?? missing.message), /CERTIFICATE_REQUIRED|closed|ECONNRESET/);
  const stranger = await tlsHandshakeFails(w.port, { ...trust, ...certs.stranger });
  assert.match(String(stranger.code ?? stranger.message), /UNKNOWN_CA|closed|ECONNRESET/);
  await until(() => Worker.getStatistics().tlsHandshakeErrors - before.tlsHandshakeErrors >= 2, 'two refused handshakes counted');

  const optional = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(`${c.getPeerCertificate()?.subject.CN ?? 'none'}:${c.authorized}:${d}`);
  }, { ssl: { ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: false } });
  for (const [options, line] of [[{}, 'none:false:x'], [certs.stranger, 'stranger:false:x'], [certs.client, 'test client:true:x']]) {
    const c = h.ownClient(await tlsConnect(optional.port, { ...trust, ...options }));
    c.write('x\n');
    await c.waitLines(1);
    assert.deepEqual(c.lines, [line]);
  }
});

test('ALPN: the server picks from its list; a client offering none of it is refused', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(`${c.alpnProtocol}:${d}`);
  }, { ssl: { ...certs.server, alpn: ['chat/2', 'chat/1'] } });
  const c = h.ownClient(await tlsConnect(w.port, { ...trust, ALPNProtocols: ['chat/1', 'chat/2'] }));
  assert.equal(c.socket.alpnProtocol, 'chat/2', "the server's preference wins");
  c.write('x\n');
  await c.waitLines(1);
  assert.deepEqual(c.lines, ['chat/2:x']);
  const refused = await tlsHandshakeFails(w.port, { ...trust, ALPNProtocols: ['other'] });
  assert.match(String(refused.code ?? refused.message), /NO_APPLICATION_PROTOCOL|closed|ECONNRESET/);
});

test('bad handshakes (plaintext, garbage, truncated ClientHello, TLS 1.1) close only that connection; fds return to their count', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('websocket://127.0.0.1:0', echoText, { ssl: certs.server });
  const steady = h.ownClient(await tlsConnect(w.port, trust));
  const fds = fdCount();
  const before = Worker.getStatistics();
  const plaintext = await h.connect(w.port);
  plaintext.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n');
  await plaintext.waitClose();
  assert.ok(!plaintext.text.includes('HTTP/1.1'), 'no plaintext answer');
  const garbage = await h.connect(w.port);
  garbage.write(crypto.randomBytes(3000));
  await garbage.waitClose();
  // A real ClientHello, cut short, then FIN.
  const hello = await captureClientHello();
  const truncated = await h.connect(w.port);
  truncated.socket.end(hello.subarray(0, Math.floor(hello.length / 2)));
  await truncated.waitClose();
  const old = await tlsHandshakeFails(w.port, { ...trust, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  assert.ok(old);
  await until(() => Worker.getStatistics().tlsHandshakeErrors - before.tlsHandshakeErrors >= 4, 'four failed handshakes counted');
  const ws = new WebSocket(`wss://localhost:${w.port}/`, trust);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send('still serving');
  const [reply] = await new Promise((resolve) => ws.once('message', (...a) => resolve(a)));
  assert.equal(String(reply), 'still serving');
  ws.terminate();
  await until(() => w.connections.size === 1, 'only the steady connection left');
  await until(() => fdCount() === fds, `fds back to ${fds}`);
  assert.equal(steady.closed, false, 'the established connection was not touched');
});

test('a handshake that does not finish within handshakeTimeout is closed and counted', T, async (t) => {
  const h = harness(t);
  const before = Worker.getStatistics();
  const w = await h.serve('text://127.0.0.1:0', (w) => { w.handshakeTimeout = 0.4; echoText(w); }, { ssl: certs.server });
  const silent = await h.connect(w.port);
  const hello = await captureClientHello();
  const slow = await h.connect(w.port);
  slow.write(hello.subarray(0, 20));
  await silent.waitClose(3000);
  await slow.waitClose(3000);
  assert.equal(Worker.getStatistics().tlsHandshakeTimeouts - before.tlsHandshakeTimeouts, 2);
  const fine = h.ownClient(await tlsConnect(w.port, trust));
  fine.write('ok\n');
  await fine.waitLines(1);
});

test('options from files and Buffers, an encrypted key with its passphrase; bad options throw naming the option', T, async (t) => {
  const h = harness(t);
  const fromFiles = await h.serve('text://127.0.0.1:0', echoText, {
    ssl: { cert: path.join(certs.dir, 'server.crt'), key: Buffer.from(certs.encryptedKey), passphrase: certs.passphrase, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
  });
  const c = h.ownClient(await tlsConnect(fromFiles.port, trust));
  assert.equal(c.socket.getProtocol(), 'TLSv1.2');
  c.write('x\n');
  await c.waitLines(1);

  const listenWith = (ssl) => { const w = new Worker('text://127.0.0.1:0', { ssl }); w.listen(); h.own(w); };
  assert.throws(() => listenWith({ cert: certs.server.cert, key: certs.encryptedKey, passphrase: 'wrong' }), /key: no PEM private key \(or a wrong passphrase\)/);
  assert.throws(() => listenWith({ cert: certs.server.cert, key: certs.other.key }), /key does not match cert/);
  assert.throws(() => listenWith({ cert: certs.server.cert }), /cert and key go together/);
  assert.throws(() => listenWith({ cert: '/nonexistent/cert.pem', key: certs.server.key }), /ssl.cert: cannot read "\/nonexistent\/cert.pem"/);
  assert.throws(() => listenWith({ ...certs.server, minVersion: 'TLSv9' }), /minVersion must be/);
  assert.throws(() => listenWith({ ...certs.server, ciphers: 'NO-SUCH-CIPHER' }), /no usable cipher/);
  assert.throws(() => listenWith({ ...certs.server, certificate: 'x' }), /unknown ssl option "certificate"/);
  assert.throws(() => listenWith({ ...certs.server, sni: { 'a.test': { cert: certs.other.cert } } }), /sni 'a.test'/);
  const plain = new Worker('text://127.0.0.1:0');
  plain.transport = 'ssl';
  assert.throws(() => plain.listen(), /needs the ssl option/);
  const mixed = new Worker('text://127.0.0.1:0', { ssl: certs.server });
  mixed.transport = 'tcp';
  assert.throws(() => mixed.listen(), /the ssl option needs transport 'ssl'/);
});

test('64 MiB to a slow TLS reader: pipe-style backpressure counts plaintext, memory stays bounded, bytes arrive intact', T_LONG, async (t) => {
  const h = harness(t);
  const total = 64 * 1024 * 1024;
  const chunk = crypto.randomBytes(64 * 1024);
  let maxQueued = 0;
  let fullEvents = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.maxSendBufferSize = 512 * 1024;
    w.onConnect = (c) => {
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const r = c.send(chunk);
          if (r === false) return;
          sent += chunk.length;
          maxQueued = Math.max(maxQueued, c.getSendBufferQueueSize());
          if (r === null) return;
        }
      };
      c.onBufferFull = () => { fullEvents++; };
      c.onBufferDrain = pump;
      pump();
    };
  }, { ssl: certs.server });
  const rssBefore = process.memoryUsage().rss;
  const c = h.ownClient(await tlsConnect(w.port, trust, 10_000));
  const digest = crypto.createHash('sha256');
  let received = 0;
  let rssPeak = 0;
  c.socket.removeAllListeners('data');
  c.socket.pause();
  // A slow reader: 1 MiB at a time, with pauses.
  while (received < total) {
    await sleep(2);
    let piece;
    while ((piece = c.socket.read()) !== null) {
      digest.update(piece);
      received += piece.length;
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (c.closed) break;
  }
  const expected = crypto.createHash('sha256');
  for (let i = 0; i < total / chunk.length; i++) expected.update(chunk);
  assert.equal(received, total);
  assert.equal(digest.digest('hex'), expected.digest('hex'));
  assert.ok(fullEvents > 0, 'the send buffer filled');
  assert.ok(maxQueued <= 512 * 1024 + chunk.length, `queued plaintext ${maxQueued} stayed near maxSendBufferSize`);
  // Under ASan (scripts/test-asan.sh) the quarantine keeps freed memory: the queue bound above still holds.
  if (process.env.NETWRIGHT_ASAN !== '1') assert.ok(rssPeak - rssBefore < 64 * 1024 * 1024, `RSS grew ${rssPeak - rssBefore} bytes for 64 MiB sent`);
});

test('session resumption: a client reconnecting with its session (TLS 1.3 ticket, TLS 1.2) resumes it', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', echoText, { ssl: certs.server });
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
    const first = h.ownClient(await tlsConnect(w.port, { ...trust, maxVersion }));
    first.write('one\n');
    await first.waitLines(1);  // the server's tickets came before the echo
    const session = first.socket.getSession();
    assert.ok(session, `${maxVersion}: the server gave a session`);
    assert.equal(first.socket.isSessionReused(), false);
    first.destroy();
    const second = h.ownClient(await tlsConnect(w.port, { ...trust, maxVersion, session }));
    assert.equal(second.socket.isSessionReused(), true, `${maxVersion}: resumed`);
    assert.equal(second.socket.getProtocol(), maxVersion);
    second.write('two\n');
    await second.waitLines(1);
    assert.deepEqual(second.lines, ['two']);
  }
});

test('renegotiation is refused: the TLS 1.2 connection that asks fails alone, the server keeps serving', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', echoText, { ssl: certs.server });
  const steady = h.ownClient(await tlsConnect(w.port, trust));
  const c = h.ownClient(await tlsConnect(w.port, { ...trust, maxVersion: 'TLSv1.2' }));
  c.write('before\n');
  await c.waitLines(1);
  const outcome = await new Promise((resolve) => {
    const accepted = c.socket.renegotiate({ rejectUnauthorized: true }, (error) => resolve(error ?? 'renegotiated'));
    if (!accepted) resolve('not started');
    c.socket.once('error', resolve);
    c.socket.once('close', () => resolve('closed'));
  });
  assert.notEqual(outcome, 'not started', 'the client asked');
  // The server answered with the no_renegotiation alert.
  assert.equal(outcome?.code, 'ERR_SSL_NO_RENEGOTIATION', String(outcome?.message ?? outcome));
  steady.write('still\n');
  await steady.waitLines(1);
  assert.deepEqual(steady.lines, ['still']);
  const fresh = h.ownClient(await tlsConnect(w.port, trust));
  fresh.write('new\n');
  await fresh.waitLines(1);
});

test('ciphers: a TLS 1.2 suite and a TLS 1.3 suite are the ones negotiated; a client offering neither is refused', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', echoText, {
    ssl: { ...certs.server, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:TLS_CHACHA20_POLY1305_SHA256' },
  });
  const tls12 = h.ownClient(await tlsConnect(w.port, { ...trust, maxVersion: 'TLSv1.2' }));
  assert.equal(tls12.socket.getCipher().name, 'ECDHE-ECDSA-AES256-GCM-SHA384');
  const tls13 = h.ownClient(await tlsConnect(w.port, trust));
  assert.equal(tls13.socket.getCipher().name, 'TLS_CHACHA20_POLY1305_SHA256');
  tls13.write('x\n');
  await tls13.waitLines(1);
  const refused = await tlsHandshakeFails(w.port, { ...trust, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  assert.match(String(refused.code ?? refused.message), /HANDSHAKE_FAILURE|closed|ECONNRESET/);
});

/** The first flight of a real TLS client, as bytes. */
async function captureClientHello() {
  const net = await import('node:net');
  const tls = await import('node:tls');
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.once('data', (d) => { resolve(d); socket.destroy(); server.close(); });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
      client.on('error', () => {});
    });
    server.on('error', reject);
  });
}
