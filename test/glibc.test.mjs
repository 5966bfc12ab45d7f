// The built addon's libc contract (scripts/check-glibc.mjs reads it from the ELF with objdump,
// readelf as fallback): the highest GLIBC_x.y symbol version it requires is <= GLIBC_FLOOR, the
// floor the README states; libstdc++ and libgcc are static (no NEEDED libstdc++.so/libgcc_s.so,
// no GLIBCXX_/CXXABI_/GCC_ references); only glibc libraries NEEDED; the machine its directory
// names (x86-64 for linux-x64, AArch64 for linux-arm64). A musl prebuild needs only musl's libc.so
// and no GLIBC_ version.
// Checks build/Release/netwright.node and every prebuilds/linux-*/*.node present (at least one
// must be); with NETWRIGHT_REQUIRE_ALL=1 (CI, after npm run prebuild:all) all four prebuilds must
// be there. test/packaging.test.mjs runs the same check on the prebuilds inside the packed tarball.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GLIBC_FLOOR, MUSL_LIBC, checkElf, dynamicSymbols, elfTool, targetOf } from '../scripts/check-glibc.mjs';
import { TARGETS, prebuildPath } from '../scripts/prebuild-all.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** build/Release/netwright.node (node-gyp) and prebuilds/linux-*\/*.node (npm run prebuild:all), whichever exist. */
function binaries() {
  const list = [];
  const built = path.join(root, 'build', 'Release', 'netwright.node');
  if (fs.existsSync(built)) list.push(built);
  const prebuilds = path.join(root, 'prebuilds');
  for (const dir of fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter((d) => d.startsWith('linux-')).sort() : []) {
    for (const f of fs.readdirSync(path.join(prebuilds, dir)).filter((f) => f.endsWith('.node')).sort()) list.push(path.join(prebuilds, dir, f));
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
  assert.ok(BINARIES.length > 0, 'no addon: build it with `npx node-gyp rebuild` (or `npm run prebuild:all`)');
  t.diagnostic(`using ${elfTool}; floor GLIBC_${GLIBC_FLOOR}; host glibc ${hostGlibc()}`);
});

test('every prebuild npm run prebuild:all makes is there (mandatory under NETWRIGHT_REQUIRE_ALL)', (t) => {
  const missing = Object.keys(TARGETS).filter((name) => !fs.existsSync(prebuildPath(name)));
  if (missing.length && process.env.NETWRIGHT_REQUIRE_ALL !== '1') {
    t.skip(`not built here: ${missing.join(', ')} (npm run prebuild:all)`);
    return;
  }
  assert.deepEqual(missing, [], 'run npm run prebuild:all');
});

test('the check fails a binary for another machine or libc', { skip: !elfTool && 'no binutils' }, (t) => {
  const x64 = BINARIES.find((f) => targetOf(f).arch === 'x64' && targetOf(f).libc === 'glibc');
  assert.ok(x64, 'an x64 glibc build to check');
  assert.ok(checkElf(x64, GLIBC_FLOOR, { arch: 'arm64', libc: 'glibc' }).problems.some((p) => /not an arm64 object/.test(p)));
  assert.ok(checkElf(x64, GLIBC_FLOOR, { arch: 'x64', libc: 'musl' }).problems.some((p) => /musl binary references glibc/.test(p)));
  assert.ok(checkElf(x64, '2.14').problems.some((p) => /requires GLIBC_2\.17 > floor 2\.14/.test(p)), 'a lower floor fails');
  const musl = BINARIES.find((f) => targetOf(f).libc === 'musl');
  if (musl) assert.ok(checkElf(musl, GLIBC_FLOOR, { ...targetOf(musl), libc: 'glibc' }).problems.some((p) => /no GLIBC_ symbol versions/.test(p)));
});

for (const file of BINARIES) {
  const rel = path.relative(root, file);
  const target = targetOf(file);
  const what = target.libc === 'glibc' ? `requires GLIBC <= ${GLIBC_FLOOR}` : 'needs only musl\'s libc.so';
  test(`${rel}: linux-${target.arch}, ${what}, C++ runtime static`, { skip: !elfTool && 'no binutils' }, (t) => {
    const { lines, problems } = checkElf(file);
    for (const line of lines) t.diagnostic(line);
    assert.deepEqual(problems, [], `${rel}:\n${problems.join('\n')}`);
  });
}

// No musl Node can be had here, so the musl prebuilds are not loaded. What a load would resolve is
// checked instead: every symbol a musl prebuild leaves undefined must be defined by musl's libc.so
// (Debian's musl 1.2.3, older than Alpine 3.19's 1.2.4) or by node (Node-API, libuv, OpenSSL; this
// x64 node's exports stand for an arm64 or musl build of the same version, which export the same).
for (const file of BINARIES.filter((f) => targetOf(f).libc === 'musl')) {
  const rel = path.relative(root, file);
  const noMusl = !fs.existsSync(MUSL_LIBC) && `${MUSL_LIBC} missing (apt-get install musl)`;
  test(`${rel}: every undefined symbol is musl's or node's`, { skip: (!elfTool && 'no binutils') || (noMusl && process.env.NETWRIGHT_REQUIRE_ALL !== '1' && noMusl) }, (t) => {
    assert.ok(fs.existsSync(MUSL_LIBC), `${MUSL_LIBC} missing (apt-get install musl)`);
    const musl = new Set(dynamicSymbols(MUSL_LIBC, { undefined: false }));
    const node = new Set(dynamicSymbols(process.execPath, { undefined: false }));
    const wanted = dynamicSymbols(file, { undefined: true });
    const fromMusl = wanted.filter((s) => musl.has(s));
    const fromNode = wanted.filter((s) => !musl.has(s) && node.has(s));
    const unresolved = wanted.filter((s) => !musl.has(s) && !node.has(s));
    t.diagnostic(`${wanted.length} undefined: ${fromMusl.length} from musl, ${fromNode.length} from node`);
    assert.deepEqual(unresolved, [], `${rel} would not load under musl: no definition for ${unresolved.join(', ')}`);
    assert.ok(fromMusl.includes('epoll_wait'), 'libc from musl');
    assert.ok(fromNode.includes('napi_create_reference') && fromNode.includes('SSL_new') && fromNode.includes('uv_poll_start'),
      'Node-API, OpenSSL and libuv from node');
  });
}
