/** Mapping a request path onto a file under a static root, refusing anything outside it. */

import * as fs from 'node:fs';
import * as path from 'node:path';

function isInside(realRoot: string, candidate: string): boolean {
  if (candidate === realRoot) return true;
  const prefix = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
  return candidate.startsWith(prefix);
}

/**
 * The real path of the file to serve for `urlPath` (the request path, without the query)
 * under `root`, or null.
 *
 * The path is percent-decoded once (malformed escapes → null); NUL bytes, backslashes and any
 * '..' segment after decoding (so `%2e%2e`, `..%2f` too) → null. The result is joined to the
 * absolute root, both are resolved with fs.realpathSync and the result must lie inside the
 * real root (symlinks pointing out of the root are refused; symlinks inside it are followed).
 * A regular file → its real path (not when the path ends in '/' or '/.', nor when the root itself is a
 * file); a directory → the real path of its index.html if that is a
 * regular file inside the root; anything else (missing, FIFO, device, ...) → null. Never throws.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  try {
    if (typeof root !== 'string' || root === '' || typeof urlPath !== 'string') return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.indexOf('\0') >= 0 || decoded.indexOf('\\') >= 0) return null;
    for (const segment of decoded.split('/')) {
      if (segment === '..') return null;
    }
    const absRoot = path.resolve(root);
    const realRoot = fs.realpathSync(absRoot);
    const joined = path.join(absRoot, decoded);
    let real: string;
    try {
      real = fs.realpathSync(joined);
    } catch {
      return null;
    }
    if (!isInside(realRoot, real)) return null;
    const st = fs.statSync(real);
    if (st.isFile()) {
      // a root that is a file is not a root, and 'file.txt/' names a directory that is not there
      return real === realRoot || /(?:^|\/)\.?$/.test(decoded) ? null : real;
    }
    if (!st.isDirectory()) return null;
    let index: string;
    try {
      index = fs.realpathSync(path.join(real, 'index.html'));
    } catch {
      return null;
    }
    if (!isInside(realRoot, index)) return null;
    return fs.statSync(index).isFile() ? index : null;
  } catch {
    return null;
  }
}
