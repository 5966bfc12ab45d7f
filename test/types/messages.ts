// onMessage's data follows the socket name's scheme, or a protocol object's decode().
import { AsyncTcpConnection, HttpRequest, Request, Worker, type ProtocolObject, type TcpConnection } from 'netwright';

const text = new Worker('text://0.0.0.0:9000');
text.onMessage = (connection, data) => {
  const line: string = data;
  // @ts-expect-error a text line is not a Buffer
  const bytes: Buffer = data;
  connection.send(`echo: ${line}`);
  void bytes;
};

const tcp = new Worker('tcp://0.0.0.0:9001');
tcp.onMessage = (_connection, data) => {
  const bytes: Buffer = data;
  // @ts-expect-error raw tcp gives bytes, not a string
  const line: string = data;
  void bytes, line;
};

const frame = new Worker('frame://127.0.0.1:9002');
frame.onMessage = (_connection, data) => {
  const bytes: Buffer = data;
  void bytes;
};

const websocket = new Worker('websocket://0.0.0.0:8080');
websocket.onMessage = (connection, data) => {
  const message: string | Buffer = data;
  // @ts-expect-error a WebSocket message may be binary
  const line: string = data;
  // @ts-expect-error the issue's example: data is no longer any
  const wrong: { wrong: true } = data;
  if (typeof data === 'string') connection.send(data.toUpperCase());
  else connection.send(data);
  void message, line, wrong;
};

const http = new Worker('http://0.0.0.0:8081');
http.onMessage = (connection, request) => {
  const r: Request = request;
  const same: HttpRequest = request;
  const path: string = request.path;
  // @ts-expect-error a wrong annotation is refused
  const wrong: Buffer = request;
  connection.send(`hello ${path}`);
  void r, same, wrong;
};

// A protocol object: decode()'s type is the message, encode()'s parameter what send() takes.
interface Chat { room: string; text: string }
const chatProtocol: ProtocolObject<Chat> = {
  input: (buffer) => { const nl = buffer.indexOf(10); return nl < 0 ? 0 : nl + 1; },
  decode: (buffer) => JSON.parse(buffer.toString()) as Chat,
  encode: (chat) => JSON.stringify(chat) + '\n',
};
Worker.registerProtocol('chat', chatProtocol);
const chat = new Worker<typeof chatProtocol>('chat://0.0.0.0:9003');
chat.onMessage = (connection, message) => {
  const room: string = message.room;
  connection.send({ room, text: message.text.toUpperCase() });
  // @ts-expect-error encode() takes a Chat
  connection.send({ nope: 1 });
};

// Clients: the scheme of the address decides too.
const client = new AsyncTcpConnection('ws://127.0.0.1:8080/chat');
client.onMessage = (_connection, data) => {
  const message: string | Buffer = data;
  // @ts-expect-error a ws:// message may be binary
  const line: string = data;
  void message, line;
};
const textClient = new AsyncTcpConnection('text://127.0.0.1:9000');
textClient.onMessage = (connection, line) => {
  const s: string = line;
  connection.send(s);
};

// A name that is not a literal says nothing about the protocol: name it as the type argument.
declare const address: string;
const explicit = new Worker<'text'>(address);
explicit.onMessage = (_connection, data) => {
  const line: string = data;
  // @ts-expect-error the type argument decides
  const bytes: Buffer = data;
  void line, bytes;
};
// A registered scheme the types do not know: unknown until narrowed (or declared in ProtocolTypes).
const registered = new Worker('json://0.0.0.0:9004');
registered.onMessage = (_connection, data) => {
  // @ts-expect-error unknown until narrowed
  const line: string = data;
  void line;
};

// Code that takes any connection still takes these.
function describe(connection: TcpConnection): string {
  return connection.getRemoteAddress();
}
websocket.onConnect = (connection) => { describe(connection); };
http.onClose = (connection) => { describe(connection); };
