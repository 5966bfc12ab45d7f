// Turns each batch of native event descriptors into user callbacks.
import { setConnectionClosedHook, TcpConnection } from './connection/TcpConnection';
import { EVENT_WORDS, EventType, startCore } from './native';
import type { Worker } from './Worker';

export interface ListenerOwner {
  /** @internal */ _accept(slot: number): TcpConnection | undefined;
}

const bySlot: (TcpConnection | undefined)[] = [];
const listeners: (ListenerOwner | undefined)[] = [];

let slab: Buffer;
let events: Int32Array;

type SlabBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

function onBatch(count: number, large: Buffer[] | undefined): void {
  const ev = events;
  const bytes = slab as SlabBuffer;
  for (let i = 0, p = 0; i < count; i++, p += EVENT_WORDS) {
    const type = ev[p];
    const slot = ev[p + 1];
    if (type === EventType.Accept) {
      const owner = listeners[ev[p + 2]];
      const connection = owner?._accept(slot);
      if (connection) bySlot[slot] = connection;
      continue;
    }
    const connection = bySlot[slot];
    if (!connection) continue;
    switch (type) {
      case EventType.AsciiMessage: {
        const start = ev[p + 2];
        connection._received(bytes.latin1Slice(start, start + ev[p + 3]));
        break;
      }
      case EventType.Message: {
        const start = ev[p + 2];
        const length = ev[p + 3];
        if (connection._wantsText) {
          connection._received(bytes.utf8Slice(start, start + length));
        } else {
          const copy = Buffer.allocUnsafe(length);
          bytes.copy(copy, 0, start, start + length);
          connection._received(copy);
        }
        break;
      }
      case EventType.LargeMessage: {
        const data = large![ev[p + 2]];
        connection._received(connection._wantsText ? data.toString('utf8') : data);
        break;
      }
      case EventType.Close:
        connection._closed();
        break;
      case EventType.Drain:
        connection._drained();
        break;
      case EventType.Error:
        connection._failed(ev[p + 2]);
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

/** Starts the native core (once) and returns nothing; Worker calls it before listen. */
export function startDispatcher(): void {
  ensureStarted();
}

export type { Worker };
