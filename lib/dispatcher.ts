// Turns each batch of native event descriptors into user callbacks.
import { setConnectionClosedHook, type TcpConnection } from './connection/TcpConnection';
import { DATAGRAM_HEADER, EVENT_STASHED, EVENT_TYPE_MASK, EVENT_WORDS, EventType, native, startCore } from './native';
import type { DatagramSocket } from './udp/DatagramSocket';

export interface ListenerOwner {
  /** @internal */ _accept(slot: number): TcpConnection | undefined;
}

/** A client connection learns the outcome of its connect() from these. */
export interface ClientConnection extends TcpConnection {
  /** @internal */ _established(): void;
  /** @internal */ _connectFailed(errno: number, message: string): void;
  /** @internal A ws:// client's 101: its head. */
  _upgradedWith(head: string): void;
}

const bySlot: (TcpConnection | undefined)[] = [];
const listeners: (ListenerOwner | undefined)[] = [];
const datagramSockets: (DatagramSocket | undefined)[] = [];

let slab: Buffer;
let events: Int32Array;

type SlabBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

const EMPTY = Buffer.alloc(0);

function copyOut(bytes: Buffer, start: number, length: number): Buffer {
  const copy = Buffer.allocUnsafe(length);
  bytes.copy(copy, 0, start, start + length);
  return copy;
}

function onBatch(count: number, large: Buffer[] | undefined): void {
  const ev = events;
  const bytes = slab as SlabBuffer;
  for (let i = 0, p = 0; i < count; i++, p += EVENT_WORDS) {
    const word = ev[p];
    const type = word & EVENT_TYPE_MASK;
    const slot = ev[p + 1];
    const a = ev[p + 2];
    const b = ev[p + 3];
    if (type === EventType.Accept) {
      const connection = listeners[a]?._accept(slot);
      if (connection) bySlot[slot] = connection;
      continue;
    }
    // UDP events name a socket id, not a connection slot.
    if (type === EventType.Datagram) {
      datagramSockets[slot]?._datagram(word >>> 8, bytes, a, a + DATAGRAM_HEADER, b);
      continue;
    }
    if (type === EventType.DatagramError) {
      datagramSockets[slot]?._error(a);
      continue;
    }
    const connection = bySlot[slot];
    if (!connection) continue;
    const stashed = (word & EVENT_STASHED) !== 0;
    switch (type) {
      case EventType.AsciiMessage:
        connection._received(stashed ? large![a].toString('latin1') : bytes.latin1Slice(a, a + b));
        break;
      case EventType.Message:
        connection._received(stashed ? large![a].toString('utf8') : bytes.utf8Slice(a, a + b));
        break;
      case EventType.BinaryMessage:
        connection._received(stashed ? large![a] : copyOut(bytes, a, b));
        break;
      case EventType.HttpRequest: {
        const extras = word >>> 8;
        const headLength = extras >>> 2;
        const source = stashed ? large![a] : bytes;
        const start = stashed ? 0 : a;
        const head = (source as SlabBuffer).latin1Slice(start, start + headLength);
        const body = b > headLength ? (stashed ? source.subarray(headLength) : copyOut(bytes, a + headLength, b - headLength)) : EMPTY;
        connection._httpRequest(head, body, (extras & 1) !== 0, (extras & 2) !== 0);
        break;
      }
      case EventType.Close:
        connection._closed();
        break;
      case EventType.Drain:
        connection._drained();
        break;
      case EventType.BufferFull:
        connection._bufferFull();
        break;
      case EventType.Error:
        connection._failed(a, b);
        break;
      case EventType.HttpUpgrade:
        connection._httpUpgrade(a);
        break;
      case EventType.Handshake:
        connection._handshake(bytes, a, b);
        break;
      case EventType.Ping:
        connection._ping(copyOut(bytes, a, b));
        break;
      case EventType.Pong:
        connection._pong(copyOut(bytes, a, b));
        break;
      case EventType.WsClose:
        connection._peerClose(word >>> 8, bytes.utf8Slice(a, a + b));
        break;
      case EventType.WsCloseSent:
        connection._closeSent(a);
        break;
      case EventType.Connect:
        (connection as ClientConnection)._established();
        break;
      case EventType.ConnectFail:
        (connection as ClientConnection)._connectFailed(b > 0 ? 0 : a, b > 0 ? (stashed ? large![a].toString('latin1') : bytes.latin1Slice(a, a + b)) : '');
        break;
      case EventType.ServerName:
        connection.worker?._serverName(connection, stashed ? large![a].toString('latin1') : bytes.latin1Slice(a, a + b));
        break;
      case EventType.Upgraded:
        (connection as ClientConnection)._upgradedWith(stashed ? large![a].toString('latin1') : bytes.latin1Slice(a, a + b));
        break;
    }
  }
}

function ensureStarted(): void {
  if (slab) return;
  ({ slab, events } = startCore(onBatch));
  setConnectionClosedHook((connection) => {
    if (bySlot[connection._slot] === connection) bySlot[connection._slot] = undefined;
    connection.worker?._connectionClosed(connection);
  });
}

export function registerListener(id: number, owner: ListenerOwner): void {
  listeners[id] = owner;
}

export function unregisterListener(id: number): void {
  listeners[id] = undefined;
}

export function registerDatagramSocket(id: number, socket: DatagramSocket): void {
  ensureStarted();
  datagramSockets[id] = socket;
}

export function unregisterDatagramSocket(id: number, socket: DatagramSocket): void {
  if (datagramSockets[id] === socket) datagramSockets[id] = undefined;
}

/** Starts the native core (once). */
export function startDispatcher(): void {
  ensureStarted();
}

/** Routes events of a client connection's slot to it. */
export function attachClient(slot: number, connection: ClientConnection): void {
  ensureStarted();
  bySlot[slot] = connection;
}

/** A client connection gave up this slot (it tries another address): the slot's remaining events are not its. */
export function detachClient(slot: number, connection: ClientConnection): void {
  if (bySlot[slot] === connection) bySlot[slot] = undefined;
}

let corked = false;

/**
 * Sends made from now until the current task's microtasks run share one write
 * per connection, as sends made inside a batch do (cluster messages arrive on
 * Node streams, outside any batch).
 */
export function corkUntilMicrotask(): void {
  if (corked || !slab || !native.cork()) return;
  corked = true;
  queueMicrotask(() => {
    corked = false;
    native.uncork();
  });
}
