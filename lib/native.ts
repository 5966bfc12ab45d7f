// The only file that touches the native binding: it loads the prebuilt (or
// locally built) addon, types its surface and owns the shared batch memory.
import * as path from 'node:path';

import { noBinaryMessage } from './platformSupport';
import type { Statistics } from './statistics';

/** A group of numbers shared with the core: names here, values defined once in C++. */
export type ConstantGroup<N extends string> = { readonly [K in N]: number };

export interface ListenRequest {
  unix: boolean;
  host: string;
  port: number;
  path: string;
  backlog: number;
  reusePort: boolean;
  ipv6Only: boolean;
  noDelay: boolean;
  keepAlive: number;
  kind: NativeProtocol;
  /** A createSecureContext() value: connections are TLS. */
  tls?: SecureContextHandle;
}

export interface DatagramRequest {
  host: string;
  port: number;
  reusePort: boolean;
  ipv6Only: boolean;
}

/** A native TLS configuration (lib/tls/secureContext.ts builds it). */
export type SecureContextHandle = { readonly __secureContext: unique symbol };

/** What createSecureContext() takes, already normalised to PEM text. */
export interface NativeSecureContextOptions {
  server: boolean;
  cert?: string;
  key?: string;
  passphrase?: string;
  ca?: string;
  ciphers?: string;
  minVersion?: string;
  maxVersion?: string;
  alpn?: string[];
  requestCert: boolean;
  rejectUnauthorized: boolean;
  sni?: Array<{ host: string; options: NativeSecureContextOptions }>;
  /** Server: handshakes pause at the ClientHello with a ServerName event, answered by resolveServerName(). */
  sniCallback?: boolean;
}

/** [version, alpnProtocol, servername, verifyResult (0 = verified)] once the handshake is done. */
export type TlsInfo = [string, string, string, number];

/** Every counter but the JS-side timer count (documented in statistics.ts). */
export type NativeStats = Omit<Statistics, 'timers' | 'earlySendsDropped'>;

/** [remoteIp, remotePort, localIp, localPort, bytesRead, bytesWritten] */
export type ConnectionInfo = [string, number, string, number, number, number];

export type BatchHandler = (count: number, large: Buffer[] | undefined) => void;

