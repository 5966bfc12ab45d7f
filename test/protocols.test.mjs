// Protocols: tcp:// raw chunks, text:// lines, frame:// length-prefixed
// packages, and user protocols (Worker.registerProtocol and worker.protocol =
// obj), each with messages split byte by byte and many in one write.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, TcpConnection } from 'netwright';
import { T, harness, frame, parseFrames, until, sleep } from './helpers/harness.mjs';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

// ---------------------------------------------------------------- tcp://

test('tcp:// delivers raw chunks as Buffers and echoes them byte-exact', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => {
      seen.push(data);
      conn.send(data);
    };
  });
  const c = await h.connect(w.port);
  const payload = Buffer.concat([ALL_BYTES, ALL_BYTES, Buffer.from('\n\r\n\0tail')]);
  c.write(payload);
  await c.waitBytes(payload.length);
  assert.deepEqual(c.data, payload);
  assert.ok(seen.length >= 1);
  for (const d of seen) assert.ok(Buffer.isBuffer(d), `onMessage data is a Buffer, got ${typeof d}`);
  assert.deepEqual(Buffer.concat(seen), payload);
});

test('tcp:// send accepts string, Buffer and Uint8Array and writes them unchanged', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (conn) => {
      assert.equal(conn.send('héllo|'), true);
      assert.equal(conn.send(Buffer.from([0, 1, 2, 255])), true);
      assert.equal(conn.send(new Uint8Array([124, 65, 66])), true);
    };
  });
  const c = await h.connect(w.port);
  c.write('x');
  const expected = Buffer.concat([Buffer.from('héllo|'), Buffer.from([0, 1, 2, 255]), Buffer.from('|AB')]);
  await c.waitBytes(expected.length);
  assert.deepEqual(c.data, expected);
});

test('tcp:// bytes sent one per segment all arrive, in order', T, async (t) => {
  const h = harness(t);
  const got = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => { got.push(Buffer.from(data)); };
  });
  const c = await h.connect(w.port);
  const payload = ALL_BYTES.subarray(0, 40);
  await c.trickle(payload);
  await until(() => Buffer.concat(got).length >= payload.length, 'all trickled bytes');
  assert.deepEqual(Buffer.concat(got), payload);
});

test('tcp:// a Buffer handed to onMessage stays valid after the callback returns', T, async (t) => {
  const h = harness(t);
  const kept = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => { kept.push(data); conn.send('k'); };
  });
  const c = await h.connect(w.port);
  const sent = [];
  for (let i = 0; i < 20; i++) {
    const chunk = Buffer.alloc(1000 + i, 65 + i);
    sent.push(chunk);
    c.write(chunk);
    await c.waitBytes(i + 1); // one reply per chunk read; wait so reads stay separate
  }
  // Push a lot more traffic through the same process to overwrite any shared slab.
  const c2 = await h.connect(w.port);
  c2.write(Buffer.alloc(512 * 1024, 0x7a));
  await until(() => kept.reduce((n, b) => n + b.length, 0) >= sent.reduce((n, b) => n + b.length, 0) + 512 * 1024,
    'the second client\'s bytes');
  const fromFirst = Buffer.concat(kept).subarray(0, Buffer.concat(sent).length);
  assert.deepEqual(fromFirst, Buffer.concat(sent), 'earlier Buffers were not overwritten');
});

// ---------------------------------------------------------------- text://

async function textEcho(h, prefix = 'echo: ') {
  const msgs = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => {
      msgs.push(data);
      conn.send(prefix + data);
    };
  });
  return { w, msgs };
}

test('text:// delivers strings without \\n and echo send appends \\n', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h);
  const c = await h.connect(w.port);
  c.write('hello\n');
  await c.waitText('echo: hello\n');
  assert.equal(c.text, 'echo: hello\n');
  assert.deepEqual(msgs, ['hello']);
  assert.equal(typeof msgs[0], 'string');
});

test('text:// strips one \\r before the \\n, keeps inner \\r, delivers empty lines', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  c.write('crlf\r\n\n\r\nin\rner\r\nlast\n');
  await c.waitLines(5);
  assert.deepEqual(msgs, ['crlf', '', '', 'in\rner', 'last']);
  assert.equal(c.text, 'crlf\n\n\nin\rner\nlast\n');
});

test('text:// multi-byte UTF-8 split byte by byte is decoded whole', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  const line = 'héllo wörld 世界 🎉';
  await c.trickle(Buffer.from(line + '\r\n'));
  await c.waitLines(1);
  assert.deepEqual(msgs, [line]);
  assert.equal(c.text, line + '\n');
});

