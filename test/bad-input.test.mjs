// Bad input: a package over maxPackageSize (text, frame, user protocol), a
// frame length below 4, a user input() returning a negative number. Each fires
// onError with the right code, closes only that connection, is counted in
// Worker.getStatistics(), and the server keeps serving everyone else.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, PACKAGE_TOO_LARGE, PROTOCOL_ERROR } from 'netwright';
import { T, harness, frame, until, sleep } from './helpers/harness.mjs';

/** An echo worker that records errors/closes per connection id. */
async function guardedServer(h, socketName, { maxPackageSize, protocol } = {}) {
  const ev = { errors: [], closes: [], msgs: [], order: [] };
  const w = await h.serve(socketName, (w) => {
    if (protocol) w.protocol = protocol;
    w.onConnect = (c) => { if (maxPackageSize !== undefined) c.maxPackageSize = maxPackageSize; };
    w.onMessage = (c, d) => {
      ev.msgs.push(d);
      ev.order.push('message');
      c.send(d);
    };
    w.onError = (c, code, message) => {
      ev.errors.push({ id: c.id, code, message });
      ev.order.push('error');
    };
    w.onClose = (c) => {
      ev.closes.push(c.id);
      ev.order.push('close');
    };
  });
  return { w, ev };
}

async function bystanders(h, w, n = 3) {
  return Promise.all(Array.from({ length: n }, () => h.connect(w.port)));
}

test('text:// a line over maxPackageSize: PACKAGE_TOO_LARGE, close, counted; others unaffected', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'text://127.0.0.1:0', { maxPackageSize: 100 });
  const others = await bystanders(h, w);
  const before = Worker.getStatistics().packageTooLarge;
  const bad = await h.connect(w.port);
  bad.write('good\n' + 'x'.repeat(200));
  await bad.waitEnd();
  await until(() => ev.closes.length === 1, 'onClose of the bad connection');
  assert.equal(ev.errors.length, 1);
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
  assert.equal(typeof ev.errors[0].message, 'string');
  assert.equal(ev.errors[0].id, ev.closes[0], 'the erroring connection is the one closed');
  assert.deepEqual(ev.order, ['message', 'error', 'close'], 'complete message first, then onError, then onClose');
  assert.equal(Worker.getStatistics().packageTooLarge - before, 1);
  // everyone else still served, and new connections too
  others.forEach((c, i) => c.write(`still-${i}\n`));
  await Promise.all(others.map((c, i) => c.waitText(`still-${i}\n`)));
  const fresh = await h.connect(w.port);
  fresh.write('fresh\n');
  await fresh.waitText('fresh\n');
  assert.equal(ev.closes.length, 1, 'no other connection closed');
});

test('text:// maxPackageSize counts the whole line including \\n (boundary)', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'text://127.0.0.1:0', { maxPackageSize: 100 });
  const ok = await h.connect(w.port);
  ok.write('a'.repeat(99) + '\n');
  await ok.waitLines(1);
  assert.equal(ok.lines[0], 'a'.repeat(99));
  ok.write('b'.repeat(98) + '\r\n');
  await ok.waitLines(2);
  assert.equal(ev.errors.length, 0, '100 bytes including \\n is allowed');

  const over = await h.connect(w.port);
  over.write('c'.repeat(100) + '\n');
  await over.waitEnd();
  await until(() => ev.errors.length === 1, 'onError');
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE, '101 bytes including \\n is too large');
  assert.equal(ev.msgs.includes('c'.repeat(100)), false, 'the oversized line is not delivered');
});

test('text:// an oversized line trickled in without \\n is refused once it passes the limit', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'text://127.0.0.1:0', { maxPackageSize: 64 });
  const bad = await h.connect(w.port);
  for (let i = 0; i < 10 && !bad.ended && !bad.closed; i++) {
    bad.write('y'.repeat(16));
    await sleep(20);
  }
  await bad.waitEnd();
  await until(() => ev.errors.length === 1, 'onError');
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
});

