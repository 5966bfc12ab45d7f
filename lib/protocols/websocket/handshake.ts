// Runs onWebSocketConnect (which may return a Promise) and answers the upgrade:
// 101 on acceptance, 403 (or request.reject()'s status) otherwise.
import { invoke } from '../../connection/callbacks';
import type { TcpConnection } from '../../connection/TcpConnection';
import { native } from '../../native';
import { WebSocketPhase, type WebSocketEndpoint } from './WebSocketEndpoint';
import { WebSocketRequest } from './WebSocketRequest';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The upgrade request arrived (validated natively) at bytes[start, start + length). */
export function startHandshake(endpoint: WebSocketEndpoint, bytes: Buffer, start: number, length: number): void {
  const connection = endpoint.connection;
  // Nobody to show the request to: it is not built (10,000 clients connecting
  // at once would otherwise make V8 grow its young generation for garbage).
  if (!wantsUpgradeRequest(connection)) return finish(endpoint, null, true);
  const request = new WebSocketRequest(bytes.toString('latin1', start, start + length), connection);
  const hook = connection.onWebSocketConnect ?? connection.worker?.onWebSocketConnect;
  if (!hook) return finish(endpoint, request, true);
  endpoint.phase = WebSocketPhase.Deciding;
  let result: unknown;
  try {
    result = hook(connection, request);
  } catch {
    return finish(endpoint, request, false);
  }
  if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => finish(endpoint, request, value !== false),
      () => finish(endpoint, request, false),
    );
    return;
  }
  finish(endpoint, request, result !== false);
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

function finish(endpoint: WebSocketEndpoint, request: WebSocketRequest | null, accepted: boolean): void {
  const rejected = endpoint.phase === WebSocketPhase.CloseRequested;
  endpoint.phase = WebSocketPhase.Opening;
  const connection = endpoint.connection;
  if (connection.status === 'closed') return;
  const slot = connection._slot;
  if (request?._rejection) {
    connection._dropEarly();
    native.rejectWebSocket(slot, request._rejection.status, request._rejection.body);
    return;
  }
  if (!accepted || rejected) {
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
  const connected = connection.onWebSocketConnected ?? connection.worker?.onWebSocketConnected;
  if (connected && request) invoke(connected, connection, request);
}

function responseHeaderLines(connection: TcpConnection, request: WebSocketRequest | null): string {
  let lines = '';
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
