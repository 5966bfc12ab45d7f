// An http:// worker that takes WebSocket upgrades (the websocket option): onMessage gets
// HTTP requests and WebSocket messages, told apart without casts.
import { HttpRequest, HttpUpgradeRequest, Worker, type TcpConnection } from 'netwright';

const app = new Worker('http://0.0.0.0:8080', { websocket: { path: '/ws' } });
app.onMessage = (connection, data) => {
  if (data instanceof HttpRequest) {
    const path: string = data.path;
    connection.send(`hello ${path}`);
    // @ts-expect-error a request is not a message string
    const text: string = data;
    void text;
    return;
  }
  const message: string | Buffer = data;
  // @ts-expect-error a WebSocket message may be binary
  const line: string = data;
  // @ts-expect-error nor is it a request
  const request: HttpRequest = data;
  connection.send(message);
  void line, request;
};
app.onMessage = (connection, data) => {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return connection.send(data);
  const path: string = data.path; // narrowed to the request
  void path;
};
// @ts-expect-error before narrowing, data may be a string or bytes: no .path
app.onMessage = (_connection, data) => data.path;

// The handshake hook sees the same Request HTTP handlers get, with reject() and protocols.
app.onWebSocketConnect = (connection, request) => {
  const same: HttpRequest = request;
  const upgrade: HttpUpgradeRequest = request;
  const token = request.get('token');
  const session = request.session();
  if (!token) return request.reject(401, 'login first', { 'WWW-Authenticate': 'Bearer' });
  if (request.protocols.includes('chat')) connection.websocketProtocol = 'chat';
  // @ts-expect-error reject() takes a header object, not a string
  request.reject(401, 'x', 'WWW-Authenticate: Bearer');
  // The connection in the hook is the WebSocket side: its messages are strings or bytes.
  connection.onMessage = (c, message) => {
    const m: string | Buffer = message;
    c.send(m);
  };
  void same, upgrade, session;
};
app.onWebSocketConnected = (connection, request) => {
  const path: string = request.path;
  connection.subscribe(path);
};

// https:// too (TLS is a transport).
const secure = new Worker('https://0.0.0.0:8443', { websocket: true, ssl: { cert: 'c.pem', key: 'k.pem' } });
secure.onMessage = (_connection, data) => {
  // @ts-expect-error may be a request or a message
  const bytes: Buffer = data;
  void bytes;
};

// Without the option an http:// worker is HTTP only, as before.
const plain = new Worker('http://0.0.0.0:8081');
plain.onMessage = (_connection, request) => {
  const path: string = request.path;
  void path;
};
// The property exists too (it does not change the types).
plain.websocket = { path: ['/a', '/b'] };
plain.websocket = { path: (p) => p.startsWith('/live/') };
// @ts-expect-error a path is a string, an array of them or a predicate
plain.websocket = { path: 42 };
// @ts-expect-error only http:// and https:// socket names take the option's typing; others stay a plain Worker
const wrong: Worker<'http+websocket'> = new Worker('websocket://0.0.0.0:8082', { websocket: true });
void wrong;

// A websocket:// worker's hook still sees a WebSocketRequest (with Workerman 5's get() and header()).
const ws = new Worker('websocket://0.0.0.0:8083');
ws.onWebSocketConnect = (_connection, request) => {
  const token = request.get('token');
  const header: string | undefined = request.header('x-token');
  const query: URLSearchParams = request.query;
  request.reject(401, '', { 'WWW-Authenticate': 'Bearer' });
  // @ts-expect-error a WebSocketRequest has no session()
  request.session();
  void token, header, query;
};

// Subclassing still works.
class MyWorker extends Worker<'text'> {}
const mine = new MyWorker('text://0.0.0.0:9000');
mine.onMessage = (connection: TcpConnection<'text'>, line) => connection.send(line.toUpperCase());

// The context option types connection.context here too.
const withContext = new Worker('http://0.0.0.0:8084', { websocket: true, context: () => ({ user: null as string | null }) });
withContext.onWebSocketConnected = (connection) => { connection.context.user = 'x'; };
// @ts-expect-error user is a string or null
withContext.onMessage = (connection) => { connection.context.user = 1; };
const noContext = new Worker('http://0.0.0.0:8085', { websocket: true });
noContext.onMessage = (connection) => { connection.context.anything = 1; };