interface Binding {
  /** The numbers of the contract, from the C++ enums. */
  constants: Record<string, Record<string, number>>;
  init(onBatch: BatchHandler): { slab: Buffer; events: Int32Array };
  listen(request: ListenRequest): number;
  /** A listening socket this process does not serve (a master hands it to worker processes); its fd. */
  bindSocket(request: Omit<ListenRequest, 'kind'>): number;
  /** Serves an inherited listening fd. */
  listenFd(fd: number, config: Pick<ListenRequest, 'kind' | 'tls'>): number;
  /** Throws an Error naming the bad option. */
  createSecureContext(options: NativeSecureContextOptions): SecureContextHandle;
  /** Connections the listener accepts from now on use it; false for an unknown listener. */
  setSecureContext(id: number, context: SecureContextHandle): boolean;
  tlsInfo(slot: number): TlsInfo | undefined;
  /** Answers a ServerName event: the context to serve, or null to refuse; false when none waits. */
  resolveServerName(slot: number, context: SecureContextHandle | null): boolean;
  /** The peer's certificate (DER), if it sent one. */
  peerCertificate(slot: number): Buffer | undefined;
  closeFd(fd: number): void;
  listenerPort(id: number): number | undefined;
  unlisten(id: number): void;
  setAccepting(id: number, accepting: boolean): void;
  /** pingPongIsActivity: WebSocket pings and pongs received reset idleTimeout's clock. */
  setListenerLimits(id: number, maxConnections: number, idleTimeoutMs: number, pingPongIsActivity: boolean): void;
  /**
   * Framed the connection's way (its kind; WebSocket: its websocketType). stringLength: a
   * string's length, -1 for bytes (the core then needs not ask which it is).
   */
  send(slot: number, data: string | Uint8Array, stringLength: number): number;
  /** As it is: send(data, true), HTTP bytes, a user protocol's encode(). */
  sendRaw(slot: number, data: string | Uint8Array, stringLength: number): number;
  sendPing(slot: number, data: string | Uint8Array, stringLength: number): number;
  sendPong(slot: number, data: string | Uint8Array, stringLength: number): number;
  /** The last bytes of an HTTP response, as they are (the keep-alive clock restarts). */
  endResponse(slot: number, data: string | Uint8Array, stringLength: number): number;
  /** A WebSocket connection's own websocketType; false for other connections. */
  setWebSocketType(slot: number, type: WebSocketType): boolean;
  /** Sends from now on are corked as in a batch (false: one is running, or the core is not started). */
  cork(): boolean;
  /** Flushes what cork() held, one write per connection, and delivers the events it produced. */
  uncork(): void;
  close(slot: number): boolean;
  destroy(slot: number): void;
  setReceiving(slot: number, receiving: boolean): void;
  /** JS holds messages it has not delivered: the core's close after an ending read waits for them. */
  setHeld(slot: number, held: boolean): void;
  /** The automatic pong; at the send limit the core answers the latest ping when the queue drains. */
  answerPing(slot: number, payload: Buffer): void;
  setLimits(slot: number, maxSendBufferSize: number, maxPackageSize: number): void;
  setKind(slot: number, kind: NativeProtocol): boolean;
  queueSize(slot: number): number;
  info(slot: number): ConnectionInfo | undefined;
  stats(): NativeStats;
  raiseUncaught(error: unknown): void;
  /** websocketType: that of the listener's connections that set none. */
  setWebSocketLimits(id: number, maxHeadSize: number, handshakeTimeoutMs: number, pingIntervalMs: number, websocketType: WebSocketType): void;
  setHttpLimits(
    id: number,
    headersTimeoutMs: number,
    keepAliveTimeoutMs: number,
    requestTimeoutMs: number,
    bodyTimeoutMs: number,
    allowConnect: boolean,
    websocketUpgrades: boolean,
  ): void;
  /** The request announced by EventType.HttpUpgrade becomes a WebSocket handshake (false: an invalid upgrade, refused natively with its status). */
  upgradeHttp(slot: number): boolean;
  /** That request is served as ordinary HTTP; reading goes on behind it. */
  declineUpgrade(slot: number): void;
  acceptWebSocket(slot: number, extraHeaderLines: string): boolean;
  /** permessage-deflate: options packed by nativeDeflateOptions() (lib/protocols/websocket/perMessageDeflate.ts). */
  setWebSocketDeflate(id: number, options: number[]): void;
  setClientDeflate(slot: number, options: number[]): boolean;
  deflateOffer(options: number[]): string;
  /** headerLines: extra response header lines (each ending in CRLF), already checked. */
  rejectWebSocket(slot: number, status: number, body: string, headerLines?: string): void;
  closeWebSocket(slot: number, code: number, reason: string): void;
  broadcast(listenerId: number, data: string | Uint8Array, binary: boolean, except: Int32Array | null): number;
  publish(listenerId: number, topic: string, data: string | Uint8Array, binary: boolean): number;
  subscribe(slot: number, topic: string, on: boolean): boolean;
  /** UDP: a bound socket this process serves; its id, or -errno. */
  udpBind(request: DatagramRequest & { kind: NativeProtocol }): number;
  /** UDP: a bound descriptor this process does not serve (a master hands it to worker processes), or -errno. */
  udpBindFd(request: DatagramRequest): number;
  /** UDP: serves an inherited bound descriptor; its id, or -errno. */
  udpAdopt(fd: number, kind: NativeProtocol): number;
  /** UDP: a socket connected to one numeric address; its id, or -errno. */
  udpConnect(host: string, port: number, kind: NativeProtocol): number;
  /** family 0: the connected peer; IPv4 as a uint32, IPv6 as 16 bytes. */
  udpSend(id: number, data: string | Uint8Array, stringLength: number, raw: boolean, family: number, port: number, address: number | Uint8Array): number;
  udpClose(id: number): void;
  udpLocalAddress(id: number): [string, number] | undefined;
  udpSetMaxPackageSize(id: number, size: number): void;
  /** The slot, or -errno; a unix socket when unixPath is not empty. */
  connect(host: string, port: number, unixPath: string, kind: NativeProtocol, upgradeRequest: string, key: string, secureContext?: SecureContextHandle, servername?: string, handshakeTimeoutMs?: number): number;
  /** Whether a client connection's TCP connect is still pending (its TLS handshake is bounded natively). */
  tcpConnecting(slot: number): boolean;
}

const packageRoot = path.join(__dirname, '..');

