#!/usr/bin/env node
'use strict';
// netwright benchmark suite: `npm run bench` (minutes) or `npm run bench -- --quick` (smoke).
// Every scenario runs netwright and its peers in the same invocation, interleaved
// (A B C A B C ...), several repetitions, median reported; the server is pinned to core 0 and
// the load generator (bench/loadgen.c, or wrk for HTTP) to core 1. Results: a markdown table
// and an SVG chart of the ratios in bench/results/<date>.{md,svg} (--quick: bench/build/results/).
// See bench/README.md.

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { scenarios, subjects } = require('./scenarios');
const { renderMarkdown, renderSvg } = require('./report');

const BENCH = __dirname;
const ROOT = path.join(BENCH, '..');
const BUILD = path.join(BENCH, 'build');

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { quick: false, reps: null, duration: null, warmup: null, only: null, out: null, pin: true, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--list') o.list = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else fail(`unknown option ${a} (try --help)`);
  }
  return o;
}

const HELP = `usage: node bench/run.js [options]      (npm run bench -- [options])
  --quick            short smoke run (1 repetition, 1 s windows, small connection counts)
  --reps N           repetitions per subject (default 5; --quick 1)
  --duration S       measured seconds per run (default 4; --quick 1)
  --warmup S         warm-up seconds per run before measuring (default 1; --quick 0.3)
  --only A,B         run only scenarios whose id contains one of these strings (e.g. tcp,storm)
  --out DIR          where to write <date>.md / .svg / .json
  --no-pin           do not pin server and load generator to cores with taskset
  --list             list scenarios and exit
  -v, --verbose      one line per run
Peers: bun, ws and bufferutil are looked up in node_modules, then bench/peers/node_modules
(npm --prefix bench/peers install); wrk from PATH (apt-get install wrk).`;

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------- processes we started
const live = new Set();
function track(child) {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}
function killTree(child, signal) {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // its process group (spawned detached)
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}
function killAll() {
  for (const c of live) killTree(c, 'SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    console.error(`\nbench: interrupted (${sig}); every server started was killed`);
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  killAll();
  console.error(e);
  process.exit(1);
});

function stop(child, ms = 2000) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => killTree(child, 'SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    killTree(child, 'SIGTERM');
  });
}

// ---------------------------------------------------------------- environment
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
function versionOf(bin, args = ['--version']) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10000 });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : null;
}
function findBun() {
  const candidates = [
    process.env.BUN_BIN,
    path.join(ROOT, 'node_modules', '.bin', 'bun'),
    path.join(BENCH, 'peers', 'node_modules', '.bin', 'bun'),
    which('bun'),
  ].filter(Boolean);
  for (const c of candidates) {
    if (!fs.existsSync(c)) continue;
    const v = versionOf(c);
    if (v) return { bin: c, version: v };
  }
  return null;
}
function findPeerModule(name) {
  for (const dir of [path.join(ROOT, 'node_modules'), path.join(BENCH, 'peers', 'node_modules')]) {
    const p = path.join(dir, name, 'package.json');
    if (fs.existsSync(p)) return JSON.parse(fs.readFileSync(p, 'utf8')).version;
  }
  return null;
}
// `variants`: [flags, ...] tried in order (the load generator with the system's OpenSSL, then
// without TLS); returns { bin, variant } with the index of the one that built.
function buildC(name, variants = [[]]) {
  const src = path.join(BENCH, `${name}.c`);
  const bin = path.join(BUILD, name);
  const stamp = `${bin}.variant`;
  fs.mkdirSync(BUILD, { recursive: true });
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs)
    return { bin, variant: Number(fs.readFileSync(stamp, 'utf8')) };
  const cc = process.env.CC || 'cc';
  let err = '';
  for (const [i, flags] of variants.entries()) {
    const r = spawnSync(cc, ['-O2', '-Wall', '-o', bin, src, ...flags], { encoding: 'utf8', timeout: 120000 });
    if (r.status === 0) {
      fs.writeFileSync(stamp, String(i));
      return { bin, variant: i };
    }
    err += `${cc} -O2 ${flags.join(' ')}:\n${r.stderr || r.error}\n`;
  }
  fail(`building ${name} failed:\n${err}`);
}

