// The stream between a worker process and the master's relay: length-prefixed
// frames, one operation each.
//
//   u32 length (of what follows) | u8 op | body
//
// A published message crosses the master unchanged: the frame a process
// sends is the frame the relay writes to each subscriber.

export const enum Op {
  /** node → relay: body = channel. */
  Subscribe = 1,
  /** node → relay: body = channel. */
  Unsubscribe = 2,
  /** both ways: body = u16 channel length, channel, message. */
  Publish = 3,
  /** node → relay: body = u32 token, then as Publish; the relay answers Count. */
  PublishCounted = 4,
  /** relay → node: body = u32 token, u32 processes reached. */
  Count = 5,
  /** relay → node: body = u32 processes subscribed to the channel, channel. */
  Interest = 6,
}

/** Larger frames end the link: publish refuses to build them. */
export const MAX_FRAME = 64 * 1024 * 1024;

export function channelFrame(op: Op.Subscribe | Op.Unsubscribe, channel: string): Buffer {
  const length = Buffer.byteLength(channel);
  const frame = Buffer.allocUnsafe(5 + length);
  frame.writeUInt32BE(1 + length, 0);
  frame[4] = op;
  frame.write(channel, 5, 'utf8');
  return frame;
}

export function publishFrame(channel: string, message: Buffer, token?: number): Buffer {
  const channelLength = Buffer.byteLength(channel);
  const extra = token === undefined ? 0 : 4;
  const frame = Buffer.allocUnsafe(5 + extra + 2 + channelLength + message.length);
  frame.writeUInt32BE(frame.length - 4, 0);
  frame[4] = token === undefined ? Op.Publish : Op.PublishCounted;
  if (token !== undefined) frame.writeUInt32BE(token >>> 0, 5);
  frame.writeUInt16BE(channelLength, 5 + extra);
  frame.write(channel, 7 + extra, 'utf8');
  message.copy(frame, 7 + extra + channelLength);
  return frame;
}

export function countFrame(token: number, reached: number): Buffer {
  const frame = Buffer.allocUnsafe(13);
  frame.writeUInt32BE(9, 0);
  frame[4] = Op.Count;
  frame.writeUInt32BE(token >>> 0, 5);
  frame.writeUInt32BE(reached >>> 0, 9);
  return frame;
}

export function interestFrame(channel: string, subscribed: number): Buffer {
  const length = Buffer.byteLength(channel);
  const frame = Buffer.allocUnsafe(9 + length);
  frame.writeUInt32BE(5 + length, 0);
  frame[4] = Op.Interest;
  frame.writeUInt32BE(subscribed >>> 0, 5);
  frame.write(channel, 9, 'utf8');
  return frame;
}

/** A Publish frame turned into what its receivers get (PublishCounted loses its token). */
export function asDelivery(frame: Buffer): Buffer {
  if (frame[4] === Op.Publish) return frame;
  const delivery = Buffer.allocUnsafe(frame.length - 4);
  delivery.writeUInt32BE(delivery.length - 4, 0);
  delivery[4] = Op.Publish;
  frame.copy(delivery, 5, 9);
  return delivery;
}

/** The channel of a Publish or PublishCounted frame, and where its message starts. */
export function publishedChannel(frame: Buffer): { channel: string; messageStart: number } | null {
  const at = frame[4] === Op.PublishCounted ? 9 : 5;
  if (frame.length < at + 2) return null;
  const length = frame.readUInt16BE(at);
  if (at + 2 + length > frame.length) return null;
  return { channel: frame.toString('utf8', at + 2, at + 2 + length), messageStart: at + 2 + length };
}

/**
 * Splits a byte stream into whole frames (each handed out with its length
 * prefix). Returns false, and stops, on a frame over MAX_FRAME.
 */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): boolean {
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let p = 0;
    while (bytes.length - p >= 5) {
      const length = bytes.readUInt32BE(p);
      if (length < 1 || length > MAX_FRAME) return false;
      if (bytes.length - p < 4 + length) break;
      this.onFrame(bytes.subarray(p, p + 4 + length));
      p += 4 + length;
    }
    if (p < bytes.length) {
      bytes = bytes.subarray(p);
      // A short tail is copied so it does not keep a large chunk alive.
      this.pending = bytes.length < 4096 ? Buffer.from(bytes) : bytes;
    }
    return true;
  }
}
