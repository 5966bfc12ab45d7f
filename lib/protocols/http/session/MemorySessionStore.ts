import { SessionStore } from './SessionStore';

export interface MemorySessionStoreOptions {
  /** Most sessions kept; writing one more evicts the least recently written. Default 100000. */
  maxSessions?: number;
}

interface Entry {
  json: string;
  writtenAt: number;
  expiresAt: number;
}

/**
 * Sessions in this process's memory (lost on restart; not shared between worker processes).
 * Data is stored as JSON, so later changes to the written object do not leak in and what
 * read() returns matches FileSessionStore.
 */
export class MemorySessionStore implements SessionStore {
  readonly maxSessions: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: MemorySessionStoreOptions = {}) {
    const max = options.maxSessions ?? 100000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxSessions must be a positive integer');
    this.maxSessions = max;
  }

  /** Sessions currently held (expired ones included until read or gc). */
  get size(): number {
    return this.entries.size;
  }

  read(id: string): Record<string, unknown> | null {
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (Date.now() >= entry.expiresAt) {
      this.entries.delete(id);
      return null;
    }
    return JSON.parse(entry.json) as Record<string, unknown>;
  }

  write(id: string, data: Record<string, unknown>, lifetimeSeconds: number): void {
    const now = Date.now();
    const entry: Entry = { json: JSON.stringify(data), writtenAt: now, expiresAt: now + lifetimeSeconds * 1000 };
    // re-insert so Map order is write order: the first key is the oldest
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxSessions) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  destroy(id: string): void {
    this.entries.delete(id);
  }

  /** Removes sessions past their own lifetime, and (when given) those written more than lifetimeSeconds ago. */
  gc(lifetimeSeconds?: number): void {
    const now = Date.now();
    const maxAge = lifetimeSeconds === undefined ? Infinity : lifetimeSeconds * 1000;
    for (const [id, entry] of this.entries) {
      if (now >= entry.expiresAt || now - entry.writtenAt > maxAge) this.entries.delete(id);
    }
  }
}
