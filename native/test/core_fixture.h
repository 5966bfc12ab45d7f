// A Core over real sockets on 127.0.0.1 with a fake CoreDelegate that copies
// every event (and the slab bytes it names) into a log, plus client helpers.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../conn/core.h"
#include "harness.h"

namespace nwtest {

using namespace nw;

struct Ev {
  int32_t type, slot, a, b;
  std::string data;  // message bytes, for message events
};

inline const char* typeName(int32_t t) {
  if (t & kEventStashed) return "stashed";
  switch (t) {
    case kEventAccept: return "accept";
    case kEventMessage: return "message";
    case kEventAsciiMessage: return "ascii";
    case kEventClose: return "close";
    case kEventDrain: return "drain";
    case kEventError: return "error";
    case kEventBinaryMessage: return "binary";
  }
  return "?";
}

inline bool inSlab(int32_t t) { return t == kEventMessage || t == kEventAsciiMessage || t == kEventBinaryMessage; }
inline bool isStashed(int32_t t) { return (t & kEventStashed) && inSlab(t & kEventTypeMask); }
inline bool isMessage(int32_t t) { return inSlab(t) || isStashed(t); }

inline uint64_t monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

class FakeDelegate final : public CoreDelegate {
 public:
  const uint8_t* slab = nullptr;
  size_t slabSize = 0;
  const int32_t* events = nullptr;
  size_t eventCapacity = 0;
  std::vector<Ev> log;
  std::vector<std::string> stash;
  std::function<void(const Ev&)> hook;  // runs inside the delivery, like a JS callback
  uint64_t now = 1000000;
  bool failStash = false;
  int deliveries = 0;
  size_t maxDelivered = 0;

  void deliverEvents(size_t count) override {
    deliveries++;
    if (count > maxDelivered) maxDelivered = count;
    CHECK_LE(count, eventCapacity);
    std::vector<Ev> batch;
    for (size_t i = 0; i < count; i++) {
      const int32_t* e = events + i * kEventWords;
      Ev ev{e[0], e[1], e[2], e[3], {}};
      if (inSlab(ev.type)) {
        REQUIRE(ev.a >= 0 && ev.b >= 0 && size_t(ev.a) + size_t(ev.b) <= slabSize);
        ev.data.assign(reinterpret_cast<const char*>(slab) + ev.a, size_t(ev.b));
      } else if (isStashed(ev.type)) {
        REQUIRE(ev.a >= 0 && size_t(ev.a) < stash.size());
        ev.data = stash[size_t(ev.a)];
        CHECK_EQ(ev.data.size(), size_t(ev.b));
      }
      batch.push_back(ev);
    }
    stash.clear();
    for (auto& ev : batch) {
      log.push_back(ev);
      if (hook) hook(ev);
    }
  }
  int32_t stashLarge(const uint8_t* data, size_t length) override {
    if (failStash) return -1;
    stash.emplace_back(reinterpret_cast<const char*>(data), length);
    return int32_t(stash.size() - 1);
  }
  uint64_t nowMs() override { return now; }
  void wake() override { wakes++; }
  int wakes = 0;

