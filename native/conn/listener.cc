#include "listener.h"

#include "../tls/context.h"

#include <cerrno>

#include "../net/socket_ops.h"
#include "core.h"

namespace nw {

namespace {
constexpr int kAcceptsPerReadiness = 128;
constexpr uint64_t kAcceptBackoffMs = 500;
}  // namespace

Listener::Listener(Core& core, int fd, int32_t id, const ListenerConfig& config)
    : core_(core), id_(id), config_(config) {
  fd_ = fd;
}

Listener::~Listener() { closeSocket(); }

void Listener::closeSocket() {
  net::closeFd(fd_);
  fd_ = -1;
}

void Listener::onReady(uint32_t) {
  if (closed()) return;
  for (int i = 0; i < kAcceptsPerReadiness; i++) {
    net::RawAddress peer;
    int fd = net::acceptOne(fd_, &peer);
    if (fd >= 0) {
      if (maxConnections && connections >= maxConnections) {
        net::closeFd(fd);
        core_.stats_.rejectedMaxConnections++;
        continue;
      }
      core_.adopt(this, fd, peer);
      continue;
    }
    if (fd == -EAGAIN || fd == -EWOULDBLOCK) return;
    if (fd == -ECONNABORTED || fd == -EPROTO || fd == -EPERM) continue;
    core_.stats_.acceptErrors++;
    if (fd == -EMFILE || fd == -ENFILE) {
      acceptOverflow();
      return;
    }
    return;
  }
}

// Out of descriptors: take the pending connections off the queue with the
// spare descriptor and close them, so level-triggered readiness does not spin.
// If even that fails, stop watching the socket for a while.
void Listener::acceptOverflow() {
  for (int i = 0; i < kAcceptsPerReadiness && core_.spareFd_ >= 0; i++) {
    net::closeFd(core_.spareFd_);
    core_.spareFd_ = -1;
    int fd = net::acceptOne(fd_, nullptr);
    if (fd >= 0) {
      net::closeFd(fd);
      core_.stats_.acceptErrors++;
    }
    core_.spareFd_ = net::openSpareFd();
    if (fd < 0) {
      if (fd == -EAGAIN || fd == -EWOULDBLOCK) return;
      break;
    }
  }
  resumeAtMs = core_.delegate_.nowMs() + kAcceptBackoffMs;
  core_.setAccepting(this, false);
}

}  // namespace nw
