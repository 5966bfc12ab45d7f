/**
 * Bytes buffered for a connection that uses a JavaScript protocol. Grows with
 * the bytes that actually arrived (doubling), so appending is amortised O(1)
 * and a length announced by the peer never reserves memory by itself.
 */
export class ReceiveBuffer {
  private store: Buffer | null = null;
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer): void {
    if (!this.store) {
      this.store = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const length = this.length;
    const needed = length + chunk.length;
    if (!this.owned || this.store.length - this.end < chunk.length) {
      let capacity = Math.max(this.owned ? this.store.length : 0, 4096);
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.store.copy(grown, 0, this.start, this.end);
      this.store = grown;
      this.start = 0;
      this.end = length;
      this.owned = true;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  /** A view of every buffered byte; valid until the next append or consume. */
  view(): Buffer {
    return this.store ? this.store.subarray(this.start, this.end) : Buffer.alloc(0);
  }

  /** Removes and returns a copy of the first n bytes. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.store!.copy(out, 0, this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.clear();
    return out;
  }

  clear(): void {
    this.store = null;
    this.start = this.end = 0;
    this.owned = false;
  }

  private owned = false;
}
