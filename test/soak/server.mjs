// The soak test's server (run by test/soak/driver.mjs as a child process, not a
// test file): echo Workers on 127.0.0.1, port 0, for every built-in protocol:
//
//   tcp://        each chunk back as it came
//   text://       each line back
//   frame://      each payload back
//   websocket://  each message back with its type ('auto': text as text, binary as binary)
//   http://       "<method> <uri>\n" followed by the request body, as a 200 text/plain
//
// Every echo follows backpressure the Workerman way: onBufferFull pauses
// receiving, onBufferDrain resumes it, so a slow reader loses nothing. A send
// refused while the connection is established is counted (the driver fails on
// it: something was lost).
//
// SOAK_INJECT=drop|leak|fds|crash plants a fault, to see the soak catch it: drop one
// echo in 3000, keep every connection (and 4 KiB with it) forever, open a descriptor
// per 50 connections and never close it, or exit 20 s after the start.
//
// Control over stdin/stdout, one line each way:
//   → "PORTS {json}" once listening
//   ← "stats" → "STATS {json}": open connections per worker, refused sends, errors, statistics, memory
//   ← "gc"    → "GC": after a full garbage collection (needs --expose-gc)
//   ← "exit"  → stops every worker and exits 0
// Under `node --test` (which runs every .mjs it is pointed at) it does nothing.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);

const { createInterface } = await import('node:readline');
const fs = await import('node:fs');
const zlib = await import('node:zlib');
const { Worker, Response } = await import('netwright');

const SEND_BUFFER = Number(process.env.SOAK_SEND_BUFFER ?? 65536);
const MAX_PACKAGE = Number(process.env.SOAK_MAX_PACKAGE ?? 65536);

const refused = { tcp: 0, text: 0, frame: 0, websocket: 0, http: 0 };
// Which client session each refused send belonged to: the driver's tokens say
// how the client meant to end ("L3C17t-reset"), so a send refused because the
// client reset the connection can be told from a lost echo.
const refusedTokens = {};
const TOKEN = /L\d+C\d+[a-z]+-[a-z]+/;
function tokenOf(connection, data) {
  if (connection.soakToken) return connection.soakToken;
  const head = typeof data === 'string' ? data.slice(0, 80) : Buffer.isBuffer(data) ? data.subarray(0, 80).toString('latin1') : String(data.uri);
  const m = TOKEN.exec(head);
  if (m) connection.soakToken = m[0];
  return m ? m[0] : '?';
}
const errors = {};
const bufferFull = { tcp: 0, text: 0, frame: 0, websocket: 0, http: 0 };

const INJECT = process.env.SOAK_INJECT ?? '';
const kept = [];
let connects = 0;
let echoes = 0;
if (INJECT === 'crash') setTimeout(() => process.exit(3), 20000);

// Every text, frame and WebSocket message of the driver starts "<token>.<seq>#<crc32>:":
// check here what the server was handed — in order, and the body intact — so that a
// wrong echo can be told apart: damaged on the way in, or on the way out.
const intake = { checked: 0, problems: 0, first: [] };
const TAG = /^(L\d+C\d+[a-z]+-[a-z]+)\.(\d+)#([0-9a-f]{8}):/;
function checkIntake(name, connection, data) {
  if (name === 'tcp' || name === 'http') return;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const m = TAG.exec(bytes.subarray(0, 80).toString('latin1'));
  let problem = null;
  if (!m) {
    if (connection.soakSeq !== undefined) problem = `a message without its tag: ${JSON.stringify(bytes.subarray(0, 40).toString('latin1'))} (${bytes.length} B)`;
  } else {
    const seq = Number(m[2]);
    const expected = connection.soakSeq === undefined ? 0 : connection.soakSeq + 1;
    connection.soakSeq = seq;
    const body = bytes.subarray(m[0].length);
    if (seq !== expected) problem = `${m[1]}: message ${seq} where ${expected} was due`;
    else if (zlib.crc32(body).toString(16).padStart(8, '0') !== m[3]) problem = `${m[1]}: message ${seq} (${bytes.length} B) arrived damaged (CRC)`;
  }
  intake.checked++;
  if (problem) {
    intake.problems++;
    if (intake.first.length < 10) intake.first.push(`${name} ${problem}`);
  }
}

function echoWorker(name, url, reply) {
  const worker = new Worker(url, { backlog: 1024 });
  worker.name = name;
  worker.maxSendBufferSize = SEND_BUFFER;
  worker.maxPackageSize = MAX_PACKAGE;
  worker.onConnect = (connection) => {
    connects++;
    if (INJECT === 'leak') kept.push(connection, Buffer.alloc(4096, 1));
    if (INJECT === 'fds' && connects % 50 === 0) kept.push(fs.openSync('/dev/null', 'r'));
  };
  worker.onMessage = (connection, data) => {
    if (INJECT === 'drop' && ++echoes % 3000 === 0) return;
    checkIntake(name, connection, data);
    const token = tokenOf(connection, data);
    const result = connection.send(reply(data));
    if (result === false && connection.status === 'established') {
      refused[name]++;
      refusedTokens[token] = (refusedTokens[token] ?? 0) + 1;
    }
  };
  worker.onBufferFull = (connection) => {
    bufferFull[name]++;
    connection.pauseRecv();
  };
  worker.onBufferDrain = (connection) => connection.resumeRecv();
  worker.onError = (connection, code, message) => {
    const key = `${name} ${code} ${message}`;
    errors[key] = (errors[key] ?? 0) + 1;
  };
  return worker;
}

const workers = {
  tcp: echoWorker('tcp', 'tcp://127.0.0.1:0', (data) => data),
  text: echoWorker('text', 'text://127.0.0.1:0', (data) => data),
  frame: echoWorker('frame', 'frame://127.0.0.1:0', (data) => data),
  websocket: echoWorker('websocket', 'websocket://127.0.0.1:0', (data) => data),
  http: echoWorker('http', 'http://127.0.0.1:0', (request) => {
    const body = Buffer.concat([Buffer.from(`${request.method} ${request.uri}\n`), request.body]);
    return new Response(200, { 'Content-Type': 'text/plain' }, body);
  }),
};
workers.websocket.websocketType = 'auto';
workers.websocket.handshakeTimeout = 5;
workers.http.keepAliveTimeout = 30;
workers.http.headersTimeout = 30;

for (const worker of Object.values(workers)) worker.listen();

const out = (line) => process.stdout.write(`${line}\n`);
out(`PORTS ${JSON.stringify(Object.fromEntries(Object.entries(workers).map(([k, w]) => [k, w.port])))}`);

function stats() {
  const connections = Object.fromEntries(Object.entries(workers).map(([k, w]) => [k, w.connections.size]));
  const mem = process.memoryUsage();
  return {
    connections,
    refused,
    refusedTokens,
    intake,
    bufferFull,
    errors,
    statistics: Worker.getStatistics(),
    memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers },
  };
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  if (line === 'stats') out(`STATS ${JSON.stringify(stats())}`);
  else if (line === 'gc') {
    globalThis.gc?.();
    out('GC');
  } else if (line === 'exit') {
    rl.close();
    await Promise.all(Object.values(workers).map((w) => w.stop()));
    process.exit(0);
  }
});
// The driver going away (stdin closed) must not leave a server behind.
rl.on('close', () => setTimeout(() => process.exit(0), 2000).unref());