test('frame:// a length over maxPackageSize is refused from the header alone', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'frame://127.0.0.1:0', { maxPackageSize: 1000 });
  const others = await bystanders(h, w);
  const before = Worker.getStatistics().packageTooLarge;
  const bad = await h.connect(w.port);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(1001, 0);
  bad.write(head); // header plus 4 bytes only; the declared length is already too large
  await bad.waitEnd();
  await until(() => ev.closes.length === 1, 'onClose');
  assert.equal(ev.errors.length, 1);
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
  assert.equal(Worker.getStatistics().packageTooLarge - before, 1);
  others.forEach((c, i) => c.write(frame(`ok${i}`)));
  await Promise.all(others.map((c, i) => c.waitBytes(4 + 2 + String(i).length)));
  others.forEach((c, i) => assert.deepEqual(c.data, frame(`ok${i}`)));
});

test('frame:// a frame of exactly maxPackageSize bytes (header included) is accepted', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'frame://127.0.0.1:0', { maxPackageSize: 1000 });
  const c = await h.connect(w.port);
  const f = frame(Buffer.alloc(996, 0x33));
  assert.equal(f.length, 1000);
  c.write(f);
  await c.waitBytes(1000);
  assert.deepEqual(c.data, f);
  assert.equal(ev.errors.length, 0);
});

for (const len of [0, 1, 2, 3]) {
  test(`frame:// a length of ${len} (< 4) is PROTOCOL_ERROR and closes`, T, async (t) => {
    const h = harness(t);
    const { w, ev } = await guardedServer(h, 'frame://127.0.0.1:0');
    const other = await h.connect(w.port);
    const before = Worker.getStatistics().protocolErrors;
    const bad = await h.connect(w.port);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(len, 0);
    bad.write(Buffer.concat([frame('fine'), head, Buffer.from('junkjunk')]));
    await bad.waitEnd();
    await until(() => ev.closes.length === 1, 'onClose');
    assert.equal(ev.errors.length, 1);
    assert.equal(ev.errors[0].code, PROTOCOL_ERROR);
    assert.equal(Worker.getStatistics().protocolErrors - before, 1, 'counted in protocolErrors');
    assert.deepEqual(ev.msgs.map(String), ['fine'], 'the good frame before it was delivered');
    other.write(frame('alive'));
    await other.waitBytes(9);
    assert.deepEqual(other.data, frame('alive'));
  });
}

const semi = {
  input(buf) {
    if (buf[0] === 0x21) return -1; // '!' starts bad input
    const i = buf.indexOf(0x3b);
    return i < 0 ? 0 : i + 1;
  },
  decode(buf) { return buf.subarray(0, buf.length - 1).toString(); },
  encode(s) { return s + ';'; },
};

test('user protocol: input() < 0 is PROTOCOL_ERROR, closes only that connection', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'tcp://127.0.0.1:0', { protocol: semi });
  const others = await bystanders(h, w);
  const before = Worker.getStatistics().protocolErrors;
  const bad = await h.connect(w.port);
  bad.write('ok;!bad;more;');
  await bad.waitEnd();
  await until(() => ev.closes.length === 1, 'onClose');
  assert.equal(ev.errors.length, 1);
  assert.equal(ev.errors[0].code, PROTOCOL_ERROR);
  assert.equal(Worker.getStatistics().protocolErrors - before, 1);
  assert.deepEqual(ev.msgs, ['ok'], 'nothing after the bad input is delivered');
  others.forEach((c, i) => c.write(`o${i};`));
  await Promise.all(others.map((c, i) => c.waitText(`o${i};`)));
});

test('user protocol: input() returning a length over maxPackageSize is PACKAGE_TOO_LARGE', T, async (t) => {
  const h = harness(t);
  const lenProto = {
    input(buf) { return buf.length < 4 ? 0 : buf.readUInt32BE(0); },
    decode(buf) { return buf.subarray(4); },
    encode(b) { return frame(b); },
  };
  const { w, ev } = await guardedServer(h, 'tcp://127.0.0.1:0', { protocol: lenProto, maxPackageSize: 500 });
  const before = Worker.getStatistics().packageTooLarge;
  const bad = await h.connect(w.port);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(501);
  bad.write(Buffer.concat([head, Buffer.alloc(10)]));
  await bad.waitEnd();
  await until(() => ev.errors.length === 1, 'onError');
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
  assert.equal(Worker.getStatistics().packageTooLarge - before, 1);
});

