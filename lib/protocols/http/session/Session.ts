import * as crypto from 'node:crypto';
import { SessionStore, isValidSessionId } from './SessionStore';

/**
 * One request's view of a session. Data is read from the store on first access and written
 * back only by save(), which the server calls explicitly at the end of the request.
 */
export class Session {
  private readonly store: SessionStore;
  private readonly lifetimeSeconds: number;
  private _id: string;
  private data: Record<string, unknown> | null = null;
  private changed = false;
  /** The id to destroy on save, after regenerate(). */
  private oldId: string | null = null;

  constructor(store: SessionStore, id: string, lifetimeSeconds: number) {
    if (!Session.isValidId(id)) throw new TypeError('invalid session id');
    this.store = store;
    this._id = id;
    this.lifetimeSeconds = lifetimeSeconds;
  }

  get id(): string {
    return this._id;
  }

  private load(): Record<string, unknown> {
    if (this.data === null) {
      const stored = this.store.read(this._id);
      // null prototype: set('__proto__', x) stores a key, never touches a prototype
      this.data = Object.assign(Object.create(null) as Record<string, unknown>, stored ?? {});
    }
    return this.data;
  }

  /** One value (or defaultValue when absent), or with no name a copy of all data. */
  get(name?: string, defaultValue?: unknown): unknown {
    if (name === undefined) return this.all();
    const data = this.load();
    return name in data ? data[name] : defaultValue;
  }

  set(name: string, value: unknown): void {
    this.load()[name] = value;
    this.changed = true;
  }

  delete(name: string): void {
    const data = this.load();
    if (name in data) {
      delete data[name];
      this.changed = true;
    }
  }

  has(name: string): boolean {
    return name in this.load();
  }

  /** A shallow copy of all data, as a plain object. */
  all(): Record<string, unknown> {
    return { ...this.load() };
  }

  /** Removes all data (the stored session is destroyed on save). */
  flush(): void {
    this.load();
    this.data = Object.create(null) as Record<string, unknown>;
    this.changed = true;
  }

  /**
   * Moves the data to a new random id (send the new id to the client); the old id is destroyed
   * on save(). Use after login to prevent session fixation.
   */
  regenerate(): void {
    this.load();
    if (this.oldId === null) this.oldId = this._id;
    this._id = Session.createId();
    this.changed = true;
  }

  /**
   * Writes the data when it changed (an empty session is destroyed instead of written), and
   * after regenerate() destroys the old id. Does nothing when nothing changed.
   */
  save(): void {
    if (this.oldId !== null) {
      this.store.destroy(this.oldId);
      this.oldId = null;
    }
    if (!this.changed) return;
    const data = this.load();
    if (Object.keys(data).length === 0) this.store.destroy(this._id);
    else this.store.write(this._id, { ...data }, this.lifetimeSeconds);
    this.changed = false;
  }

  /** 32 lower-case hex characters from 16 random bytes. */
  static createId(): string {
    return crypto.randomBytes(16).toString('hex');
  }

  /** 16..128 characters of [A-Za-z0-9,-]. */
  static isValidId(id: string): boolean {
    return isValidSessionId(id);
  }
}