// A self-signed ECDSA P-256 certificate for 127.0.0.1/localhost, made once per suite with the
// openssl CLI into bench/build/tls/ (servers get its paths in TLS_CERT, TLS_KEY).
function makeTestCertificate() {
  const dir = path.join(BUILD, 'tls');
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '7', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    { encoding: 'utf8', timeout: 30000 },
  );
  if (r.status !== 0) return { missing: `skipped: no test certificate (openssl CLI: ${String(r.stderr || r.error).trim().split('\n').pop()})` };
  return { cert, key };
}
function nofileLimits(pid = 'self') {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.split(/\s{2,}/).slice(1, 3);
    const n = (x) => (x === 'unlimited' ? Infinity : Number(x));
    return { soft: n(soft), hard: n(hard) };
  } catch {
    return null;
  }
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function machine(env) {
  const cpus = os.cpus();
  const git = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'lib', 'native'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    bun: env.bun ? env.bun.version : 'not installed',
    ws: env.ws || 'not installed',
    bufferutil: env.bufferutil || 'not installed',
    wrk: env.wrk ? env.wrkVersion : 'not installed',
    redis: env.redisServer ? env.redisVersion : 'not installed',
    socketio: env.socketio || 'not installed',
    redisAdapter: env.redisAdapter || 'not installed',
    ioredis: env.ioredis || 'not installed',
    openssl: `Node's ${process.versions.openssl}; load generator and wrk: ${(versionOf('openssl', ['version']) || 'system OpenSSL not found').replace(/ \d+ \w+ \d{4}.*$/, '')}`,
    commit: git.status === 0 ? git.stdout.trim() + (dirty.stdout.trim() ? ' + uncommitted changes' : '') : 'none',
    nofile: nofileLimits(),
  };
}

// Two spinners, one per core, for half a second: how much CPU the machine really gives us
// (on a shared VM both cores are often not available at once). Reported beside the results.
async function cpuProbe(pin) {
  const code =
    'const t0=Date.now(),c0=process.cpuUsage();while(Date.now()-t0<500){}' +
    'const c=process.cpuUsage(c0);console.log(((c.user+c.system)/1000/(Date.now()-t0)).toFixed(3))';
  const run = (core) =>
    new Promise((resolve) => {
      const args = pin ? ['-c', String(core), process.execPath, '-e', code] : null;
      const child = track(spawn(pin ? 'taskset' : process.execPath, args || ['-e', code], { detached: true }));
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', () => resolve(Number(out.trim()) || 0));
    });
  const [a, b] = await Promise.all([run(0), run(1)]);
  return { core0: a, core1: b };
}

// ---------------------------------------------------------------- Redis, for the scenarios that need it
// A redis-server of our own on a free port, without persistence, pinned with the servers (its
// CPU is server-side work, measured apart); started before such a scenario and stopped after it.
async function startRedis(ctx) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
  const full = ctx.pin ? ['taskset', ['-c', '0', ctx.redisServer, ...args]] : [ctx.redisServer, args];
  const child = track(spawn(full[0], full[1], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  child.stdout.on('data', (d) => (err = (err + d).slice(-2000)));
  const redis = { port, url: `redis://127.0.0.1:${port}`, child, dir, runs: 0 };
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await redisPing(port)) return redis;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopRedis(redis);
  throw new Error(`redis-server did not start on port ${port}: ${err.trim().slice(-300)}`);
}
function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
  });
}
async function stopRedis(redis) {
  if (!redis) return;
  await stop(redis.child);
  fs.rmSync(redis.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- one run
// The pids of a process and all its descendants (a runAll() master and its workers, a cluster
// primary and its workers), from /proc: the CPU of a server is summed over all of them.
function processTree(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {}
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const c of children.get(pid) || []) walk(c);
  };
  walk(root);
  return out;
}

function startServer(subject, port, ctx, core = 0) {
  const [cmd, args] = subject.command(ctx, port);
  const full = ctx.pin ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
  const env = { ...process.env, PORT: String(port) };
  if (ctx.tls && ctx.tls.cert) (env.TLS_CERT = ctx.tls.cert), (env.TLS_KEY = ctx.tls.key);
  if (ctx.redis) {
    env.REDIS_URL = ctx.redis.url;
    env.REDIS_PREFIX = `bench${++ctx.redis.runs}:`; // nothing of one run is seen by the next
  }
  const child = track(spawn(full[0], full[1], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve) => {
    const done = (r) => {
      clearTimeout(timer);
      clearInterval(poll);
      child.removeListener('exit', onExit);
      resolve({ child, ...r, stderr: () => err, stdout: () => out });
    };
    const timer = setTimeout(() => done({ status: 'failed', reason: `no "ready" within 15 s: ${err.trim().slice(-300)}` }), 15000);
    const onExit = (code, sig) => {
      setTimeout(() => {
        const un = /^unavailable: (.*)$/m.exec(out);
        if (un) done({ status: 'unavailable', reason: un[1] });
        else done({ status: 'failed', reason: `server exited (${sig || code}) before ready: ${(err || out).trim().slice(-400)}` });
      }, 20);
    };
    child.on('exit', onExit);
    const poll = setInterval(() => {
      if (/^ready\b/m.test(out)) done({ status: 'ready' });
    }, 10);
  });
}

