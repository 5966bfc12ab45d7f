// Receive buffering: "Buffers are never reserved beyond the bytes that have
// actually arrived." 100 connections each announce a package just under the
// default maxPackageSize (10 MiB) and send only a few bytes of it; the
// process's address space and resident memory must not grow by anything
// near 100 x 10 MB. Then the packages are completed and delivered intact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { T_LONG, harness, until, sleep } from './helpers/harness.mjs';

const N = 100;
const DECLARED = 10_000_000; // under TcpConnection.defaultMaxPackageSize (10485760)

function memKb() {
  const s = readFileSync('/proc/self/status', 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)[1]);
  return { vm: get('VmSize'), rss: get('VmRSS') };
}

async function checkNoReservation(t, socketName, setup, header) {
  const h = harness(t);
  const got = [];
  const w = await h.serve(socketName, (w) => {
    setup(w);
    w.onMessage = (c, d) => { got.push(d.length); };
  });
  const clients = await Promise.all(Array.from({ length: N }, () => h.connect(w.port)));
  await until(() => w.connections.size === N, 'all connected');
  global.gc?.();
  await sleep(100);
  const before = memKb();
  for (const c of clients) c.write(Buffer.concat([header, Buffer.alloc(12, 1)]));
  await sleep(500);
  const after = memKb();
  const vmMb = (after.vm - before.vm) / 1024;
  const rssMb = (after.rss - before.rss) / 1024;
  t.diagnostic(`${N} connections announcing ${DECLARED} bytes each: VmSize +${vmMb.toFixed(1)} MB, VmRSS +${rssMb.toFixed(1)} MB`);
  assert.ok(vmMb < 256, `address space grew by ${vmMb.toFixed(0)} MB: receive buffers were reserved for bytes that have not arrived`);
  assert.ok(rssMb < 256, `resident memory grew by ${rssMb.toFixed(0)} MB`);
  assert.equal(got.length, 0, 'nothing delivered yet');
  // complete two of the packages: they arrive whole
  const rest = Buffer.alloc(DECLARED - header.length - 12, 2);
  clients[0].write(rest);
  clients[1].write(rest);
  await until(() => got.length === 2, 'two completed packages', 20_000);
}

test('frame://: a large announced length reserves nothing beyond what arrived', T_LONG, async (t) => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(DECLARED);
  await checkNoReservation(t, 'frame://127.0.0.1:0', () => {}, head);
});

test('user protocol: a large length from input() reserves nothing beyond what arrived', T_LONG, async (t) => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(DECLARED);
  await checkNoReservation(t, 'tcp://127.0.0.1:0', (w) => {
    w.protocol = {
      input: (b) => (b.length < 4 ? 0 : b.readUInt32BE(0)),
      decode: (b) => b,
      encode: (b) => b,
    };
  }, head);
});
