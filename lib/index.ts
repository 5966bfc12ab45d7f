export { Worker, type WorkerOptions } from './Worker';
export {
  TcpConnection,
  type ConnectionStatus,
  type MessageCallback,
  type ConnectionCallback,
  type ErrorCallback,
} from './connection/TcpConnection';
export { Timer } from './Timer';
export { CONNECT_FAIL, SEND_FAIL, PACKAGE_TOO_LARGE, PROTOCOL_ERROR } from './errors';
export type { ProtocolObject } from './protocols/protocol';
export type { Statistics } from './statistics';
