/** Where Session data lives between requests. All methods are synchronous. */
export interface SessionStore {
  /** The data saved for `id`, or null when there is none or it expired. */
  read(id: string): Record<string, unknown> | null;
  /** Saves `data` (JSON-serialisable) for `id`, to expire `lifetimeSeconds` after this write. */
  write(id: string, data: Record<string, unknown>, lifetimeSeconds: number): void;
  /** Forgets `id` (no error when it does not exist). */
  destroy(id: string): void;
  /** Removes expired sessions; `lifetimeSeconds` is the maximum age since the last write. */
  gc?(lifetimeSeconds: number): void;
}

/** Session ids: 16..128 characters of [A-Za-z0-9,-] (Workerman allows 16..256; 128 keeps file names short). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9,-]{16,128}$/;

export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID_PATTERN.test(id);
}
