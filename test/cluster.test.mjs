// One cluster, not N islands: under Worker.runAll() the worker processes of a
// script reach each other's connections through the master's relay. A chat
// gateway (test/fixtures/cluster-server.mjs) with COUNT chat processes and an
// http:// pusher process; clients connect until both chat processes hold some.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { isAlive, sleep, until } from './fixtures/runall-helpers.mjs';
import { chatClient, closeAll, pusherGet, spreadClients, startGateway, subscribed } from './helpers/cluster-client.mjs';

const T = { timeout: 60_000 };

function byProcess(clients) {
  const groups = new Map();
  for (const c of clients) groups.set(c.pid, [...(groups.get(c.pid) ?? []), c]);
  return [...groups.values()];
}

/** Resolves once no client got anything matching `match` for `ms` (a message that must not come). */
async function nothingMore(clients, match, ms = 300) {
  await sleep(ms);
  for (const c of clients) assert.equal(c.messages.filter((m) => typeof m === 'string' && match(m)).length, 0, `client ${c.clientId} got ${JSON.stringify(c.messages)}`);
}

test('publish reaches the subscribers of every process once, also from the http worker; { local: true } stays in the process', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 3);
  t.after(() => closeAll(clients));
  const [a, b] = byProcess(clients);
  for (const c of clients) assert.equal(await c.request('sub room'), 'subscribed room');
  await subscribed(s, 'room', clients.length);
  const outsider = await chatClient(s.ports.chat); // subscribes to nothing
  t.after(() => outsider.close());

  assert.equal(await a[0].request('pub room from-a', 'published'), `published ${a.length}`, 'the return value counts this process only');
  for (const c of clients) assert.equal(await c.next((m) => m === 'from-a'), 'from-a');
  await nothingMore([...clients, outsider], (m) => m === 'from-a');

  assert.deepEqual(await pusherGet(s.ports.pusher, '/pub?topic=room&msg=from-http'), { local: 0 });
  for (const c of clients) await c.next((m) => m === 'from-http');
  await nothingMore([...clients, outsider], (m) => m === 'from-http');

  assert.equal(await b[0].request('publocal room only-b', 'published'), `published ${b.length}`);
  for (const c of b) await c.next((m) => m === 'only-b');
  await nothingMore(a, (m) => m === 'only-b');

  // a topic nobody subscribes to reaches nobody
  assert.deepEqual(await pusherGet(s.ports.pusher, '/pub?topic=empty&msg=nobody'), { local: 0 });
  await nothingMore([...clients, outsider], (m) => m === 'nobody');
});

test('broadcast reaches every connection of the worker in every process but the sender; { local: true } stays', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 2);
  t.after(() => closeAll(clients));
  const [a, b] = byProcess(clients);
  assert.equal(await a[0].request('bc hello all', 'broadcast'), `broadcast ${a.length - 1}`);
  for (const c of clients.filter((c) => c !== a[0])) await c.next((m) => m === 'hello all');
  await nothingMore([a[0]], (m) => m === 'hello all');

  assert.deepEqual(await pusherGet(s.ports.pusher, '/bc?msg=from-http'), { local: 0 });
  for (const c of clients) await c.next((m) => m === 'from-http');

  assert.equal(await b[0].request('bclocal local-only', 'broadcast'), `broadcast ${b.length - 1}`);
  for (const c of b.slice(1)) await c.next((m) => m === 'local-only');
  await nothingMore(a, (m) => m === 'local-only');
});

