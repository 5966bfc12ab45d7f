// The seam between a socket and its framer: a connection reads and writes
// through a Transport, so TLS can sit here later without the framers knowing.
#pragma once
#include <sys/types.h>

#include <cstddef>

#include "socket_ops.h"

namespace nw {
namespace net {

class Transport {
 public:
  virtual ~Transport() = default;
  // Same contract as readSome/writeSome: bytes, 0 for FIN (read), or -errno.
  virtual ssize_t read(int fd, char* buf, size_t len) = 0;
  virtual ssize_t write(int fd, const char* buf, size_t len) = 0;
};

// Bytes straight to and from the kernel. Stateless: one instance serves all.
class PlainTransport final : public Transport {
 public:
  static PlainTransport& instance() {
    static PlainTransport plain;
    return plain;
  }
  ssize_t read(int fd, char* buf, size_t len) override { return readSome(fd, buf, len); }
  ssize_t write(int fd, const char* buf, size_t len) override { return writeSome(fd, buf, len); }
};

}  // namespace net
}  // namespace nw
