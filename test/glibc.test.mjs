// The built addon's libc contract (scripts/check-glibc.mjs reads it from the ELF with objdump,
// readelf as fallback): the highest GLIBC_x.y symbol version it requires is <= GLIBC_FLOOR, the
// floor the README states; libstdc++ and libgcc are static (no NEEDED libstdc++.so/libgcc_s.so,
// no GLIBCXX_/CXXABI_/GCC_ references); only glibc libraries NEEDED; x86-64.
// Checks build/Release/netwright.node and every prebuilds/linux-x64/*.node present (at least one
// must be). test/packaging.test.mjs runs the same check on the prebuild inside the packed tarball.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GLIBC_FLOOR, checkElf, elfTool } from '../scripts/check-glibc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * build/Release/netwright.node (node-gyp) and prebuilds/linux-x64/*.node (prebuildify), whichever
 * exist. prebuildify *moves* build/Release/netwright.node into prebuilds/, so after an in-repo
 * `npm pack` / `npm run prebuild` only the prebuild is there.
 */
function binaries() {
  const list = [];
  const built = path.join(root, 'build', 'Release', 'netwright.node');
  if (fs.existsSync(built)) list.push(built);
  const prebuildDir = path.join(root, 'prebuilds', 'linux-x64');
  if (fs.existsSync(prebuildDir)) {
    for (const f of fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node'))) list.push(path.join(prebuildDir, f));
  }
  return list;
}

const BINARIES = binaries();

function hostGlibc() {
  try {
    return process.report.getReport().header.glibcVersionRuntime ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

test('binutils (objdump or readelf) is available and an addon is built', (t) => {
  assert.ok(elfTool, 'need objdump or readelf (Debian/Ubuntu: apt-get install binutils)');
  assert.ok(BINARIES.length > 0, 'no addon: build it with `npx node-gyp rebuild` (or `npm run prebuild`)');
  t.diagnostic(`using ${elfTool}; floor GLIBC_${GLIBC_FLOOR}; host glibc ${hostGlibc()}`);
});

for (const file of BINARIES) {
  const rel = path.relative(root, file);
  test(`${rel}: requires GLIBC <= ${GLIBC_FLOOR}, libstdc++ and libgcc static`, { skip: !elfTool && 'no binutils' }, (t) => {
    const { lines, problems } = checkElf(file);
    for (const line of lines) t.diagnostic(line);
    assert.deepEqual(problems, [], `${rel}:\n${problems.join('\n')}`);
  });
}
