// TLS settings never fall back to plaintext: each one that cannot be honoured
// throws a clear Error before any socket is bound or connected.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Worker, AsyncTcpConnection } from 'netwright';

const NOT_SERVED = /TLS is not implemented yet/;

async function portIsClosed(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

test('an ssl option on a Worker throws', () => {
  assert.throws(() => new Worker('websocket://127.0.0.1:0', { ssl: { cert: 'x', key: 'y' } }), NOT_SERVED);
});

test("worker.transport = 'ssl' throws at listen() and binds nothing", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const w = new Worker(`text://127.0.0.1:${port}`);
  w.transport = 'ssl';
  assert.throws(() => w.listen(), NOT_SERVED);
  assert.ok(await portIsClosed(port), 'nothing listens on the port');
});

test('wss:// and https:// socket names throw', () => {
  assert.throws(() => new Worker('wss://127.0.0.1:0'), NOT_SERVED);
  assert.throws(() => new Worker('https://127.0.0.1:0'), NOT_SERVED);
});

test('an AsyncTcpConnection with ssl, transport ssl or wss:// throws', () => {
  assert.throws(() => new AsyncTcpConnection('tcp://127.0.0.1:1', { ssl: {} }), NOT_SERVED);
  assert.throws(() => new AsyncTcpConnection('wss://127.0.0.1:1/'), NOT_SERVED);
  const c = new AsyncTcpConnection('tcp://127.0.0.1:1');
  assert.throws(() => { c.transport = 'ssl'; }, NOT_SERVED);
  assert.equal(c.transport, 'tcp');
});
