#include "reactor.h"

#include <cerrno>

namespace nw {

std::unique_ptr<Reactor> Reactor::create() {
  auto poller = Poller::create();
  if (!poller) return nullptr;
  return std::unique_ptr<Reactor>(new Reactor(std::move(poller)));
}

Reactor::Reactor(std::unique_ptr<Poller> poller) : poller_(std::move(poller)) {
  ready_.resize(1024);
}

Reactor::~Reactor() { freeRetired(); }

int Reactor::watch(IoHandle* h, uint32_t interest) {
  if (h->retired_) return -EBADF;
  if (interest == h->interest_ && (h->registered_ || interest == 0)) return 0;
  int rc = 0;
  if (interest == 0) {
    rc = poller_->remove(h->fd_);
    h->registered_ = false;
    registered_--;
  } else if (!h->registered_) {
    rc = poller_->add(h->fd_, interest, h);
    if (rc == 0) {
      h->registered_ = true;
      registered_++;
    }
  } else {
    rc = poller_->modify(h->fd_, interest, h);
  }
  if (rc == 0) h->interest_ = interest;
  return rc;
}

void Reactor::retire(IoHandle* h) {
  if (h->retired_) return;
  if (h->registered_) {
    poller_->remove(h->fd_);
    h->registered_ = false;
    registered_--;
  }
  h->interest_ = 0;
  h->retired_ = true;
  retired_.push_back(h);
}

int Reactor::runOnce(int timeoutMs, int maxEvents) {
  if (maxEvents > static_cast<int>(ready_.size())) maxEvents = static_cast<int>(ready_.size());
  int n = poller_->wait(ready_.data(), maxEvents, timeoutMs);
  if (n <= 0) return n;
  holdFrees();
  for (int i = 0; i < n; i++) {
    auto* h = static_cast<IoHandle*>(ready_[i].data);
    if (h->retired_) continue;
    h->onReady(ready_[i].readiness);
  }
  releaseFrees();
  return n;
}

void Reactor::freeRetired() {
  // A destructor may retire more handles; swap first so the loop sees them.
  while (!retired_.empty()) {
    std::vector<IoHandle*> batch;
    batch.swap(retired_);
    for (IoHandle* h : batch) delete h;
  }
}

}  // namespace nw
