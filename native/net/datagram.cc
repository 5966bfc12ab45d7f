#include "datagram.h"

#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nw {
namespace net {

namespace {

constexpr size_t kMaxBatch = 64;

int fail(int fd) {
  int e = errno;
  ::close(fd);
  return -e;
}

// A numeric address as a sockaddr; false when it is neither IPv4 nor IPv6.
bool parse(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    *len = sizeof(*v4);
    return true;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    *len = sizeof(*v6);
    return true;
  }
  return false;
}

socklen_t toSockaddr(const RawAddress& raw, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (raw.family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(raw.port);
    std::memcpy(&a->sin_addr, raw.bytes, 4);
    return sizeof(*a);
  }
  if (raw.family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(raw.port);
    std::memcpy(&a->sin6_addr, raw.bytes, 16);
    return sizeof(*a);
  }
  return 0;
}

}  // namespace

int bindDatagram(const DatagramOptions& o) {
  sockaddr_storage ss;
  socklen_t len;
  if (!parse(o.host, o.port, &ss, &len)) return -EINVAL;
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (o.reusePort && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) return fail(fd);
  if (ss.ss_family == AF_INET6) {
    int v6only = o.ipv6Only ? 1 : 0;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) return fail(fd);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(fd);
  return fd;
}

int adoptDatagramSocket(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return -errno;
  if (type != SOCK_DGRAM) return -EPROTOTYPE;
  // ioctl rather than fcntl: glibc >= 2.28 binds fcntl to fcntl64, above our floor.
  int on = 1;
  if (::ioctl(fd, FIONBIO, &on) != 0 || ::ioctl(fd, FIOCLEX) != 0) return -errno;
  return 0;
}

int connectDatagram(const std::string& host, int port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!parse(host, port, &ss, &len)) return -EINVAL;
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  // A UDP connect only sets the default peer: it completes at once.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(fd);
  return fd;
}

int receiveDatagrams(int fd, uint8_t* buffer, size_t slotSize, size_t count, ReceivedDatagram* out) {
  if (count > kMaxBatch) count = kMaxBatch;
  mmsghdr messages[kMaxBatch];
  iovec vectors[kMaxBatch];
  sockaddr_storage senders[kMaxBatch];
  for (size_t i = 0; i < count; i++) {
    vectors[i] = {buffer + i * slotSize, slotSize};
    std::memset(&messages[i], 0, sizeof(messages[i]));
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &senders[i];
    messages[i].msg_hdr.msg_namelen = sizeof(senders[i]);
  }
  int n;
  do {
    n = ::recvmmsg(fd, messages, unsigned(count), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  for (int i = 0; i < n; i++) {
    out[i].length = messages[i].msg_len;
    out[i].truncated = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    out[i].from = toRaw(senders[i]);
  }
  return n;
}

int sendDatagrams(int fd, const OutgoingDatagram* datagrams, size_t count) {
  if (count > kMaxBatch) count = kMaxBatch;
  mmsghdr messages[kMaxBatch];
  iovec vectors[kMaxBatch];
  sockaddr_storage peers[kMaxBatch];
  for (size_t i = 0; i < count; i++) {
    vectors[i] = {const_cast<uint8_t*>(datagrams[i].data), datagrams[i].length};
    std::memset(&messages[i], 0, sizeof(messages[i]));
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    socklen_t len = toSockaddr(datagrams[i].to, &peers[i]);
    if (len) {
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = len;
    }
  }
  int n;
  do {
    n = ::sendmmsg(fd, messages, unsigned(count), MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n >= 0 ? n : -errno;
}

}  // namespace net
}  // namespace nw
