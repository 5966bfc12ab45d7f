// The standalone reactor over socketpairs: readiness, level triggering,
// watch/unwatch, retire during dispatch, deferred frees and their nesting.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "../reactor/reactor.h"
#include "harness.h"

using namespace nw;

namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0) {
      a = sv[0];
      b = sv[1];
    }
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

// Counts its callbacks; flags its own deletion so deferred frees can be seen.
class Probe final : public IoHandle {
 public:
  Probe(int fd, bool* deleted = nullptr) : deleted_(deleted) { fd_ = fd; }
  ~Probe() override {
    if (deleted_) *deleted_ = true;
    if (onDelete) onDelete();
  }
  void onReady(uint32_t readiness) override {
    calls++;
    last = readiness;
    if (action) action(this);
  }
  int calls = 0;
  uint32_t last = 0;
  std::function<void(Probe*)> action;
  std::function<void()> onDelete;

 private:
  bool* deleted_;
};

void drain(int fd) {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

TEST(reactor_socketpair_readiness) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  REQUIRE(p.a >= 0);
  Probe h(p.a);
  CHECK_EQ(r->watch(&h, kReadable), 0);
  CHECK_EQ(r->registeredCount(), 1u);
  CHECK_EQ(r->runOnce(0, 64), 0);  // nothing to read yet
  CHECK_EQ(h.calls, 0);
  CHECK_EQ(::write(p.b, "x", 1), 1);
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(h.calls, 1);
  CHECK(h.last & kReadReady);
  CHECK(!(h.last & kWriteReady));
  CHECK_EQ(r->watch(&h, 0), 0);
  CHECK_EQ(r->registeredCount(), 0u);
}

TEST(reactor_level_triggered_redelivery) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  Probe h(p.a);
  REQUIRE_EQ(r->watch(&h, kReadable), 0);
  CHECK_EQ(::write(p.b, "abc", 3), 3);
  // Not read: every runOnce reports it again.
  for (int i = 0; i < 3; i++) CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(h.calls, 3);
  drain(p.a);
  CHECK_EQ(r->runOnce(0, 64), 0);
  CHECK_EQ(h.calls, 3);
  r->watch(&h, 0);
}

TEST(reactor_watch_modify_unwatch) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  Probe h(p.a);
  // An empty socket is writable at once.
  REQUIRE_EQ(r->watch(&h, kWritable), 0);
  CHECK_EQ(h.interest(), uint32_t(kWritable));
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK(h.last & kWriteReady);
  CHECK(!(h.last & kReadReady));
  // Same interest again is a no-op.
  CHECK_EQ(r->watch(&h, kWritable), 0);
  CHECK_EQ(r->registeredCount(), 1u);
  // Switch to readable only: no more events until data arrives.
  CHECK_EQ(r->watch(&h, kReadable), 0);
  CHECK_EQ(r->registeredCount(), 1u);
  CHECK_EQ(r->runOnce(0, 64), 0);
  CHECK_EQ(::write(p.b, "x", 1), 1);
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(h.last & (kReadReady | kWriteReady), uint32_t(kReadReady));
  // Both.
  CHECK_EQ(r->watch(&h, kReadable | kWritable), 0);
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(h.last & (kReadReady | kWriteReady), uint32_t(kReadReady | kWriteReady));
  // Unwatch: nothing is reported although the data is still there.
  CHECK_EQ(r->watch(&h, 0), 0);
  CHECK_EQ(h.interest(), 0u);
  CHECK_EQ(r->registeredCount(), 0u);
  CHECK_EQ(r->runOnce(0, 64), 0);
  CHECK_EQ(r->watch(&h, 0), 0);  // unwatching twice is harmless
  CHECK_EQ(r->registeredCount(), 0u);
  // Watch again.
  int before = h.calls;
  CHECK_EQ(r->watch(&h, kReadable), 0);
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(h.calls, before + 1);
  r->watch(&h, 0);
}

