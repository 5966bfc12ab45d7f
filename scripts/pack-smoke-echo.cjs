// Child script for test/packaging.test.mjs. It is copied into an empty project that has the packed
// netwright tarball installed (with --ignore-scripts) and is run by a given Node binary with a
// PATH holding nothing but that binary, as either
//
//   node pack-smoke-echo.cjs cjs   -> const { Worker } = require('netwright')
//   node pack-smoke-echo.mjs       -> import { Worker } from 'netwright' (which calls run(..., 'esm'))
//
// It checks that no compiler or build tool is reachable, starts a text:// echo server, talks to
// it over node:net, stops it, and prints one JSON line on stdout: { ok, ... }. Exit code 0 on success.
'use strict';
const net = require('node:net');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python3', 'python', 'node-gyp'];
const LINES = ['hello', 'wörld ✓', 'x'.repeat(3000)];

function report(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function run(netwright, mode) {
  const base = { mode, node: process.version, napi: process.versions.napi, execPath: process.execPath };
  const timer = setTimeout(() => {
    report({ ...base, ok: false, error: 'timed out after 15 s' });
    process.exit(1);
  }, 15_000);
  try {
    // No toolchain may be reachable: a load must not depend on building anything.
    const reachable = TOOLS.filter((tool) => spawnSync(tool, ['--version']).error?.code !== 'ENOENT');

    // Which copy of netwright and which binary node-gyp-build picks (both must be the installed ones).
    const entry = require.resolve('netwright');
    const packageDir = path.dirname(require.resolve('netwright/package.json'));
    const nodeGypBuild = require(require.resolve('node-gyp-build', { paths: [packageDir] }));
    const override = process.env.NETWRIGHT_NATIVE_PATH;
    const binary = override ? path.resolve(override) : nodeGypBuild.path(packageDir);

    const { Worker } = netwright;
    const worker = new Worker('text://127.0.0.1:0');
    worker.onMessage = (conn, data) => conn.send('echo: ' + data);
    worker.listen();
    const port = worker.port;

    const expected = LINES.map((l) => `echo: ${l}\n`).join('');
    const received = await new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks = [];
      let length = 0;
      const want = Buffer.byteLength(expected);
      socket.on('error', reject);
      socket.on('data', (d) => {
        chunks.push(d);
        length += d.length;
        if (length >= want) {
          socket.end();
          resolve(Buffer.concat(chunks).toString('utf8'));
        }
      });
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      // First line in two pieces, the rest in one write: framing is exercised both ways.
      const payload = Buffer.from(LINES.map((l) => l + '\n').join(''));
      socket.write(payload.subarray(0, 3));
      setTimeout(() => socket.write(payload.subarray(3)), 20);
    });
    await worker.stop();
    clearTimeout(timer);
    const ok = received === expected && reachable.length === 0;
    report({ ...base, ok, port, entry, packageDir, binary, reachable, echoed: received === expected, received: received.slice(0, 80) });
    process.exitCode = ok ? 0 : 1;
  } catch (error) {
    clearTimeout(timer);
    report({ ...base, ok: false, error: String(error && error.stack || error), code: error && error.code });
    process.exitCode = 1;
  }
}

module.exports = { run };

if (require.main === module) run(require('netwright'), process.argv[2] || 'cjs');
