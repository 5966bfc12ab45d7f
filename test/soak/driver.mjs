// npm run soak: a bounded soak and fault test of a netwright server running as
// a child process (test/soak/server.mjs). Client loops churn over tcp, text,
// frame, WebSocket and HTTP — echoes one at a time, pipelined and behind paused
// readers, closes, half-closes, resets, bad input — checking every echo byte
// for byte per connection, while the server's RSS and open descriptors are
// sampled. Every few seconds the churn stops for a quiet period: no client
// connection open, the server reports none, a full GC, then a sample. After
// the warm-up the quiet samples must be flat, and at the end the server must
// still answer each protocol and exit cleanly.
//
//   SOAK_SECONDS=N      how long the churn runs (default 40)
//   SOAK_SEED=N         replay a run's choices (the seed is printed)
//   SOAK_CONCURRENCY=N  client loops (default 12); at most SOAK_MAX_OPEN (200) connections open
//   SOAK_VERBOSE=1      print each failing session's history
//   SOAK_ONLY=a,b       only these kinds of session (tcp, text, frame, websocket, http, burst)
//   SOAK_KNOWN=0        leave out the endings read behind a paused reader (below), on by default
//   SOAK_INJECT=…       plant a fault in the server to see the soak fail (server.mjs)
//
// Found by this soak and fixed (their scenarios run by default; SOAK_KNOWN=0 leaves them
// out): an ending read behind a paused reader. When one read holds good messages whose
// replies fill the send queue (the server pauses in onBufferFull) and then
//  - bad input (frame://, text://, websocket://) or a WebSocket close frame: the core
//    closed the connection as soon as its queue drained, while JS still held the paused
//    messages, and their replies were lost (now the core waits: native setHeld);
//  - a WebSocket ping: the automatic pong was refused like a send on a full queue, so the
//    most recent ping went unanswered (now the core keeps the latest and answers it on drain);
//  - then a ping among those messages (SOAK_SEED=3816296720, "websocket slow closeframe":
//    63 echoes refused, the first at message 609 of 991): its automatic pong was queued
//    when the queue was a few bytes below maxSendBufferSize and took it to the limit with
//    no onBufferFull, so the server never paused and every send after it was refused until
//    the client read (now a pong waits until it fits below the limit, and the core's own
//    keep-alive ping or 100 Continue that fills the queue fires onBufferFull).
// test/held-messages.test.mjs holds their regression tests.
//
// Found by this soak and fixed: in WebSocket slow sessions, around the moment the
// server's queue fills and it pauses (message ~500 of the bulk), onMessage was now and
// then handed bytes the client did not send there — later bytes of the same connection,
// or invalid UTF-8 in a text message that the native validator accepted
// (SOAK_SEED=187200201 SOAK_ONLY=websocket SOAK_SECONDS=150: 36 of 410,646 messages
// damaged on arrival). A fragmented message, copied into a full receive slab, started
// the slab over under the read still being parsed, whose later messages were named in
// place; later reads of the batch overwrote them (Core::slabSpace; regression tests:
// test/websocket-slab.test.mjs, native/test/test_receive_slab.cc).
//
// The last line is "N passed, N failed" (checks: one per session, one per criterion).
if (process.env.NODE_TEST_CONTEXT) process.exit(0); // not a node:test file

