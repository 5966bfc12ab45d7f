// A recording TLS client over node:tls (the harness's Client around a
// TLSSocket), and the ways a handshake can end.
import tls from 'node:tls';
import { Client, deadline } from './harness.mjs';

/**
 * Connects to 127.0.0.1:port and resolves once the handshake is done; rejects
 * with the handshake's error. `options` go to tls.connect (ca, servername, cert, ALPNProtocols, ...).
 */
export function tlsConnect(port, options = {}, ms = 5000) {
  const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
  socket.setNoDelay(true);
  const client = new Client(socket);
  const connected = new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(client));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  return deadline(connected, ms, `TLS handshake with port ${port}`).catch((e) => {
    socket.destroy();
    throw e;
  });
}

/** Resolves with the error (or 'closed') that ends a handshake expected to fail. */
export async function tlsHandshakeFails(port, options = {}, ms = 5000) {
  let client;
  try {
    client = await tlsConnect(port, options, ms);
  } catch (e) {
    return e;
  }
  // TLS 1.3: the server judges a client certificate after the client's handshake is done.
  try {
    client.write('x\n');
    await client.waitClose(ms);
    return client.error ?? new Error('closed');
  } finally {
    client.destroy();
  }
}
