// UDP socket syscalls: bind, connect, and batched receive/send (recvmmsg,
// sendmmsg). Like socket_ops, every function returns a non-negative result or
// -errno and none blocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "socket_ops.h"

namespace nw {
namespace net {

struct DatagramOptions {
  std::string host;  // numeric IPv4 or IPv6 address
  int port = 0;
  bool reusePort = false;
  bool ipv6Only = false;
};

// A bound, non-blocking, close-on-exec UDP socket.
int bindDatagram(const DatagramOptions& options);
// Makes an inherited UDP descriptor usable here; 0 or -errno (ENOTSOCK, EPROTOTYPE).
int adoptDatagramSocket(int fd);
// A UDP socket connected to host:port (numeric), so that only that peer's
// datagrams arrive and ICMP errors are reported on it.
int connectDatagram(const std::string& host, int port);

// One received datagram: its length and sender; truncated when it was longer
// than the room given (the rest is lost).
struct ReceivedDatagram {
  size_t length = 0;
  bool truncated = false;
  RawAddress from;
};
// Up to `count` datagrams into count slots of `slotSize` bytes at `buffer`:
// how many arrived (0 when none is waiting), or -errno (a connected socket's
// pending ICMP error: ECONNREFUSED, ...).
int receiveDatagrams(int fd, uint8_t* buffer, size_t slotSize, size_t count, ReceivedDatagram* out);

// One datagram to send; `to.family == 0` on a connected socket.
struct OutgoingDatagram {
  const uint8_t* data = nullptr;
  size_t length = 0;
  RawAddress to;
};
// Sends up to `count` datagrams (sendmmsg): how many went, or -errno for the first.
int sendDatagrams(int fd, const OutgoingDatagram* datagrams, size_t count);

}  // namespace net
}  // namespace nw