test('clientId addresses one connection from any process: sendTo, closeClient, isOnline', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 2);
  t.after(() => closeAll(clients));
  const [a, b] = byProcess(clients);
  const ids = new Set(clients.map((c) => c.clientId));
  assert.equal(ids.size, clients.length, 'client ids are unique');
  for (const id of ids) assert.match(id, /^[0-9a-f]{20}$/);

  assert.equal(await a[0].request(`sendto ${b[0].clientId} to-b`, 'sent'), 'sent true');
  assert.equal(await b[0].next((m) => m === 'to-b'), 'to-b');
  assert.equal(await a[0].request(`sendto ${a[1].clientId} to-a1`, 'sent'), 'sent true');
  await a[1].next((m) => m === 'to-a1');
  assert.deepEqual(await pusherGet(s.ports.pusher, `/sendto?id=${b[1].clientId}&msg=from-http`), { sent: true });
  await b[1].next((m) => m === 'from-http');
  await nothingMore([a[0], a[1], b[0]], (m) => m === 'from-http');

  assert.equal(await a[0].request(`online ${b[0].clientId}`), 'online true');
  assert.deepEqual(await pusherGet(s.ports.pusher, `/online?id=${a[1].clientId}`), { online: true });
  assert.deepEqual(await pusherGet(s.ports.pusher, `/online?id=${'0'.repeat(20)}`), { online: false });
  assert.deepEqual(await pusherGet(s.ports.pusher, '/online?id=not-an-id'), { online: false });
  assert.deepEqual(await pusherGet(s.ports.pusher, '/sendto?id=bogus&msg=x'), { sent: false });

  // closeClient from another process ends that connection; it is then offline everywhere
  assert.equal(await a[0].request(`kick ${b[0].clientId} bye`, 'kicked'), 'kicked true');
  await b[0].next((m) => m === 'bye');
  await b[0].closed;
  await until(async () => (await a[0].request(`online ${b[0].clientId}`)) === 'online false', 'the kicked client to go offline');
  assert.deepEqual(await pusherGet(s.ports.pusher, `/online?id=${b[0].clientId}`), { online: false });
});

test('uids: sendToUid reaches every device of a user in every process; isUidOnline and getClientIdsByUid; a closed connection unbinds', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 2);
  t.after(() => closeAll(clients));
  const [a, b] = byProcess(clients);
  const devices = [a[0], b[0], b[1]];
  for (const c of devices) assert.equal(await c.request('bind alice', 'bound'), 'bound alice');
  assert.equal(await a[1].request('bind bob', 'bound'), 'bound bob');

  assert.equal(await a[1].request('touid alice hi-alice', 'touid'), 'touid 1', 'written here: a[0]');
  for (const c of devices) await c.next((m) => m === 'hi-alice');
  await nothingMore([a[1]], (m) => m === 'hi-alice');
  assert.deepEqual(await pusherGet(s.ports.pusher, '/touid?uid=bob&msg=hi-bob'), { local: 0 });
  await a[1].next((m) => m === 'hi-bob');
  await nothingMore(devices, (m) => m === 'hi-bob');

  const listed = await pusherGet(s.ports.pusher, '/uidclients?uid=alice');
  assert.deepEqual(listed.clientIds.sort(), devices.map((c) => c.clientId).sort());
  assert.deepEqual(JSON.parse(await b[1].request('uidclients alice', '[')).sort(), devices.map((c) => c.clientId).sort());
  assert.equal(await a[1].request('uidonline alice'), 'uidonline true');
  assert.deepEqual(await pusherGet(s.ports.pusher, '/uidonline?uid=carol'), { online: false });

  // rebinding moves a connection; closing one unbinds it
  assert.equal(await b[1].request('bind carol', 'bound'), 'bound carol');
  b[0].close();
  await until(async () => (await pusherGet(s.ports.pusher, '/uidclients?uid=alice')).clientIds.length === 1, 'alice to keep one device');
  assert.deepEqual((await pusherGet(s.ports.pusher, '/uidclients?uid=alice')).clientIds, [a[0].clientId]);
  assert.deepEqual(await pusherGet(s.ports.pusher, '/uidonline?uid=carol'), { online: true });
});

