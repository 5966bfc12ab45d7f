// netwright runs TLS on the OpenSSL that Node exports and bundles none. On a
// Node that lacks one of the functions it uses, loading netwright fails at
// once with an error naming the function (the addon is linked with -z now, so
// nothing resolves lazily and no later TLS call can kill the process with
// "symbol lookup error"). The stand-in addon is compiled here with the
// system's C compiler; a symbol no OpenSSL has plays the missing function.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from '../scripts/which.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireAll = process.env.NETWRIGHT_REQUIRE_ALL === '1';

const CC = [process.env.CC, 'cc', 'clang', 'gcc'].find((tool) => tool && which(tool)) ?? 'cc';

const skip = which(CC) || requireAll ? false : `no C compiler (${CC})`;

/** The addons this checkout has: the one tests load (NETWRIGHT_NATIVE_PATH), node-gyp's, prebuildify's. */
function addons() {
  const prebuilds = path.join(root, 'prebuilds', 'linux-x64');
  return [
    process.env.NETWRIGHT_NATIVE_PATH,
    path.join(root, 'build', 'Release', 'netwright.node'),
    ...(fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter((f) => f.endsWith('.node')).map((f) => path.join(prebuilds, f)) : []),
  ].filter((file) => file && fs.existsSync(file));
}

test('the addon binds every symbol at load (BIND_NOW)', { skip: which('readelf') || requireAll ? false : 'no readelf' }, () => {
  const files = addons();
  assert.ok(files.length > 0, 'no addon built');
  for (const file of files) {
    const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
    assert.match(dynamic, /BIND_NOW|Flags: NOW/, file);
  }
});

test('a Node without an OpenSSL function netwright uses: loading fails, naming the function and why', { skip, timeout: 30_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-openssl-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'missing.c');
  fs.writeFileSync(source, 'void SSL_netwright_no_such_function(void);\nvoid napi_register_module_v1(void) { SSL_netwright_no_such_function(); }\n');
  const addon = path.join(dir, 'missing.node');
  execFileSync(CC, ['-shared', '-fPIC', '-Wl,-z,now', '-o', addon, source]);
  const script = "try { require('netwright'); console.log('loaded'); } catch (e) { console.log(e.code); console.log(e.message); }";
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, NETWRIGHT_NATIVE_PATH: addon }, timeout: 20_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
  const [code, message] = out.split('\n');
  assert.equal(code, 'NETWRIGHT_NO_OPENSSL');
  assert.match(message, /does not export the OpenSSL function SSL_netwright_no_such_function that netwright's TLS uses/);
  assert.match(message, /loads no second one/);
});
