// The readiness-notification interface. One backend a file (epoll_poller.cc);
// kqueue can be added behind the same interface.
#pragma once
#include <cstdint>
#include <memory>

namespace nw {

enum Interest : uint32_t {
  kReadable = 1u << 0,
  kWritable = 1u << 1,
  kPeerHangup = 1u << 2,  // only the peer's FIN (or reset), without its data
  kErrorsOnly = 1u << 3,  // registered, but woken only by errors and hangups (a reset)
};

enum Readiness : uint32_t {
  kReadReady = 1u << 0,
  kWriteReady = 1u << 1,
  kHangup = 1u << 2,  // peer closed both directions, or the socket is in error
  kError = 1u << 3,
  kPeerHangupReady = 1u << 4,  // the peer's FIN (EPOLLRDHUP)
};

struct PollEvent {
  void* data;
  uint32_t readiness;
};

class Poller {
 public:
  virtual ~Poller() = default;
  // A descriptor that becomes readable when events are pending, so the
  // whole poller can be nested inside another loop (libuv).
  virtual int fd() const = 0;
  // Each returns 0 or -errno.
  virtual int add(int fd, uint32_t interest, void* data) = 0;
  virtual int modify(int fd, uint32_t interest, void* data) = 0;
  virtual int remove(int fd) = 0;
  // Level-triggered. Returns the number of events written to `out`, or -errno.
  virtual int wait(PollEvent* out, int max, int timeoutMs) = 0;

  // The platform's backend, or nullptr with errno set.
  static std::unique_ptr<Poller> create();
};

}  // namespace nw
