// A client connection's callbacks get the AsyncTcpConnection itself, so
// Workerman's reconnect idiom compiles without naming the variable outside.
import { AsyncTcpConnection, type TcpConnection } from 'netwright';

const upstream = new AsyncTcpConnection('text://127.0.0.1:9000');
upstream.onClose = (connection) => connection.reconnect(1);
upstream.onError = (connection, code, message) => {
  const reason: string = message;
  const errno: number = code;
  connection.cancelReconnect();
  void reason, errno;
};
upstream.onConnect = (connection) => connection.send('hello');
upstream.onMessage = (connection, line) => {
  const text: string = line;
  // @ts-expect-error a text:// client receives strings
  const bytes: Buffer = line;
  connection.reconnect();
  void text, bytes;
};
upstream.onBufferFull = (connection) => connection.pauseRecv();
upstream.onBufferDrain = (connection) => connection.resumeRecv();

// a server connection has no reconnect()
const accepted = (connection: TcpConnection) => {
  // @ts-expect-error reconnect() is the client's
  connection.reconnect(1);
};
void accepted;

// still assignable where any TcpConnection is expected
const asServer: TcpConnection = upstream;
void asServer;