function runProcess(cmd, args, timeoutMs, ctx, core = 1) {
  const full = ctx.pin ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    const child = track(spawn(full[0], full[1], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    const t = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, sig) => {
      clearTimeout(t);
      resolve({ code, sig, out, err, timedOut });
    });
  });
}

function readCpuTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return NaN;
  }
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

async function runLoadgen(scn, subject, srv, port, ctx) {
  const lg = { ...scn.loadgen(ctx), ...(subject.loadgen || {}) };
  const args = ['--port', String(port), '--pid', processTree(srv.child.pid).join(',')];
  if (ctx.redis) args.push('--aux-pid', String(ctx.redis.child.pid));
  for (const [k, v] of Object.entries(lg)) {
    if (v === true) args.push(`--${k}`);
    else if (v !== false && v !== undefined) args.push(`--${k}`, String(v));
  }
  const budget = (lg.warmup || 0) + (lg.duration || 0) + (lg.hold || 0) + 40;
  args.push('--timeout', String(budget));
  const r = await runProcess(ctx.loadgen, args, (budget + 10) * 1000, ctx);
  if (r.timedOut) return { status: 'failed', reason: 'load generator killed after its time budget' };
  let j;
  try {
    j = JSON.parse(r.out.trim().split('\n').pop());
  } catch {
    return { status: 'failed', reason: `load generator (${r.sig || r.code}): ${r.err.trim().slice(-300)}` };
  }
  if (j.timed_out) return { status: 'failed', reason: `load generator timed out: ${r.err.trim().slice(-300)}` };
  if (j.mode !== 'idle' && j.messages === 0) {
    const f = j.fanout;
    const fan = f ? `; the publisher sent ${f.published}, every receiver got ${f.acked}, receivers got ${f.min_received} to ${f.max_received}` : '';
    return { status: 'failed', reason: `no message echoed in the measured window (errors ${JSON.stringify(j.error_detail)}${fan}): ${r.err.trim().slice(-300)}` };
  }
  // A deflate row compares servers that compress their echoes; one that sends them plain does
  // half the work (Bun does unless send() is asked to compress), and its figure would mislead.
  if (j.deflate && j.deflate.compressed < j.deflate.replies) {
    return { status: 'failed', reason: `${j.deflate.replies - j.deflate.compressed} of ${j.deflate.replies} echoes came back uncompressed` };
  }
  return scn.result(j, ctx);
}

