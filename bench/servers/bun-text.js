// Bun text echo with Bun.listen: split lines, answer each one; the answers to one chunk leave
// in one write (Bun has no cork). A short write is queued and flushed on drain. --tls: Bun.listen({ tls }).
const { port: portArg, flag, ready, tls } = require('./common');

const port = portArg();
const write = (s, data) => {
  if (s.data.q) return void s.data.q.push(data);
  const n = s.write(data);
  const len = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (n < len) s.data.q = [Buffer.from(data).subarray(Math.max(n, 0))];
};
Bun.listen({
  hostname: '127.0.0.1',
  port,
  ...(flag('tls') ? { tls: tls() } : {}),
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { tail: '', dec: new TextDecoder(), q: null };
    },
    data(s, buf) {
      const st = s.data;
      const str = st.tail + st.dec.decode(buf, { stream: true });
      let out = '';
      let start = 0;
      let i;
      while ((i = str.indexOf('\n', start)) !== -1) {
        const end = i > start && str.charCodeAt(i - 1) === 13 ? i - 1 : i;
        const line = str.slice(start, end);
        out += line + '\n';
        start = i + 1;
      }
      st.tail = start < str.length ? str.slice(start) : '';
      if (out) write(s, out);
    },
    drain(s) {
      const q = s.data.q;
      if (!q) return;
      s.data.q = null;
      write(s, Buffer.concat(q));
    },
    error() {},
  },
});
ready(port);
