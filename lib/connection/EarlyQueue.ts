/** What send() accepts; kept as given until the connection can frame it. */
export type EarlyMessage = [data: unknown, raw: boolean];

/**
 * Sends made before a connection can carry them (a client still connecting, a
 * WebSocket before its 101), in order, with their byte count so that they stay
 * bounded by maxSendBufferSize like any queue.
 */
export class EarlyQueue {
  readonly messages: EarlyMessage[] = [];
  bytes = 0;
  /** onBufferFull fired for it: onBufferDrain is owed once the messages have gone on. */
  signalledFull = false;

  push(data: unknown, raw: boolean): void {
    this.messages.push([data, raw]);
    this.bytes += byteLength(data);
  }
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof Uint8Array) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  return String(data).length;
}
