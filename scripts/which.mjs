// The first executable named `cmd` on PATH, or null (as the shell's `command -v`).
import fs from 'node:fs';
import path from 'node:path';

export function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}
