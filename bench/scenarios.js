'use strict';
// The servers under test (subjects) and the scenarios of issues 6, 11, 12 (TLS) and 13 (UDP, clients).
const path = require('path');

const S = (f) => path.join(__dirname, 'servers', f);
const C = (f) => path.join(__dirname, 'clients', f);
// a server FILE with its variant flags (--tls, --deflate); withPort appends the port
const node = (file, ...flags) => () => [process.execPath, [S(file), ...flags]];
const bun = (file, ...flags) => (ctx) => [ctx.bun.bin, [S(file), ...flags]];
const noBun = (ctx) => (ctx.bun ? null : 'skipped: bun not installed (npm --prefix bench/peers install)');
const noWs = (ctx) => (ctx.ws ? null : 'skipped: ws not installed (npm --prefix bench/peers install)');
const noWrk = (ctx) => (ctx.wrk ? null : 'skipped: wrk not installed (apt-get install wrk)');
const noSocketio = (ctx) => {
  const gone = [['socket.io', ctx.socketio], ['@socket.io/redis-adapter', ctx.redisAdapter], ['ioredis', ctx.ioredis]].filter(([, v]) => !v);
  return gone.length ? `skipped: ${gone.map(([n]) => n).join(', ')} not installed (npm --prefix bench/peers install)` : null;
};
// TLS scenarios: the test certificate (openssl CLI) and, for the load generator, its OpenSSL build
const noTls = (ctx) => (ctx.tls && ctx.tls.missing) || (ctx.tls ? null : 'skipped: no test certificate');
const noTlsLoadgen = (ctx) =>
  noTls(ctx) || (ctx.loadgenTls ? null : 'skipped: the load generator was built without OpenSSL (apt-get install libssl-dev)');
const noIoredis = (ctx) => (ctx.ioredis ? null : 'skipped: ioredis not installed (npm ci installs it, a devDependency)');

