// send() takes what the protocol can send: HTTP-only values only on HTTP connections.
import { Chunk, Response, ServerSentEvents, Worker } from 'netwright';

const http = new Worker('http://0.0.0.0:8081');
http.onMessage = (connection) => {
  connection.send(new Response(200, { 'Content-Type': 'application/json' }, '{}'));
  connection.send(new Chunk('part'));
  connection.send(new ServerSentEvents({ data: 'tick' }));
  connection.send('<h1>hi</h1>');
  connection.send(Buffer.from('bytes'));
  // @ts-expect-error an object is not a body: JSON.stringify it or use a Response
  connection.send({ ok: true });
};

const websocket = new Worker('websocket://0.0.0.0:8080');
websocket.onMessage = (connection, data) => {
  connection.send(data);
  connection.send(new Uint8Array([1, 2]));
  connection.send(new ArrayBuffer(2));
  // @ts-expect-error a Response only makes sense on HTTP
  connection.send(new Response(200));
  // @ts-expect-error objects are not sent as "[object Object]"
  connection.send({ type: 'chat' });
  // @ts-expect-error numbers: send String(n)
  connection.send(42);
  // @ts-expect-error undefined is not a message
  connection.send(undefined);
  connection.close('bye');
  websocket.broadcast('to everyone', connection);
  // @ts-expect-error broadcast takes strings and bytes
  websocket.broadcast({ type: 'chat' });
};

const text = new Worker('text://0.0.0.0:9000');
text.onMessage = (connection) => {
  // @ts-expect-error a Chunk only makes sense on HTTP
  connection.send(new Chunk('x'));
  connection.send('line');
};

// Settings and constants.
websocket.websocketType = 'binary';
websocket.websocketType = '\x82';
// @ts-expect-error not a websocketType
websocket.websocketType = 'blob';
Worker.daemonize = true;
new Worker('websocket://0.0.0.0:8082', { socket: { backlog: 1024, so_reuseport: 1 } });
// @ts-expect-error not an option
new Worker('websocket://0.0.0.0:8083', { backlogg: 1 });
