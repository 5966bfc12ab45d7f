// The only place that makes socket syscalls. Every function returns a
// non-negative result or -errno; none blocks (sockets are non-blocking).
#pragma once
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace nw {
namespace net {

struct ListenOptions {
  bool unixSocket = false;
  std::string host;  // numeric IPv4 or IPv6 address
  int port = 0;
  std::string path;  // unix socket path
  int backlog = 511;
  bool reusePort = false;
  bool ipv6Only = false;
  // TCP: set before listen(), so that connections the kernel completes before
  // anyone accepts (a master's socket while its workers start) have them too.
  bool noDelay = true;
  int keepAliveSeconds = 55;
};

struct Endpoint {
  std::string ip;  // empty for unix sockets
  int port = 0;
};

// An IPv4 or IPv6 address and port in 20 bytes, kept per connection so that
// addresses can still be read after the descriptor is closed.
struct RawAddress {
  uint8_t family = 0;  // AF_INET, AF_INET6, or 0 (unix / unknown)
  uint16_t port = 0;
  uint8_t bytes[16] = {0};
};

int listenSocket(const ListenOptions& opts);  // the listening fd
// Makes an inherited listening descriptor usable here (non-blocking,
// close-on-exec); 0 or -errno (ENOTSOCK, EINVAL when it is not listening).
int adoptListeningSocket(int fd);
// Clears close-on-exec, so that a child process inherits the descriptor.
int keepAcrossExec(int fd);
// Where a client connection goes: a numeric IPv4/IPv6 address and port, or a unix socket path.
struct ConnectTarget {
  bool unixSocket = false;
  std::string host;
  int port = 0;
  std::string path;
};
// Starts a non-blocking connect; the fd becomes writable when it completes
// (check connectResult()).
int connectTcp(const std::string& host, int port);
int connectUnix(const std::string& path);
int connectStream(const ConnectTarget& target);
int connectResult(int fd);  // 0 or -errno (SO_ERROR)
// An IPv4 or IPv6 socket address as a RawAddress (family 0 for anything else).
RawAddress toRaw(const sockaddr_storage& ss);
RawAddress peerAddress(int fd);
int localPort(int fd);
int acceptOne(int listenFd, RawAddress* peer);  // the new non-blocking, close-on-exec fd
// TCP_NODELAY and keep-alive probes. Set on a listening socket, they are inherited by
// the sockets it accepts (Linux, the BSDs): one call per listener, none per connection.
void setStreamOptions(int fd, bool noDelay, int keepAliveIdleSeconds);
ssize_t readSome(int fd, char* buf, size_t len);  // 0 means the peer sent FIN
ssize_t writeSome(int fd, const char* buf, size_t len);  // never raises SIGPIPE
void shutdownWrite(int fd);
void closeFd(int fd);
// Reads and drops whatever the kernel holds, so that closing does not reset
// the connection and throw away data the peer has not read yet.
void discardPending(int fd);

Endpoint localEndpoint(int fd);
RawAddress localAddress(int fd);
Endpoint toEndpoint(const RawAddress& address);

// A spare descriptor held so that EMFILE on accept can still take the
// connection off the queue and close it instead of spinning.
int openSpareFd();

}  // namespace net
}  // namespace nw
