// Timer.add / del / delAll / count: fractions of a second, persistent=false,
// args, ids. (A throwing timer is covered in callbacks.test.mjs.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { Timer } from 'netwright';
import { T, until, sleep } from './helpers/harness.mjs';

test.afterEach(() => Timer.delAll());

test('a persistent timer repeats until Timer.del(id)', T, async () => {
  let n = 0;
  const id = Timer.add(0.02, () => { n++; });
  assert.ok(Number.isInteger(id), `id is an integer (${id})`);
  await until(() => n >= 3, 'three ticks');
  Timer.del(id);
  const stopped = n;
  await sleep(150);
  assert.equal(n, stopped, 'no tick after del');
});

test('persistent=false fires exactly once, with args, and leaves the count', T, async () => {
  const base = Timer.count();
  const calls = [];
  Timer.add(0.01, (...args) => calls.push(args), ['x', 2, { y: 3 }], false);
  assert.equal(Timer.count(), base + 1);
  await until(() => calls.length === 1, 'the one-shot timer');
  await sleep(100);
  assert.equal(calls.length, 1, 'fired once');
  assert.deepEqual(calls[0], ['x', 2, { y: 3 }]);
  assert.equal(Timer.count(), base, 'a fired one-shot timer is no longer counted');
});

test('args are passed to a persistent timer on every tick', T, async () => {
  const seen = [];
  const id = Timer.add(0.01, (a, b) => seen.push(a + b), [40, 2]);
  await until(() => seen.length >= 2, 'two ticks');
  Timer.del(id);
  assert.ok(seen.every((v) => v === 42));
});

test('fractions of a second: a 0.25 s timer does not fire early; a 0.001 s timer fires', T, async () => {
  const start = process.hrtime.bigint();
  let firedAfterMs = null;
  Timer.add(0.25, () => { firedAfterMs = Number(process.hrtime.bigint() - start) / 1e6; }, [], false);
  let tiny = 0;
  Timer.add(0.001, () => { tiny++; }, [], false);
  await until(() => firedAfterMs !== null, 'the 0.25 s timer', 5000);
  assert.ok(firedAfterMs >= 240, `fired after ${firedAfterMs} ms, expected >= 250 ms (10 ms slack)`);
  assert.equal(tiny, 1);
});

test('Timer.count() and Timer.delAll()', T, async () => {
  Timer.delAll();
  assert.equal(Timer.count(), 0);
  let n = 0;
  const ids = [Timer.add(0.01, () => n++), Timer.add(0.02, () => n++), Timer.add(5, () => n++, [], false)];
  assert.equal(new Set(ids).size, 3, 'ids are unique');
  assert.equal(Timer.count(), 3);
  Timer.del(ids[2]);
  assert.equal(Timer.count(), 2);
  Timer.delAll();
  assert.equal(Timer.count(), 0);
  const after = n;
  await sleep(100);
  assert.equal(n, after, 'no timer fires after delAll');
});

test('Timer.del from inside its own callback stops a persistent timer', T, async () => {
  let n = 0;
  const id = Timer.add(0.01, () => { n++; Timer.del(id); });
  await until(() => n === 1, 'first tick');
  await sleep(100);
  assert.equal(n, 1);
  assert.equal(Timer.count(), 0);
});

test('Timer.del of an unknown or already deleted id is harmless', () => {
  const id = Timer.add(1, () => {});
  Timer.del(id);
  assert.doesNotThrow(() => Timer.del(id));
  assert.doesNotThrow(() => Timer.del(987654321));
});

test('ids are never reused', () => {
  const ids = new Set();
  for (let i = 0; i < 100; i++) {
    const id = Timer.add(10, () => {});
    assert.equal(ids.has(id), false);
    ids.add(id);
    Timer.del(id);
  }
});
