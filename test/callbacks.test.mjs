// Callback semantics: batch ordering (microtasks after the batch),
// AsyncLocalStorage inside callbacks, and exceptions thrown by user callbacks
// and timers (Node's uncaughtException; the batch continues when handled),
// tested in child processes so the runner is not disturbed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AsyncLocalStorage } from 'node:async_hooks';
import { T, harness, connect, until, sleep, deadline } from './helpers/harness.mjs';

const FIXTURE = fileURLToPath(new URL('./fixtures/throwing-server.mjs', import.meta.url));

test('promise continuations and nextTicks queued by a callback run after the whole batch', T, async (t) => {
  const h = harness(t);
  const log = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => {
      log.push(`msg ${d}`);
      Promise.resolve().then(() => log.push(`micro ${d}`));
      process.nextTick(() => log.push(`tick ${d}`));
    };
  });
  const c = await h.connect(w.port);
  c.write('a\nb\nc\n');
  await until(() => log.length === 9, 'nine log entries');
  assert.deepEqual(log.slice(0, 3), ['msg a', 'msg b', 'msg c'], 'all messages of the batch first');
  assert.deepEqual(log.filter((x) => x.startsWith('micro')), ['micro a', 'micro b', 'micro c']);
});

test('AsyncLocalStorage.run() inside a callback carries its store through awaits and timers', T, async (t) => {
  const h = harness(t);
  const als = new AsyncLocalStorage();
  const seen = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => {
      als.run({ msg: d }, async () => {
        await null;
        seen.push(['await', d, als.getStore()?.msg]);
        setTimeout(() => { seen.push(['timeout', d, als.getStore()?.msg]); c.send(d); }, 5);
      });
    };
  });
  const c = await h.connect(w.port);
  c.write('x\ny\n');
  await c.waitLines(2);
  for (const [, d, store] of seen) assert.equal(store, d);
  assert.equal(seen.length, 4);
  assert.equal(als.getStore(), undefined);
});

/** Start the fixture; resolves with { child, port, out() , err() , exited }. */
async function startChild(mode) {
  const child = spawn(process.execPath, [FIXTURE, mode], {
    env: { ...process.env, NETWRIGHT_FIXTURE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const port = await deadline(new Promise((resolve, reject) => {
    const check = () => { const m = /PORT (\d+)/.exec(out); if (m) resolve(Number(m[1])); };
    child.stdout.on('data', check);
    exited.then((e) => reject(new Error(`fixture exited early ${JSON.stringify(e)}: ${err}`)));
  }), 10_000, 'the fixture to listen');
  return { child, port, out: () => out, err: () => err, exited };
}

async function killChild(ch) {
  if (ch.child.exitCode === null && ch.child.signalCode === null) ch.child.kill('SIGTERM');
  const r = await Promise.race([ch.exited, sleep(3000).then(() => null)]);
  if (r === null) { ch.child.kill('SIGKILL'); await ch.exited; }
}

test('a throwing onMessage raises uncaughtException; with a handler the rest of the batch is delivered', T, async (t) => {
  const ch = await startChild('handler');
  t.after(() => killChild(ch));
  const c = await connect(ch.port);
  t.after(() => c.destroy());
  c.write('a\nsyncboom\nb\nc\n');
  await c.waitLines(3);
  assert.deepEqual(c.lines, ['re:a', 're:b', 're:c']);
  await until(() => ch.out().includes('CAUGHT boom-sync'), 'the handler to see the exception');
  assert.equal((ch.out().match(/CAUGHT boom-sync/g) ?? []).length, 1);
  // native state is consistent: the same connection and new ones keep working
  c.write('d\n');
  await c.waitLines(4);
  const c2 = await connect(ch.port);
  t.after(() => c2.destroy());
  await sleep(50);
  const c3 = await connect(ch.port);
  t.after(() => c3.destroy());
  c3.write('e\n');
  await c3.waitText('re:e\n');
  assert.equal(ch.child.exitCode, null, 'the process lives on');
});

test('a throwing onConnect is an uncaught exception; the connection and server stay usable', T, async (t) => {
  const ch = await startChild('handler');
  t.after(() => killChild(ch));
  const a = await connect(ch.port);
  t.after(() => a.destroy());
  await sleep(50);
  const b = await connect(ch.port); // second connection: onConnect throws
  t.after(() => b.destroy());
  await until(() => ch.out().includes('CAUGHT boom-connect'), 'the exception');
  b.write('after\n');
  await b.waitText('re:after\n');
  a.write('x\n');
  await a.waitText('re:x\n');
});

test('a callback returning a rejected promise is an unhandled rejection, as in Node', T, async (t) => {
  const ch = await startChild('handler');
  t.after(() => killChild(ch));
  const c = await connect(ch.port);
  t.after(() => c.destroy());
  c.write('boom\nok\n');
  await c.waitText('re:ok\n');
  await until(() => ch.out().includes('REJECTED boom-message'), 'unhandledRejection');
});

test('a throwing timer callback behaves like a throwing callback', T, async (t) => {
  const ch = await startChild('handler');
  t.after(() => killChild(ch));
  const c = await connect(ch.port);
  t.after(() => c.destroy());
  c.write('timer\n');
  await c.waitText('timer-after\n');
  assert.match(ch.out(), /CAUGHT boom-timer/);
});

test('without an uncaughtException handler a throwing callback kills the process', T, async (t) => {
  const ch = await startChild('none');
  t.after(() => killChild(ch));
  const c = await connect(ch.port);
  t.after(() => c.destroy());
  c.write('syncboom\n');
  const r = await deadline(ch.exited, 10_000, 'the child to exit');
  assert.notEqual(r.code, 0, `exit code ${JSON.stringify(r)}`);
  assert.match(ch.err(), /boom-sync/);
});