test('text:// lines split byte by byte arrive as whole messages', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h);
  const c = await h.connect(w.port);
  await c.trickle('abc\ndef\r\ng\n');
  await c.waitLines(3);
  assert.deepEqual(msgs, ['abc', 'def', 'g']);
  assert.equal(c.text, 'echo: abc\necho: def\necho: g\n');
});

test('text:// 2,000 lines in one write are delivered in order and all answered', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  const lines = Array.from({ length: 2000 }, (_, i) => `line-${i}-${'x'.repeat(i % 50)}`);
  c.write(lines.join('\n') + '\n');
  await c.waitLines(lines.length);
  assert.deepEqual(msgs, lines);
  assert.deepEqual(c.lines, lines);
});

test('text:// a line split across writes with a partial tail is completed later', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  c.write('one\ntw');
  await c.waitLines(1);
  await sleep(50);
  assert.deepEqual(msgs, ['one']);
  c.write('o\nthr');
  await c.waitLines(2);
  c.write('ee\n');
  await c.waitLines(3);
  assert.deepEqual(msgs, ['one', 'two', 'three']);
});

test('text:// long line (200 KB) arrives whole', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  const long = 'L'.repeat(200 * 1024);
  c.write(long + '\nshort\n');
  await c.waitLines(2);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0].length, long.length);
  assert.equal(msgs[0], long);
  assert.equal(msgs[1], 'short');
});

test('text:// mixed ASCII and non-ASCII lines in one read are each decoded as UTF-8', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await textEcho(h, '');
  const c = await h.connect(w.port);
  const lines = [];
  for (let i = 0; i < 300; i++) lines.push(i % 3 === 0 ? `ascii ${i}` : i % 3 === 1 ? `é ${i} ü` : `${'k'.repeat(i)}世界${i}`);
  lines.push('caf\u00e9', '\u00ff\u00fe', '🎉');
  c.write(lines.join('\n') + '\n');
  await c.waitLines(lines.length);
  assert.deepEqual(msgs, lines);
  assert.deepEqual(c.lines, lines);
});

test('text:// a 5 MB line with UTF-8 at both ends arrives whole', T, async (t) => {
  const h = harness(t);
  const msgs = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => { w.onMessage = (conn, d) => { msgs.push(d); }; });
  const c = await h.connect(w.port);
  const line = 'ü' + 'm'.repeat(5 * 1024 * 1024) + '世';
  c.write('before\n' + line + '\nafter\n');
  await until(() => msgs.length === 3, 'three messages', 15_000);
  assert.equal(msgs.length, 3);
  assert.equal(msgs[0], 'before');
  assert.equal(msgs[1].length, line.length);
  assert.ok(msgs[1] === line, 'long line intact');
  assert.equal(msgs[2], 'after');
});

test('text:// send(data, raw=true) skips encoding (no \\n appended)', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => {
      conn.send('raw:' + data, true);
      conn.send('|enc');
    };
  });
  const c = await h.connect(w.port);
  c.write('a\n');
  await c.waitText('|enc\n');
  assert.equal(c.text, 'raw:a|enc\n');
});

// ---------------------------------------------------------------- frame://

async function frameEcho(h) {
  const msgs = [];
  const w = await h.serve('frame://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => {
      msgs.push(data);
      conn.send(data);
    };
  });
  return { w, msgs };
}

test('frame:// delivers payload Buffers and send adds the 4-byte big-endian total length', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await frameEcho(h);
  const c = await h.connect(w.port);
  c.write(frame(ALL_BYTES));
  await c.waitBytes(ALL_BYTES.length + 4);
  assert.ok(Buffer.isBuffer(msgs[0]), 'payload is a Buffer');
  assert.deepEqual(msgs[0], ALL_BYTES);
  assert.equal(c.data.readUInt32BE(0), ALL_BYTES.length + 4);
  assert.deepEqual(c.data, frame(ALL_BYTES));
});

test('frame:// an empty frame (length 4) yields an empty payload', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await frameEcho(h);
  const c = await h.connect(w.port);
  c.write(Buffer.concat([frame(''), frame('z')]));
  await c.waitBytes(4 + 5);
  assert.equal(msgs.length, 2);
  assert.equal(msgs[0].length, 0);
  assert.deepEqual(msgs[1], Buffer.from('z'));
  assert.deepEqual(c.data, Buffer.concat([frame(''), frame('z')]));
});

test('frame:// frames split byte by byte arrive whole', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await frameEcho(h);
  const c = await h.connect(w.port);
  const stream = Buffer.concat([frame('first'), frame(Buffer.from([0, 0, 0, 4])), frame('third!')]);
  await c.trickle(stream);
  await c.waitBytes(stream.length);
  assert.deepEqual(msgs.map((m) => m.toString('latin1')), ['first', '\0\0\0\x04', 'third!']);
  assert.deepEqual(c.data, stream);
});

