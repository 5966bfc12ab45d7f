// connection.context: per-connection user state made by the Worker's context
// option on first use (else {}), one object per connection, gone with it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import { T, harness } from './helpers/harness.mjs';

test('the context option makes one context per connection, on first use', T, async (t) => {
  const h = harness(t);
  let made = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, line) => {
      if (line === 'count') return c.send(String(c.context.lines));
      c.context.lines++;
      c.send(`${c.context.name}:${c.context.lines}`);
    };
  }, { context: () => ({ name: `c${++made}`, lines: 0 }) });
  const a = await h.connect(w.port);
  const b = await h.connect(w.port);
  a.write('x\nx\n');
  await a.waitLines(2);
  b.write('y\n');
  await b.waitLines(1);
  a.write('count\n');
  await a.waitLines(3);
  assert.deepEqual(a.lines, ['c1:1', 'c1:2', '2']);
  assert.deepEqual(b.lines, ['c2:1']);
  assert.equal(made, 2);
});

test('without the option the context is {}; it can be replaced; a context that is not a function throws', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, line) => {
      seen.push(JSON.stringify(c.context));
      c.context = { last: line };
      c.send(c.context.last);
    };
  });
  const c = await h.connect(w.port);
  c.write('one\ntwo\n');
  await c.waitLines(2);
  assert.deepEqual(seen, ['{}', '{"last":"one"}']);
  assert.throws(() => new Worker('text://127.0.0.1:0', { context: { user: null } }), (e) => e instanceof TypeError && /context option is a function/.test(e.message));
});
