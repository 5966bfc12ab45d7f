// The seam between a socket and its framer: a connection reads and writes
// through a Transport (plain here, TLS in native/tls), so the framers see
// plaintext either way.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "socket_ops.h"

namespace nw {
namespace net {

class Transport {
 public:
  virtual ~Transport() = default;
  // Same contract as readSome/writeSome: bytes, 0 for FIN (read), or -errno.
  virtual ssize_t read(int fd, char* buf, size_t len) = 0;
  // Returns the bytes of buf taken. A transport with output of its own (TLS
  // records) sends that first; with len 0 it only sends that (0 when all went).
  virtual ssize_t write(int fd, const char* buf, size_t len) = 0;
  // While true, the core does not write application bytes (a TLS handshake).
  virtual bool handshaking() const { return false; }
  virtual uint64_t handshakeStartedMs() const { return 0; }
  // Bytes of its own still to send (write with len 0 sends them).
  virtual bool hasPendingOutput() const { return false; }
  // A graceful local close (TLS close_notify); best effort, never blocks.
  virtual void shutdown(int fd) {}
  // A TLS handshake paused for the embedder to choose a certificate (an SNI
  // callback): true once, with the client's server name, after a read that
  // returned -EAGAIN.
  virtual bool takeServerNameQuery(std::string* name) { return false; }
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