TEST(reactor_watch_bad_fd_fails) {
  auto r = Reactor::create();
  REQUIRE(r);
  Probe h(-1);
  CHECK_EQ(r->watch(&h, kReadable), -EBADF);
  CHECK_EQ(r->registeredCount(), 0u);
  CHECK_EQ(h.interest(), 0u);
}

TEST(reactor_max_events_bounds_dispatch) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p1, p2, p3;
  Probe h1(p1.a), h2(p2.a), h3(p3.a);
  r->watch(&h1, kReadable);
  r->watch(&h2, kReadable);
  r->watch(&h3, kReadable);
  ::write(p1.b, "x", 1);
  ::write(p2.b, "x", 1);
  ::write(p3.b, "x", 1);
  CHECK_EQ(r->runOnce(0, 2), 2);
  CHECK_EQ(h1.calls + h2.calls + h3.calls, 2);
  CHECK_EQ(r->runOnce(0, 64), 3);
  CHECK_EQ(h1.calls + h2.calls + h3.calls, 5);
  r->watch(&h1, 0);
  r->watch(&h2, 0);
  r->watch(&h3, 0);
}

TEST(reactor_hangup_reported) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  Probe h(p.a);
  r->watch(&h, kReadable);
  ::close(p.b);
  p.b = -1;
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK(h.last & kReadReady);  // EPOLLRDHUP counts as readable: the read sees EOF
  char c;
  CHECK_EQ(::read(p.a, &c, 1), 0);
  r->watch(&h, 0);
}

TEST(reactor_retire_outside_dispatch_defers_to_collect) {
  // Outside a dispatch the handle is unregistered at once but kept until
  // collect() (or the end of the next dispatch), so the code that closed it
  // can still read its state.
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  bool deleted = false;
  auto* h = new Probe(p.a, &deleted);
  r->watch(h, kReadable);
  CHECK_EQ(r->registeredCount(), 1u);
  CHECK(!r->dispatching());
  r->retire(h);
  CHECK(!deleted);
  CHECK(h->retired());
  CHECK_EQ(r->registeredCount(), 0u);
  ::write(p.b, "x", 1);
  CHECK_EQ(r->runOnce(0, 64), 0);  // unregistered: no event
  CHECK(!deleted);                 // no dispatch ran, nothing freed
  r->holdFrees();
  r->collect();  // a hold is open: not yet
  CHECK(!deleted);
  r->releaseFrees();
  CHECK(deleted);
}

TEST(reactor_retire_outside_dispatch_freed_by_next_dispatch) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p, q;
  bool deleted = false;
  auto* h = new Probe(p.a, &deleted);
  Probe other(q.a);
  r->watch(h, kReadable);
  r->watch(&other, kReadable);
  r->retire(h);
  CHECK(!deleted);
  ::write(q.b, "x", 1);
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK_EQ(other.calls, 1);
  CHECK(deleted);
  r->collect();  // nothing left: harmless
  r->watch(&other, 0);
}

TEST(reactor_retire_during_dispatch_skips_pending_and_defers_delete) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p1, p2;
  bool del1 = false, del2 = false;
  auto* h1 = new Probe(p1.a, &del1);
  auto* h2 = new Probe(p2.a, &del2);
  r->watch(h1, kReadable);
  r->watch(h2, kReadable);
  ::write(p1.b, "x", 1);
  ::write(p2.b, "x", 1);
  // Whichever runs first retires both itself and the other one; the other's
  // already collected event must be skipped, and neither may be deleted yet.
  bool sawDeletedInside = false;
  auto act = [&](Probe* self) {
    CHECK(r->dispatching());
    r->retire(h1);
    r->retire(h2);
    CHECK(self->retired());
    if (del1 || del2) sawDeletedInside = true;
    // Retiring twice is harmless.
    r->retire(self);
  };
  h1->action = act;
  h2->action = act;
  CHECK_EQ(r->runOnce(0, 64), 2);  // two events collected
  CHECK(!sawDeletedInside);
  CHECK(del1);
  CHECK(del2);
  CHECK_EQ(r->registeredCount(), 0u);
  CHECK(!r->dispatching());
}

