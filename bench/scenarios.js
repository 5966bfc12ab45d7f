'use strict';
// The servers under test (subjects) and the scenarios of issue 6.
const path = require('path');

const S = (f) => path.join(__dirname, 'servers', f);
const node = (file) => () => [process.execPath, [S(file)]];
const bun = (file) => (ctx) => [ctx.bun.bin, [S(file)]];
const noBun = (ctx) => (ctx.bun ? null : 'skipped: bun not installed (npm --prefix bench/peers install)');
const noWs = (ctx) => (ctx.ws ? null : 'skipped: ws not installed (npm --prefix bench/peers install)');
const noWrk = (ctx) => (ctx.wrk ? null : 'skipped: wrk not installed (apt-get install wrk)');

// command(ctx, port) -> [file, args]; the port is appended; missing(ctx) -> reason to skip
const subjects = {
  'netwright-text': { label: 'netwright', peer: false, command: withPort(node('netwright-text.mjs')) },
  // Not a peer: the same server with keepAsyncContext, to show what that option costs.
  'netwright-text-als': { label: 'netwright + keepAsyncContext', command: withPort(node('netwright-text-als.mjs')) },
  'netwright-tcp': { label: 'netwright', peer: false, command: withPort(node('netwright-tcp.mjs')) },
  'netwright-ws': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-echo.mjs')) },
  'netwright-fanout': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-fanout.mjs')) },
  'netwright-http': { label: 'netwright', peer: false, command: withPort(node('netwright-http.mjs')) },
  'node-text': { label: 'Node net', command: withPort(node('node-net-text.js')) },
  'node-raw': { label: 'Node net', command: withPort(node('node-net-raw.js')) },
  'bun-text': { label: 'Bun', command: withPort(bun('bun-text.js')), missing: noBun },
  'bun-raw': { label: 'Bun', command: withPort(bun('bun-raw.js')), missing: noBun },
  ceiling: { label: 'C ceiling', command: withPort((ctx) => [ctx.ceiling, []]) },
  'ceiling-http': { label: 'C ceiling', command: withPort((ctx) => [ctx.ceiling, ['http']]) },
  ws: { label: 'ws', command: withPort(node('ws-echo.js')), missing: noWs },
  'ws-fanout': { label: 'ws', command: withPort(node('ws-fanout.js')), missing: noWs },
  'bun-ws': { label: 'Bun', command: withPort(bun('bun-ws-echo.js')), missing: noBun },
  'bun-fanout': { label: 'Bun', command: withPort(bun('bun-ws-fanout.js')), missing: noBun },
  'node-http': { label: 'Node http', command: withPort(node('node-http.js')) },
  'bun-http': { label: 'Bun', command: withPort(bun('bun-http.js')), missing: noBun },
};
function withPort(f) {
  return (ctx, port) => {
    const [file, args] = f(ctx);
    return [file, [...args, String(port)]];
  };
}
for (const [id, s] of Object.entries(subjects)) {
  s.id = id;
  if (s.peer === undefined) s.peer = true;
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : `${x.toFixed(0)}`);

// An echo-style scenario measured by bench/loadgen.
function echo({ id, title, mode = 'echo', proto, conns, depth, size, subjects: subj, unit = 'msg', units = `${unit}s`, quick, quickConns }) {
  const c = (ctx) => (ctx.quick && quickConns ? quickConns : conns);
  return {
    id,
    title,
    kind: 'loadgen',
    unit,
    higherIsBetter: true,
    metric: `${units}/s`,
    quick,
    subjects: subj,
    detail: (ctx) =>
      mode === 'storm'
        ? `${c(ctx)} concurrent clients: connect, one ${size} B echo, close`
        : mode === 'fanout'
          ? `1 publisher × ${depth} in flight → ${c(ctx)} subscribers, ${size} B`
          : `${c(ctx)} conns × ${depth} in flight × ${size} B`,
    loadgen: (ctx) => ({ mode, proto, conns: c(ctx), depth, size, warmup: ctx.warmup, duration: ctx.duration }),
    result: (j) => ({
      status: 'ok',
      rate: j.msgs_per_sec,
      p50: j.lat_us.p50,
      p99: j.lat_us.p99,
      p999: j.lat_us.p999,
      cpuNs: j.server ? j.server.cpu_ns_per_msg : NaN,
      cpuUtil: j.server ? j.server.cpu_util : NaN,
      loadUtil: j.loadgen ? j.loadgen.cpu_util : NaN,
      errors: j.errors,
    }),
    progress: (r) => `${fmt(r.rate)} ${units}/s, ${r.cpuNs.toFixed(0)} ns CPU/${unit}`,
  };
}