test('frame:// 1,000 frames in one write are delivered in order', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await frameEcho(h);
  const c = await h.connect(w.port);
  const payloads = Array.from({ length: 1000 }, (_, i) => Buffer.from(`p${i}:` + 'y'.repeat(i % 97)));
  const stream = Buffer.concat(payloads.map(frame));
  c.write(stream);
  await c.waitBytes(stream.length);
  assert.deepEqual(msgs.map(String), payloads.map(String));
  const { payloads: back, rest } = parseFrames(c.data);
  assert.equal(rest.length, 0);
  assert.deepEqual(back.map(String), payloads.map(String));
});

test('frame:// a 3 MB frame arrives whole and intact', T, async (t) => {
  const h = harness(t);
  const { w, msgs } = await frameEcho(h);
  const c = await h.connect(w.port);
  const big = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  c.write(Buffer.concat([frame(big), frame('after')]));
  await c.waitBytes(big.length + 4 + 9, 10_000);
  assert.equal(msgs.length, 2);
  assert.ok(msgs[0].equals(big), 'big payload intact');
  assert.equal(String(msgs[1]), 'after');
  assert.ok(c.data.equals(Buffer.concat([frame(big), frame('after')])), 'echo intact');
});

test('frame:// payload Buffers stay valid after the callback returns', T, async (t) => {
  const h = harness(t);
  const kept = [];
  const w = await h.serve('frame://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => { kept.push(data); };
  });
  const c = await h.connect(w.port);
  const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(100, i & 0xff));
  c.write(Buffer.concat(payloads.map(frame)));
  await until(() => kept.length === 200, '200 frames');
  c.write(Buffer.concat(Array.from({ length: 200 }, () => frame(Buffer.alloc(4000, 0xee)))));
  await until(() => kept.length === 400, '400 frames');
  for (let i = 0; i < 200; i++) assert.deepEqual(kept[i], payloads[i], `payload ${i} unchanged`);
});

// ---------------------------------------------------------------- user protocols

/** ';'-terminated records; decode gives a string, encode appends ';'. */
function semicolonProtocol(calls = {}) {
  return {
    input(buffer, connection) {
      calls.input = (calls.input ?? 0) + 1;
      calls.bufferIsBuffer ??= Buffer.isBuffer(buffer);
      calls.connIsTcp ??= connection instanceof TcpConnection;
      const i = buffer.indexOf(0x3b);
      return i < 0 ? 0 : i + 1;
    },
    decode(buffer) {
      return buffer.subarray(0, buffer.length - 1).toString('utf8');
    },
    encode(data) {
      return Buffer.from(String(data) + ';');
    },
  };
}

/** 2-byte big-endian length-prefixed records, decoded to a JS object. */
const len16 = {
  input(buffer) {
    if (buffer.length < 2) return 0;
    return 2 + buffer.readUInt16BE(0);
  },
  decode(buffer) {
    return { body: buffer.subarray(2).toString('latin1') };
  },
  encode(obj) {
    const body = Buffer.from(obj.body, 'latin1');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length);
    return Buffer.concat([head, body]);
  },
};
function len16Packet(s) {
  const b = Buffer.from(s, 'latin1');
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length);
  return Buffer.concat([h, b]);
}

test('Worker.registerProtocol: a registered scheme works with new Worker("name://...")', T, async (t) => {
  const h = harness(t);
  const calls = {};
  Worker.registerProtocol('semi', semicolonProtocol(calls));
  const msgs = [];
  const w = await h.serve('semi://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => {
      msgs.push(data);
      conn.send('got ' + data);
    };
  });
  const c = await h.connect(w.port);
  c.write('a;bb;');
  await c.waitText('got bb;');
  assert.deepEqual(msgs, ['a', 'bb']);
  assert.equal(c.text, 'got a;got bb;');
  assert.equal(calls.bufferIsBuffer, true, 'input() gets a Buffer');
  assert.equal(calls.connIsTcp, true, 'input() gets the TcpConnection');
});

test('user protocol: records split byte by byte and many in one write', T, async (t) => {
  const h = harness(t);
  Worker.registerProtocol('semi2', semicolonProtocol());
  const msgs = [];
  const w = await h.serve('semi2://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => { msgs.push(data); conn.send(data); };
  });
  const c = await h.connect(w.port);
  await c.trickle('héllo;wo');
  await c.trickle('rld;');
  await c.waitText('world;');
  assert.deepEqual(msgs, ['héllo', 'world']);
  const many = Array.from({ length: 500 }, (_, i) => `r${i}`);
  c.write(many.map((s) => s + ';').join(''));
  await c.wait((cl) => cl.text.endsWith('r499;'), 'all 500 records');
  assert.deepEqual(msgs.slice(2), many);
  assert.equal(c.text, 'héllo;world;' + many.map((s) => s + ';').join(''));
});