TEST(reactor_watch_on_retired_handle_fails) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  bool deleted = false;
  auto* h = new Probe(p.a, &deleted);
  r->holdFrees();
  r->retire(h);
  CHECK(!deleted);
  CHECK_EQ(r->watch(h, kReadable), -EBADF);
  CHECK_EQ(r->registeredCount(), 0u);
  r->releaseFrees();
  CHECK(deleted);
}

TEST(reactor_hold_frees_nesting) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  bool deleted = false;
  auto* h = new Probe(p.a, &deleted);
  r->watch(h, kReadable);
  CHECK(!r->dispatching());
  r->holdFrees();
  r->holdFrees();
  CHECK(r->dispatching());
  r->retire(h);
  CHECK(!deleted);
  CHECK_EQ(r->registeredCount(), 0u);
  r->releaseFrees();
  CHECK(!deleted);
  CHECK(r->dispatching());
  r->releaseFrees();
  CHECK(deleted);
  CHECK(!r->dispatching());
}

TEST(reactor_hold_spans_runonce) {
  // An embedder holds across runOnce and its own delivery: a handle retired
  // inside dispatch survives runOnce and goes at the outer release.
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p;
  bool deleted = false;
  auto* h = new Probe(p.a, &deleted);
  r->watch(h, kReadable);
  h->action = [&](Probe* self) { r->retire(self); };
  ::write(p.b, "x", 1);
  r->holdFrees();
  CHECK_EQ(r->runOnce(0, 64), 1);
  CHECK(!deleted);
  CHECK_EQ(h->calls, 1);  // still readable memory
  r->releaseFrees();
  CHECK(deleted);
}

TEST(reactor_destructor_may_retire_more) {
  auto r = Reactor::create();
  REQUIRE(r);
  Pair p1, p2;
  bool del1 = false, del2 = false;
  auto* h1 = new Probe(p1.a, &del1);
  auto* h2 = new Probe(p2.a, &del2);
  r->watch(h1, kReadable);
  r->watch(h2, kReadable);
  h1->onDelete = [&] { r->retire(h2); };
  r->holdFrees();
  r->retire(h1);
  r->releaseFrees();
  CHECK(del1);
  CHECK(del2);
  CHECK_EQ(r->registeredCount(), 0u);
}

TEST(reactor_destructor_frees_retired) {
  Pair p;
  bool deleted = false;
  {
    auto r = Reactor::create();
    REQUIRE(r);
    auto* h = new Probe(p.a, &deleted);
    r->watch(h, kReadable);
    r->holdFrees();
    r->retire(h);
    CHECK(!deleted);
  }
  CHECK(deleted);  // LSan also checks nothing else leaked
}

TEST(reactor_many_handles_stress) {
  auto r = Reactor::create();
  REQUIRE(r);
  constexpr int kN = 200;
  std::vector<Pair> pairs(kN);
  bool flags[kN] = {};
  std::vector<Probe*> hs;
  for (int i = 0; i < kN; i++) {
    hs.push_back(new Probe(pairs[i].a, &flags[i]));
    REQUIRE_EQ(r->watch(hs[i], kReadable), 0);
    ::write(pairs[i].b, "x", 1);
  }
  // Every handle retires the next one; skipped ones are not called.
  int called = 0;
  for (int i = 0; i < kN; i++) {
    hs[i]->action = [&, i](Probe* self) {
      called++;
      drain(self->fd());
      r->retire(hs[(i + 1) % kN]);
    };
  }
  int n = r->runOnce(0, 1024);
  CHECK_EQ(n, kN);
  CHECK_LT(called, kN);
  CHECK_GE(called, 1);
  // What is left is still registered and gets its turn.
  for (int i = 0; i < kN; i++)
    if (!flags[i]) {
      hs[i]->action = nullptr;
      r->retire(hs[i]);
    }
  r->collect();
  for (int i = 0; i < kN; i++) CHECK(flags[i]);
  CHECK_EQ(r->registeredCount(), 0u);
}
