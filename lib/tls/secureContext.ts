// TLS options as users write them (Node's tls names: PEM strings, Buffers or
// file paths) turned into one native secure context.
import * as fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

import { native, type NativeSecureContextOptions, type SecureContextHandle, type TlsInfo } from '../native';

/** PEM text, a Buffer holding it, or a path to a file holding it. */
export type PemSource = string | Buffer;

export interface SecureContextOptions {
  /** The certificate, then its chain. */
  cert?: PemSource;
  key?: PemSource;
  passphrase?: string;
  /** Trusted CAs: client certificates (servers with requestCert) or servers (clients). */
  ca?: PemSource | PemSource[];
  /** OpenSSL cipher names, ':'-separated; TLS_* names are TLS 1.3 suites. */
  ciphers?: string;
  /** 'TLSv1.2' (default) or 'TLSv1.3' (also 'TLSv1', 'TLSv1.1'). */
  minVersion?: TlsVersion;
  /** 'TLSv1.3' (default). */
  maxVersion?: TlsVersion;
  /** ALPN protocols in preference order (server: a client offering none of them is refused). */
  alpn?: string[];
  /** Server: ask clients for a certificate. */
  requestCert?: boolean;
  /** Server with requestCert: refuse a client without a certificate that verifies against ca (default true). Client: verify the server (default true). */
  rejectUnauthorized?: boolean;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ServerSecureContextOptions extends SecureContextOptions {
  /**
   * Host name ("a.example.com", "*.example.com") → the certificate for it; other options come from the outer ones.
   * Or a callback `(servername) => options | SecureContext | null | Promise<...>`: the handshake waits for its
   * answer (within handshakeTimeout); null, a throw or a rejection refuses that handshake. Clients sending no
   * server name get the outer certificate without a call.
   */
  sni?: Record<string, SecureContextOptions> | ((servername: string) => SniAnswer | PromiseLike<SniAnswer>);
}

/** What an SNI callback answers: options (missing ones come from the outer options), a SecureContext, or null to refuse. */
export type SniAnswer = SecureContextOptions | SecureContext | null | undefined;

/**
 * TLS options compiled once (certificates parsed, key checked), for an SNI
 * callback to answer with: `createSecureContext({ cert, key })`.
 */
export class SecureContext {
  /** @internal */
  constructor(readonly _handle: SecureContextHandle) {}
}

/** Server TLS options as a SecureContext; throws naming the bad option. */
export function createSecureContext(options: SecureContextOptions): SecureContext {
  if (options && typeof options === 'object' && 'sni' in options) throw new TypeError('createSecureContext(): sni belongs to the outer ssl options');
  return new SecureContext(native.createSecureContext(nativeOptions(options, true)));
}

/** @internal An SNI callback's options answer over the outer options. */
export function compileServerOptions(options: SecureContextOptions, outer: NativeSecureContextOptions): NativeSecureContextOptions {
  if ('sni' in options) throw new TypeError('an SNI answer cannot have sni of its own');
  return { ...nativeOptions(options, true, outer), sniCallback: false };
}

/** @internal The outer options an SNI callback's answers inherit from. */
export function outerServerOptions(options: ServerSecureContextOptions): NativeSecureContextOptions {
  return nativeOptions(options, true);
}

export interface ClientSecureContextOptions extends SecureContextOptions {
  /** The name sent as SNI and checked against the certificate; default: the host of the address. */
  servername?: string;
}

/** connection.getPeerCertificate(): the fields of Node's tls getPeerCertificate() that tests and apps read. */
export interface PeerCertificate {
  subject: Record<string, string>;
  issuer: Record<string, string>;
  subjectaltname: string | undefined;
  valid_from: string;
  valid_to: string;
  serialNumber: string;
  fingerprint: string;
  fingerprint256: string;
  raw: Buffer;
}

const OPTION_NAMES = new Set(['cert', 'key', 'passphrase', 'ca', 'ciphers', 'minVersion', 'maxVersion', 'alpn', 'requestCert', 'rejectUnauthorized', 'sni']);
const CLIENT_OPTION_NAMES = new Set([...OPTION_NAMES, 'servername']);
/** Workerman's (PHP stream context) names for the same settings. */
const WORKERMAN_NAMES: Readonly<Record<string, string>> = { local_cert: 'cert', local_pk: 'key', cafile: 'ca', ciphers: 'ciphers' };

/** Workerman's ssl context ({ local_cert, local_pk, cafile }) as these options. */
function fromWorkermanNames(options: ServerSecureContextOptions): ServerSecureContextOptions {
  if (!Object.keys(options).some((name) => name in WORKERMAN_NAMES && WORKERMAN_NAMES[name] !== name)) return options;
  const mapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) mapped[WORKERMAN_NAMES[name] ?? name] = value;
  return mapped as ServerSecureContextOptions;
}