// command(ctx, port) -> [file, args]; the port is appended; missing(ctx) -> reason to skip
const subjects = {
  'netwright-text': { label: 'netwright', peer: false, command: withPort(node('netwright-text.mjs')) },
  // Not a peer: the same server with keepAsyncContext, to show what that option costs.
  'netwright-text-als': { label: 'netwright + keepAsyncContext', command: withPort(node('netwright-text-als.mjs')) },
  'netwright-tcp': { label: 'netwright', peer: false, command: withPort(node('netwright-tcp.mjs')) },
  'netwright-ws': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-echo.mjs')) },
  'netwright-fanout': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-fanout.mjs')) },
  'netwright-http': { label: 'netwright', peer: false, command: withPort(node('netwright-http.mjs')) },
  // issue 14: the WebSocket echo on an http:// port that takes upgrades, against a websocket:// worker
  'netwright-http-ws': { label: 'netwright, http:// + WebSocket on one port', peer: false, command: withPort(node('netwright-http-ws-echo.mjs')) },
  'node-text': { label: 'Node net', command: withPort(node('node-net-text.js')) },
  'node-raw': { label: 'Node net', command: withPort(node('node-net-raw.js')) },
  'bun-text': { label: 'Bun', command: withPort(bun('bun-text.js')), missing: noBun },
  'bun-raw': { label: 'Bun', command: withPort(bun('bun-raw.js')), missing: noBun },
  ceiling: { label: 'C ceiling', command: withPort((ctx) => [ctx.ceiling, []]) },
  'ceiling-http': { label: 'C ceiling', command: withPort((ctx) => [ctx.ceiling, ['http']]) },
  ws: { label: 'ws', command: withPort(node('ws-echo.js')), missing: noWs },
  'ws-fanout': { label: 'ws', command: withPort(node('ws-fanout.js')), missing: noWs },
  'bun-ws': { label: 'Bun', command: withPort(bun('bun-ws-echo.js')), missing: noBun },
  // permessage-deflate on, each with its defaults
  'netwright-ws-deflate': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-echo.mjs', '--deflate')) },
  'ws-deflate': { label: 'ws (perMessageDeflate)', command: withPort(node('ws-echo.js', '--deflate')), missing: noWs },
  'bun-ws-deflate': { label: 'Bun (perMessageDeflate)', command: withPort(bun('bun-ws-echo.js', '--deflate')), missing: noBun },
  'bun-fanout': { label: 'Bun', command: withPort(bun('bun-ws-fanout.js')), missing: noBun },
  'node-http': { label: 'Node http', command: withPort(node('node-http.js')) },
  'bun-http': { label: 'Bun', command: withPort(bun('bun-http.js')), missing: noBun },
  // issue 12: TLS (the runner's self-signed certificate in TLS_CERT, TLS_KEY)
  'netwright-wss': { label: 'netwright', peer: false, command: withPort(node('netwright-ws-echo.mjs', '--tls')) },
  'ws-wss': { label: 'ws on Node https', command: withPort(node('ws-echo.js', '--tls')), missing: noWs },
  'bun-wss': { label: 'Bun', command: withPort(bun('bun-ws-echo.js', '--tls')), missing: noBun },
  'netwright-https': { label: 'netwright', peer: false, command: withPort(node('netwright-http.mjs', '--tls')) },
  'node-https': { label: 'Node https', command: withPort(node('node-http.js', '--tls')) },
  'bun-https': { label: 'Bun', command: withPort(bun('bun-http.js', '--tls')), missing: noBun },
  'netwright-tls-text': { label: 'netwright', peer: false, command: withPort(node('netwright-text.mjs', '--tls')) },
  'node-tls-text': { label: 'Node tls', command: withPort(node('node-net-text.js', '--tls')) },
  'bun-tls-text': { label: 'Bun', command: withPort(bun('bun-text.js', '--tls')), missing: noBun },
  // issue 13: UDP echo servers, and clients (the subject is the client process; see runClient)
  'netwright-udp': { label: 'netwright', peer: false, command: withPort(node('netwright-udp.mjs')) },
  'node-dgram': { label: 'Node dgram', command: withPort(node('node-dgram.js')) },
  'bun-udp': { label: 'Bun', command: withPort(bun('bun-udp.js')), missing: noBun },
  'netwright-client': { label: 'netwright AsyncTcpConnection', peer: false, command: () => [process.execPath, [C('netwright-text-client.mjs')]] },
  'node-client': { label: 'Node net', command: () => [process.execPath, [C('node-net-text-client.mjs')]] },
  // issue 11: one topic, its subscribers spread by the kernel over the processes of a runAll() script
  'netwright-cluster-1': { label: 'netwright, 1 worker process', peer: false, command: cluster('netwright-cluster.mjs', 1, 'relay') },
  'netwright-cluster-2': { label: 'netwright, 2 worker processes (relay)', peer: false, command: cluster('netwright-cluster.mjs', 2, 'relay') },
  'netwright-redis-2': { label: 'netwright, 2 worker processes (Redis)', peer: false, command: cluster('netwright-cluster.mjs', 2, 'redis'), missing: noIoredis },
  'socketio-redis-2': {
    label: 'socket.io + redis-adapter, 2 worker processes',
    command: cluster('socketio-cluster.js', 2),
    loadgen: { proto: 'socketio' },
    missing: noSocketio,
  },
};
// node FILE PORT COUNT [BACKEND]
function cluster(file, count, backend) {
  return (ctx, port) => [process.execPath, [S(file), String(port), String(count), ...(backend ? [backend] : [])]];
}
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

