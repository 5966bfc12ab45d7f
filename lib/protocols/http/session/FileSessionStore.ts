import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionStore, isValidSessionId } from './SessionStore';

const PREFIX = 'session_';
const TMP_PREFIX = '.session_';

/**
 * One JSON file per session, `<dir>/session_<id>` (mode 0o600), written atomically (temp file +
 * rename). Each file holds `{ "expires": <ms>, "data": {...} }`; read() honours `expires`,
 * gc() removes files whose mtime is older than the lifetime. Ids that fail isValidSessionId
 * are never used as file names: read → null, destroy → no-op, write → TypeError.
 * Works across worker processes on one machine when they share `dir`.
 */
export class FileSessionStore implements SessionStore {
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('FileSessionStore needs a directory');
    this.dir = path.resolve(dir);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    return path.join(this.dir, PREFIX + id);
  }

  read(id: string): Record<string, unknown> | null {
    if (!isValidSessionId(id)) return null;
    let text: string;
    try {
      text = fs.readFileSync(this.file(id), 'utf8');
    } catch {
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    if (!parsed || typeof parsed !== 'object') return null;
    const { expires, data } = parsed as { expires?: unknown; data?: unknown };
    // an expired file is left to gc(): unlinking here could race with another process's fresh write
    if (typeof expires !== 'number' || Date.now() >= expires) return null;
    if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
    return data as Record<string, unknown>;
  }

  write(id: string, data: Record<string, unknown>, lifetimeSeconds: number): void {
    if (!isValidSessionId(id)) throw new TypeError('invalid session id');
    const json = JSON.stringify({ expires: Date.now() + lifetimeSeconds * 1000, data });
    const tmp = path.join(this.dir, `${TMP_PREFIX}${id}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      fs.writeFileSync(tmp, json, { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, this.file(id));
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // not created
      }
      throw err;
    }
  }

  destroy(id: string): void {
    if (!isValidSessionId(id)) return;
    try {
      fs.unlinkSync(this.file(id));
    } catch {
      // already gone
    }
  }

  /** Removes session files (and stale temp files) last written more than lifetimeSeconds ago. */
  gc(lifetimeSeconds: number): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const cutoff = Date.now() - lifetimeSeconds * 1000;
    for (const name of names) {
      if (!name.startsWith(PREFIX) && !name.startsWith(TMP_PREFIX)) continue;
      const full = path.join(this.dir, name);
      try {
        const st = fs.lstatSync(full);
        if (st.isFile() && st.mtimeMs < cutoff) fs.unlinkSync(full);
      } catch {
        // removed concurrently
      }
    }
  }
}
