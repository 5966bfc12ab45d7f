#include "socket_ops.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nw {
namespace net {
namespace {

int fail(int fd) {
  int e = errno;
  if (fd >= 0) ::close(fd);
  return -e;
}

int listenUnix(const ListenOptions& o) {
  sockaddr_un addr{};
  if (o.path.size() >= sizeof(addr.sun_path)) return -ENAMETOOLONG;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, o.path.data(), o.path.size());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return fail(fd);
  if (::listen(fd, o.backlog) != 0) return fail(fd);
  return fd;
}

int listenTcp(const ListenOptions& o) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, o.host.c_str(), &v4->sin_addr) == 1) {
    family = AF_INET;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(o.port));
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, o.host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(o.port));
    len = sizeof(*v6);
  } else {
    return -EINVAL;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return fail(fd);
  if (o.reusePort && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) return fail(fd);
  if (family == AF_INET6) {
    int v6only = o.ipv6Only ? 1 : 0;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) return fail(fd);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(fd);
  setStreamOptions(fd, o.noDelay, o.keepAliveSeconds);
  if (::listen(fd, o.backlog) != 0) return fail(fd);
  return fd;
}

}  // namespace

RawAddress toRaw(const sockaddr_storage& ss) {
  RawAddress raw;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    raw.family = AF_INET;
    raw.port = ntohs(a->sin_port);
    std::memcpy(raw.bytes, &a->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    raw.family = AF_INET6;
    raw.port = ntohs(a->sin6_port);
    std::memcpy(raw.bytes, &a->sin6_addr, 16);
  }
  return raw;
}

int connectTcp(const std::string& host, int port) {
  sockaddr_storage ss{};
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    len = sizeof(*v6);
  } else {
    return -EINVAL;
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EINPROGRESS) return fail(fd);
  return fd;
}

int connectUnix(const std::string& path) {
  sockaddr_un sun{};
  if (path.empty() || path.size() >= sizeof(sun.sun_path)) return -ENAMETOOLONG;
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sun), socklen_t(sizeof(sun)));
  } while (rc < 0 && errno == EINTR);
  // A unix connect completes at once or fails (a full backlog: EAGAIN).
  if (rc < 0) return fail(fd);
  return fd;
}

int connectStream(const ConnectTarget& target) {
  return target.unixSocket ? connectUnix(target.path) : connectTcp(target.host, target.port);
}

int adoptListeningSocket(int fd) {
  int listening = 0;
  socklen_t len = sizeof(listening);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) return -errno;
  if (!listening) return -EINVAL;
  // ioctl rather than fcntl: glibc >= 2.28 binds fcntl to fcntl64, above our floor.
  int on = 1;
  if (::ioctl(fd, FIONBIO, &on) != 0 || ::ioctl(fd, FIOCLEX) != 0) return -errno;
  return 0;
}

int keepAcrossExec(int fd) { return ::ioctl(fd, FIONCLEX) == 0 ? 0 : -errno; }

int connectResult(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -errno;
  return -err;
}

RawAddress peerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return RawAddress{};
  return toRaw(ss);
}

int listenSocket(const ListenOptions& opts) { return opts.unixSocket ? listenUnix(opts) : listenTcp(opts); }

int localPort(int fd) { return localEndpoint(fd).port; }

int acceptOne(int listenFd, RawAddress* peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int fd;
  do {
    fd = ::accept4(listenFd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  if (peer) *peer = toRaw(ss);
  return fd;
}

void setStreamOptions(int fd, bool noDelay, int keepAliveIdleSeconds) {
  // Unix sockets reject these options; that is harmless.
  int one = 1;
  if (noDelay) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (keepAliveIdleSeconds > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keepAliveIdleSeconds, sizeof(keepAliveIdleSeconds));
  }
}

ssize_t readSome(int fd, char* buf, size_t len) {
  ssize_t n;
  do {
    n = ::read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n >= 0 ? n : -errno;
}

ssize_t writeSome(int fd, const char* buf, size_t len) {
  ssize_t n;
  do {
    n = ::send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == ENOTSOCK) {
    // Not a socket (a pipe handed to us): plain write, SIGPIPE is ignored by Node.
    do {
      n = ::write(fd, buf, len);
    } while (n < 0 && errno == EINTR);
  }
  return n >= 0 ? n : -errno;
}

void shutdownWrite(int fd) { ::shutdown(fd, SHUT_WR); }

void closeFd(int fd) {
  if (fd >= 0) ::close(fd);
}

void discardPending(int fd) {
  char sink[16384];
  for (int i = 0; i < 16; i++) {
    ssize_t n = ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
    if (n <= 0) break;
  }
}

RawAddress localAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return RawAddress{};
  return toRaw(ss);
}

Endpoint localEndpoint(int fd) { return toEndpoint(localAddress(fd)); }

Endpoint toEndpoint(const RawAddress& raw) {
  Endpoint ep;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (raw.family == AF_INET || raw.family == AF_INET6) {
    ::inet_ntop(raw.family, raw.bytes, buf, sizeof(buf));
    ep.ip = buf;
    ep.port = raw.port;
  }
  return ep;
}

int openSpareFd() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace net
}  // namespace nw