const { spawn } = await import('node:child_process');
const fs = await import('node:fs');
const path = await import('node:path');
const { fileURLToPath } = await import('node:url');
const { generator, childSeed } = await import('./random.mjs');
const { Conn, StreamExpect, limits, setMaxOpen, sleep } = await import('./conn.mjs');
const { streamSession, burstConnection, codecs, MAX_PACKAGE } = await import('./stream.mjs');
const { websocketSession } = await import('./websocket.mjs');
const { httpSession } = await import('./http.mjs');
const { finalChecks } = await import('./final.mjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const SECONDS = Number(env.SOAK_SECONDS ?? 40);
const SEED = env.SOAK_SEED !== undefined ? Number(env.SOAK_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const CONCURRENCY = Number(env.SOAK_CONCURRENCY ?? 12);
const KNOWN = env.SOAK_KNOWN !== '0';
/** What a client loop runs next, by weight; SOAK_ONLY=websocket,http narrows it. */
const ONLY = env.SOAK_ONLY ? env.SOAK_ONLY.split(',') : null;
const MIX = [[2, 'tcp'], [3, 'text'], [3, 'frame'], [4, 'websocket'], [4, 'http'], [1, 'burst']].filter(([, k]) => !ONLY || ONLY.includes(k));
if (!MIX.length) throw new Error(`SOAK_ONLY=${env.SOAK_ONLY}: choose from tcp, text, frame, websocket, http, burst`);
const MAX_OPEN = Math.min(Number(env.SOAK_MAX_OPEN ?? 200), 1000);
/** Quiet periods: the first ends the warm-up (see run()); then every QUIET_EVERY seconds, and at the end. */
const WARMUP = Math.min(Math.max(10, SECONDS * 0.25), 45);
const WARMUP_SESSIONS = 400;
const QUIET_EVERY = Math.max(8, Math.min(30, SECONDS / 5));
/** RSS (VmRSS) may grow at most this much from the first quiet sample after warm-up to the last. */
const RSS_TOLERANCE = Number(env.SOAK_RSS_TOLERANCE_MB ?? 8) * 1024 * 1024;
/** The JS heap after a full GC, likewise (a leak of JS objects shows here first). */
const HEAP_TOLERANCE = 1.5 * 1024 * 1024;
const SAMPLE_MS = 1000;
setMaxOpen(MAX_OPEN);

const log = (...a) => console.log(...a);
log(`soak: ${SECONDS} s, seed ${SEED} (SOAK_SEED=${SEED} replays the choices), ${CONCURRENCY} client loops, ≤ ${MAX_OPEN} connections open`);

// ---- checks -------------------------------------------------------------
const results = { passed: 0, failed: 0 };
const failures = [];
function check(ok, what, detail = '') {
  if (ok) results.passed++;
  else {
    results.failed++;
    failures.push(`${what}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}

// ---- the server -----------------------------------------------------------
const server = spawn(process.execPath, ['--expose-gc', '--max-semi-space-size=1', path.join(here, 'server.mjs')], {
  stdio: ['pipe', 'pipe', 'pipe'],
  // What would blur the RSS samples without hiding a leak: one malloc arena (memory that
  // V8's helper threads free goes back where the main thread and the native core allocate,
  // instead of staying in per-thread arenas that drift by several MiB), and a 1 MiB young
  // generation (V8 grows it to 16 MiB under load and shrinks it only after seconds of idle:
  // 10-30 MiB of RSS that comes and goes).
  env: { MALLOC_ARENA_MAX: '1', ...env, SOAK_MAX_PACKAGE: String(MAX_PACKAGE) },
});
let serverExit = null;
const serverExited = new Promise((resolve) => server.on('exit', (code, signal) => { serverExit = { code, signal }; resolve(); }));
let stderr = '';
server.stderr.on('data', (d) => { stderr += d; });
let stdoutBuf = '';
const lineWaiters = [];
server.stdout.on('data', (d) => {
  stdoutBuf += d;
  let i;
  while ((i = stdoutBuf.indexOf('\n')) >= 0) {
    const line = stdoutBuf.slice(0, i);
    stdoutBuf = stdoutBuf.slice(i + 1);
    const w = lineWaiters.findIndex((x) => line.startsWith(x.prefix));
    if (w >= 0) lineWaiters.splice(w, 1)[0].resolve(line);
  }
});
function serverLine(prefix, ms = 15000) {
  return new Promise((resolve, reject) => {
    const entry = { prefix, resolve: (line) => { clearTimeout(t); resolve(line.slice(prefix.length).trim()); } };
    const t = setTimeout(() => {
      lineWaiters.splice(lineWaiters.indexOf(entry), 1);
      reject(new Error(`the server did not answer ${prefix} within ${ms} ms${serverExit ? ` (it exited: ${JSON.stringify(serverExit)})` : ''}`));
    }, ms);
    lineWaiters.push(entry);
  });
}
async function serverStats() {
  const p = serverLine('STATS');
  server.stdin.write('stats\n');
  return JSON.parse(await p);
}
async function serverGc() {
  const p = serverLine('GC');
  server.stdin.write('gc\n');
  await p;
}

const ports = JSON.parse(await serverLine('PORTS'));
log(`server pid ${server.pid}, ports ${JSON.stringify(ports)}`);

// ---- sampling -------------------------------------------------------------
function sample() {
  try {
    const status = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]) * 1024;
    const fds = fs.readdirSync(`/proc/${server.pid}/fd`).length;
    return { t: (Date.now() - t0) / 1000, rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), fds };
  } catch {
    return null;
  }
}
const t0 = Date.now();
const samples = [];
const sampler = setInterval(() => {
  const s = sample();
  if (s) samples.push(s);
}, SAMPLE_MS);
const quiet = []; // { t, rss, fds, heapUsed, label }
const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;

// ---- client loops -----------------------------------------------------------
let serial = 0;
const totals = { sessions: 0, messages: 0, connections: 0, skippedPongs: 0 };
const tally = { protocol: {}, style: {}, ending: {}, bad: {} }; // what the sessions did
const bump = (map, key) => { map[key] = (map[key] ?? 0) + 1; };
let gate = null; // a promise while a quiet period holds the loops
let stopping = false;
const idle = new Set();
let idleChanged = () => {};

function makeCtx(rng, loop) {
  const history = [];
  return {
    rng,
    ports,
    history,
    endBehindPausedReader: KNOWN,
    token: (proto, ending) => `L${loop}C${++serial}${proto[0]}-${ending}`,
    count: (n) => { totals.messages += n; },
    skippedPong: (n) => { totals.skippedPongs += n; },
    note: (what) => {
      history.push(what);
      if (history.length > 8) history.shift();
      // "<protocol> <style> <ending>", "<protocol> burst" or "<protocol> bad: <what>"
      const bad = /^(\S+) bad(?: handshake)?: (.*)$/.exec(what);
      if (bad) return bump(tally.bad, `${bad[1]} ${bad[2]}`);
      const [protocol, style, ending] = what.split(' ');
      bump(tally.protocol, protocol);
      bump(tally.style, style);
      if (ending) bump(tally.ending, ending);
    },
  };
}

async function burst(ctx) {
  const proto = ctx.rng.pick(['tcp', 'text', 'frame']);
  const n = ctx.rng.int(10, 60);
  ctx.note(`${proto} burst`);
  const all = [];
  for (let i = 0; i < n; i++) all.push(burstConnection(ctx, proto));
  const settled = await Promise.allSettled(all);
  const bad = settled.filter((s) => s.status === 'rejected');
  if (bad.length) throw new Error(`${bad.length} of ${n} burst connections failed; first: ${bad[0].reason.message}`);
}

async function clientLoop(loop) {
  const rng = generator(childSeed(SEED, loop));
  for (let session = 0; ; session++) {
    while (gate && !stopping) {
      idle.add(loop);
      idleChanged();
      await gate;
      idle.delete(loop);
    }
    if (stopping) return;
    const ctx = makeCtx(rng, loop);
    const what = rng.weighted(MIX);
    const before = limits.connected;
    try {
      if (what === 'websocket') await websocketSession(ctx);
      else if (what === 'http') await httpSession(ctx);
      else if (what === 'burst') await burst(ctx);
      else await streamSession(ctx, what);
      check(true);
    } catch (err) {
      const history = env.SOAK_VERBOSE ? ` [${ctx.history.join(' | ')}]` : ` [${ctx.history.slice(-2).join(' | ')}]`;
      check(false, `loop ${loop} session ${session} (${what})`, `${err.message}${history}`);
    }
    totals.sessions++;
    totals.connections += limits.connected - before;
    if (serverExit) return;
  }
}

/** Stop the churn, let every connection end, and sample the server at rest. */
async function quietPeriod(label) {
  gate = new Promise((resolve) => { quietPeriod.release = resolve; });
  await new Promise((resolve) => {
    idleChanged = () => { if (idle.size === running) resolve(); };
    idleChanged();
  });
  idleChanged = () => {};
  let st;
  const until = Date.now() + 15000;
  for (;;) {
    st = await serverStats();
    const open = Object.values(st.connections).reduce((a, b) => a + b, 0);
    if (open === 0 && limits.open === 0) break;
    if (Date.now() > until) {
      check(false, `${label}: connections left open`, `server ${JSON.stringify(st.connections)}, client ${limits.open}`);
      break;
    }
    await sleep(100);
  }
  await serverGc();
  await sleep(300);
  await serverGc();
  await sleep(200);
  const s = sample();
  st = await serverStats();
  const q = { ...s, heapUsed: st.memory.heapUsed, heapTotal: st.memory.heapTotal, external: st.memory.external, label, stats: st };
  quiet.push(q);
  log(`  ${label} at ${s.t.toFixed(0)} s: rss ${mb(s.rss)} (anon ${mb(s.anon)}, file ${mb(s.file)}), heap ${mb(q.heapUsed)} of ${mb(q.heapTotal)}, fds ${s.fds}; ${totals.sessions} sessions, ${totals.messages} messages checked, ${results.failed} failed`);
  return q;
}
function resume() {
  const release = quietPeriod.release;
  gate = null;
  release();
}

// ---- the run ----------------------------------------------------------------
let running = 0; // client loops not yet returned

async function run() {
  await sleep(300);
  const start = await quietPeriod('before any client');
  resume();
  running = CONCURRENCY;
  const loops = [];
  for (let i = 0; i < CONCURRENCY; i++) loops.push(clientLoop(i).finally(() => { running--; idleChanged(); }));

  const endAt = t0 + SECONDS * 1000;
  let next = t0 + WARMUP * 1000;
  while (!serverExit) {
    const now = Date.now();
    if (now >= endAt) break;
    // The warm-up ends after WARMUP seconds and WARMUP_SESSIONS sessions (a loaded machine
    // does less in the same time), or at half the run.
    const warmedUp = quiet.length > 1 || totals.sessions >= WARMUP_SESSIONS || now >= t0 + SECONDS * 500;
    if (now >= next && warmedUp) {
      await quietPeriod(quiet.length === 1 ? 'after warm-up' : 'quiet');
      resume();
      next = Date.now() + QUIET_EVERY * 1000;
      if (next > endAt - 4000) next = endAt + 1;
    }
    await sleep(100);
  }
  stopping = true;
  if (gate) resume();
  await Promise.all(loops);
  clearInterval(sampler);

  if (!check(serverExit === null, 'server alive during the churn', `exited ${JSON.stringify(serverExit)}; stderr: ${stderr.slice(-2000)}`)) return;
  running = 0;
  const end = await quietPeriod('at the end');
  await finalChecks({ check, ports, quiet, start, end, samples, serverStats, serverGc, quietPeriod, resume, RSS_TOLERANCE, HEAP_TOLERANCE, Conn, StreamExpect, codecs, sample, totals, limits, log, mb });
  server.stdin.write('exit\n');
  const exited = await Promise.race([serverExited.then(() => true), sleep(10000).then(() => false)]);
  check(exited && serverExit.code === 0, 'server exits cleanly', JSON.stringify(serverExit));
  check(!/Error|Abort|Assert|Segmentation/i.test(stderr), 'server wrote no error', stderr.slice(-2000));
}

// Bounded whatever happens: every wait has its own limit, and the whole run has this one.
const hardStop = setTimeout(() => {
  check(false, 'the soak finished in time', `still running ${SECONDS + 180} s after the start`);
  finish();
}, (SECONDS + 180) * 1000);
try {
  await run();
} catch (err) {
  check(false, 'the driver', err.stack ?? String(err));
}
clearTimeout(hardStop);
finish();

function finish() {
  if (!serverExit) server.kill('SIGKILL');
  const rss = samples.map((s) => s.rss);
  const fds = samples.map((s) => s.fds);
  log('');
  log(`seed ${SEED}, ${((Date.now() - t0) / 1000).toFixed(0)} s: ${totals.sessions} sessions, ${limits.connected} connections (≤ ${limits.maxOpen} open at once), ${totals.messages} echoes checked`);
  log(`pings left unanswered behind a later answered one (allowed by RFC 6455 5.5.3): ${totals.skippedPongs}`);
  const list = (map) => Object.entries(map).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  log(`sessions: ${list(tally.protocol)}; styles: ${list(tally.style)}; endings: ${list(tally.ending)}`);
  log(`bad input: ${Object.keys(tally.bad).length} kinds, ${Object.values(tally.bad).reduce((a, b) => a + b, 0)} sessions`);
  if (env.SOAK_VERBOSE) log(`bad input by kind: ${list(tally.bad)}`);
  if (rss.length) log(`server rss ${mb(Math.min(...rss))} – ${mb(Math.max(...rss))}, fds ${Math.min(...fds)} – ${Math.max(...fds)} (sampled every ${SAMPLE_MS / 1000} s, ${samples.length} samples)`);
  log(`quiet samples: ${quiet.map((q) => `${q.label} ${mb(q.rss)}/${q.fds} fds`).join('; ')}`);
  if (!KNOWN) log('not run: endings read behind a paused reader (SOAK_KNOWN=0)');
  for (const f of failures.slice(0, 30)) log(`FAIL ${f}`);
  if (failures.length > 30) log(`… and ${failures.length - 30} more failures`);
  log(results.failed ? `soak FAILED (replay with SOAK_SEED=${SEED})` : 'soak passed');
  log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}
