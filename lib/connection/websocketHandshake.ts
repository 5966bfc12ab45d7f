// Runs onWebSocketConnect (which may return a Promise) and answers the upgrade:
// 101 on acceptance, 403 (or request.reject()'s status) otherwise.
import { invoke } from './callbacks';
import { native } from '../native';
import { WebSocketRequest } from '../protocols/websocket/WebSocketRequest';
import type { TcpConnection } from './TcpConnection';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `head` is null when no hook will see the request and no subprotocol is chosen. */
export function startHandshake(connection: TcpConnection, head: string | null): void {
  if (head === null) return finish(connection, null, true);
  const request = new WebSocketRequest(head, connection);
  const hook = connection.onWebSocketConnect ?? connection.worker?.onWebSocketConnect;
  if (!hook) return finish(connection, request, true);
  connection._handshaking = true;
  let result: unknown;
  try {
    result = hook(connection, request);
  } catch {
    return finish(connection, request, false);
  }
  if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => finish(connection, request, value !== false),
      () => finish(connection, request, false),
    );
    return;
  }
  finish(connection, request, result !== false);
}

function finish(connection: TcpConnection, request: WebSocketRequest | null, accepted: boolean): void {
  if (connection._handshaking) connection._handshaking = false;
  if (connection.status === 'closed') return;
  const slot = connection._slot;
  if (request?._rejection) {
    native.rejectWebSocket(slot, request._rejection.status, request._rejection.body);
    return;
  }
  if (!accepted || connection._closeRequested) {
    native.rejectWebSocket(slot, 403, 'Forbidden');
    return;
  }
  let lines: string;
  try {
    lines = responseHeaderLines(connection, request);
  } catch (error) {
    native.rejectWebSocket(slot, 500, (error as Error).message);
    native.raiseUncaught(error);
    return;
  }
  if (!native.acceptWebSocket(slot, lines)) return;
  connection._upgraded();
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
