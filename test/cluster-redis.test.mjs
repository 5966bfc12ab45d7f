// More than one host: two runAll() gateways ("hosts", each with two chat
// processes and a pusher) on different ports share one real redis-server
// through Worker.cluster = { redis }. Everything that reaches across the
// processes of one host reaches across hosts too; when Redis goes away,
// delivery inside a process goes on, status says so, and cross-host delivery
// resumes once it is back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { sleep, until } from './fixtures/runall-helpers.mjs';
import { closeAll, pusherGet, spreadClients, startGateway, subscribed } from './helpers/cluster-client.mjs';
import { redisTest, startRedis } from './helpers/redis-server.mjs';

const T = redisTest({ timeout: 90_000 });
let prefixes = 0;

async function twoHosts(t) {
  const redis = await startRedis(t);
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: `nwtest${process.pid}-${++prefixes}:` };
  const hostA = await startGateway(t, env);
  const hostB = await startGateway(t, env);
  const a = await spreadClients(hostA.ports.chat, 2, 1);
  const b = await spreadClients(hostB.ports.chat, 2, 1);
  t.after(() => closeAll([...a, ...b]));
  return { redis, hostA, hostB, a, b };
}

test('two hosts on one Redis: publish, broadcast, sendTo, sendToUid and the counts reach across hosts', T, async (t) => {
  const { hostA, hostB, a, b } = await twoHosts(t);
  const everyone = [...a, ...b];
  for (const c of everyone) await c.request('sub room');
  await subscribed(hostB, 'room', everyone.length);

  await a[0].request('pub room across', 'published');
  for (const c of everyone) await c.next((m) => m === 'across');
  await sleep(200);
  for (const c of everyone) assert.ok(!c.messages.includes('across'), 'delivered once');

  assert.deepEqual(await pusherGet(hostB.ports.pusher, '/pub?topic=room&msg=from-b-http'), { local: 0 });
  for (const c of everyone) await c.next((m) => m === 'from-b-http');

  assert.deepEqual(await pusherGet(hostA.ports.pusher, '/bc?msg=bc-all'), { local: 0 });
  for (const c of everyone) await c.next((m) => m === 'bc-all');

  assert.equal(await a[0].request(`sendto ${b[1].clientId} a-to-b`, 'sent'), 'sent true');
  await b[1].next((m) => m === 'a-to-b');
  assert.deepEqual(await pusherGet(hostA.ports.pusher, `/online?id=${b[0].clientId}`), { online: true });

  await a[1].request('bind dave', 'bound');
  await b[0].request('bind dave', 'bound');
  assert.deepEqual((await pusherGet(hostB.ports.pusher, '/uidclients?uid=dave')).clientIds.sort(), [a[1].clientId, b[0].clientId].sort());
  assert.deepEqual(await pusherGet(hostB.ports.pusher, '/touid?uid=dave&msg=hi-dave'), { local: 0 });
  for (const c of [a[1], b[0]]) await c.next((m) => m === 'hi-dave');

  assert.deepEqual(await pusherGet(hostA.ports.pusher, '/conns'), { count: everyone.length });
  const report = await hostA.json('status');
  assert.ok(report.processes.every((p) => p.cluster === 'redis up'), JSON.stringify(report.processes.map((p) => p.cluster)));
  assert.match((await hostA.run(['status'])).stdout, /cluster: redis up \(3\)/);

  // a killed host leaves no ghosts: its clients drop out of the counts and uids
  await hostB.run(['stop']);
  await until(async () => (await pusherGet(hostA.ports.pusher, '/count?topic=room')).count === a.length, 'host B\'s subscribers to leave the count', 10000);
  assert.deepEqual((await pusherGet(hostA.ports.pusher, '/uidclients?uid=dave')).clientIds, [a[1].clientId]);
});

