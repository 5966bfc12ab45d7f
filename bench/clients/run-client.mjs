// What the client scripts share: arguments, the messages (the load generator's text lines: 4 hex
// digits of connection tag, 12 of sequence number, then letters that depend on the sequence), and
// the phases. A client connects N connections, keeps D lines in flight on each, checks every
// echoed line against the one it sent, prints "measure" when the warm-up ends (the runner reads
// the client's CPU from /proc then) and, after the measured window, one JSON line with what it
// counted in that window (the runner reads the CPU again), then exits.
//
//   node <client> PORT CONNS DEPTH SIZE WARMUP_S DURATION_S
export function parseArgs() {
  const [port, conns, depth, size, warmup, duration] = process.argv.slice(2).map(Number);
  if (!(port > 0) || !(conns > 0) || !(depth > 0) || !(size >= 18) || !(warmup >= 0) || !(duration > 0)) {
    console.error('usage: <client> PORT CONNS DEPTH SIZE(>= 18, the \\n included) WARMUP_S DURATION_S');
    process.exit(2);
  }
  return { port, conns, depth, size, warmup, duration };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.repeat(2 + Math.ceil(65536 / 26));
const hex = (v, digits) => v.toString(16).padStart(digits, '0');

/** The line (without "\n") of connection `tag`, number `seq`, `size` bytes with the "\n". */
export function line(tag, seq, size) {
  const head = hex(tag, 4) + hex(seq, 12);
  const body = size - 1;
  return body > 16 ? head + LETTERS.slice(seq % 26, seq % 26 + body - 16) : head.slice(0, body);
}

/**
 * Runs the phases. `start()` is called once every connection is open; `stats` is what the
 * messages update: { messages, errors: { mismatch, closed, connect } }.
 */
export function phases(opts, stats, { onAllOpen }) {
  let opened = 0;
  let measuring = false;
  const begin = () => {
    onAllOpen();
    setTimeout(() => {
      stats.messages = 0;
      for (const k of Object.keys(stats.errors)) stats.errors[k] = 0;
      measuring = true;
      const t0 = process.hrtime.bigint();
      process.stdout.write('measure\n');
      setTimeout(() => {
        const windowS = Number(process.hrtime.bigint() - t0) / 1e9;
        const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
        process.stdout.write(
          JSON.stringify({ mode: 'client', conns: opts.conns, depth: opts.depth, size: opts.size, messages: stats.messages, window_s: windowS, msgs_per_sec: stats.messages / windowS, errors, error_detail: stats.errors, open: opened }) + '\n',
        );
        process.exit(0);
      }, opts.duration * 1000);
    }, opts.warmup * 1000);
  };
  return {
    opened() {
      if (++opened === opts.conns) begin();
    },
    get measuring() {
      return measuring;
    },
  };
}
