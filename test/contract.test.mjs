// One contract between lib/ and the native core: the numbers both sides use
// are defined once in C++ and exported by the addon; lib/native.ts takes them
// from there and refuses a group whose names differ. Errno names are libuv's
// (util.getSystemErrorName), the statistics are the core's one list, the
// schemes one table and the addresses one parser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as util from 'node:util';

const require = createRequire(import.meta.url);
const nativeModule = require('../dist/native.js');
const { native, contractGroup } = nativeModule;

const GROUPS = ['EventType', 'CloseReason', 'ErrorCode', 'SendResult', 'NativeProtocol', 'WebSocketType'];

test('every constant group of lib/native.ts is the addon\'s, value for value', () => {
  for (const name of GROUPS) assert.deepEqual({ ...nativeModule[name] }, native.constants[name], name);
  const record = native.constants.EventRecord;
  assert.equal(nativeModule.EVENT_TYPE_MASK, record.TypeMask);
  assert.equal(nativeModule.EVENT_STASHED, record.Stashed);
  assert.equal(nativeModule.EVENT_WORDS, record.Words);
  // Every group the addon exports is one lib/ takes.
  assert.deepEqual(Object.keys(native.constants).sort(), [...GROUPS, 'EventRecord'].sort());
});

test('a group whose names differ from the addon\'s stops the load', () => {
  const constants = { Kind: { A: 1, B: 2 } };
  assert.deepEqual({ ...contractGroup(constants, 'Kind', ['A', 'B']) }, { A: 1, B: 2 });
  assert.throws(() => contractGroup(constants, 'Kind', ['A']), /disagree on Kind/);  // the addon has one more
  assert.throws(() => contractGroup(constants, 'Kind', ['A', 'B', 'C']), /disagree on Kind/);  // one less
  assert.throws(() => contractGroup(constants, 'Missing', ['A']), /disagree on Missing/);
  assert.throws(() => contractGroup({ Kind: { A: '1' } }, 'Kind', ['A']), /disagree on Kind/);
});

test('onError codes are the core\'s ErrorCode', () => {
  const errors = require('../dist/errors.js');
  const codes = native.constants.ErrorCode;
  assert.equal(errors.CONNECT_FAIL, codes.ConnectFail);
  assert.equal(errors.SEND_FAIL, codes.SendFail);
  assert.equal(errors.PACKAGE_TOO_LARGE, codes.PackageTooLarge);
  assert.equal(errors.PROTOCOL_ERROR, codes.ProtocolError);
  assert.deepEqual([errors.CONNECT_FAIL, errors.SEND_FAIL], [1, 2]);  // Workerman's numbers
});

test('errno names are util.getSystemErrorName\'s, in JS and in the addon', () => {
  const { errnoName } = require('../dist/errors.js');
  for (const errno of [111, 110, 113, 101, 22, 24, 97, 98, 13]) assert.equal(errnoName(errno), util.getSystemErrorName(-errno));
  assert.equal(errnoName(-111), 'ECONNREFUSED');
  // The addon's listen errors name the errno the same way.
  assert.throws(
    () => native.bindSocket({ unix: true, host: '', port: 0, path: '/nonexistent-dir/x.sock', backlog: 1, reusePort: false, ipv6Only: false, noDelay: false, keepAlive: 0 }),
    (e) => e.code === util.getSystemErrorName(e.errno) && e.code === 'ENOENT',
  );
});

test('statistics: the core\'s one list is what stats() returns and what Statistics declares', () => {
  const { getStatistics } = require('../dist/statistics.js');
  const declared = [...readFileSync(new URL('../dist/statistics.d.ts', import.meta.url), 'utf8')
    .split('export interface Statistics {')[1].split('\n}')[0]
    .matchAll(/^\s+(\w+): number;/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(getStatistics()).sort(), [...declared].sort());  // starts the core
  const nativeNames = Object.keys(native.stats());
  assert.deepEqual([...nativeNames, 'timers', 'clusterDropped', 'earlySendsDropped'].sort(), [...declared].sort()); // the three counted in JS
  const header = readFileSync(new URL('../native/conn/stats.h', import.meta.url), 'utf8');
  const listed = [...header.matchAll(/^\s+X\((\w+)\)/gm)].map((m) => m[1]);
  assert.deepEqual(listed, nativeNames);
});

test('one scheme table for Worker and AsyncTcpConnection', () => {
  const { SCHEMES, NATIVE_KINDS, CLIENT_SCHEMES } = require('../dist/protocols/protocol.js');
  for (const [scheme, spec] of Object.entries(NATIVE_KINDS)) assert.equal(spec, SCHEMES[scheme]);
  for (const [scheme, spec] of Object.entries(CLIENT_SCHEMES)) assert.equal(spec, SCHEMES[scheme]);
  assert.deepEqual(Object.keys(CLIENT_SCHEMES).sort(), ['frame', 'tcp', 'text', 'ws']);
  assert.deepEqual(Object.keys(NATIVE_KINDS).sort(), ['frame', 'http', 'tcp', 'text', 'unix', 'websocket']);
  assert.equal(SCHEMES.ws.kind, SCHEMES.websocket.kind);
  assert.equal(SCHEMES.ws.defaultPort, 80);
  const { AsyncTcpConnection } = require('../dist/index.js');
  assert.throws(() => new AsyncTcpConnection('websocket://127.0.0.1:1'), /unsupported scheme "websocket" in "websocket:\/\/127\.0\.0\.1:1" \(tcp, text, frame, ws, unix, or one registered with Worker\.registerProtocol\(\)\)/);
  assert.throws(() => new AsyncTcpConnection('text://127.0.0.1'), /needs a port/);
});

test('one address parser for socket names and client targets', () => {
  const { parseAddress, parseSocketName } = require('../dist/socketName.js');
  assert.deepEqual(parseAddress('ws://[::1]:9000/chat?x=1'), { scheme: 'ws', host: '::1', port: 9000, path: '/chat?x=1' });
  assert.deepEqual(parseAddress('WS://example.com'), { scheme: 'ws', host: 'example.com', port: undefined, path: '' });
  assert.equal(parseAddress('example.com:80'), undefined);
  assert.deepEqual(parseSocketName('text://[::]:80'), { scheme: 'text', transport: 'tcp', host: '::', port: 80, path: '' });
  assert.deepEqual(parseSocketName('http://localhost:8080').host, '127.0.0.1');
  assert.equal(parseSocketName('unix:///tmp/x.sock').path, '/tmp/x.sock');
  assert.throws(() => parseSocketName('text://0.0.0.0'), TypeError);  // a listener needs a port
  assert.throws(() => parseSocketName('text://0.0.0.0:80/path'), TypeError);
  assert.throws(() => parseSocketName('text://0.0.0.0:70000'), RangeError);
});
