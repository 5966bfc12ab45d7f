// netwright's AsyncTcpConnection as the client: CONNS text:// connections from a plain script (no
// Worker), DEPTH lines in flight on each; every line that comes back is compared with the one
// sent, then the next one goes out with send(). See run-client.mjs for the arguments and phases.
import { netwright } from '../servers/netwright-load.mjs';
import { parseArgs, line, phases } from './run-client.mjs';

const opts = parseArgs();
const { AsyncTcpConnection } = await netwright();
const stats = { messages: 0, errors: { mismatch: 0, closed: 0, connect: 0 } };
const conns = [];
const run = phases(opts, stats, {
  onAllOpen() {
    for (const c of conns) for (let i = 0; i < opts.depth; i++) c.send(line(c.tag, c.sent++, opts.size));
  },
});
for (let tag = 0; tag < opts.conns; tag++) {
  const c = new AsyncTcpConnection(`text://127.0.0.1:${opts.port}`);
  c.tag = tag;
  c.sent = 0;
  c.recvd = 0;
  c.onConnect = () => run.opened();
  c.onMessage = (conn, data) => {
    if (data !== line(conn.tag, conn.recvd, opts.size)) {
      stats.errors.mismatch++;
      conn.close();
      return;
    }
    conn.recvd++;
    stats.messages++;
    conn.send(line(conn.tag, conn.sent++, opts.size));
  };
  c.onError = () => stats.errors.connect++;
  c.onClose = () => stats.errors.closed++;
  c.connect();
  conns.push(c);
}
