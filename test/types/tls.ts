// TLS options: the SNI map or callback, createSecureContext, the client's handshakeTimeout.
import { AsyncTcpConnection, Worker, createSecureContext, type SecureContext, type SniAnswer } from 'netwright';

const shop: SecureContext = createSecureContext({ cert: 'shop.pem', key: 'shop.key' });
new Worker('wss://0.0.0.0:443', { ssl: { cert: 'a.pem', key: 'a.key', sni: { 'a.example.com': { cert: 'b.pem', key: 'b.key' } } } });
new Worker('wss://0.0.0.0:443', { ssl: { cert: 'a.pem', key: 'a.key', sni: (name) => (name === 'shop.example.com' ? shop : null) } });
new Worker('wss://0.0.0.0:443', { ssl: { cert: 'a.pem', key: 'a.key', sni: async (name) => ({ cert: `${name}.pem`, key: `${name}.key` }) } });
// @ts-expect-error an SNI answer is options, a SecureContext or null, not a string
new Worker('wss://0.0.0.0:443', { ssl: { cert: 'a.pem', key: 'a.key', sni: () => 'a.pem' } });
const answer: SniAnswer = undefined;
void answer;

const client = new AsyncTcpConnection('wss://example.com/', { handshakeTimeout: 5, ssl: { servername: 'example.com' } });
client.handshakeTimeout = 2;
// @ts-expect-error seconds, a number
client.handshakeTimeout = '2';
