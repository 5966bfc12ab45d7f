// What one process of a cluster tells the others: a message on a channel,
// encoded once by its sender and read by every receiver. The relay and Redis
// carry these bytes without looking inside.
//
//   u8 kind | 6 bytes origin node | kind-specific fields | payload (the rest)
//
// Strings inside are UTF-8 with a u16 length. A payload is the user's data as
// bytes; the flags say whether it was a string (sent as text) or bytes.
import { randomBytes } from 'node:crypto';

export const enum Kind {
  /** A worker's topic: u16 worker key, u16 topic, flags, payload. */
  Publish = 1,
  /** Every connection of a worker: u16 worker key, flags, payload. */
  Broadcast = 2,
  /** One connection of the receiving node: u32 connection id, flags, payload. */
  SendTo = 3,
  /** Close one connection of the receiving node: u32 connection id, flags (HasData), payload. */
  Close = 4,
  /** Every connection bound to a uid: u16 uid, flags, payload. */
  SendToUid = 5,
  /** A question every receiver answers with a Reply: u32 seq, u8 question, u16 argument. */
  Query = 6,
  /** u32 seq, payload = the answer (UTF-8 JSON). */
  Reply = 7,
}

export const enum Flags {
  /** The payload was bytes, not a string. */
  Binary = 1,
  /** Close: there is data to send first. */
  HasData = 2,
}

export const enum Question {
  /** Is this connection id open here? Answer: boolean. */
  IsOnline = 1,
  /** Client ids bound to this uid here. Answer: string[]. */
  ClientIdsByUid = 2,
  /** Subscribers of this topic (argument: worker key + "\n" + topic). Answer: number. */
  SubscriberCount = 3,
  /** Connections of this worker (argument: worker key). Answer: number. */
  ConnectionCount = 4,
}

export const NODE_ID_BYTES = 6;
/** Hex digits of a node id; a client id is these followed by 8 hex digits of the connection id. */
export const NODE_ID_LENGTH = NODE_ID_BYTES * 2;
export const CLIENT_ID_LENGTH = NODE_ID_LENGTH + 8;

export function newNodeId(): string {
  return randomBytes(NODE_ID_BYTES).toString('hex');
}

export interface Envelope {
  kind: Kind;
  origin: string;
  /** Publish/Broadcast: the worker key; Publish: also the topic; SendToUid: the uid; Query: the argument. */
  key: string;
  topic: string;
  /** SendTo/Close: the connection id; Query/Reply: the sequence number; Query: also the question (in `question`). */
  number: number;
  question: number;
  flags: number;
  payload: Buffer;
}

const EMPTY = Buffer.alloc(0);

export interface Outgoing {
  kind: Kind;
  origin: string;
  key?: string;
  topic?: string;
  number?: number;
  question?: number;
  flags?: number;
  payload?: string | Uint8Array;
}

/** Payload bytes and their flag for data a user passed to publish/send. */
export function payloadOf(data: string | Uint8Array): { payload: Uint8Array; flags: number } {
  if (typeof data === 'string') return { payload: Buffer.from(data, 'utf8'), flags: 0 };
  return { payload: data, flags: Flags.Binary };
}

