// A WebSocket-to-TCP relay: each WebSocket client gets its own upstream TCP
// connection, and pipe() carries bytes both ways with backpressure (a slow
// reader on either side pauses the other).
//   UPSTREAM=127.0.0.1:9000 PORT=8090 node examples/ws-relay.mjs
import { AsyncTcpConnection, Worker } from 'netwright';

const upstreamAddress = process.env.UPSTREAM ?? '127.0.0.1:9000';
const relay = new Worker(`websocket://127.0.0.1:${process.env.PORT ?? 8090}`);
relay.websocketType = 'binary';

relay.onConnect = (client) => {
  client.pauseRecv(); // nothing to forward to until the upstream is there
  const upstream = new AsyncTcpConnection(`tcp://${upstreamAddress}`);
  upstream.onConnect = () => {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resumeRecv();
  };
  upstream.onError = (_upstream, _code, message) => console.error(`upstream: ${message}`);
  upstream.onClose = () => client.close();
  client.onClose = () => upstream.close();
  upstream.connect();
};

relay.listen();
console.log(`relay ws://127.0.0.1:${relay.port} -> tcp://${upstreamAddress}`);
