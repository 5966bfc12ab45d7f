// TLS settings never fall back to plaintext: each one that cannot be honoured
// throws a clear Error before any socket is connected. (Servers: test/tls.test.mjs.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { AsyncTcpConnection } from 'netwright';

const NOT_SERVED = /TLS is not implemented yet/;

test('an AsyncTcpConnection with ssl, transport ssl or wss:// throws', () => {
  assert.throws(() => new AsyncTcpConnection('tcp://127.0.0.1:1', { ssl: {} }), NOT_SERVED);
  assert.throws(() => new AsyncTcpConnection('wss://127.0.0.1:1/'), NOT_SERVED);
  const c = new AsyncTcpConnection('tcp://127.0.0.1:1');
  assert.throws(() => { c.transport = 'ssl'; }, NOT_SERVED);
  assert.equal(c.transport, 'tcp');
});
