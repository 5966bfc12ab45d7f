import { randomBytes } from 'node:crypto';
import * as dns from 'node:dns';

import { attachClient, startDispatcher, type ClientConnection } from '../dispatcher';
import { CONNECT_FAIL, errnoName } from '../errors';
import { native, NativeProtocol } from '../native';
import { CLIENT_SCHEMES } from '../protocols/protocol';
import { parseAddress } from '../socketName';
import { createClientContext, type ClientSecureContextOptions } from '../tls/secureContext';
import { TcpConnection, type ConnectionCallback, type ConnectionSetup } from './TcpConnection';

export interface AsyncTcpConnectionOptions {
  /** ws://: extra request headers. */
  headers?: Record<string, string>;
  /** ws://: subprotocols to offer (Sec-WebSocket-Protocol). */
  protocols?: string | string[];
  /**
   * TLS (makes transport 'ssl'): the server's certificate is verified against
   * `ca` (default: Node's root CAs, tls.rootCertificates) and the host name,
   * unless rejectUnauthorized is false; cert/key: a client certificate.
   */
  ssl?: ClientSecureContextOptions;
}

/**
 * A client connection: `new AsyncTcpConnection('ws://host:port/path')`, set
 * callbacks, then connect(). onConnect fires once connected (for ws:// after
 * the 101); a failure fires onError(CONNECT_FAIL, message) and then onClose.
 */
export class AsyncTcpConnection extends TcpConnection implements ClientConnection {
  onConnect: ConnectionCallback | undefined = undefined;
  readonly remoteAddress: string;

  private readonly target: Target;
  private secure: boolean;
  private readonly options: AsyncTcpConnectionOptions;
  private readonly kind: NativeProtocol;
  private queued: Array<[string | Buffer | Uint8Array, boolean]> = [];

  constructor(remoteAddress: string, options: AsyncTcpConnectionOptions = {}) {
    const url = parseTarget(remoteAddress);
    const spec = CLIENT_SCHEMES[url.scheme];
    const setup: ConnectionSetup = {
      userProtocol: null,
      websocket: spec.kind === NativeProtocol.WebSocket,
      http: false,
    };
    super(null, -1, setup);
    this.remoteAddress = remoteAddress;
    this.target = url;
    this.options = options;
    this.kind = spec.kind;
    this.secure = url.secure || options.ssl !== undefined;
    this._status = 'connecting';
  }

  /** 'ssl' for TLS (wss://, the ssl option, or set before connect()), else 'tcp'. */
  override get transport(): 'tcp' | 'unix' | 'ssl' {
    return this.secure ? 'ssl' : 'tcp';
  }
  override set transport(value: 'tcp' | 'unix' | 'ssl') {
    if (value !== 'tcp' && value !== 'ssl') throw new TypeError(`an AsyncTcpConnection's transport is 'tcp' or 'ssl' (got ${String(value)})`);
    if (this._slot >= 0) throw new Error('set transport before connect()');
    if (value === 'tcp' && (this.target.secure || this.options.ssl !== undefined)) {
      throw new Error(`transport 'tcp' would connect ${this.remoteAddress} without the TLS it asks for`);
    }
    this.secure = value === 'ssl';
  }

  /** Starts connecting; host names resolve with dns.lookup. */
  connect(): void {
    if (this._slot >= 0) return;
    // Built before the lookup: bad ssl options throw here, to the caller.
    const secureContext = this.secure ? createClientContext(this.options.ssl ?? {}) : undefined;
    dns.lookup(this.target.host, (error, address) => {
      if (error) return this.failEarly(`getaddrinfo ${(error as NodeJS.ErrnoException).code ?? error.message} ${this.target.host}`);
      startDispatcher();
      const key = randomBytes(16).toString('base64');
      const request = this.kind === NativeProtocol.WebSocket ? this.upgradeRequest(key) : '';
      const servername = this.options.ssl?.servername ?? this.target.host;
      const slot = native.connect(address, this.target.port, this.kind, request, key, secureContext, servername);
      if (slot < 0) return this.failEarly(`connect ${errnoName(slot)} ${address}:${this.target.port}`);
      this._slot = slot;
      attachClient(slot, this);
      this.pushLimits();
      this.pushWebSocketType();
    });
  }

  override send(data: string | Buffer | Uint8Array, raw = false): true | null | false {
    if (this._status === 'connecting') {
      this.queued.push([data, raw]);
      return null;
    }
    return super.send(data, raw);
  }

  /** @internal */
  _established(): void {
    if (this._status !== 'connecting') return;
    this._status = 'established';
    this._upgraded();
    const queued = this.queued;
    this.queued = [];
    for (const [data, raw] of queued) this.send(data, raw);
    if (this.onConnect) this.call(this.onConnect, this);
  }

  /** @internal */
  _connectFailed(message: string): void {
    this.queued = [];
    this.emitError(CONNECT_FAIL, message);
  }

  private failEarly(message: string): void {
    this._connectFailed(message);
    this._closed();
  }

  private upgradeRequest(key: string): string {
    const { host, port, path } = this.target;
    let request =
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
    const protocols = this.options.protocols;
    if (protocols && protocols.length) {
      request += `Sec-WebSocket-Protocol: ${Array.isArray(protocols) ? protocols.join(', ') : protocols}\r\n`;
    }
    for (const [name, value] of Object.entries(this.options.headers ?? {})) {
      if (/[\r\n]/.test(name + value)) throw new TypeError(`invalid header ${name}`);
      request += `${name}: ${value}\r\n`;
    }
    return request + '\r\n';
  }
}

interface Target {
  scheme: string;
  host: string;
  port: number;
  path: string;
  /** wss:// */
  secure: boolean;
}

function parseTarget(address: string): Target {
  const parsed = parseAddress(address);
  if (!parsed) throw new TypeError(`invalid remote address "${address}"`);
  const secure = parsed.scheme === 'wss';
  if (secure) {
    parsed.scheme = 'ws';
    parsed.port ??= 443;
  }
  const spec = CLIENT_SCHEMES[parsed.scheme];
  if (!spec) throw new TypeError(`unsupported scheme "${parsed.scheme}" (${Object.keys(CLIENT_SCHEMES).join(', ')})`);
  const port = parsed.port ?? spec.defaultPort;
  if (!port || port > 65535) throw new TypeError(`"${address}" needs a port`);
  let path = parsed.path || '/';
  if (path.startsWith('?')) path = '/' + path;
  return { scheme: parsed.scheme, host: parsed.host, port, path, secure };
}