async function runWrk(scn, srv, port, ctx) {
  const url = `${scn.https ? 'https' : 'http'}://127.0.0.1:${port}/`;
  const w = scn.wrk(ctx);
  if (ctx.warmup > 0) await runProcess('wrk', ['-t1', `-c${w.conns}`, `-d${Math.max(1, Math.round(ctx.warmup))}s`, url], 60000, ctx);
  const pids = processTree(srv.child.pid);
  const ticks = () => pids.reduce((a, pid) => a + readCpuTicks(pid), 0);
  const t0 = ticks();
  const r = await runProcess('wrk', ['-t1', `-c${w.conns}`, `-d${Math.max(1, Math.round(ctx.duration))}s`, '--latency', url], (ctx.duration + 30) * 1000, ctx);
  const t1 = ticks();
  if (r.code !== 0) return { status: 'failed', reason: `wrk: ${r.err.trim() || r.out.trim()}`.slice(0, 300) };
  const num = (re) => {
    const m = re.exec(r.out);
    return m ? Number(m[1]) : NaN;
  };
  const lat = (pct) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)\\b`, 'm').exec(r.out);
    if (!m) return NaN;
    return Number(m[1]) * { us: 1, ms: 1000, s: 1e6 }[m[2]];
  };
  const requests = num(/(\d+) requests in/);
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  const errs = /Non-2xx or 3xx responses: (\d+)/.exec(r.out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.out);
  const errors = (errs ? Number(errs[1]) : 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const cpu = (t1 - t0) / CLK_TCK;
  return {
    status: 'ok',
    rate: rps,
    p50: lat(50),
    p99: lat(99),
    p999: NaN,
    cpuNs: requests > 0 ? (cpu * 1e9) / requests : NaN,
    cpuUtil: cpu / Math.max(1, Math.round(ctx.duration)),
    errors,
  };
}

function alive(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(st);
  } catch {
    return false;
  }
}

// A client scenario: the subject is the client process (bench/clients/), pinned to core 0, against
// the scenario's server on core 1. The client prints "measure" when its warm-up ends and one JSON
// line when its window ends; the client's CPU (and the server's, shown apart) is read from /proc
// at those two lines.
async function runClient(scn, subject, srv, port, ctx) {
  const [cmd, args] = subject.command(ctx, port);
  const lg = scn.client(ctx);
  const full = [...args, String(port), String(lg.conns), String(lg.depth), String(lg.size), String(ctx.warmup), String(ctx.duration)];
  const spawnArgs = ctx.pin ? ['taskset', ['-c', '0', cmd, ...full]] : [cmd, full];
  const child = track(spawn(spawnArgs[0], spawnArgs[1], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  const serverPids = processTree(srv.child.pid);
  const ticks = (pids) => pids.reduce((a, pid) => a + readCpuTicks(pid), 0);
  let out = '';
  let err = '';
  let t0 = null;
  let t1 = null;
  let result = null;
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  child.stdout.on('data', (d) => {
    out += d;
    let nl;
    while ((nl = out.indexOf('\n')) !== -1) {
      const lineText = out.slice(0, nl).trim();
      out = out.slice(nl + 1);
      if (lineText === 'measure') t0 = { client: ticks([child.pid]), server: ticks(serverPids) };
      else if (lineText.startsWith('{')) {
        t1 = { client: ticks([child.pid]), server: ticks(serverPids) };
        try {
          result = JSON.parse(lineText);
        } catch {}
      } else if (/^unavailable: /.test(lineText)) result = { unavailable: lineText.slice(13) };
    }
  });
  const budget = ctx.warmup + ctx.duration + 40;
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), budget * 1000);
  // 'close', not 'exit': the result line may still be in the pipe when the process has exited
  const [code, sig] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  if (result && result.unavailable) return { status: 'unavailable', reason: result.unavailable };
  if (!result || !t0 || !t1) return { status: 'failed', reason: `client (${sig || code}): ${err.trim().slice(-300) || 'no result'}` };
  if (result.messages === 0) return { status: 'failed', reason: `no message echoed in the measured window (errors ${JSON.stringify(result.error_detail)}): ${err.trim().slice(-300)}` };
  const cpu = (t1.client - t0.client) / CLK_TCK;
  const scpu = (t1.server - t0.server) / CLK_TCK;
  return {
    status: 'ok',
    rate: result.msgs_per_sec,
    p50: NaN,
    p99: NaN,
    p999: NaN,
    cpuNs: (cpu * 1e9) / result.messages,
    cpuUtil: cpu / result.window_s,
    auxCpuNs: (scpu * 1e9) / result.messages,
    auxUtil: scpu / result.window_s,
    loadUtil: NaN,
    errors: result.errors,
  };
}

async function runOne(scn, subjectId, ctx) {
  const subject = subjects[subjectId];
  const port = await freePort();
  // a client scenario starts its fixed server on core 1 and the subject (the client) on core 0
  const srv = scn.kind === 'client' ? await startServer(subjects[scn.server], port, ctx, 1) : await startServer(subject, port, ctx);
  if (srv.status !== 'ready') {
    await stop(srv.child);
    return { status: srv.status, reason: srv.reason };
  }
  let res;
  try {
    res =
      scn.kind === 'http'
        ? await runWrk(scn, srv, port, ctx)
        : scn.kind === 'client'
          ? await runClient(scn, subject, srv, port, ctx)
          : await runLoadgen(scn, subject, srv, port, ctx);
    if (srv.child.exitCode !== null || srv.child.signalCode !== null || !alive(srv.child.pid))
      res = { status: 'failed', reason: `server died during the run (${srv.child.signalCode || srv.child.exitCode}): ${srv.stderr().trim().slice(-300)}` };
  } finally {
    await stop(srv.child);
  }
  return res;
}

// ---------------------------------------------------------------- suite
function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
function fmtRate(x) {
  if (!Number.isFinite(x)) return '-';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

function summarize(runs) {
  const ok = runs.filter((r) => r.status === 'ok');
  if (!ok.length) {
    const r = runs.find((x) => x.status !== 'ok') || { status: 'failed', reason: 'no run' };
    return { status: r.status, reason: r.reason };
  }
  const keys = Object.keys(ok[0]).filter((k) => typeof ok[0][k] === 'number' && k !== 'errors');
  const s = { status: 'ok', runs: ok.length, failedRuns: runs.length - ok.length, errors: ok.reduce((a, r) => a + (r.errors || 0), 0) };
  for (const k of keys) s[k] = median(ok.map((r) => r[k]));
  s.rates = ok.map((r) => r.rate);
  const failed = runs.find((r) => r.status !== 'ok');
  if (failed) s.reason = failed.reason;
  return s;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (opt.help) return console.log(HELP);
  const ctx = {
    quick: opt.quick,
    reps: opt.reps || (opt.quick ? 1 : 5),
    duration: opt.duration || (opt.quick ? 1 : 4),
    warmup: opt.warmup ?? (opt.quick ? 0.3 : 1),
    pin: opt.pin,
    verbose: opt.verbose,
  };
  let list = scenarios;
  if (opt.only) list = list.filter((s) => opt.only.some((o) => s.id.includes(o)));
  if (opt.quick) list = list.filter((s) => s.quick !== false);
  if (opt.list) {
    for (const s of scenarios) console.log(`${s.id.padEnd(21)} ${s.title} — ${s.detail({ quick: false })}${s.quick === false ? '  (not in --quick)' : ''}`);
    return;
  }
  if (!list.length) fail('no scenario matches --only');

  if (ctx.pin && (os.cpus().length < 2 || !which('taskset'))) {
    console.error('bench: taskset or a second core is missing; running unpinned');
    ctx.pin = false;
  }
  const lg = buildC('loadgen', [['-lssl', '-lcrypto', '-lz'], ['-DLOADGEN_NO_TLS', '-lz']]);
  ctx.loadgen = lg.bin;
  ctx.loadgenTls = lg.variant === 0;
  ctx.ceiling = buildC('ceiling').bin;
  // the TLS scenarios' certificate, made only when one of them runs
  ctx.tls = list.some((s) => s.tls) ? makeTestCertificate() : null;
  ctx.bun = findBun();
  ctx.ws = findPeerModule('ws');
  ctx.bufferutil = findPeerModule('bufferutil');
  ctx.wrk = which('wrk');
  // REDIS_SERVER names another binary; one that does not run counts as missing
  const redisBin = process.env.REDIS_SERVER || which('redis-server');
  const redisV = redisBin ? versionOf(redisBin) : null;
  ctx.redisServer = redisV ? redisBin : null;
  ctx.redisVersion = redisV ? (/v=(\S+)/.exec(redisV) || [])[1] || redisV : null;
  ctx.socketio = findPeerModule('socket.io');
  ctx.redisAdapter = findPeerModule('@socket.io/redis-adapter');
  ctx.ioredis = findPeerModule('ioredis');
  ctx.wrkVersion = ctx.wrk ? (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout || '').split('\n')[0].replace(/ Copyright.*/, '') : null;
  ctx.nofile = nofileLimits();
  const env = machine(ctx);
  const probeBefore = await cpuProbe(ctx.pin);

  const started = Date.now();
  console.error(
    `bench: ${list.length} scenarios, ${ctx.reps} repetition(s), ${ctx.warmup}s warm-up + ${ctx.duration}s measured per run` +
      `${ctx.pin ? ', server on core 0, load on core 1' : ''}; bun ${ctx.bun ? ctx.bun.version : 'not installed'}`,
  );
  const results = [];
  for (const [i, scn] of list.entries()) {
    const t0 = Date.now();
    const reps = Math.max(1, Math.min(ctx.reps, scn.maxReps || Infinity));
    const runs = Object.fromEntries(scn.subjects.map((s) => [s, []]));
    const gone = {}; // subjects skipped / not available: not retried
    for (const s of scn.subjects) {
      const why = (scn.missing && scn.missing(ctx)) || (subjects[s].missing && subjects[s].missing(ctx, scn));
      if (why) gone[s] = { status: 'skipped', reason: why };
    }
    // a scenario through Redis gets its own redis-server for all its runs
    ctx.redis = null;
    if (scn.needs === 'redis' && scn.subjects.some((s) => !gone[s])) {
      if (!ctx.redisServer) {
        for (const s of scn.subjects) gone[s] ||= { status: 'skipped', reason: 'skipped: redis-server not installed (apt-get install redis-server)' };
      } else {
        try {
          ctx.redis = await startRedis(ctx);
        } catch (e) {
          for (const s of scn.subjects) gone[s] ||= { status: 'failed', reason: e.message };
        }
      }
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const s of scn.subjects) {
        if (gone[s]) continue;
        const r = await runOne(scn, s, ctx);
        // a protocol netwright lacks stays unavailable; a build that does not load (being rebuilt?)
        // is tried again in the next repetition
        if (r.status === 'skipped' || (r.status === 'unavailable' && !/does not load/.test(r.reason))) gone[s] = r;
        else if (r.status === 'unavailable') (runs[s].unavailable = r), (runs[s].tries = (runs[s].tries || 0) + 1);
        else runs[s].push(r);
        if (ctx.verbose)
          console.error(
            `   ${scn.id} rep ${rep + 1}/${reps} ${subjects[s].label}: ${r.status === 'ok' ? `${fmtRate(r.rate)}/s, CPU ${r.cpuNs.toFixed(0)} ns/${scn.unit}${Number.isFinite(r.auxCpuNs) ? ` (+ ${scn.aux} ${r.auxCpuNs.toFixed(0)})` : ''}${r.cpuEach ? ` [${r.cpuEach.map((x) => x.toFixed(2)).join(' + ')} s]` : ''}, errors ${r.errors}` : `${r.status}: ${r.reason}`}`,
          );
      }
    }
    await stopRedis(ctx.redis);
    ctx.redis = null;
    const summary = {};
    for (const s of scn.subjects) summary[s] = gone[s] || (!runs[s].length && runs[s].unavailable) || summarize(runs[s]);
    results.push({ scenario: scn, summary });
    const parts = scn.subjects.map((s) => {
      const r = summary[s];
      const label = subjects[s].label;
      if (r.status !== 'ok') return `${label} ${r.status === 'skipped' ? 'skipped' : r.status === 'unavailable' ? 'not available' : 'FAILED'}`;
      return `${label} ${scn.progress(r)}${r.errors ? ` (${r.errors} errors)` : ''}`;
    });
    console.error(`[${i + 1}/${list.length}] ${scn.title} (${scn.detail(ctx)}): ${parts.join(' · ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const probeAfter = await cpuProbe(ctx.pin);
  env.cpuProbe = { before: probeBefore, after: probeAfter };
  env.elapsed = (Date.now() - started) / 1000;

  const outDir = opt.out || (opt.quick ? path.join(BUILD, 'results') : path.join(BENCH, 'results'));
  fs.mkdirSync(outDir, { recursive: true });
  const day = env.date.slice(0, 10);
  const base = path.join(outDir, `${day}${opt.quick ? '-quick' : ''}`);
  const md = renderMarkdown(results, env, ctx, subjects, path.basename(base) + '.svg');
  fs.writeFileSync(`${base}.md`, md);
  fs.writeFileSync(`${base}.svg`, renderSvg(results, env, subjects, ctx));
  fs.writeFileSync(
    `${base}.json`,
    JSON.stringify({ env, options: { reps: ctx.reps, duration: ctx.duration, warmup: ctx.warmup, quick: ctx.quick }, results: results.map((r) => ({ id: r.scenario.id, title: r.scenario.title, detail: r.scenario.detail(ctx), summary: r.summary })) }, null, 1),
  );
  console.log(md);
  console.error(`bench: wrote ${path.relative(process.cwd(), base)}.md, .svg, .json in ${env.elapsed.toFixed(0)} s`);
  // a failed run or an echo error is a broken server or suite: exit non-zero (no speed threshold)
  const bad = results.some((r) => Object.values(r.summary).some((s) => s.status === 'failed' || s.failedRuns || s.errors));
  if (bad) {
    console.error('bench: some runs failed or reported echo errors (see the table)');
    process.exitCode = 1;
  }
}

main().catch((e) => {
  killAll();
  console.error(e);
  process.exit(1);
});
