// The WebSocket side of one connection (server, or ws:// client): where the
// upgrade stands, close frames sent and received, pings and pongs, the topics
// it joined. TcpConnection's WebSocket members delegate here; the frames
// themselves are split, masked and written by the native core.
import { clusterNode } from '../../cluster/ClusterNode';
import type { TcpConnection } from '../../connection/TcpConnection';
import { native, stringLength } from '../../native';

export const enum WebSocketPhase {
  /** Before the 101: the handshake has not arrived, or is being answered natively. */
  Opening,
  /** onWebSocketConnect is deciding the upgrade. */
  Deciding,
  /** close() was called while deciding: the answer is 403. */
  CloseRequested,
  /** Past the 101: messages flow. */
  Open,
}

/** One small object per WebSocket connection; plain TCP and HTTP connections have none. */
export class WebSocketEndpoint {
  phase = WebSocketPhase.Opening;
  /** Topics this connection subscribed to (the cluster counts subscribers per process); declared, not initialised: most connections have none. */
  declare private topics: Set<string> | undefined;

  constructor(readonly connection: TcpConnection) {}

  get open(): boolean {
    return this.phase === WebSocketPhase.Open;
  }

  /** True when close() must wait for onWebSocketConnect: it then means "reject" (403). */
  deferClose(): boolean {
    if (this.phase !== WebSocketPhase.Deciding && this.phase !== WebSocketPhase.CloseRequested) return false;
    this.phase = WebSocketPhase.CloseRequested;
    return true;
  }

  /** Sends a close frame; the TCP connection closes after the peer answers (at most 5 s). Only when open and established. */
  close(code: number, reason: string): void {
    if (!Number.isInteger(code) || code < 1000 || code > 4999) throw new RangeError(`invalid close code ${code}`);
    const connection = this.connection;
    connection.closeCode = code;
    connection.closeReason = String(reason);
    connection._closing();
    native.closeWebSocket(connection._slot, code, connection.closeReason);
  }

  ping(data: string | Buffer | Uint8Array): boolean {
    const connection = this.connection;
    if (!this.open || connection.status !== 'established') return false;
    return connection.interpret(native.sendPing(connection._slot, data, stringLength(data))) !== false;
  }

  /** The peer's ping: onWebSocketPing, or else the pong the core answers with. */
  pinged(payload: Buffer): void {
    const connection = this.connection;
    const hook = connection.onWebSocketPing ?? connection.worker?.onWebSocketPing;
    if (hook) connection.call(hook, connection, payload);
    // The core answers at once, or (queue full) the latest ping when the queue drains.
    else if (connection.status === 'established') native.answerPing(connection._slot, payload);
  }

  ponged(payload: Buffer): void {
    const connection = this.connection;
    const hook = connection.onWebSocketPong ?? connection.worker?.onWebSocketPong;
    if (hook) connection.call(hook, connection, payload);
  }

  /** The peer's close frame: tell the user, then answer with the same code. */
  peerClosed(code: number, reason: string): void {
    const connection = this.connection;
    const answered = connection.closeCode !== undefined && connection.status === 'closing';
    if (!answered) {
      connection.closeCode = code;
      connection.closeReason = reason;
    }
    const hook = connection.onWebSocketClose ?? connection.worker?.onWebSocketClose;
    if (hook) connection.call(hook, connection, code, reason);
    if (!answered && connection.status !== 'closed') {
      connection._closing();
      native.closeWebSocket(connection._slot, code === 1005 ? 1000 : code, '');
    }
  }

  /** The process is stopping: an open WebSocket gets 1001; one still opening closes unless graceful. */
  goAway(graceful: boolean): void {
    if (this.open) this.connection.closeWebSocket(1001);
    else if (!graceful) this.connection.close();
  }

  subscribe(topic: string): boolean {
    const connection = this.connection;
    if (connection.status === 'closed' || !native.subscribe(connection._slot, topic, true)) return false;
    (this.topics ??= new Set()).add(topic);
    if (connection.worker) clusterNode().topicAdded(connection.worker, topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    const connection = this.connection;
    if (connection.status === 'closed' || !native.subscribe(connection._slot, topic, false)) return false;
    this.topics?.delete(topic);
    if (connection.worker) clusterNode().topicRemoved(connection.worker, topic);
    return true;
  }

  /** The native core dropped the connection's subscriptions with it; the cluster's counts follow. */
  closed(): void {
    const topics = this.topics;
    const worker = this.connection.worker;
    if (topics && worker) for (const topic of topics) clusterNode().topicRemoved(worker, topic);
    this.topics = undefined;
  }
}
