#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "poller.h"

namespace nw {
namespace {

constexpr int kMaxBatch = 1024;

uint32_t toEpoll(uint32_t interest) {
  uint32_t ev = 0;
  if (interest & kReadable) ev |= EPOLLIN | EPOLLRDHUP;
  if (interest & kWritable) ev |= EPOLLOUT;
  if (interest & kPeerHangup) ev |= EPOLLRDHUP;
  return ev;
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int epfd) : epfd_(epfd) {}
  ~EpollPoller() override { ::close(epfd_); }

  int fd() const override { return epfd_; }

  int add(int fd, uint32_t interest, void* data) override { return ctl(EPOLL_CTL_ADD, fd, interest, data); }
  int modify(int fd, uint32_t interest, void* data) override { return ctl(EPOLL_CTL_MOD, fd, interest, data); }
  int remove(int fd) override {
    return ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) == 0 ? 0 : -errno;
  }

  int wait(PollEvent* out, int max, int timeoutMs) override {
    if (max > kMaxBatch) max = kMaxBatch;
    int n;
    do {
      n = ::epoll_wait(epfd_, raw_, max, timeoutMs);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
      uint32_t e = raw_[i].events;
      uint32_t r = 0;
      if (e & (EPOLLIN | EPOLLRDHUP)) r |= kReadReady;
      if (e & EPOLLRDHUP) r |= kPeerHangupReady;
      if (e & EPOLLOUT) r |= kWriteReady;
      if (e & EPOLLHUP) r |= kHangup;
      if (e & EPOLLERR) r |= kError;
      out[i].data = raw_[i].data.ptr;
      out[i].readiness = r;
    }
    return n;
  }

 private:
  int ctl(int op, int fd, uint32_t interest, void* data) {
    epoll_event ev{};
    ev.events = toEpoll(interest);
    ev.data.ptr = data;
    return ::epoll_ctl(epfd_, op, fd, &ev) == 0 ? 0 : -errno;
  }

  int epfd_;
  epoll_event raw_[kMaxBatch];
};

}  // namespace

std::unique_ptr<Poller> Poller::create() {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return nullptr;
  return std::unique_ptr<Poller>(new EpollPoller(epfd));
}

}  // namespace nw