test('worker.protocol = obj: input/decode/encode over tcp://, objects pass through', T, async (t) => {
  const h = harness(t);
  const msgs = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.protocol = len16;
    w.onMessage = (conn, data) => {
      msgs.push(data);
      conn.send({ body: data.body.toUpperCase() });
    };
  });
  const c = await h.connect(w.port);
  const stream = Buffer.concat([len16Packet('abc'), len16Packet(''), len16Packet('x'.repeat(300))]);
  await c.trickle(stream.subarray(0, 7));
  c.write(stream.subarray(7));
  await c.waitBytes(stream.length);
  assert.deepEqual(msgs, [{ body: 'abc' }, { body: '' }, { body: 'x'.repeat(300) }]);
  assert.deepEqual(c.data, Buffer.concat([len16Packet('ABC'), len16Packet(''), len16Packet('X'.repeat(300))]));
});

test('user protocol: input() returning a length beyond the arrived bytes waits for the rest', T, async (t) => {
  const h = harness(t);
  const msgs = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.protocol = len16;
    w.onMessage = (conn, data) => { msgs.push(data.body); };
  });
  const c = await h.connect(w.port);
  const p = len16Packet('0123456789'.repeat(100));
  c.write(p.subarray(0, 500));
  await sleep(100);
  assert.deepEqual(msgs, [], 'nothing delivered before the package is complete');
  c.write(p.subarray(500));
  await until(() => msgs.length === 1, 'the completed package');
  assert.equal(msgs[0], '0123456789'.repeat(100));
});

test('user protocol: connection.send(data, true) bypasses encode', T, async (t) => {
  const h = harness(t);
  Worker.registerProtocol('semi3', semicolonProtocol());
  const w = await h.serve('semi3://127.0.0.1:0', (w) => {
    w.onMessage = (conn, data) => { conn.send('[' + data + ']', true); };
  });
  const c = await h.connect(w.port);
  c.write('q;');
  await c.waitText('[q]');
  await sleep(30);
  assert.equal(c.text, '[q]');
});

test('Worker.getStatistics().totalRequest counts delivered messages', T, async (t) => {
  const h = harness(t);
  const { w } = await textEcho(h);
  const before = Worker.getStatistics().totalRequest;
  assert.equal(typeof before, 'number');
  const c = await h.connect(w.port);
  c.write('1\n2\n3\n');
  await c.waitLines(3);
  assert.equal(Worker.getStatistics().totalRequest - before, 3);
});

// ---------------------------------------------------------------- protocol selection

test('text:// send(Buffer) also gets \n appended; send("") sends an empty line', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c) => { c.send(Buffer.from('buf')); c.send(''); c.send('end'); };
  });
  const c = await h.connect(w.port);
  c.write('go\n');
  await c.waitText('end\n');
  assert.equal(c.text, 'buf\n\nend\n');
});

test('tcp:// send of an empty Buffer writes nothing and is not refused', T, async (t) => {
  const h = harness(t);
  const results = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onMessage = (c) => { results.push(c.send(Buffer.alloc(0))); c.send('x'); };
  });
  const c = await h.connect(w.port);
  c.write('go');
  await c.waitText('x');
  await sleep(30);
  assert.equal(c.text, 'x');
  assert.notEqual(results[0], false);
});

test('worker.protocol = "frame" on a tcp:// worker selects the built-in frame protocol', T, async (t) => {
  const h = harness(t);
  const msgs = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.protocol = 'frame';
    w.onMessage = (c, d) => { msgs.push(d); c.send(d); };
  });
  const c = await h.connect(w.port);
  c.write(Buffer.concat([frame('one'), frame('two')]));
  await c.waitBytes(14);
  assert.deepEqual(msgs.map(String), ['one', 'two']);
  assert.deepEqual(c.data, Buffer.concat([frame('one'), frame('two')]));
});

test('connection.protocol set in onConnect overrides the worker protocol for that connection', T, async (t) => {
  const h = harness(t);
  const msgs = [];
  let n = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { if (n++ === 0) c.protocol = semicolonProtocol(); };
    w.onMessage = (c, d) => { msgs.push(d); c.send(typeof d === 'string' ? d : 'raw'); };
  });
  const framed = await h.connect(w.port);
  await until(() => n === 1, 'first onConnect');
  const raw = await h.connect(w.port);
  await until(() => n === 2, 'second onConnect');
  framed.write('a;b;');
  await framed.waitText('b;');
  assert.equal(framed.text, 'a;b;');
  raw.write('zz');
  await raw.waitText('raw');
  assert.equal(raw.text, 'raw');
});