test('Redis stopped mid-run: delivery inside each process goes on, status shows the backend down and drops; cross-host delivery resumes after a restart', T, async (t) => {
  const { redis, hostA, a, b } = await twoHosts(t);
  for (const c of [...a, ...b]) await c.request('sub room');
  await subscribed(hostA, 'room', a.length + b.length);
  await a[0].request('pub room before', 'published');
  for (const c of [...a, ...b]) await c.next((m) => m === 'before');

  await redis.stop();
  const down = await until(async () => {
    const r = await hostA.json('status');
    return r.processes.every((p) => p.cluster && p.cluster !== 'redis up') ? r : null;
  }, 'status to show Redis away', 10000);
  t.diagnostic(`while Redis is away: ${[...new Set(down.processes.map((p) => p.cluster))].join(', ')}`);
  // the publisher's own process still delivers; the return value says so
  const local = await a[0].request('pub room during', 'published');
  assert.equal(local, `published ${a.filter((c) => c.pid === a[0].pid).length}`);
  await a[0].next((m) => m === 'during');
  const dropped = await until(async () => ((await hostA.json('status')).summary.clusterDropped > 0 ? true : null), 'the drop to be counted', 5000);
  assert.ok(dropped);

  await redis.start();
  await until(async () => (await hostA.json('status')).processes.every((p) => p.cluster === 'redis up'), 'the processes to reconnect', 15000);
  // resubscribed: a publish from host A reaches host B again
  await until(async () => {
    await a[0].request('pub room after', 'published');
    return b.every((c) => c.messages.includes('after'));
  }, 'cross-host delivery to resume', 15000);
});

test('garbage published on the cluster\'s Redis channels is ignored: the processes keep serving and the cluster keeps working', T, async (t) => {
  const { redis, hostA, hostB, a, b } = await twoHosts(t);
  const prefix = hostA.env.REDIS_PREFIX;
  const { default: Redis } = await import('ioredis');
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  for (const c of [...a, ...b]) await c.request('sub room');
  await subscribed(hostA, 'room', a.length + b.length);
  const nodes = [...new Set([...a, ...b].map((c) => c.clientId.slice(0, 12)))];
  const channels = ['q:all', 'b:chat', 't:chat:room', 'u:nobody', ...nodes.map((n) => `n:${n}`)].map((c) => prefix + c);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const samples = [
    Buffer.alloc(0),
    Buffer.from([1]),
    Buffer.from([6, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff]), // a query whose argument runs past the end
    Buffer.from([7, 1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 0x7b]), // a reply that is not JSON
    Buffer.from([1, 9, 9, 9, 9, 9, 9, 0xff, 0xff]), // a publish whose worker key runs past the end
    Buffer.from([99, 1, 2, 3, 4, 5, 6]), // an unknown kind
  ];
  for (let i = 0; i < 200; i++) samples.push(Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))));
  for (const channel of channels) for (const sample of samples) await client.publish(channel, sample);
  await sleep(300);
  const report = await hostA.json('status');
  assert.equal(report.processes.filter((p) => p.status === 'idle').length, 3, 'every process of host A answers');
  await a[0].request('pub room still-works', 'published');
  for (const c of [...a, ...b]) await c.next((m) => m === 'still-works');
  assert.deepEqual(await pusherGet(hostB.ports.pusher, '/count?topic=room'), { count: a.length + b.length });
});

test('Worker.cluster.redis without ioredis installed: listen() says which package is missing', redisTest({ timeout: 20_000 }), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-noredis-'));
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const hide = path.join(dir, 'hide-ioredis.cjs');
  fs.writeFileSync(hide, `const Module = require('module'); const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'ioredis') { const e = new Error("Cannot find module 'ioredis'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return resolve.call(this, request, ...rest);
};`);
  const script = `const { Worker } = require(${JSON.stringify(root)});
Worker.cluster = { redis: 'redis://127.0.0.1:1' };
const w = new Worker('websocket://127.0.0.1:0');
try { w.listen(); console.log('listened'); } catch (e) { console.log('error: ' + e.message); }
process.exit(0);`;
  const r = spawnSync(process.execPath, ['-r', hide, '-e', script], { encoding: 'utf8', timeout: 15000 });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.match(r.stdout, /error: .*'ioredis'.*npm install ioredis/, r.stdout + r.stderr);
});
