// examples/static-server.mjs as a child process: serves files under ROOT with
// ranges and 304, and refuses path traversal — "..", its percent-encodings,
// absolute paths, backslashes, NUL, symlinks out of the root — with 404. After
// each bad input the process keeps serving and its fd count is unchanged.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { harness, T_LONG, sleep, deadline } from './helpers/harness.mjs';
import { fdCount, finals, waitResponses, get } from './helpers/http-client.mjs';
import { resolveStaticPath } from 'netwright/static';

const EXAMPLE = fileURLToPath(new URL('../examples/static-server.mjs', import.meta.url));
const SECRET = 'TOP-SECRET-CONTENT-6f1c';

/** A temp tree: <base>/root (served), <base>/secret.txt and <base>/outside/ (not served), symlinks. */
function makeTree(t) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-static-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(base, 'outside'));
  fs.writeFileSync(path.join(root, 'index.html'), '<h1>index</h1>');
  fs.writeFileSync(path.join(root, 'hello.txt'), 'hello static');
  fs.writeFileSync(path.join(root, 'sub', 'inner.css'), 'p{}');
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(base, 'rootsibling.txt'), SECRET); // "<root>sibling.txt" prefix trick
  fs.mkdirSync(path.join(base, 'root-evil'));
  fs.writeFileSync(path.join(base, 'root-evil', 'x.txt'), SECRET);
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'link-out.txt'));
  fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'dir-out'));
  fs.symlinkSync('../../secret.txt', path.join(root, 'sub', 'rel-out.txt'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'passwd'));
  fs.symlinkSync(path.join(root, 'hello.txt'), path.join(root, 'link-in.txt')); // inside: allowed
  return { base, root };
}

async function startExample(t, root) {
  const child = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, ROOT: root, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const port = await deadline(new Promise((resolve, reject) => {
    const check = () => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`example exited with ${code}: ${err}`)));
  }), 10_000, `the example to print its port (stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)})`);
  return { child, port, stderr: () => err, exited };
}

/** fd count of the child once it has been stable for 150 ms. */
async function stableFds(pid) {
  let last = fdCount(pid);
  let since = Date.now();
  const end = Date.now() + 5000;
  while (Date.now() - since < 150 && Date.now() < end) {
    await sleep(15);
    const now = fdCount(pid);
    if (now !== last) { last = now; since = Date.now(); }
  }
  return last;
}

/** One raw request on a fresh connection; the parsed response. */
async function ask(h, port, bytes, isHead = false) {
  const c = await h.connect(port);
  c.write(bytes);
  const [r] = await waitResponses(c, 1, { isHead: () => isHead });
  c.destroy();
  return r;
}

test('static example: serves files (index, nested, inside symlink, Range, 304, HEAD) and answers 405 to POST', T_LONG, async (t) => {
  const h = harness(t);
  const { root } = makeTree(t);
  const { port } = await startExample(t, root);
  let r = await ask(h, port, get('/'));
  assert.equal(r.status, 200);
  assert.equal(r.text, '<h1>index</h1>');
  assert.match(r.header('content-type'), /^text\/html/);
  r = await ask(h, port, get('/hello.txt'));
  assert.equal(r.text, 'hello static');
  assert.match(r.header('content-type'), /^text\/plain/);
  r = await ask(h, port, get('/sub/inner.css?v=3'));
  assert.equal(r.text, 'p{}');
  assert.match(r.header('content-type'), /^text\/css/);
  r = await ask(h, port, get('/link-in.txt'));
  assert.equal(r.status, 200, 'a symlink staying inside the root is served');
  assert.equal(r.text, 'hello static');
  r = await ask(h, port, get('/hello.txt', { Range: 'bytes=6-' }));
  assert.equal(r.status, 206);
  assert.equal(r.text, 'static');
  const lm = (await ask(h, port, get('/hello.txt'))).header('last-modified');
  r = await ask(h, port, get('/hello.txt', { 'If-Modified-Since': lm }));
  assert.equal(r.status, 304);
  r = await ask(h, port, 'HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n', true);
  assert.equal(r.status, 200);
  assert.equal(r.header('content-length'), '12');
  r = await ask(h, port, 'POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n');
  assert.equal(r.status, 405);
  r = await ask(h, port, get('/nope.txt'));
  assert.equal(r.status, 404);
  const res = await fetch(`http://127.0.0.1:${port}/hello.txt`);
  assert.equal(await res.text(), 'hello static');
});

