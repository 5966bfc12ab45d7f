// Which platforms ship a prebuilt binary (npm run prebuild:all makes them) and what the error says
// when none loads: the platform, what is supported, and what to do.

/** `${platform}-${arch}` directories under prebuilds/, each with netwright.glibc.node and netwright.musl.node. */
export const PREBUILT_PLATFORMS = ['linux-x64', 'linux-arm64'] as const;

export type Libc = 'glibc' | 'musl';

/** This process's C library: Node's report names glibc's version; a musl Node has none. */
export function runtimeLibc(): Libc | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return header?.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return undefined;
  }
}

const SUPPORTED = `Prebuilt binaries ship for ${PREBUILT_PLATFORMS.join(' and ')}, each with glibc (2.17 or newer) or musl (Alpine).`;

/** The NETWRIGHT_NO_BINARY message for a platform (arguments default to this process). */
export function noBinaryMessage(cause: string, platform: string = process.platform, arch: string = process.arch,
  libc: Libc | undefined = runtimeLibc(), libcOverride: string | undefined = process.env.LIBC): string {
  const where = `${platform}-${arch}`;
  const head = `netwright: no native binary for ${where}${libc && platform === 'linux' ? ` (${libc})` : ''} (Node ${process.version}). `;
  let advice: string;
  if (platform !== 'linux') {
    advice = `netwright runs on Linux only (its core is epoll; there is no kqueue or IOCP backend): ${platform} is not supported. ` +
      `${SUPPORTED} On macOS or Windows run it in a Linux container, VM or WSL 2.`;
  } else if (!(PREBUILT_PLATFORMS as readonly string[]).includes(where)) {
    advice = `${SUPPORTED} On ${where} build from source with "npm rebuild netwright --build-from-source" ` +
      '(needs python3, make and a C++17 compiler).';
  } else {
    // A supported platform without a loadable binary: prebuilds/ is missing (a partial copy), or
    // node-gyp-build took musl for glibc (it detects musl by /etc/alpine-release only).
    const musl = libc === 'musl' && libcOverride !== 'musl'
      ? ' This Node uses musl: on a musl system other than Alpine set LIBC=musl so the musl prebuild is chosen.'
      : '';
    advice = `${SUPPORTED} This install has none that loads here (is node_modules/netwright/prebuilds/${where}/ there?).${musl} ` +
      'Reinstall netwright, or build from source with "npm rebuild netwright --build-from-source" (needs python3, make and a C++17 compiler).';
  }
  return `${head}${advice} Cause: ${cause}`;
}
