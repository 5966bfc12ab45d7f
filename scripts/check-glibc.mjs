// The addon's libc contract, read from the ELF with binutils (objdump; readelf as fallback):
// - the highest GLIBC_x.y symbol version it requires is <= GLIBC_FLOOR (the floor the README states);
// - libstdc++ and libgcc are linked statically: no NEEDED libstdc++.so / libgcc_s.so, no
//   GLIBCXX_/CXXABI_/GCC_ version references, nothing NEEDED beyond glibc's own libraries;
// - it is an object for the expected machine (x86-64 or AArch64).
// A musl prebuild (zig, libc++ static) instead must need nothing but musl's libc.so and reference
// no GLIBC_ version at all.
// Used by test/glibc.test.mjs (repo builds, every prebuild) and test/packaging.test.mjs (the
// shipped prebuilds).
// CLI: node scripts/check-glibc.mjs <file.node>...   (exit 1 if any check fails)
//
// The floor is what the code and the static libstdc++/libgcc pull in. At 2.17 the addon may use
// nothing newer; the usual ways to break it, and the symbol each one shows up as:
//   fcntl() under _FILE_OFFSET_BITS=64 (node-gyp sets it)  fcntl64              GLIBC_2.28
//   C++ exceptions (libgcc's unwinder)                    _dl_find_object      GLIBC_2.35
//   std::random_device from libstdc++.a                   arc4random           GLIBC_2.36
//   libstdc++'s thread/once machinery                     pthread_once, ...    GLIBC_2.34
//   libstdc++'s atomic refcounts                          __libc_single_threaded GLIBC_2.32
// (measured on Debian 12, glibc 2.36, GCC 12). The report names the symbols of the top 3 versions.
// Fix the code, or raise GLIBC_FLOOR and the README's floor together.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from './which.mjs';

export const GLIBC_FLOOR = '2.17';