test('user protocol: an unfinished package growing past maxPackageSize is PACKAGE_TOO_LARGE', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'tcp://127.0.0.1:0', { protocol: semi, maxPackageSize: 256 });
  const bad = await h.connect(w.port);
  for (let i = 0; i < 20 && !bad.ended && !bad.closed; i++) {
    bad.write('z'.repeat(64)); // never a ';'
    await sleep(10);
  }
  await bad.waitEnd();
  await until(() => ev.errors.length === 1, 'onError');
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
});

test('bad input on many connections at once does not disturb a busy good connection', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'frame://127.0.0.1:0', { maxPackageSize: 4096 });
  const good = await h.connect(w.port);
  const bads = await Promise.all(Array.from({ length: 20 }, () => h.connect(w.port)));
  const zero = Buffer.alloc(4);
  bads.forEach((b, i) => b.write(i % 2 ? zero : Buffer.from([0, 1, 0, 0])));
  const stream = Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(`m${i}`)));
  good.write(stream);
  await Promise.all(bads.map((b) => b.waitEnd()));
  await good.waitBytes(stream.length);
  assert.deepEqual(good.data, stream);
  await until(() => ev.closes.length === 20, '20 closes');
  assert.equal(ev.errors.filter((e) => e.code === PROTOCOL_ERROR).length, 10);
  assert.equal(ev.errors.filter((e) => e.code === PACKAGE_TOO_LARGE).length, 10);
  assert.equal(w.connections.size, 1);
});

// The good message before the bad input is a complete, legitimate package: it
// is delivered (checked above), and the reply the callback sends to it must
// not be silently dropped by the close that the bad input causes.
const precedingCases = [
  ['text', 'text://127.0.0.1:0', Buffer.from('good\n' + 'x'.repeat(300)), (c) => c.waitText('good\n'), 'good\n'],
  ['frame', 'frame://127.0.0.1:0', Buffer.concat([frame('good'), Buffer.from([0, 0, 0, 1])]), (c) => c.waitBytes(8), frame('good')],
  ['user protocol', 'tcp://127.0.0.1:0', Buffer.from('good;!bad;'), (c) => c.waitText('good;'), 'good;'],
];
for (const [name, socketName, bytes, , expected] of precedingCases) {
  test(`${name}: the reply to a good message read together with bad input is sent before the close`, T, async (t) => {
    const h = harness(t);
    const sends = [];
    const statuses = [];
    let closes = 0;
    const w = await h.serve(socketName, (w) => {
      if (name === 'user protocol') w.protocol = semi;
      w.onConnect = (c) => { c.maxPackageSize = 100; };
      w.onMessage = (c, d) => { statuses.push(c.status); sends.push(c.send(d)); };
      w.onClose = () => { closes++; };
    });
    const c = await h.connect(w.port);
    c.write(bytes);
    await c.waitEnd();
    await until(() => closes === 1, 'onClose');
    assert.equal(sends.length, 1, 'the good message was delivered');
    assert.deepEqual(statuses, ['established'], 'status seen by onMessage for the good message');
    assert.notEqual(sends[0], false, 'send() in reply to the good message was not refused');
    assert.deepEqual(c.data, Buffer.from(expected), 'the reply reached the peer before the close');
  });
}

test('the default maxPackageSize (10 MiB) applies: an 11 MB line is refused', T, async (t) => {
  const h = harness(t);
  const { w, ev } = await guardedServer(h, 'text://127.0.0.1:0');
  const bad = await h.connect(w.port);
  bad.write('q'.repeat(11 * 1024 * 1024));
  await bad.waitEnd(10_000);
  await until(() => ev.errors.length === 1, 'onError');
  assert.equal(ev.errors[0].code, PACKAGE_TOO_LARGE);
});
