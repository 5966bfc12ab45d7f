// A standalone, level-triggered reactor: no Node headers, so it can be unit
// tested, fuzzed and benchmarked on its own. One runOnce() entry point.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "poller.h"

namespace nw {

class Reactor;

// Something with a descriptor that wants readiness callbacks.
class IoHandle {
 public:
  virtual ~IoHandle() = default;
  virtual void onReady(uint32_t readiness) = 0;

  int fd() const { return fd_; }
  uint32_t interest() const { return interest_; }
  bool retired() const { return retired_; }

 protected:
  int fd_ = -1;

 private:
  friend class Reactor;
  uint32_t interest_ = 0;
  bool registered_ = false;
  bool retired_ = false;  // removed; pending events for it are skipped
};

class Reactor {
 public:
  static std::unique_ptr<Reactor> create();  // nullptr with errno set on failure
  ~Reactor();

  int fd() const { return poller_->fd(); }

  // Sets the interest set, registering or unregistering as needed. 0 or -errno.
  int watch(IoHandle* h, uint32_t interest);
  // Unregisters the handle; events already collected for it are dropped.
  // The handle itself is deleted at the end of the current dispatch, or of the
  // next one when none is running, so state read right after a close (by the
  // code that closed it) stays valid. Its descriptor is the owner's to close.
  void retire(IoHandle* h);
  // Deletes retired handles now (when no hold is open).
  void collect() {
    if (holds_ == 0) freeRetired();
  }

  // Waits up to timeoutMs (0 = poll) and dispatches at most maxEvents events.
  // Returns the number dispatched, or -errno.
  int runOnce(int timeoutMs, int maxEvents);

  // While a hold is open, retired handles are kept alive, so an embedder can
  // stretch "the current dispatch" over work it does after runOnce (delivering
  // the batch to JS). Holds nest.
  void holdFrees() { holds_++; }
  void releaseFrees() {
    if (--holds_ == 0) freeRetired();
  }
  bool dispatching() const { return holds_ > 0; }

  // Number of registered handles: lets an embedder stop keeping its loop alive.
  size_t registeredCount() const { return registered_; }

 private:
  explicit Reactor(std::unique_ptr<Poller> poller);
  void freeRetired();

  std::unique_ptr<Poller> poller_;
  std::vector<PollEvent> ready_;
  std::vector<IoHandle*> retired_;
  size_t registered_ = 0;
  int holds_ = 0;
};

}  // namespace nw