// Idle WebSocket connections: server RSS per connection. `count(ctx)` may read the fd limits.
function idle({ id, title, count, subjects: subj, quick }) {
  return {
    id,
    title,
    kind: 'loadgen',
    unit: 'conn',
    higherIsBetter: false,
    metric: 'bytes/conn',
    quick,
    maxReps: 2,
    subjects: subj,
    detail: (ctx) => `${count(ctx)} open WebSocket connections, server RSS per connection`,
    loadgen: (ctx) => ({ mode: 'idle', proto: 'ws', conns: count(ctx), hold: ctx.quick ? 1 : 3, batch: 256 }),
    result: (j) => {
      const opened = j.open_at_end;
      const s = j.server || {};
      const perConn = opened > 0 ? ((s.rss_kb_after - s.rss_kb_before) * 1024) / opened : NaN;
      return {
        status: 'ok',
        rate: perConn, // the scenario's figure (lower is better)
        opened,
        rssMiB: s.rss_kb_after / 1024,
        cpuNs: NaN,
        p50: NaN,
        p99: NaN,
        p999: NaN,
        errors: j.errors + (opened < j.conns ? j.conns - opened : 0),
      };
    },
    progress: (r) => `${r.rate.toFixed(0)} B/conn (${r.opened} open, RSS ${r.rssMiB.toFixed(0)} MiB)`,
  };
}

// Most connections both sides may hold: the server's and our own open-file limits (read, not
// assumed), less a margin for the processes' own descriptors.
function maxIdle(ctx) {
  if (ctx.quick) return 2000;
  const lim = ctx.nofile ? Math.min(ctx.nofile.hard, ctx.nofile.soft === Infinity ? ctx.nofile.hard : ctx.nofile.hard) : 1024;
  return Math.max(1000, Math.min(lim, 60000) - 100);
}

const scenarios = [
  echo({ id: 'tcp-text-d1', title: 'TCP text echo', proto: 'text', conns: 50, depth: 1, size: 32, subjects: ['netwright-text', 'node-text', 'bun-text', 'ceiling'] }),
  echo({ id: 'tcp-text-d16', title: 'TCP text echo', proto: 'text', conns: 50, depth: 16, size: 32, subjects: ['netwright-text', 'node-text', 'bun-text', 'ceiling', 'netwright-text-als'] }),
  echo({ id: 'tcp-raw-d16', title: 'TCP raw echo', proto: 'raw', conns: 50, depth: 16, size: 32, subjects: ['netwright-tcp', 'node-raw', 'bun-raw', 'ceiling'] }),
  echo({ id: 'tcp-storm', title: 'Connection storm', mode: 'storm', proto: 'text', conns: 50, depth: 1, size: 32, unit: 'conn', subjects: ['netwright-text', 'node-text', 'bun-text', 'ceiling'] }),
  echo({ id: 'ws-d1-32', title: 'WebSocket echo', proto: 'ws', conns: 50, depth: 1, size: 32, quick: false, subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
  echo({ id: 'ws-d16-32', title: 'WebSocket echo', proto: 'ws', conns: 50, depth: 16, size: 32, subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
  echo({ id: 'ws-d1-4k', title: 'WebSocket echo', proto: 'ws', conns: 50, depth: 1, size: 4096, subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
  echo({ id: 'ws-d16-4k', title: 'WebSocket echo', proto: 'ws', conns: 50, depth: 16, size: 4096, quick: false, subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
  echo({ id: 'ws-fanout', title: 'WebSocket fan-out', mode: 'fanout', proto: 'ws', conns: 5000, quickConns: 500, depth: 8, size: 32, unit: 'delivery', units: 'deliveries', subjects: ['netwright-fanout', 'ws-fanout', 'bun-fanout'] }),
  {
    id: 'http-hello',
    title: 'HTTP hello world',
    kind: 'http',
    unit: 'req',
    higherIsBetter: true,
    metric: 'reqs/s',
    subjects: ['netwright-http', 'node-http', 'bun-http', 'ceiling-http'],
    detail: () => 'wrk -t1 -c50, keep-alive',
    wrk: () => ({ conns: 50 }),
    progress: (r) => `${fmt(r.rate)} reqs/s, ${r.cpuNs.toFixed(0)} ns CPU/req`,
  },
  idle({ id: 'ws-idle-10k', title: 'Idle WebSocket connections', count: (ctx) => (ctx.quick ? 1000 : 10000), subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
  idle({ id: 'ws-idle-max', title: 'Idle WebSocket connections', count: maxIdle, quick: false, subjects: ['netwright-ws', 'ws', 'bun-ws'] }),
];
// wrk is needed by every subject of the HTTP scenario
for (const id of ['netwright-http', 'node-http', 'bun-http', 'ceiling-http']) {
  const prev = subjects[id].missing;
  subjects[id].missing = (ctx) => noWrk(ctx) || (prev ? prev(ctx) : null);
}

module.exports = { scenarios, subjects };