const GLIBC_LIBS = new Set(['libc.so.6', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1']);
// musl's dynamic linker is its libc and answers to these names (zig links libc.so; Alpine's gcc, libc.musl-<arch>.so.1).
const MUSL_LIBS = /^(libc\.so|libc\.musl-(x86_64|aarch64)\.so\.1|ld-musl-(x86_64|aarch64)\.so\.1)$/;
const MACHINES = { x64: /x86-64/i, arm64: /AArch64/i };

/** What a binary at `file` is for, from its place: prebuilds/linux-<arch>/netwright.<libc>.node, else this host with glibc. */
export function targetOf(file) {
  const m = /prebuilds[\\/]linux-(x64|arm64)[\\/][^\\/]*?\.(glibc|musl)\.node$/.exec(file);
  return m ? { arch: m[1], libc: m[2] } : { arch: process.arch, libc: 'glibc' };
}

/** 'objdump', 'readelf' or null. */
export const elfTool = which('objdump') ? 'objdump' : which('readelf') ? 'readelf' : null;

export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Dynamic symbols' GLIBC versions, NEEDED libraries and architecture of an ELF shared object. */
export function inspectElf(file) {
  if (!elfTool) throw new Error('need objdump or readelf (binutils; Debian/Ubuntu: apt-get install binutils)');
  const run = (tool, args) => execFileSync(tool, [...args, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let symbols;
  let needed;
  let arch;
  if (elfTool === 'objdump') {
    symbols = run('objdump', ['-T']);
    needed = [...run('objdump', ['-p']).matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  } else {
    symbols = run('readelf', ['--dyn-syms', '-W']);
    needed = [...run('readelf', ['-d', '-W']).matchAll(/\(NEEDED\).*\[([^\]]+)\]/g)].map((m) => m[1]);
  }
  // The ELF header's machine: readelf names every one (a host objdump knows only its own).
  try {
    arch = /Machine:\s*(.+)/.exec(run('readelf', ['-h', '-W']))?.[1]?.trim();
  } catch {
    arch = /architecture:\s*([^,\s]+)/.exec(run('objdump', ['-f']))?.[1];
  }
  const glibc = new Map(); // version -> symbol names
  for (const line of symbols.split('\n')) {
    const m = /\bGLIBC_(\d+(?:\.\d+)+)\b/.exec(line);
    if (!m) continue;
    // objdump: "... (GLIBC_2.34) pthread_once"; readelf: "... UND pthread_once@GLIBC_2.34 (4)".
    const tokens = line.trim().split(/\s+/);
    const name = tokens.find((tok) => tok.includes('@GLIBC_'))?.replace(/@.*/, '') ?? tokens.at(-1);
    if (!glibc.has(m[1])) glibc.set(m[1], new Set());
    glibc.get(m[1]).add(name);
  }
  const cxxVersions = [...new Set([...symbols.matchAll(/\b((?:GLIBCXX|CXXABI|GCC)_[\d.]+)\b/g)].map((m) => m[1]))];
  const versions = [...glibc.keys()].sort(compareVersions);
  // Informational: libstdc++ symbols the object exports (static libstdc++ without --exclude-libs).
  const exportedStd = symbols.split('\n')
    .filter((l) => !/\*UND\*|\bUND\b/.test(l) && /\s_Z(NSt|St|NKSt|NSa|Sa|SA)/.test(l)).length;
  return { glibc, versions, highest: versions.at(-1), needed, cxxVersions, arch, exportedStd };
}

/**
 * Check one file: { info, lines (a report), problems (empty when it passes) }. `target` ({ arch,
 * libc }) defaults to what the file's place says (targetOf).
 */
export function checkElf(file, floor = GLIBC_FLOOR, target = targetOf(file)) {
  const info = inspectElf(file);
  const lines = [
    `target linux-${target.arch} ${target.libc}: GLIBC versions required: ${info.versions.map((v) => 'GLIBC_' + v).join(' ') || 'none'}`,
    target.libc === 'glibc' ? `highest: GLIBC_${info.highest} (floor ${floor})` : 'musl: no GLIBC_ versions allowed',
    ...info.versions.slice(-3).reverse().map((v) => `  GLIBC_${v}: ${[...info.glibc.get(v)].join(', ')}`),
    `NEEDED: ${info.needed.join(', ')}; arch ${info.arch}; exported libstdc++ symbols: ${info.exportedStd}`,
  ];
  const problems = [];
  if (target.libc === 'glibc') {
    if (!info.highest) problems.push('no GLIBC_ symbol versions found: not a glibc ELF?');
    else if (compareVersions(info.highest, floor) > 0) {
      problems.push(`requires GLIBC_${info.highest} > floor ${floor} (${[...info.glibc.get(info.highest)].join(', ')}): ` +
        'stop using it (see the table atop scripts/check-glibc.mjs), or raise GLIBC_FLOOR there and the README\'s floor together');
    }
  } else if (info.versions.length) {
    problems.push(`a musl binary references glibc symbol versions: ${info.versions.map((v) => 'GLIBC_' + v).join(' ')}`);
  }
  const dynamicCxx = info.needed.filter((n) => /^lib(stdc\+\+|c\+\+|c\+\+abi|gcc_s|unwind)\.so/.test(n));
  if (dynamicCxx.length) problems.push(`links ${dynamicCxx.join(', ')} dynamically (binding.gyp ldflags: -static-libstdc++ -static-libgcc)`);
  if (info.cxxVersions.length) problems.push(`references versioned libstdc++/libgcc symbols: ${info.cxxVersions.join(', ')}`);
  const libcOk = (n) => (target.libc === 'glibc' ? GLIBC_LIBS.has(n) : MUSL_LIBS.test(n));
  const extra = info.needed.filter((n) => !libcOk(n) && !dynamicCxx.includes(n));
  if (extra.length) problems.push(`needs libraries beyond ${target.libc}: ${extra.join(', ')}`);
  if (!info.needed.some(libcOk)) problems.push(`NEEDED names no ${target.libc} C library: ${info.needed.join(', ') || 'nothing'}`);
  const machine = MACHINES[target.arch];
  if (!machine) problems.push(`unknown target arch ${target.arch}`);
  else if (!machine.test(String(info.arch))) problems.push(`not an ${target.arch} object: ${info.arch}`);
  return { info, lines, problems };
}

/** The dynamic symbol names of an ELF: its undefined ones (`undefined: true`) or those it defines. */
export function dynamicSymbols(file, { undefined: wantUndefined }) {
  const out = execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const names = [];
  for (const line of out.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 8 || !/^\d+:$/.test(t[0])) continue;
    if ((t[6] === 'UND') === wantUndefined && t[7]) names.push(t[7].replace(/@.*/, ''));
  }
  return names;
}

/** musl's libc.so as Debian's `musl` package installs it (x86-64). */
export const MUSL_LIBC = '/lib/x86_64-linux-musl/libc.so';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const { lines, problems } = checkElf(file);
    console.log(`${file}\n  ${lines.join('\n  ')}`);
    for (const p of problems) console.log(`  FAIL: ${p}`);
    failed ||= problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