export function encode(message: Outgoing): Buffer {
  const key = message.key === undefined ? null : Buffer.from(message.key, 'utf8');
  const topic = message.topic === undefined ? null : Buffer.from(message.topic, 'utf8');
  const payload = message.payload === undefined ? EMPTY : typeof message.payload === 'string' ? Buffer.from(message.payload, 'utf8') : message.payload;
  const head = 1 + NODE_ID_BYTES + fieldsLength(message.kind, key, topic);
  const out = Buffer.allocUnsafe(head + payload.length);
  out[0] = message.kind;
  out.write(message.origin, 1, NODE_ID_BYTES, 'hex');
  let p = 1 + NODE_ID_BYTES;
  const putString = (bytes: Buffer | null) => {
    const b = bytes ?? EMPTY;
    if (b.length > 0xffff) throw new RangeError('cluster message field over 65535 bytes');
    out.writeUInt16BE(b.length, p);
    b.copy(out, p + 2);
    p += 2 + b.length;
  };
  switch (message.kind) {
    case Kind.Publish:
      putString(key);
      putString(topic);
      out[p++] = message.flags ?? 0;
      break;
    case Kind.Broadcast:
    case Kind.SendToUid:
      putString(key);
      out[p++] = message.flags ?? 0;
      break;
    case Kind.SendTo:
    case Kind.Close:
      out.writeUInt32BE((message.number ?? 0) >>> 0, p);
      out[p + 4] = message.flags ?? 0;
      p += 5;
      break;
    case Kind.Query:
      out.writeUInt32BE((message.number ?? 0) >>> 0, p);
      out[p + 4] = message.question ?? 0;
      p += 5;
      putString(key);
      break;
    case Kind.Reply:
      out.writeUInt32BE((message.number ?? 0) >>> 0, p);
      p += 4;
      break;
  }
  (payload instanceof Buffer ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)).copy(out, p);
  return out;
}

function fieldsLength(kind: Kind, key: Buffer | null, topic: Buffer | null): number {
  const k = 2 + (key?.length ?? 0);
  switch (kind) {
    case Kind.Publish:
      return k + 2 + (topic?.length ?? 0) + 1;
    case Kind.Broadcast:
    case Kind.SendToUid:
      return k + 1;
    case Kind.SendTo:
    case Kind.Close:
      return 5;
    case Kind.Query:
      return 5 + k;
    case Kind.Reply:
      return 4;
  }
  return 0;
}

/** Reads a message; null when it is malformed (it is then ignored). */
export function decode(bytes: Buffer): Envelope | null {
  if (bytes.length < 1 + NODE_ID_BYTES) return null;
  const kind = bytes[0] as Kind;
  const origin = bytes.toString('hex', 1, 1 + NODE_ID_BYTES);
  let p = 1 + NODE_ID_BYTES;
  const envelope: Envelope = { kind, origin, key: '', topic: '', number: 0, question: 0, flags: 0, payload: EMPTY };
  const getString = (): string | null => {
    if (p + 2 > bytes.length) return null;
    const length = bytes.readUInt16BE(p);
    if (p + 2 + length > bytes.length) return null;
    const text = bytes.toString('utf8', p + 2, p + 2 + length);
    p += 2 + length;
    return text;
  };
  const need = (n: number) => p + n <= bytes.length;
  switch (kind) {
    case Kind.Publish: {
      const key = getString();
      const topic = key === null ? null : getString();
      if (topic === null || !need(1)) return null;
      envelope.key = key!;
      envelope.topic = topic;
      envelope.flags = bytes[p++];
      break;
    }
    case Kind.Broadcast:
    case Kind.SendToUid: {
      const key = getString();
      if (key === null || !need(1)) return null;
      envelope.key = key;
      envelope.flags = bytes[p++];
      break;
    }
    case Kind.SendTo:
    case Kind.Close:
      if (!need(5)) return null;
      envelope.number = bytes.readUInt32BE(p);
      envelope.flags = bytes[p + 4];
      p += 5;
      break;
    case Kind.Query: {
      if (!need(5)) return null;
      envelope.number = bytes.readUInt32BE(p);
      envelope.question = bytes[p + 4];
      p += 5;
      const key = getString();
      if (key === null) return null;
      envelope.key = key;
      break;
    }
    case Kind.Reply:
      if (!need(4)) return null;
      envelope.number = bytes.readUInt32BE(p);
      p += 4;
      break;
    default:
      return null;
  }
  envelope.payload = bytes.subarray(p);
  return envelope;
}

/** The user's data back from a payload: a string unless it was sent as bytes. */
export function dataOf(envelope: Envelope): string | Buffer {
  return envelope.flags & Flags.Binary ? envelope.payload : envelope.payload.toString('utf8');
}
