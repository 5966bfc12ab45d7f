// Bun raw echo with Bun.listen: every chunk read is written back whole; a short write is
// queued and flushed on drain.
const port = Number(process.argv[2]);
const write = (s, data) => {
  if (s.data.q) return void s.data.q.push(Buffer.from(data));
  const n = s.write(data);
  if (n < data.length) s.data.q = [Buffer.from(data.subarray(Math.max(n, 0)))];
};
Bun.listen({
  hostname: '127.0.0.1',
  port,
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { q: null };
    },
    data(s, buf) {
      write(s, buf);
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
console.log(`ready ${port}`);