// An echo-style scenario measured by bench/loadgen. Fan-out with pace 'all' keeps a message in
// flight until every receiver has it (the publisher's own copy is not enough once other
// processes serve some of the subscribers). `aux` names a helper process whose CPU is measured
// apart (Redis, started by the runner when `needs` is 'redis'); `pairs` lists [subject,
// reference] comparisons instead of netwright against each peer; `goals(summary)` states targets.
function echo({ id, title, mode = 'echo', proto, conns, depth, size, subjects: subj, unit = 'msg', units = `${unit}s`, quick, quickConns, pace, spread, tls, ...rest }) {
  const c = (ctx) => (ctx.quick && quickConns ? quickConns : conns);
  return {
    id,
    title,
    kind: 'loadgen',
    unit,
    higherIsBetter: true,
    metric: `${units}/s`,
    quick,
    tls,
    missing: tls ? noTlsLoadgen : undefined,
    subjects: subj,
    detail: (ctx) =>
      mode === 'storm'
        ? `${c(ctx)} concurrent clients: connect,${tls ? ' TLS handshake,' : ''} one ${size} B echo, close`
        : mode === 'udp'
          ? `${c(ctx)} sockets × ${depth} datagram${depth > 1 ? 's' : ''} in flight × ${size} B`
        : mode === 'fanout'
          ? `1 publisher × ${depth} in flight${pace === 'all' ? ' (until every subscriber has it)' : ''} → ${c(ctx)} subscribers${spread ? ` ${spread}` : ''}, ${size} B`
          : `${c(ctx)} conns × ${depth} in flight × ${size} B`,
    loadgen: (ctx) => ({ mode, ...(mode === 'udp' ? {} : { proto }), conns: c(ctx), depth, size, warmup: ctx.warmup, duration: ctx.duration, tls: !!tls, ...(pace ? { pace } : {}) }),
    result: (j) => ({
      status: 'ok',
      rate: j.msgs_per_sec,
      p50: j.lat_us.p50,
      p99: j.lat_us.p99,
      p999: j.lat_us.p999,
      cpuNs: j.server ? j.server.cpu_ns_per_msg : NaN,
      cpuUtil: j.server ? j.server.cpu_util : NaN,
      processes: j.server ? j.server.pids.length : NaN,
      cpuEach: j.server ? j.server.cpu_s_each : undefined,
      auxCpuNs: j.aux ? j.aux.cpu_ns_per_msg : NaN,
      auxUtil: j.aux ? j.aux.cpu_util : NaN,
      loadUtil: j.loadgen ? j.loadgen.cpu_util : NaN,
      // udp: datagrams given up after the load generator's --rto, answers after that (not errors)
      ...(j.udp ? { lost: j.udp.lost, late: j.udp.late } : {}),
      errors: j.errors,
    }),
    progress: (r) =>
      `${fmt(r.rate)} ${units}/s, ${r.cpuNs.toFixed(0)} ns CPU/${unit}` +
      (Number.isFinite(r.lost) ? ` (${r.lost} lost)` : '') +
      (Number.isFinite(r.auxCpuNs) ? ` (+ ${rest.aux} ${r.auxCpuNs.toFixed(0)})` : '') +
      (r.processes > 1 ? ` over ${r.processes} processes` : ''),
    ...rest,
  };
}

// issue 11's goals: a ratio of two subjects' CPU per delivery (with the helper's CPU or not)
function cpuGoal(summary, a, b, withAux) {
  const x = summary[a];
  const y = summary[b];
  if (!x || !y || x.status !== 'ok' || y.status !== 'ok') return NaN;
  const cost = (r) => r.cpuNs + (withAux ? r.auxCpuNs : 0);
  return cost(x) / cost(y);
}