test('static example: path traversal is refused with 404; the process keeps serving and its fd count is unchanged', T_LONG, async (t) => {
  const h = harness(t);
  const { base, root } = makeTree(t);
  const { child, port } = await startExample(t, root);
  // warm up once so lazily opened descriptors (thread pool, etc.) are in the baseline
  assert.equal((await ask(h, port, get('/hello.txt'))).status, 200);
  const secretAbs = path.join(base, 'secret.txt');
  const attacks = [
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/sub/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/.%2e/secret.txt',
    '/%2e./secret.txt',
    '/%252e%252e/secret.txt', // double-encoded: decoded once it is a literal "%2e%2e" name
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/sub\\..\\..\\secret.txt',
    '/hello.txt%00.html',
    '/%00',
    '/%c0%ae%c0%ae/secret.txt', // overlong UTF-8
    '/%', // malformed escape
    '/%zz',
    `/${secretAbs}`,
    `/${encodeURIComponent(secretAbs)}`,
    `//${secretAbs.slice(1)}`,
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    '/../root-evil/x.txt',
    '/../rootsibling.txt',
    '/%2e%2e/rootsibling.txt',
    '/link-out.txt',
    '/dir-out/secret.txt',
    '/dir-out/',
    '/sub/rel-out.txt',
    '/passwd',
    '/hello.txt/',
    '/hello.txt/.',
  ];
  const requests = [
    ...attacks.map((p) => [p, get(p)]),
    [`absolute target ${secretAbs}`, `GET ${secretAbs} HTTP/1.1\r\nHost: t\r\n\r\n`],
    ['absolute-form http://t/../secret.txt', 'GET http://t/../secret.txt HTTP/1.1\r\nHost: t\r\n\r\n'],
    // RFC 9112 3.2.4: asterisk-form is only for OPTIONS, so the core refuses it before the static server.
    ['asterisk-form', 'GET * HTTP/1.1\r\nHost: t\r\n\r\n', 400],
  ];
  const before = await stableFds(child.pid);
  const failures = [];
  for (const [what, bytes, status = 404] of requests) {
    const c = await h.connect(port);
    c.write(bytes);
    try {
      await c.wait((x) => finals(x).length >= 1 || x.ended || x.closed, `a response to ${what}`, 5000);
      const rs = finals(c);
      assert.equal(rs.length, 1, 'one response');
      const r = rs[0];
      assert.ok(!r.text.includes(SECRET) && !/root:x?:0:0/.test(r.text), 'secret content leaked');
      assert.equal(r.status, status, `refused with ${status}`);
    } catch (e) {
      failures.push(`${what}: ${e.message.split('\n')[0]}`);
    }
    c.destroy();
    // the process keeps serving
    const ok = await ask(h, port, get('/hello.txt'));
    if (ok.status !== 200 || ok.text !== 'hello static') failures.push(`${what}: not serving afterwards (${ok.status})`);
  }
  assert.equal(child.exitCode, null, 'the example is still running');
  await sleep(100);
  const after = await stableFds(child.pid);
  assert.equal(after, before, `fd count of the server process: before ${before}, after ${after}`);
  assert.deepEqual(failures, []);
});

test('resolveStaticPath refuses the same inputs directly (exported from netwright/static)', async (t) => {
  const { root } = makeTree(t);
  assert.equal(typeof resolveStaticPath, 'function');
  assert.equal(resolveStaticPath(root, '/hello.txt'), fs.realpathSync(path.join(root, 'hello.txt')));
  assert.equal(resolveStaticPath(root, '/'), fs.realpathSync(path.join(root, 'index.html')));
  for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/link-out.txt', '/dir-out/secret.txt',
    '/sub/rel-out.txt', '/passwd', '/..\\secret.txt', '/hello.txt%00', '/%', '/../rootsibling.txt']) {
    assert.equal(resolveStaticPath(root, bad), null, bad);
  }
});
