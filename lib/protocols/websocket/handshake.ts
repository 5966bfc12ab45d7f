// Runs onWebSocketConnect (which may return a Promise) and answers the upgrade:
// 101 on acceptance; 403 when it refuses (false, close()), request.reject()'s
// answer, or 500 when it throws or its Promise rejects (the error is then
// raised as other callbacks' are: an uncaught exception, an unhandled rejection).
import { invoke } from '../../connection/callbacks';
import type { TcpConnection } from '../../connection/TcpConnection';
import { native } from '../../native';
import { WebSocketPhase, type WebSocketEndpoint } from './WebSocketEndpoint';
import { WebSocketRequest } from './WebSocketRequest';
import type { UpgradeRejection } from './upgradeRejection';
import { isThenable } from '../../thenable';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What the handshake needs of the request a hook sees (a WebSocketRequest, or an http:// worker's Request). */
export interface HandshakeRequest {
  /** @internal */ _rejection: UpgradeRejection | null;
  readonly protocols: string[];
  /** @internal Extra 101 header lines (an http:// worker's session cookie). */
  _upgradeHeaderLines?(): string;
}

type UpgradeHook = (connection: TcpConnection, request: HandshakeRequest) => unknown;

const enum Outcome {
  Accept,
  Refuse, // 403
  Fail, // 500: the hook threw
}

/** A websocket:// worker's upgrade request arrived (validated natively) at bytes[start, start + length). */
export function startHandshake(endpoint: WebSocketEndpoint, bytes: Buffer, start: number, length: number): void {
  const connection = endpoint.connection;
  // Nobody to show the request to: it is not built (10,000 clients connecting
  // at once would otherwise make V8 grow its young generation for garbage).
  if (!wantsUpgradeRequest(connection)) return finish(endpoint, null, Outcome.Accept);
  decideUpgrade(endpoint, new WebSocketRequest(bytes.toString('latin1', start, start + length), connection));
}

/** Asks onWebSocketConnect about `request`, then answers. */
export function decideUpgrade(endpoint: WebSocketEndpoint, request: HandshakeRequest): void {
  const connection = endpoint.connection;
  // The worker's kind types the request (a WebSocketRequest, or an http:// worker's Request).
  const hook = (connection.onWebSocketConnect ?? connection.worker?.onWebSocketConnect) as UpgradeHook | undefined;
  if (!hook) return finish(endpoint, request, Outcome.Accept);
  endpoint.phase = WebSocketPhase.Deciding;
  let result: unknown;
  try {
    result = hook(connection, request);
  } catch (error) {
    finish(endpoint, request, Outcome.Fail);
    native.raiseUncaught(error);
    return;
  }
  if (isThenable(result)) {
    Promise.resolve(result).then(
      (value) => finish(endpoint, request, value === false ? Outcome.Refuse : Outcome.Accept),
      (error: unknown) => {
        finish(endpoint, request, Outcome.Fail);
        throw error; // an unhandled rejection, as a callback's rejected Promise is anywhere else
      },
    );
    return;
  }
  finish(endpoint, request, result === false ? Outcome.Refuse : Outcome.Accept);
}

function wantsUpgradeRequest(connection: TcpConnection): boolean {
  const worker = connection.worker;
  return Boolean(
    connection.onWebSocketConnect ??
      worker?.onWebSocketConnect ??
      connection.onWebSocketConnected ??
      worker?.onWebSocketConnected ??
      connection.websocketProtocol,
  );
}

function finish(endpoint: WebSocketEndpoint, request: HandshakeRequest | null, outcome: Outcome): void {
  const rejected = endpoint.phase === WebSocketPhase.CloseRequested;
  endpoint.phase = WebSocketPhase.Opening;
  const connection = endpoint.connection;
  if (connection.status === 'closed') return;
  const slot = connection._slot;
  if (outcome === Outcome.Fail) {
    connection._dropEarly();
    native.rejectWebSocket(slot, 500, 'Internal Server Error');
    return;
  }
  if (request?._rejection) {
    const { status, body, headerLines } = request._rejection;
    connection._dropEarly();
    native.rejectWebSocket(slot, status, body, headerLines);
    return;
  }
  if (outcome === Outcome.Refuse || rejected) {
    connection._dropEarly();
    native.rejectWebSocket(slot, 403, 'Forbidden');
    return;
  }
  let lines: string;
  try {
    lines = responseHeaderLines(connection, request);
  } catch (error) {
    connection._dropEarly();
    native.rejectWebSocket(slot, 500, (error as Error).message);
    native.raiseUncaught(error);
    return;
  }
  if (!native.acceptWebSocket(slot, lines)) return;
  endpoint.phase = WebSocketPhase.Open;
  // What onConnect (or onWebSocketConnect) sent goes right after the 101.
  connection._sendEarly();
  const connected = (connection.onWebSocketConnected ?? connection.worker?.onWebSocketConnected) as UpgradeHook | undefined;
  if (connected && request) invoke(connected, connection, request);
}

function responseHeaderLines(connection: TcpConnection, request: HandshakeRequest | null): string {
  let lines = request?._upgradeHeaderLines?.() ?? '';
  const chosen = connection.websocketProtocol;
  if (chosen && request) {
    if (!request.protocols.includes(chosen)) {
      throw new Error(`websocketProtocol "${chosen}" was not offered by the client (${request.protocols.join(', ')})`);
    }
    lines += `Sec-WebSocket-Protocol: ${chosen}\r\n`;
  }
  const headers = connection.headers;
  if (!headers) return lines;
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const text = String(v);
      if (!HEADER_NAME.test(name) || /[\r\n]/.test(text)) throw new Error(`invalid response header ${name}`);
      lines += `${name}: ${text}\r\n`;
    }
  }
  return lines;
}
