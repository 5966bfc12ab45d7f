// Node `net` as the client: CONNS connections, DEPTH lines in flight on each; each chunk is split
// into lines, every line compared with the one sent, and the next lines written corked (one
// syscall per chunk, as netwright corks the sends of one batch). See run-client.mjs.
import net from 'node:net';
import { parseArgs, line, phases } from './run-client.mjs';

const opts = parseArgs();
const stats = { messages: 0, errors: { mismatch: 0, closed: 0, connect: 0 } };
const conns = [];
const run = phases(opts, stats, {
  onAllOpen() {
    for (const c of conns) {
      c.socket.cork();
      for (let i = 0; i < opts.depth; i++) c.socket.write(line(c.tag, c.sent++, opts.size) + '\n');
      c.socket.uncork();
    }
  },
});
for (let tag = 0; tag < opts.conns; tag++) {
  const socket = net.connect({ port: opts.port, host: '127.0.0.1', noDelay: true });
  const c = { tag, sent: 0, recvd: 0, socket, tail: '' };
  socket.setEncoding('utf8');
  socket.on('connect', () => run.opened());
  socket.on('data', (chunk) => {
    const s = c.tail ? c.tail + chunk : chunk;
    let start = 0;
    let i;
    socket.cork();
    while ((i = s.indexOf('\n', start)) !== -1) {
      if (s.slice(start, i) !== line(c.tag, c.recvd, opts.size)) {
        stats.errors.mismatch++;
        socket.destroy();
        return;
      }
      c.recvd++;
      stats.messages++;
      socket.write(line(c.tag, c.sent++, opts.size) + '\n');
      start = i + 1;
    }
    socket.uncork();
    c.tail = start < s.length ? s.slice(start) : '';
  });
  socket.on('error', () => stats.errors.connect++);
  socket.on('close', () => stats.errors.closed++);
  conns.push(c);
}
