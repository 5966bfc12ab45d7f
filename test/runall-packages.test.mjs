// The package counts of `connections` (packagesIn / packagesOut), as a worker
// process keeps them: deliveries to the Worker's onMessage as it is when
// counting starts (not a connection's own onMessage, not a later one), held
// messages when they are delivered, and every send() call.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { Worker } from 'netwright';
import { countPackages, packagesOf } from '../dist/master/packages.js';

const T = { timeout: 15_000 };

async function until(predicate, what) {
  const end = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('packagesIn counts deliveries to the Worker onMessage counting started with; packagesOut counts send() calls', T, async (t) => {
  const w = new Worker('text://127.0.0.1:0');
  const seen = [];
  w.onMessage = (connection, data) => {
    seen.push(data);
    connection.send(data);
    if (data === 'pause') connection.pauseRecv(); // what follows in the same read is held in JS until resumeRecv()
    if (data === 'own') connection.onMessage = (c, d) => seen.push(`own:${d}`);
  };
  countPackages(w);
  w.listen();
  t.after(() => w.stop());
  const client = net.connect(w.port, '127.0.0.1');
  t.after(() => client.destroy());
  await until(() => w.connections.size === 1, 'the connection');
  const connection = [...w.connections.values()][0];

  client.write('a\npause\nheld\n');
  await until(() => seen.length === 2, 'two messages');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(packagesOf(connection), { in: 2, out: 2 });
  connection.resumeRecv();
  await until(() => seen.length === 3, 'the held message');
  assert.deepEqual(packagesOf(connection), { in: 3, out: 3 });

  connection.send('x', true);
  client.write('own\nnot counted\n');
  await until(() => seen.length === 5, 'the connection onMessage');
  assert.deepEqual(seen.slice(3), ['own', 'own:not counted']);
  assert.deepEqual(packagesOf(connection), { in: 4, out: 5 });
});
