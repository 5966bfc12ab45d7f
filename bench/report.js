'use strict';
// Markdown table and hand-written SVG chart of the benchmark results.

const fmtRate = (x) => {
  if (!Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
};
const num = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');
const ratio = (x) => (Number.isFinite(x) && x > 0 ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : '–');
const clip = (s, n = 140) => {
  const t = String(s || '').replace(/\|/g, '/').replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};
const statusText = (r) =>
  r.status === 'skipped' ? clip(r.reason) : r.status === 'unavailable' ? `not available (${clip(r.reason, 100)})` : `FAILED: ${clip(r.reason)}`;

// For every scenario with a netwright result: one entry per peer with the advantages (>1 means
// netwright is better): the scenario's figure, server CPU per unit and, where a helper such as
// Redis was measured apart, server + helper CPU per unit. A scenario's `pairs` ([subject,
// reference]) replace "netwright against each peer" (netwright in 2 processes against 1).
function comparisons(results, subjects) {
  const out = [];
  for (const { scenario: scn, summary } of results) {
    const nwId = scn.subjects.find((s) => !subjects[s].peer);
    const pairs = scn.pairs || scn.subjects.filter((s) => subjects[s].peer).map((p) => [nwId, p]);
    for (const [a, p] of pairs) {
      const nw = summary[a];
      const peer = summary[p];
      const row = { scn, peerId: p, peer: subjects[p].label, nw, pr: peer, nwLabel: scn.pairs ? subjects[a].label : null };
      if (nw && nw.status === 'ok' && peer.status === 'ok') {
        row.figure = scn.higherIsBetter ? nw.rate / peer.rate : peer.rate / nw.rate;
        row.cpu = peer.cpuNs / nw.cpuNs;
        if (scn.aux) row.cpuAux = (peer.cpuNs + peer.auxCpuNs) / (nw.cpuNs + nw.auxCpuNs);
      }
      out.push(row);
    }
  }
  return out;
}

function scenarioName(scn, ctx) {
  return `${scn.title} — ${scn.detail(ctx)}`;
}

// A scenario's goals (issue 11's targets) against what was measured.
function goalLines(results) {
  const L = [];
  for (const { scenario: scn, summary } of results) {
    if (!scn.goals) continue;
    for (const g of scn.goals(summary)) {
      const bound = g.max !== undefined ? `at most ${g.max}×` : `at least ${g.min}×`;
      const met = !Number.isFinite(g.value) ? 'not measured' : (g.max !== undefined ? g.value <= g.max : g.value >= g.min) ? 'met' : '**not met**';
      L.push(`| ${scn.title} | ${g.text} | ${bound} | ${Number.isFinite(g.value) ? `${g.value.toFixed(2)}×` : '–'} | ${met} |`);
    }
  }
  return L;
}

function renderMarkdown(results, env, ctx, subjects, svgName) {
  const L = [];
  const probe = env.cpuProbe;
  const avail = probe
    ? [probe.before.core0, probe.before.core1, probe.after.core0, probe.after.core1].map((x) => `${(x * 100).toFixed(0)}%`).join(' / ')
    : 'not measured';
  L.push(`# netwright benchmark — ${env.date.slice(0, 10)}${ctx.quick ? ' (quick smoke run: figures are indicative only)' : ''}`);
  L.push('');
  L.push(
    `Machine: ${env.cpu}, ${env.cores} cores, ${env.memGiB} GiB, ${env.kernel}; open-file limit ${env.nofile ? `${env.nofile.soft}/${env.nofile.hard}` : '?'}.  `,
  );
  L.push(
    `Software: Node ${env.node}, Bun ${env.bun}, ws ${env.ws} + bufferutil ${env.bufferutil}, ${env.wrk}, ` +
      `socket.io ${env.socketio} + @socket.io/redis-adapter ${env.redisAdapter}, ioredis ${env.ioredis}, Redis ${env.redis}; OpenSSL: ${env.openssl || '?'}; netwright commit ${env.commit}.  `,
  );
  L.push(
    `Method: ${ctx.reps} repetition(s) per server, interleaved (A B C A B C …), median reported; ${ctx.warmup} s warm-up then ${ctx.duration} s measured; ` +
      `${ctx.pin ? 'server pinned to core 0, load generator (bench/loadgen.c; wrk for HTTP) to core 1' : 'unpinned'}. ` +
      `Every echoed message is checked (length, order, content tag); "errors" counts any mismatch or lost connection. ` +
      `Server CPU is utime+stime from /proc/<pid>/stat over the measured window, summed over the server's processes (a master and its workers); ` +
      `a Redis server's CPU is measured apart and shown beside it. Suite time ${env.elapsed.toFixed(0)} s.  `,
  );
  L.push(
    `CPU available: two spinners, one per core, got ${avail} of a core (before / before / after / after the suite). ` +
      `Below ~95% the machine is shared and absolute rates are noisy; server CPU per message is the steadier comparison.`,
  );
  L.push('');

  const cmp = comparisons(results, subjects);
  L.push('## netwright against its peers');
  L.push('');
  L.push('Advantage above 1× means netwright is better: its rate ÷ the peer\'s, or the peer\'s cost ÷ netwright\'s.');
  L.push('');
  L.push(`![netwright ÷ peer](${svgName})`);
  L.push('');
  L.push('| Scenario | Peer | Figure | netwright | Peer | netwright advantage |');
  L.push('|---|---|---|---:|---:|---:|');
  const seen = new Set();
  for (const c of cmp) {
    const name = scenarioName(c.scn, ctx) + (c.nwLabel ? `: ${c.nwLabel}` : '');
    if (!c.nw || c.nw.status !== 'ok') {
      if (seen.has(c.scn.id)) continue;
      seen.add(c.scn.id);
      L.push(`| ${name} | – | – | ${c.nw ? statusText(c.nw) : '–'} | – | – |`);
      continue;
    }
    if (c.pr.status !== 'ok') {
      L.push(`| ${name} | ${c.peer} | – | – | ${statusText(c.pr)} | – |`);
      continue;
    }
    const fig = c.scn.metric;
    L.push(`| ${name} | ${c.peer} | ${fig} | ${c.scn.higherIsBetter ? fmtRate(c.nw.rate) : num(c.nw.rate)} | ${c.scn.higherIsBetter ? fmtRate(c.pr.rate) : num(c.pr.rate)} | **${ratio(c.figure)}** |`);
    const who = c.scn.cpuOf || 'server';
    if (Number.isFinite(c.cpu))
      L.push(`| ${name} | ${c.peer} | ${who} CPU ns/${c.scn.unit} | ${num(c.nw.cpuNs)} | ${num(c.pr.cpuNs)} | **${ratio(c.cpu)}** |`);
    if (Number.isFinite(c.cpuAux))
      L.push(
        `| ${name} | ${c.peer} | ${who} + ${c.scn.aux} CPU ns/${c.scn.unit} | ${num(c.nw.cpuNs + c.nw.auxCpuNs)} | ${num(c.pr.cpuNs + c.pr.auxCpuNs)} | **${ratio(c.cpuAux)}** |`,
      );
  }
  L.push('');
  const goals = goalLines(results);
  if (goals.length) {
    L.push('## Goals');
    L.push('');
    L.push('Ratios of CPU per message (the inverse of messages per CPU-second): a peer\'s ÷ netwright\'s for "at least", 2 processes ÷ 1 for "at most". Figures of one run on a shared machine are indicative; the goal is judged on the medians.');
    L.push('');
    L.push('| Scenario | Goal | Bound | Measured | |');
    L.push('|---|---|---:|---:|---|');
    L.push(...goals);
    L.push('');
  }

  L.push('## All results');
  for (const { scenario: scn, summary } of results) {
    L.push('');
    L.push(`### ${scenarioName(scn, ctx)}`);
    L.push('');
    // processes: shown when a server has more than one; aux: the helper's CPU (Redis)
    // udp: datagrams lost (given up after the load generator's timeout) and answered late
    const who = scn.cpuOf || 'server';
    const multi = scn.subjects.some((s) => summary[s].processes > 1);
    const udp = scn.subjects.some((s) => Number.isFinite(summary[s].lost));
    const extraHead =
      (multi ? ' processes |' : '') + (scn.aux ? ` ${scn.aux} CPU ns/${scn.unit} | ${who} + ${scn.aux} CPU ns/${scn.unit} |` : '') + (udp ? ' lost | late |' : '');
    const extraCols = (multi ? 1 : 0) + (scn.aux ? 2 : 0) + (udp ? 2 : 0);
    const extra = (r) =>
      (multi ? ` ${num(r.processes)} |` : '') + (scn.aux ? ` ${num(r.auxCpuNs)} | ${num(r.cpuNs + r.auxCpuNs)} |` : '') + (udp ? ` ${num(r.lost)} | ${num(r.late)} |` : '');
    if (scn.higherIsBetter) {
      L.push(`| ${who === 'client' ? 'Client' : 'Server'} | ${scn.metric} | p50 µs | p99 µs | p99.9 µs | ${who} CPU ns/${scn.unit} |${extraHead} ${who} CPU use | load gen CPU use | errors | runs |`);
      L.push(`|---|---:|---:|---:|---:|---:|${'---:|'.repeat(extraCols)}---:|---:|---:|---:|`);
    } else {
      L.push('| Server | bytes/conn (RSS) | connections open | server RSS MiB | errors | runs |');
      L.push('|---|---:|---:|---:|---:|---:|');
    }
    for (const s of scn.subjects) {
      const r = summary[s];
      const label = subjects[s].label;
      if (r.status !== 'ok') {
        L.push(`| ${label} | ${statusText(r)} |${' |'.repeat(scn.higherIsBetter ? 8 + extraCols : 4)}`);
        continue;
      }
      const runs = `${r.runs}${r.failedRuns ? ` (+${r.failedRuns} failed)` : ''}`;
      if (scn.higherIsBetter) {
        const spread = r.rates.length > 1 ? ` (${fmtRate(Math.min(...r.rates))}–${fmtRate(Math.max(...r.rates))})` : '';
        L.push(
          `| ${label} | ${fmtRate(r.rate)}${spread} | ${num(r.p50, 0)} | ${num(r.p99, 0)} | ${num(r.p999, 0)} | ${num(r.cpuNs)} |${extra(r)} ${pct(r.cpuUtil)} | ${pct(r.loadUtil)} | ${r.errors} | ${runs} |`,
        );
      } else {
        L.push(`| ${label} | ${num(r.rate)} | ${num(r.opened)} | ${num(r.rssMiB, 1)} | ${r.errors} | ${runs} |`);
      }
      if (r.reason && r.failedRuns) L.push(`|  ↳ a failed run: ${r.reason.replace(/\|/g, '/').replace(/\n/g, ' ')} |${' |'.repeat(scn.higherIsBetter ? 9 + extraCols : 5)}`);
    }
  }
  L.push('');
  L.push(
    'Notes: the C ceiling echoes bytes back as they arrive (no line splitting): the least work any server can do. ' +
      'In the HTTP scenario it answers each request head with a fixed response: its rate is where wrk itself stops. ' +
      'The Node `net` text peer splits lines and answers each one with corked writes; Bun joins the answers to one read into one write. ' +
      'HTTP latency columns come from wrk (no p99.9). Idle memory is the server\'s RSS growth divided by the connections held. ' +
      'Cluster fan-out: every server process (a runAll() master and its workers, a cluster primary and its workers) and Redis run on core 0; ' +
      'a message stays in flight until every subscriber has it; socket.io\'s messages are the events 42["m","<32 B>"], 10 bytes longer than the others. ' +
      'TLS: a self-signed ECDSA P-256 certificate made at the start; the load generator (system OpenSSL, no verification) and wrk make full handshakes, TLS 1.3. ' +
      'UDP: "lost" is the median per run of datagrams not answered within the load generator\'s 200 ms (not errors; the slot sends a new one), "late" of answers after that. ' +
      'Client scenarios: the subject is the client process (core 0), against the same netwright text server (core 1), whose CPU is shown beside.',
  );
  L.push('');
  return L.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Horizontal bars on a log2 scale around 1×: blue = rate (or memory) advantage, orange = server
// CPU per message advantage. Bars right of the 1× line favour netwright.
function renderSvg(results, env, subjects, ctx) {
  const cmp = comparisons(results, subjects).filter((c) => Number.isFinite(c.figure));
  const W = 1040;
  const left = 440;
  const right = 60;
  const bar = 14;
  const top = 56;
  const bars = (c) => [
    [c.figure, '#3b78c3'],
    [c.cpu, '#e08a2c'],
    ...(Number.isFinite(c.cpuAux) ? [[c.cpuAux, '#4a9d5b']] : []),
  ];
  const groupTop = [];
  let h = top;
  for (const c of cmp) groupTop.push(h), (h += bars(c).length * bar + 14);
  const H = Math.max(h, top + 2 * bar + 14) + 40;
  const vals = cmp.flatMap((c) => [c.figure, c.cpu, c.cpuAux]).filter((x) => Number.isFinite(x) && x > 0);
  const span = Math.max(1, Math.ceil(Math.max(1, ...vals.map((v) => Math.abs(Math.log2(v)) + 0.4)))); // octaves each side, with room for the value labels
  const plotW = W - left - right;
  const x = (v) => left + plotW / 2 + (Math.log2(v) / span) * (plotW / 2);
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="12" y="20" font-size="15" font-weight="bold">netwright ÷ peer (above 1× = netwright better) — ${esc(env.date.slice(0, 10))}</text>`);
  o.push(`<rect x="12" y="30" width="12" height="10" fill="#3b78c3"/><text x="30" y="39">messages/s (idle: memory per connection)</text>`);
  o.push(`<rect x="300" y="30" width="12" height="10" fill="#e08a2c"/><text x="318" y="39">server CPU per message (client rows: the client's)</text>`);
  if (cmp.some((c) => Number.isFinite(c.cpuAux)))
    o.push(`<rect x="640" y="30" width="12" height="10" fill="#4a9d5b"/><text x="658" y="39">with Redis's CPU (client rows: the server's)</text>`);
  if (!cmp.length) {
    o.push(`<text x="12" y="${top + 20}">No scenario has both a netwright result and a peer result yet.</text>`);
  }
  for (let k = -span; k <= span; k++) {
    const v = 2 ** k;
    const gx = x(v).toFixed(1);
    o.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 30}" stroke="${k === 0 ? '#333' : '#ddd'}" stroke-width="${k === 0 ? 1.5 : 1}"/>`);
    o.push(`<text x="${gx}" y="${H - 14}" text-anchor="middle" fill="#555">${v >= 1 ? v : `1/${2 ** -k}`}×</text>`);
  }
  cmp.forEach((c, i) => {
    const y = groupTop[i];
    // one line when it fits the margin, else the scenario above "[subject] vs peer"
    const head = `${c.scn.title}, ${shortDetail(c.scn, ctx)}`;
    const tail = `${c.nwLabel ? `${c.nwLabel} ` : ''}vs ${c.peer}`;
    if (head.length + tail.length < 64) o.push(`<text x="${left - 8}" y="${y + bar + 4}" text-anchor="end">${esc(`${head} ${tail}`)}</text>`);
    else {
      o.push(`<text x="${left - 8}" y="${y + bar - 2}" text-anchor="end">${esc(head)}</text>`);
      o.push(`<text x="${left - 8}" y="${y + 2 * bar}" text-anchor="end">${esc(tail)}</text>`);
    }
    bars(c).forEach(([v, color], j) => {
      if (!Number.isFinite(v) || v <= 0) return;
      const by = y + j * bar;
      const x0 = x(1);
      const x1 = x(Math.min(Math.max(v, 2 ** -span), 2 ** span));
      o.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${by}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${bar - 2}" fill="${color}"/>`);
      const tx = v >= 1 ? x1 + 4 : x1 - 4;
      o.push(`<text x="${tx.toFixed(1)}" y="${by + bar - 3}" text-anchor="${v >= 1 ? 'start' : 'end'}" font-size="11">${v.toFixed(2)}×</text>`);
    });
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

function shortDetail(scn, ctx) {
  const d = scn.detail(ctx || { quick: false });
  return d
    .replace(/ sockets × (\d+) datagrams? in flight × /, ' sockets × $1 × ')
    .replace(/ client conns × (\d+) in flight × /, ' × $1 × ')
    .replace(/ conns × /, '×')
    .replace(/ in flight × /, '×')
    .replace(/ concurrent clients.*/, ' clients')
    .replace(/1 publisher × (\d+) in flight( \(until every subscriber has it\))? → /, '1×$1 → ')
    .replace(/ (spread )?over (the|2) processes/, '')
    .replace(/ open (WebSocket|TLS|wss) connections, server RSS per connection/, ' open, RSS per connection')
    .replace(/, client on core 0, server on core 1/, '');
}

module.exports = { renderMarkdown, renderSvg };
