// The first executable named `cmd` on PATH, or null (as the shell's `command -v`).
import fs from 'node:fs';
import path from 'node:path';

export function which(cmd) {
  if (cmd.includes(path.sep)) return executable(cmd) ? cmd : null; // a path, as $CC may be
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (executable(p)) return p;
  }
  return null;
}

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