function load(): Binding {
  const override = process.env.NETWRIGHT_NATIVE_PATH;
  try {
    if (override) return require(path.resolve(override)) as Binding;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => Binding;
    return nodeGypBuild(packageRoot);
  } catch (cause) {
    // TLS uses the OpenSSL this Node links and exports; netwright bundles none to fall back on.
    const openssl = /undefined symbol: ((?:SSL|BIO|X509|EVP|ERR|PEM|ASN1|OPENSSL|CRYPTO|i2d|d2i|a2i)_?\w*)/.exec((cause as Error).message ?? '');
    if (openssl) {
      const error = new Error(
        `netwright: this Node (${process.version}) does not export the OpenSSL function ${openssl[1]} that netwright's TLS ` +
          `uses: netwright runs TLS on Node's own OpenSSL and loads no second one. Use an official Node build ` +
          `(20, 22 or 24). Cause: ${(cause as Error).message}`,
      );
      (error as Error & { code: string }).code = 'NETWRIGHT_NO_OPENSSL';
      throw error;
    }
    const error = new Error(noBinaryMessage((cause as Error).message));
    (error as Error & { code: string }).code = 'NETWRIGHT_NO_BINARY';
    throw error;
  }
}

export const native: Binding = load();

/** The core's third send() argument: a string's length in UTF-16 units, or -1 for bytes. */
export function stringLength(bytes: string | Uint8Array): number {
  return typeof bytes === 'string' ? bytes.length : -1;
}

// ---- the contract: numbers both sides use --------------------------------------
// Defined once, in C++ (native/conn/events.h, protocol/framing.h,
// protocol/outgoing.h), exported by the addon; lib/ names the members it uses
// and loading fails when the addon has a name more or less
// (test/contract.test.mjs shows the check at work).

/** The group `group` of the addon's constants, checked to have exactly `names`. */
export function contractGroup<N extends string>(
  constants: Binding['constants'],
  group: string,
  names: readonly N[],
): ConstantGroup<N> {
  const values = constants[group];
  const have = values ? Object.keys(values).sort() : [];
  const want = [...names].sort();
  if (have.join() !== want.join() || have.some((name) => typeof values[name] !== 'number')) {
    throw new Error(`netwright: lib/native.ts and the native addon disagree on ${group}: addon [${have}], lib [${want}]; rebuild`);
  }
  return Object.freeze({ ...values }) as ConstantGroup<N>;
}

const group = <N extends string>(name: string, names: readonly N[]) => contractGroup(native.constants, name, names);

export const EventType = group('EventType', [
  'Accept', 'Message', 'AsciiMessage', 'Close', 'Drain', 'Error', 'BinaryMessage', 'BufferFull',
  'Handshake', 'Ping', 'Pong', 'WsClose', 'WsCloseSent', 'Connect', 'ConnectFail', 'HttpRequest', 'Upgraded',
  'Datagram', 'DatagramError', 'HttpUpgrade', 'ServerName',
] as const);
export type EventType = number;
const eventRecord = group('EventRecord', ['TypeMask', 'Stashed', 'Words', 'DatagramHeader'] as const);
/** A datagram event's slab bytes start with the sender: family, 0, port (big endian), 16 address bytes. */
export const DATAGRAM_HEADER = eventRecord.DatagramHeader;
export const EVENT_TYPE_MASK = eventRecord.TypeMask;
/** The payload did not fit the slab: `a` indexes the batch's stashed buffers. */
export const EVENT_STASHED = eventRecord.Stashed;
export const EVENT_WORDS = eventRecord.Words;
/** Why the core closed a connection (kEventClose's a). */
export const CloseReason = group('CloseReason', ['ByPeer', 'Locally', 'OnError', 'Idle', 'Shutdown'] as const);
/** onError codes (lib/errors.ts exports them under Workerman's names). */
export const ErrorCode = group('ErrorCode', ['ConnectFail', 'SendFail', 'PackageTooLarge', 'ProtocolError'] as const);
export const SendResult = group('SendResult', ['Sent', 'Queued', 'RefusedClosed', 'RefusedFull', 'PeerGone', 'BecameFull'] as const);
export type SendResult = number;
/** How the core splits (and frames) a connection's bytes. */
export const NativeProtocol = group('NativeProtocol', ['Raw', 'Text', 'Frame', 'WebSocket', 'Http'] as const);
export type NativeProtocol = number;
/** What a WebSocket connection's send() makes of strings and bytes (websocketType). */
export const WebSocketType = group('WebSocketType', ['Text', 'Binary', 'Auto'] as const);
export type WebSocketType = number;

let shared: { slab: Buffer; events: Int32Array } | undefined;
let handler: BatchHandler = () => {};

/** Sets the function that receives event batches; starts the core on first use. */
export function startCore(onBatch: BatchHandler): { slab: Buffer; events: Int32Array } {
  handler = onBatch;
  if (!shared) shared = native.init((count, large) => handler(count, large));
  return shared;
}
