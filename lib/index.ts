export { Worker, type WorkerOptions } from './Worker';
export {
  TcpConnection,
  type ConnectionStatus,
  type MessageCallback,
  type ConnectionCallback,
  type ErrorCallback,
} from './connection/TcpConnection';
export { AsyncTcpConnection, type AsyncTcpConnectionOptions } from './connection/AsyncTcpConnection';
export { WebSocketRequest } from './protocols/websocket/WebSocketRequest';
export type { WebSocketType, WebSocketConnectCallback, WebSocketDataCallback, WebSocketCloseCallback } from './connection/TcpConnection';
export { Timer } from './Timer';
export { CONNECT_FAIL, SEND_FAIL, PACKAGE_TOO_LARGE, PROTOCOL_ERROR } from './errors';
export type { ProtocolObject } from './protocols/protocol';
export type { Statistics } from './statistics';