function pemText(name: string, source: PemSource): string {
  if (Buffer.isBuffer(source)) return source.toString('latin1');
  if (typeof source !== 'string') throw new TypeError(`ssl.${name} must be PEM text, a Buffer or a file path`);
  if (source.includes('-----BEGIN')) return source;
  try {
    return fs.readFileSync(source, 'latin1');
  } catch (error) {
    throw new Error(`ssl.${name}: cannot read "${source}": ${(error as Error).message}`);
  }
}

function nativeOptions(options: ServerSecureContextOptions, server: boolean, inherited?: NativeSecureContextOptions): NativeSecureContextOptions {
  if (!options || typeof options !== 'object') throw new TypeError('ssl options must be an object');
  options = fromWorkermanNames(options);
  for (const name of Object.keys(options)) {
    if (!(server ? OPTION_NAMES : CLIENT_OPTION_NAMES).has(name) || (!server && name === 'requestCert')) throw new TypeError(`unknown ssl option "${name}" (known: ${[...(server ? OPTION_NAMES : CLIENT_OPTION_NAMES)].join(', ')}; Workerman's local_cert, local_pk and cafile are read as cert, key and ca)`);
  }
  if (options.alpn !== undefined && (!Array.isArray(options.alpn) || options.alpn.some((p) => typeof p !== 'string'))) {
    throw new TypeError('ssl.alpn must be an array of protocol names');
  }
  const ca = options.ca === undefined ? undefined : (Array.isArray(options.ca) ? options.ca : [options.ca]).map((c) => pemText('ca', c)).join('\n');
  const result: NativeSecureContextOptions = {
    ...inherited,
    server,
    cert: options.cert === undefined ? inherited?.cert : pemText('cert', options.cert),
    key: options.key === undefined ? inherited?.key : pemText('key', options.key),
    passphrase: options.passphrase ?? inherited?.passphrase,
    ca: ca ?? inherited?.ca,
    ciphers: options.ciphers ?? inherited?.ciphers,
    minVersion: options.minVersion ?? inherited?.minVersion,
    maxVersion: options.maxVersion ?? inherited?.maxVersion,
    alpn: options.alpn ?? inherited?.alpn,
    requestCert: options.requestCert ?? inherited?.requestCert ?? false,
    rejectUnauthorized: options.rejectUnauthorized ?? inherited?.rejectUnauthorized ?? true,
    sni: undefined,
    sniCallback: false,
  };
  if (typeof options.sni === 'function') {
    if (!server) throw new TypeError('ssl.sni is for servers');
    result.sniCallback = true;
  } else if (options.sni !== undefined) {
    if (!server) throw new TypeError('ssl.sni is for servers');
    if (typeof options.sni !== 'object' || options.sni === null) throw new TypeError('ssl.sni must map host names to ssl options, or be a callback (servername) => options');
    result.sni = Object.entries(options.sni).map(([host, hostOptions]) => ({ host, options: nativeOptions(hostOptions, server, result) }));
  }
  return result;
}

/** A server's context; throws an Error naming the bad option (unreadable file, key not matching, ...). */
export function createServerContext(options: ServerSecureContextOptions): SecureContextHandle {
  return native.createSecureContext(nativeOptions(options, true));
}

// The context most clients use (Node's root CAs, verification on), built once:
// loading the roots takes milliseconds.
let defaultClientContext: SecureContextHandle | undefined;

/** A client's context: verification against `ca`, or Node's root CAs when it names none. */
export function createClientContext(options: ClientSecureContextOptions): SecureContextHandle {
  const { servername, ...rest } = options;
  if (servername !== undefined && typeof servername !== 'string') throw new TypeError('ssl.servername must be a string');
  const isDefault = Object.keys(rest).length === 0;
  if (isDefault && defaultClientContext) return defaultClientContext;
  const resolved = nativeOptions(rest, false);
  resolved.ca ??= rootCertificates.join('\n');
  const context = native.createSecureContext(resolved);
  if (isDefault) defaultClientContext = context;
  return context;
}

function distinguishedName(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

export function peerCertificateOf(slot: number): PeerCertificate | null {
  const der = slot >= 0 ? native.peerCertificate(slot) : undefined;
  if (!der) return null;
  const x509 = new X509Certificate(der);
  return {
    subject: distinguishedName(x509.subject),
    issuer: distinguishedName(x509.issuer),
    subjectaltname: x509.subjectAltName,
    valid_from: x509.validFrom,
    valid_to: x509.validTo,
    serialNumber: x509.serialNumber,
    fingerprint: x509.fingerprint,
    fingerprint256: x509.fingerprint256,
    raw: der,
  };
}

export function tlsInfoOf(slot: number): TlsInfo | undefined {
  return slot >= 0 ? native.tlsInfo(slot) : undefined;
}