// Idle connections (WebSocket, or with tls TLS after its handshake): server RSS per connection.
// `count(ctx)` may read the fd limits.
function idle({ id, title, count, subjects: subj, quick, proto = 'ws', tls = false, what = tls ? (proto === 'ws' ? 'wss' : 'TLS') : 'WebSocket' }) {
  return {
    id,
    title,
    kind: 'loadgen',
    unit: 'conn',
    higherIsBetter: false,
    metric: 'bytes/conn',
    quick,
    tls,
    missing: tls ? noTlsLoadgen : undefined,
    maxReps: 2,
    subjects: subj,
    detail: (ctx) => `${count(ctx)} open ${what} connections, server RSS per connection`,
    loadgen: (ctx) => ({ mode: 'idle', proto, conns: count(ctx), hold: ctx.quick ? 1 : 3, batch: 256, tls }),
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
  // issue 14: compressible 4 KiB JSON, permessage-deflate on both sides (the load generator
  // compresses with context takeover and inflates every echo; a server that sends an echo
  // uncompressed fails the row). Goal: CPU per message at or below Bun's.
  echo({
    id: 'ws-deflate-d8-4k',
    title: 'WebSocket echo, permessage-deflate, 4 KiB JSON',
    proto: 'wsdeflate',
    conns: 50,
    depth: 8,
    size: 4096,
    subjects: ['netwright-ws-deflate', 'ws-deflate', 'bun-ws-deflate'],
    goals: (summary) => [{ text: 'deflate: at least Bun\'s messages per CPU-second', value: cpuGoal(summary, 'bun-ws-deflate', 'netwright-ws-deflate'), min: 1 }],
  }),
  // issue 14: HTTP and WebSocket on one port must cost no more per message than a websocket:// worker
  echo({
    id: 'ws-d16-32-oneport',
    title: 'WebSocket echo on an http:// port',
    proto: 'ws',
    conns: 50,
    depth: 16,
    size: 32,
    subjects: ['netwright-http-ws', 'netwright-ws'],
    pairs: [['netwright-http-ws', 'netwright-ws']],
    goals: (summary) => [
      { text: 'one port: CPU per message at most a websocket:// worker\'s (upgraded ÷ websocket://; runs vary by up to ±8%)', value: cpuGoal(summary, 'netwright-http-ws', 'netwright-ws'), max: 1.08 },
    ],
  }),
  echo({ id: 'ws-fanout', title: 'WebSocket fan-out', mode: 'fanout', proto: 'ws', conns: 5000, quickConns: 500, depth: 8, size: 32, unit: 'delivery', units: 'deliveries', subjects: ['netwright-fanout', 'ws-fanout', 'bun-fanout'] }),
  // issue 11: worker.publish() under runAll(), every process on core 0; CPU summed over the master
  // and its workers. Goal: the relay costs at most 1.3x the one-process CPU per delivery.
  echo({
    id: 'cluster-fanout',
    title: 'Cluster fan-out (publish)',
    mode: 'fanout',
    proto: 'ws',
    pace: 'all',
    spread: 'spread over the processes',
    conns: 5000,
    quickConns: 500,
    depth: 8,
    size: 32,
    unit: 'delivery',
    units: 'deliveries',
    subjects: ['netwright-cluster-1', 'netwright-cluster-2'],
    pairs: [['netwright-cluster-2', 'netwright-cluster-1']],
    goals: (summary) => [
      { text: 'cross-process relay: CPU per delivery at most 1.3× one process (2 processes ÷ 1, CPU of every process summed)', value: cpuGoal(summary, 'netwright-cluster-2', 'netwright-cluster-1'), max: 1.3 },
    ],
  }),
  // one message in flight: no process can put several messages in one write, so this shows the
  // relay's own cost per delivery apart from what batching saves (not in --quick)
  echo({
    id: 'cluster-fanout-d1',
    title: 'Cluster fan-out (publish)',
    mode: 'fanout',
    proto: 'ws',
    pace: 'all',
    spread: 'spread over the processes',
    conns: 5000,
    depth: 1,
    size: 32,
    unit: 'delivery',
    units: 'deliveries',
    quick: false,
    subjects: ['netwright-cluster-1', 'netwright-cluster-2'],
    pairs: [['netwright-cluster-2', 'netwright-cluster-1']],
  }),
  // the same through Redis, beside socket.io with @socket.io/redis-adapter. Goal: at least 5x its
  // deliveries per CPU-second (Redis's own CPU shown apart, and the goal with and without it).
  echo({
    id: 'cluster-fanout-redis',
    title: 'Cluster fan-out through Redis',
    mode: 'fanout',
    proto: 'ws',
    pace: 'all',
    spread: 'over 2 processes',
    conns: 5000,
    quickConns: 500,
    depth: 8,
    size: 32,
    unit: 'delivery',
    units: 'deliveries',
    needs: 'redis',
    aux: 'Redis',
    subjects: ['netwright-redis-2', 'socketio-redis-2'],
    goals: (summary) => [
      { text: 'through Redis: at least 5× socket.io\'s deliveries per CPU-second, server processes only', value: cpuGoal(summary, 'socketio-redis-2', 'netwright-redis-2'), min: 5 },
      { text: 'through Redis: at least 5× socket.io\'s deliveries per CPU-second, Redis\'s CPU included', value: cpuGoal(summary, 'socketio-redis-2', 'netwright-redis-2', true), min: 5 },
    ],
  }),
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
  // issue 12: TLS. Goals: at least 1.1x Bun's messages per CPU-second on wss, at least 2x Node
  // https's requests per CPU-second; the idle TLS connection's memory stated beside Bun's.
  echo({
    id: 'tls-wss-d16-32',
    title: 'WebSocket echo over TLS (wss)',
    proto: 'ws',
    tls: true,
    conns: 50,
    depth: 16,
    size: 32,
    subjects: ['netwright-wss', 'ws-wss', 'bun-wss'],
    goals: (summary) => [{ text: 'wss: at least 1.1× Bun\'s messages per CPU-second', value: cpuGoal(summary, 'bun-wss', 'netwright-wss'), min: 1.1 }],
  }),
  echo({
    id: 'tls-wss-d1-4k',
    title: 'WebSocket echo over TLS (wss)',
    proto: 'ws',
    tls: true,
    conns: 50,
    depth: 1,
    size: 4096,
    quick: false,
    subjects: ['netwright-wss', 'ws-wss', 'bun-wss'],
    goals: (summary) => [{ text: 'wss: at least 1.1× Bun\'s messages per CPU-second', value: cpuGoal(summary, 'bun-wss', 'netwright-wss'), min: 1.1 }],
  }),
  {
    id: 'tls-https-hello',
    title: 'HTTPS hello world',
    kind: 'http',
    https: true,
    tls: true,
    missing: (ctx) => noTls(ctx) || noWrk(ctx),
    unit: 'req',
    higherIsBetter: true,
    metric: 'reqs/s',
    subjects: ['netwright-https', 'node-https', 'bun-https'],
    detail: () => 'wrk -t1 -c50, keep-alive, TLS',
    wrk: () => ({ conns: 50 }),
    progress: (r) => `${fmt(r.rate)} reqs/s, ${r.cpuNs.toFixed(0)} ns CPU/req`,
    goals: (summary) => [{ text: 'https: at least 2× Node https\'s requests per CPU-second', value: cpuGoal(summary, 'node-https', 'netwright-https'), min: 2 }],
  },
  echo({ id: 'tls-storm', title: 'TLS connection storm', mode: 'storm', proto: 'text', tls: true, conns: 50, depth: 1, size: 32, unit: 'handshake', subjects: ['netwright-tls-text', 'node-tls-text', 'bun-tls-text'] }),
  idle({ id: 'tls-idle-10k', title: 'Idle TLS connections', proto: 'text', tls: true, count: (ctx) => (ctx.quick ? 1000 : 10000), subjects: ['netwright-tls-text', 'node-tls-text', 'bun-tls-text'] }),
  idle({ id: 'tls-wss-idle-10k', title: 'Idle wss connections', proto: 'ws', tls: true, count: () => 10000, quick: false, subjects: ['netwright-wss', 'ws-wss', 'bun-wss'] }),
  // issue 13: UDP echo (goal: at least 2x Node dgram's packets per CPU-second, and at or above
  // Bun's) and a client as the subject
  ...[4, 1].map((depth) =>
    echo({
      id: `udp-d${depth}-32`,
      title: 'UDP echo',
      mode: 'udp',
      conns: 50,
      depth,
      size: 32,
      unit: 'packet',
      quick: depth === 4 ? undefined : false,
      subjects: ['netwright-udp', 'node-dgram', 'bun-udp'],
      goals: (summary) => [
        { text: 'UDP: at least 2× Node dgram\'s packets per CPU-second', value: cpuGoal(summary, 'node-dgram', 'netwright-udp'), min: 2 },
        { text: 'UDP: at least Bun\'s packets per CPU-second', value: cpuGoal(summary, 'bun-udp', 'netwright-udp'), min: 1 },
      ],
    }),
  ),
  ...[16, 1].map((depth) => ({
    id: `client-text-d${depth}`,
    title: 'Client: text echo against a netwright text server',
    kind: 'client',
    server: 'netwright-text',
    cpuOf: 'client',
    aux: 'text server',
    unit: 'msg',
    higherIsBetter: true,
    metric: 'msgs/s',
    quick: depth === 16 ? undefined : false,
    subjects: ['netwright-client', 'node-client'],
    detail: () => `50 client conns × ${depth} in flight × 32 B, client on core 0, server on core 1`,
    client: () => ({ conns: 50, depth, size: 32 }),
    progress: (r) => `${fmt(r.rate)} msgs/s, ${r.cpuNs.toFixed(0)} ns client CPU/msg (server ${r.auxCpuNs.toFixed(0)})`,
  })),
];
// wrk is needed by every subject of the HTTP scenario
for (const id of ['netwright-http', 'node-http', 'bun-http', 'ceiling-http', 'netwright-https', 'node-https', 'bun-https']) {
  const prev = subjects[id].missing;
  subjects[id].missing = (ctx) => noWrk(ctx) || (prev ? prev(ctx) : null);
}

module.exports = { scenarios, subjects };
