import { Worker as WorkerClass, type WorkerConstructor } from './Worker';
import type { DefaultContext as WorkerContext, ProtocolSpec as WorkerProtocol } from './protocols/protocolTypes';
/** A Worker: `new Worker('websocket://0.0.0.0:8080')`; see WorkerConstructor for the http:// + WebSocket typing. */
export const Worker = WorkerClass as WorkerConstructor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Worker<P extends WorkerProtocol = any, C = WorkerContext> = WorkerClass<P, C>;
export type { WorkerOptions, AnyWorker, WorkerConstructor } from './Worker';
export type { WebSocketUpgrades, WebSocketRoutes } from './protocols/websocket/upgradeRoutes';
export { UpgradeRequest as HttpUpgradeRequest } from './protocols/http/UpgradeRequest';
export type { WorkermanSocketContext } from './workerOptions';
export {
  TcpConnection,
  type ConnectionStatus,
  type MessageCallback,
  type ConnectionCallback,
  type ErrorCallback,
} from './connection/TcpConnection';
export { AsyncTcpConnection, type AsyncTcpConnectionOptions, type ClientWebSocketConnectCallback } from './connection/AsyncTcpConnection';
export { WebSocketResponse } from './protocols/websocket/WebSocketResponse';
export { UdpConnection } from './udp/UdpConnection';
export { AsyncUdpConnection } from './udp/AsyncUdpConnection';
export { WebSocketRequest } from './protocols/websocket/WebSocketRequest';
export type { PerMessageDeflate, PerMessageDeflateOptions, ResolvedPerMessageDeflate } from './protocols/websocket/perMessageDeflate';
export type { WebSocketType, WorkermanWebSocketType, WebSocketConnectCallback, WebSocketDataCallback, WebSocketCloseCallback, UpgradeRequestOf } from './connection/TcpConnection';
export type { Bytes, HttpSendable, MessageOf, ProtocolSpec, ProtocolTypes, SendOf, SocketNameOf, DefaultContext } from './protocols/protocolTypes';
// HttpRequest: the same class under a name that does not shadow the global Request of fetch.
export { Request, Request as HttpRequest, type SessionSettings } from './protocols/http/Request';
export { Response, Chunk, type HeaderValue } from './protocols/http/Response';
export { ServerSentEvents, type ServerSentEventFields } from './protocols/http/ServerSentEvents';
export { Session } from './protocols/http/session/Session';
export { MemorySessionStore } from './protocols/http/session/MemorySessionStore';
export { FileSessionStore } from './protocols/http/session/FileSessionStore';
export type { SessionStore } from './protocols/http/session/SessionStore';
export type { UploadedFile } from './protocols/http/multipart';
export type { CookieOptions } from './protocols/http/cookies';
export { Timer } from './Timer';
export { CONNECT_FAIL, SEND_FAIL, PACKAGE_TOO_LARGE, PROTOCOL_ERROR } from './errors';
export type { ProtocolObject } from './protocols/protocol';
export type { Statistics } from './statistics';
export { SecureContext, createSecureContext } from './tls/secureContext';
export type { SniAnswer } from './tls/secureContext';
export type { SecureContextOptions, ServerSecureContextOptions, ClientSecureContextOptions, PeerCertificate, PemSource, TlsVersion } from './tls/secureContext';
export { processRole, type ProcessRole } from './master/role';
export { ChannelServer, type ChannelServerOptions, type ChannelServerCounters } from './components/ChannelServer';
export { ChannelClient, type ChannelClientOptions } from './components/ChannelClient';
export { GlobalDataServer } from './components/GlobalDataServer';
export { GlobalDataClient, type GlobalDataClientOptions } from './components/GlobalDataClient';
export { FileMonitor, type FileMonitorOptions } from './components/FileMonitor';