  size_t count(int32_t type, int32_t slot = -1) const {
    size_t n = 0;
    for (auto& e : log)
      if (e.type == type && (slot < 0 || e.slot == slot)) n++;
    return n;
  }
  const Ev* find(int32_t type, int32_t slot = -1) const {
    for (auto& e : log)
      if (e.type == type && (slot < 0 || e.slot == slot)) return &e;
    return nullptr;
  }
  std::vector<std::string> messages(int32_t slot = -1) const {
    std::vector<std::string> out;
    for (auto& e : log)
      if (isMessage(e.type) && (slot < 0 || e.slot == slot)) out.push_back(e.data);
    return out;
  }
  std::string dump() const {
    std::string s;
    for (auto& e : log) {
      s += typeName(e.type);
      s += "(" + std::to_string(e.slot) + "," + std::to_string(e.a) + "," + std::to_string(e.b) + ") ";
    }
    return s;
  }
};

class Server {
 public:
  explicit Server(protocol::Kind kind, size_t slabSize = 256 * 1024, size_t eventCapacity = 64)
      : slab_(slabSize), events_(eventCapacity * kEventWords) {
    reactor = Reactor::create();
    d.slab = slab_.data();
    d.slabSize = slabSize;
    d.events = events_.data();
    d.eventCapacity = eventCapacity;
    core.reset(new Core(*reactor, d, slab_.data(), slabSize, events_.data(), eventCapacity));
    net::ListenOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.backlog = 64;
    ListenerConfig cfg;
    cfg.kind = kind;
    lid = core->listen(o, cfg);
    if (lid >= 0) port = net::localPort(core->listener(lid)->fd());
  }
  ~Server() {
    core.reset();
    reactor.reset();
  }

  void pumpOnce(int timeoutMs = 0) {
    core->beginBatch();
    int n = reactor->runOnce(timeoutMs, 1024);
    CHECK_GE(n, 0);
    core->endBatch();
  }
  bool pumpUntil(const std::function<bool()>& done, int timeoutMs = 3000) {
    uint64_t end = monoMs() + uint64_t(timeoutMs);
    while (!done()) {
      if (monoMs() > end) return false;
      pumpOnce(5);
    }
    return true;
  }
  // Pumps until an accept not yet taken and returns its slot, in accept
  // order (-1 on timeout).
  int32_t acceptOne() {
    auto accepts = [&] { return d.count(kEventAccept); };
    if (!pumpUntil([&] { return accepts() > takenAccepts_; })) return -1;
    size_t i = 0;
    for (auto& e : d.log)
      if (e.type == kEventAccept && i++ == takenAccepts_) {
        takenAccepts_++;
        return e.slot;
      }
    return -1;
  }
  // The next accepted connection (nullptr on timeout).
  Connection* acceptConnection() {
    int32_t slot = acceptOne();
    return slot < 0 ? nullptr : core->connection(slot);
  }
  int32_t send(Connection* c, const std::string& s) {
    int32_t r = core->admit(c);
    if (r != kSent) return r;
    uint8_t* dst = core->reserve(c, s.size());
    if (!dst) return -1;
    std::memcpy(dst, s.data(), s.size());
    return core->commit(c, s.size());
  }

  std::unique_ptr<Reactor> reactor;
  FakeDelegate d;
  std::unique_ptr<Core> core;
  int32_t lid = -1;
  int port = 0;

 private:
  std::vector<uint8_t> slab_;
  std::vector<int32_t> events_;
  size_t takenAccepts_ = 0;
};

// A non-blocking client socket.
class Client {
 public:
  explicit Client(int port, int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  ~Client() { closeFd(); }
  void closeFd() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void reset() {  // close with RST
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    closeFd();
  }
  void shutdownWrite() { ::shutdown(fd, SHUT_WR); }
  int localPort() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  // Writes everything (the server is not pumped meanwhile: keep it small
  // enough for the kernel buffers).
  bool write(const std::string& s) {
    size_t off = 0;
    uint64_t end = monoMs() + 3000;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += size_t(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN) return false;
      if (monoMs() > end) return false;
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
    }
    return true;
  }
  // Reads what is there now; sets eof/err.
  std::string readAvailable() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, size_t(n));
        continue;
      }
      if (n == 0) eof = true;
      else if (errno != EAGAIN) err = errno;
      break;
    }
    received += out.size();
    return out;
  }
  bool nothingToRead() {
    char c;
    ssize_t n = ::recv(fd, &c, 1, MSG_PEEK);
    return n < 0 && errno == EAGAIN;
  }

  int fd = -1;
  bool connected = false;
  bool eof = false;
  int err = 0;
  size_t received = 0;
};

}  // namespace nwtest
