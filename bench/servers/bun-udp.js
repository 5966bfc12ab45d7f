// Bun UDP echo with Bun.udpSocket: every datagram goes back to its sender. An ICMP error (port
// unreachable, once the load generator has gone) makes send() throw and reaches error(); neither
// may end the server.
const port = Number(process.argv[2]);
await Bun.udpSocket({
  hostname: '127.0.0.1',
  port,
  socket: {
    data(socket, buf, rport, raddr) {
      try {
        socket.send(buf, rport, raddr);
      } catch {}
    },
    error() {},
  },
});
console.log(`ready ${port}`);
