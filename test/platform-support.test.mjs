// The NETWRIGHT_NO_BINARY message for each kind of platform (lib/platformSupport.ts): it names the
// platform, lists what ships prebuilt, and says what to do there. test/packaging.test.mjs shows the
// real error from an installed copy without prebuilds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { noBinaryMessage, PREBUILT_PLATFORMS, runtimeLibc } = require('../dist/platformSupport.js');
const SUPPORTED = 'Prebuilt binaries ship for linux-x64 and linux-arm64, each with glibc (2.17 or newer) or musl (Alpine).';

test('the prebuilt platforms are the directories npm run prebuild:all fills', () => {
  assert.deepEqual(PREBUILT_PLATFORMS, ['linux-x64', 'linux-arm64']);
  assert.equal(runtimeLibc(), 'glibc', 'this Node (Debian) is a glibc build');
});

for (const [platform, arch] of [['darwin', 'arm64'], ['darwin', 'x64'], ['win32', 'x64'], ['freebsd', 'x64']]) {
  test(`${platform}-${arch}: Linux only, what is supported, run it in Linux`, () => {
    const m = noBinaryMessage('dlopen failed', platform, arch, undefined, undefined);
    assert.ok(m.startsWith(`netwright: no native binary for ${platform}-${arch} (Node ${process.version}). `), m);
    assert.ok(m.includes(`netwright runs on Linux only (its core is epoll; there is no kqueue or IOCP backend): ${platform} is not supported.`), m);
    assert.ok(m.includes(SUPPORTED), m);
    assert.ok(m.includes('Linux container, VM or WSL 2'), m);
    assert.doesNotMatch(m, /build-from-source/, 'building from source cannot help off Linux');
    assert.ok(m.endsWith(' Cause: dlopen failed'), m);
  });
}

for (const arch of ['arm', 'ppc64', 's390x', 'riscv64', 'ia32']) {
  test(`linux-${arch}: no prebuild, build from source`, () => {
    const m = noBinaryMessage('No native build was found', 'linux', arch, 'glibc', undefined);
    assert.ok(m.startsWith(`netwright: no native binary for linux-${arch} (glibc) (Node ${process.version}). ${SUPPORTED}`), m);
    assert.ok(m.includes(`On linux-${arch} build from source with "npm rebuild netwright --build-from-source" (needs python3, make and a C++17 compiler).`), m);
  });
}

test('linux-x64 or linux-arm64 without a loadable prebuild: the install is incomplete; musl outside Alpine is told LIBC=musl', () => {
  for (const arch of ['x64', 'arm64']) {
    const m = noBinaryMessage('No native build was found', 'linux', arch, 'glibc', undefined);
    assert.ok(m.includes(`${SUPPORTED} This install has none that loads here (is node_modules/netwright/prebuilds/linux-${arch}/ there?).`), m);
    assert.match(m, /Reinstall netwright, or build from source with "npm rebuild netwright --build-from-source"/);
    assert.doesNotMatch(m, /LIBC=musl/);
  }
  const musl = noBinaryMessage('Error loading shared library libc.so.6', 'linux', 'x64', 'musl', undefined);
  assert.ok(musl.includes('no native binary for linux-x64 (musl)'), musl);
  assert.ok(musl.includes('on a musl system other than Alpine set LIBC=musl so the musl prebuild is chosen'), musl);
  assert.doesNotMatch(noBinaryMessage('x', 'linux', 'x64', 'musl', 'musl'), /set LIBC=musl/, 'already set: no hint');
});

// npm's own platform check (npm-install-checks, bundled with npm, which Arborist runs for every
// non-optional package): the "os" field makes `npm install netwright` stop at once on macOS and
// Windows with EBADPLATFORM, before anything is fetched or built.
test('package.json "os": npm refuses darwin and win32 with EBADPLATFORM and accepts linux', (t) => {
  const { execFileSync } = require('node:child_process');
  const path = require('node:path');
  const env = { ...process.env };
  delete env.LD_PRELOAD; // under test:asan: npm is not the process being checked
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env }).trim();
  let checks;
  try {
    checks = require(path.join(npmRoot, 'npm', 'node_modules', 'npm-install-checks'));
  } catch {
    t.skip(`npm-install-checks not found under ${npmRoot}/npm`);
    return;
  }
  const manifest = require('../package.json');
  assert.deepEqual(manifest.os, ['linux']);
  for (const os of ['darwin', 'win32']) {
    assert.throws(() => checks.checkPlatform(manifest, false, { os, cpu: 'arm64' }), (e) => e.code === 'EBADPLATFORM', os);
  }
  for (const cpu of ['x64', 'arm64']) checks.checkPlatform(manifest, false, { os: 'linux', cpu, libc: 'musl' });
});
