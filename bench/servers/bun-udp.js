// Bun UDP echo with Bun.udpSocket: every datagram goes back to its sender. send() throws when an
// ICMP error (port unreachable, once the load generator has gone) is pending on the socket.
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
  },
});
console.log(`ready ${port}`);