test('subscriberCount and connectionCount count the whole cluster; closed and unsubscribed connections leave the counts', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 3);
  t.after(() => closeAll(clients));
  const subscribers = clients.slice(0, 5);
  for (const c of subscribers) await c.request('sub news');
  assert.deepEqual(await pusherGet(s.ports.pusher, '/count?topic=news'), { count: 5 });
  assert.equal(await clients[0].request('count news'), 'count 5');
  assert.deepEqual(await pusherGet(s.ports.pusher, '/conns'), { count: clients.length });
  assert.equal(await clients.at(-1).request('conns'), `conns ${clients.length}`);

  await subscribers[0].request('unsub news', 'unsubscribed');
  subscribers[1].close();
  await until(async () => (await pusherGet(s.ports.pusher, '/count?topic=news')).count === 3, 'the count to fall to 3');
  await until(async () => (await pusherGet(s.ports.pusher, '/conns')).count === clients.length - 1, 'one connection fewer');
});

test('order: a burst of publishes arrives in publish order at every subscriber, in both processes', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 2);
  t.after(() => closeAll(clients));
  for (const c of clients) await c.request('sub burst');
  await subscribed(s, 'burst', clients.length);
  const N = 2000;
  assert.equal(await clients[0].request(`burst burst ${N}`, 'done'), 'done burst');
  for (const c of clients) {
    await until(() => c.messages.filter((m) => m.startsWith('burst ')).length >= N, `${N} messages at ${c.clientId}`, 15000);
    const got = c.messages.filter((m) => m.startsWith('burst '));
    assert.deepEqual(got, Array.from({ length: N }, (_, i) => `burst ${i}`), `in order at ${c.clientId} (pid ${c.pid})`);
  }
  const report = await s.json('status');
  assert.equal(report.summary.clusterDropped, 0);
});

test('a killed worker process is replaced and rejoins: its subscriptions are gone, publishes reach the new one', T, async (t) => {
  const s = await startGateway(t);
  const clients = await spreadClients(s.ports.chat, 2, 2);
  t.after(() => closeAll(clients));
  for (const c of clients) await c.request('sub room');
  await subscribed(s, 'room', clients.length);
  const [a, b] = byProcess(clients);
  process.kill(b[0].pid, 'SIGKILL');
  await Promise.all(b.map((c) => c.closed));
  await until(() => !isAlive(b[0].pid), 'the killed process to go');
  await until(async () => (await pusherGet(s.ports.pusher, '/count?topic=room')).count === a.length, 'the dead process\'s subscribers to leave the count');

  const fresh = await until(async () => {
    const c = await chatClient(s.ports.chat);
    if (c.pid !== a[0].pid) return c;
    c.close();
    return null;
  }, 'a client of the replacement process', 15000);
  t.after(() => fresh.close());
  assert.notEqual(fresh.pid, b[0].pid);
  await fresh.request('sub room');
  assert.deepEqual(await pusherGet(s.ports.pusher, '/count?topic=room'), { count: a.length + 1 });
  await a[0].request('pub room after-restart', 'published');
  for (const c of [...a, fresh]) await c.next((m) => m === 'after-restart');
  assert.equal(await fresh.request(`sendto ${a[0].clientId} from-new`, 'sent'), 'sent true');
  await a[0].next((m) => m === 'from-new');
});

test('reload keeps the cluster whole: publishes during a reload reach every process that is up, and the new processes rejoin', T, async (t) => {
  const s = await startGateway(t);
  const before = await spreadClients(s.ports.chat, 2, 1);
  t.after(() => closeAll(before));
  for (const c of before) await c.request('sub room');
  await subscribed(s, 'room', before.length);
  let sent = 0;
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      await pusherGet(s.ports.pusher, `/pub?topic=room&msg=tick-${sent++}`).catch(() => {});
      await sleep(5);
    }
  })();
  const r = await s.run(['reload']);
  assert.equal(r.code, 0);
  await until(() => /reloaded/.test(s.log), 'the reload to finish', 20000);
  const after = await spreadClients(s.ports.chat, 2, 1);
  t.after(() => closeAll(after));
  for (const c of after) await c.request('sub room');
  await subscribed(s, 'room', after.length);
  const mark = sent;
  await until(() => after.every((c) => c.messages.some((m) => m.startsWith('tick-') && Number(m.slice(5)) > mark)), 'ticks at the new processes', 10000);
  publishing = false;
  await publisher;
  // the old clients were served by the old processes: each got ticks while its process was up
  for (const c of before) assert.ok(c.messages.some((m) => m.startsWith('tick-')), `old client ${c.pid} got ticks`);
  const pids = new Set(after.map((c) => c.pid));
  for (const c of before) assert.ok(!pids.has(c.pid), 'new processes serve the new clients');
});

