#!/usr/bin/env bash
# The JS suite against an AddressSanitizer + UndefinedBehaviorSanitizer build
# of the addon (npm run test:asan).
#
# 1. Builds the addon with clang and -fsanitize=address,undefined via node-gyp
#    in a staging copy (build-asan/: binding.gyp + native/), so the normal
#    build/Release/netwright.node is left alone.
# 2. Runs `node --test --test-concurrency=1` with
#      NETWRIGHT_NATIVE_PATH=build-asan/build/Release/netwright.node  (lib/native.ts loads it)
#      LD_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so)  (node is not instrumented:
#                 the runtime must come first)
#      ASAN_OPTIONS=detect_leaks=0 (V8 and Node keep memory on purpose at exit) and
#      halt on the first UBSan report.
#
# Usage: scripts/test-asan.sh [test files...]    default: every test/*.test.mjs except the
#        ones that launch foreign programs, which would inherit the ASan preload:
#        packaging.test.mjs (npm pack, the compiler, other Node binaries; it tests the shipped
#        non-ASan prebuild anyway), chat-browser.test.mjs and websocket-deflate-browser.test.mjs (Chromium does not start with the
#        ASan runtime preloaded), tls-node-versions.test.mjs and arm64-qemu.test.mjs (other Node
#        binaries, the latter an arm64 one loading the arm64 prebuild), and the ones whose subject
#        is JavaScript, not the addon, which would spend half the run's time starting processes:
#        runall-*.test.mjs (the master, the CLI and supervision; every native path they touch is
#        exercised by the in-process files), types.test.mjs (tsc only), docs.test.mjs (the docs'
#        examples, of APIs the other files test) and platform-support.test.mjs (npm's platform
#        check). NETWRIGHT_ASAN_ALL=1 includes them all.
#        NETWRIGHT_ASAN_SKIP_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=$ROOT/build-asan
ADDON=$STAGE/build/Release/netwright.node

command -v clang >/dev/null || { echo "test-asan: clang not found (apt-get install clang llvm libclang-rt-14-dev)" >&2; exit 1; }
ASAN_RT=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
[ -f "$ASAN_RT" ] || { echo "test-asan: no ASan runtime at '$ASAN_RT' (apt-get install libclang-rt-14-dev)" >&2; exit 1; }
[ -f dist/index.js ] || { echo "test-asan: dist/ is missing; run npm run build:ts first" >&2; exit 1; }

if [ "${NETWRIGHT_ASAN_SKIP_BUILD:-}" != 1 ] || [ ! -f "$ADDON" ]; then
  echo "== building the ASan/UBSan addon in $STAGE"
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  cp binding.gyp "$STAGE/"
  # The sources only: not the test and fuzz builds.
  tar -C "$ROOT" --exclude='native/test/build' --exclude='native/fuzz/build' -cf - native | tar -C "$STAGE" -xf -
  ln -s "$ROOT/node_modules" "$STAGE/node_modules"
  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
  (
    cd "$STAGE"
    export CC=clang CXX=clang++ LINK=clang++
    export CFLAGS="$SAN" CXXFLAGS="$SAN"
    # -shared-libasan: the .node records the ASan runtime as NEEDED (satisfied by LD_PRELOAD).
    export LDFLAGS="-fsanitize=address,undefined -shared-libasan -Wl,-rpath,$(dirname "$ASAN_RT")"
    # Use the running Node's own headers when it ships them (offline), as npm does
    # with npm_config_nodedir; otherwise node-gyp fetches them.
    NODEDIR=${npm_config_nodedir:-}
    PREFIX=$(dirname "$(dirname "$(command -v node)")")
    if [ -z "$NODEDIR" ] && [ -f "$PREFIX/include/node/node_api.h" ]; then NODEDIR=$PREFIX; fi
    "$ROOT/node_modules/.bin/node-gyp" rebuild -j "$(nproc)" --loglevel=warn ${NODEDIR:+--nodedir="$NODEDIR"}
  )
  # Prove it is instrumented before trusting a green run.
  if ! nm -D "$ADDON" | grep '__asan_report_' >/dev/null; then
    echo "test-asan: $ADDON has no ASan instrumentation (were CC/CXX/CXXFLAGS ignored?)" >&2
    exit 1
  fi
fi

if [ $# -gt 0 ]; then
  FILES=("$@")
else
  FILES=()
  for f in test/*.test.mjs; do
    case "$(basename "$f")" in
      # Other Node binaries (packaging, tls-node-versions) cannot load an ASan build without the preload.
      packaging.test.mjs | chat-browser.test.mjs | websocket-deflate-browser.test.mjs | tls-node-versions.test.mjs | arm64-qemu.test.mjs) [ "${NETWRIGHT_ASAN_ALL:-}" = 1 ] || continue ;;
      # JavaScript is their subject (master, CLI, types, docs, npm); see the usage above.
      runall-*.test.mjs | types.test.mjs | docs.test.mjs | platform-support.test.mjs) [ "${NETWRIGHT_ASAN_ALL:-}" = 1 ] || continue ;;
    esac
    FILES+=("$f")
  done
fi

echo "== node --test under ASan ($ADDON)"
export NETWRIGHT_NATIVE_PATH=$ADDON
export NETWRIGHT_ASAN=1  # tests that measure RSS skip that part: ASan's quarantine keeps freed memory
export LD_PRELOAD=$ASAN_RT${LD_PRELOAD:+:$LD_PRELOAD}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1:allow_user_segv_handler=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A sanitizer report kills the test process: node:test shows it as a failed file
# with the report on its stderr. Bound the whole run.
exec timeout --kill-after=30 "${NETWRIGHT_ASAN_TIMEOUT:-1800}" node --test --test-concurrency=1 "${FILES[@]}"