test('a process that does not read loses cluster messages, counted in status; the master stays bounded and the cluster recovers', T, async (t) => {
  const s = await startGateway(t, { COUNT: '2' });
  const clients = await spreadClients(s.ports.chat, 2, 1);
  t.after(() => closeAll(clients));
  const [a, b] = byProcess(clients);
  await b[0].request('sub big');
  // b's process blocks its loop until the test lets it go; a publishes ~40 MiB to b's topic meanwhile
  const release = releaseFiles(t);
  b[0].socket.send(`blockuntil ${release.next()}`);
  await sleep(200);
  assert.equal(await a[0].request('burstbig big 640 65536', 'done'), 'done burst');
  const masterRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))[1]) * 1024;
  assert.ok(masterRss < 200 * 1024 * 1024, `master RSS ${masterRss}`);
  release.now();
  const report = await until(async () => {
    const r = await s.json('status');
    return r.summary.clusterDropped > 0 && r.processes.every((p) => p.status === 'idle') ? r : null;
  }, 'drops to be counted', 15000);
  // Where the queue overflowed depends on who was slower: the relay's queue towards b, or a's own
  // link when the master could not keep up. Either is counted, and the summary adds them.
  const inProcesses = report.processes.reduce((n, p) => n + p.clusterDropped, 0);
  assert.equal(report.summary.clusterDropped, report.relay.dropped + inProcesses);
  t.diagnostic(`dropped: ${report.relay.dropped} by the relay, ${inProcesses} by the publishing process`);
  assert.equal(report.relay.processes, 3);
  const text = await s.run(['status']);
  assert.match(text.stdout, /cluster: relay up \(3\)\s+cluster_dropped: [1-9]\d*/);
  // paced so that the publisher's link drains: the relay's queue towards the blocked process overflows
  b[0].socket.send(`blockuntil ${release.next()}`);
  await sleep(200);
  const relayBefore = report.relay.dropped;
  assert.equal(await a[0].request('burstpaced big 800 65536', 'done', 20000), 'done burst');
  // b stays blocked until the relay has read enough of the burst to overflow b's queue, however slow the machine
  const overflowed = await until(async () => {
    const r = await s.json('status');
    return r.relay.dropped > relayBefore ? r : null;
  }, 'the relay to drop some of the paced burst', 15000);
  release.now();
  t.diagnostic(`the relay dropped ${overflowed.relay.dropped - relayBefore} of the paced burst`);
  await until(async () => {
    const r = await s.json('status');
    return r.processes.every((p) => p.status === 'idle');
  }, 'b to answer again', 15000);
  // once b reads again, messages reach it again; b's client first takes what b still had for it
  await b[0].request('unsub big', 'unsubscribed', 20000);
  await b[0].request('sub small', 'subscribed', 20000);
  await a[0].request('pub small again', 'published');
  await b[0].next((m) => m === 'again', 20000);
});

/** Files that let a blocked process go: `next()` names a new one, `now()` creates it. */
function releaseFiles(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netwright-release-'));
  let count = 0;
  const current = () => path.join(dir, String(count));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    next: () => (count++, current()),
    now: () => writeFileSync(current(), ''),
  };
}
