// The whole receive path: a fresh Reactor + Core per input, one connection
// accepted from a unix-socket listener, the input's chunks written into it
// with the reactor run between chunks, then a FIN (or a teardown with the
// connection open). Every delivered message must match the reference split
// of the whole stream; errors, close reasons and event order are checked;
// LSan (per input) and an fd-count check catch leaks.
//
// Unix sockets rather than TCP: a write is in the peer's queue when it
// returns (deterministic), and there is no TIME_WAIT to exhaust ports at
// thousands of connections a second.
//
// Input: [kind] [max hi] [max lo] [slab/events] [end mode] then chunks
// (reference.h). kind % 3: raw/text/frame. max: bit 7 of hi = the default
// 10 MiB, else ((hi & 0x7f) << 8 | lo). slab/events: % 3 picks a 2 KiB, 8 KiB
// or 128 KiB slab (small slabs force copies and stashes), (>> 2) % 64 + 1 is
// the event array capacity. end mode bit 0: FIN, else teardown while open.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../conn/core.h"
#include "../protocol/ascii.h"
#include "reference.h"

using namespace nw;
using namespace nwfuzz;

namespace {

struct Ev {
  int32_t type, slot, a, b;
  std::string data;
};

bool inSlab(int32_t t);
bool isStashed(int32_t t);

class Delegate final : public CoreDelegate {
 public:
  Core* core = nullptr;
  const uint8_t* slab = nullptr;
  size_t slabSize = 0;
  const int32_t* events = nullptr;
  size_t capacity = 0;
  size_t maxPackageSize = 0;
  std::vector<Ev> log;
  std::vector<std::string> stash;

  bool delivering = false;
  int wakes = 0;

  void deliverEvents(size_t count) override {
    FUZZ_ASSERT(count >= 1 && count <= capacity);
    FUZZ_ASSERT(!delivering);
    std::vector<Ev> batch;
    for (size_t i = 0; i < count; i++) {
      const int32_t* e = events + i * kEventWords;
      Ev ev{e[0], e[1], e[2], e[3], {}};
      if (inSlab(ev.type)) {
        FUZZ_ASSERT(ev.a >= 0 && ev.b >= 0 && size_t(ev.a) + size_t(ev.b) <= slabSize);
        ev.data.assign(reinterpret_cast<const char*>(slab) + ev.a, size_t(ev.b));
      } else if (isStashed(ev.type)) {
        FUZZ_ASSERT(ev.a >= 0 && size_t(ev.a) < stash.size());
        ev.data = stash[size_t(ev.a)];
        FUZZ_ASSERT(ev.data.size() == size_t(ev.b));
        // Stashed when too large for the slab, or when pushed while a delivery runs.
        FUZZ_ASSERT(ev.data.size() > slabSize / 2 || delivering);
      }
      batch.push_back(std::move(ev));
    }
    stash.clear();
    for (auto& ev : batch) {
      if (ev.type == kEventAccept) {
        Connection* c = core->connection(ev.slot);
        FUZZ_ASSERT(c != nullptr);
        c->maxPackageSize = maxPackageSize;
      }
      log.push_back(std::move(ev));
    }
  }
  int32_t stashLarge(const uint8_t* data, size_t length) override {
    stash.emplace_back(reinterpret_cast<const char*>(data), length);
    return int32_t(stash.size() - 1);
  }
  uint64_t nowMs() override { return 0; }
  void wake() override { wakes++; }
};

bool inSlab(int32_t t) { return t == kEventMessage || t == kEventAsciiMessage || t == kEventBinaryMessage; }
bool isStashed(int32_t t) { return (t & kEventStashed) && inSlab(t & kEventTypeMask); }

std::string socketPath() {
  static std::string path = "/tmp/nw-fuzz-receive-" + std::to_string(::getpid()) + ".sock";
  return path;
}

int lowestFreeFd() {
  int fd = ::dup(0);
  ::close(fd);
  return fd;
}

// Runs the reactor until it is quiet; a level-triggered spin shows up as a
// bound being hit.
void pump(Reactor& reactor, Core& core) {
  core.beginBatch();
  int rounds = 0;
  for (;;) {
    int n = reactor.runOnce(0, 1024);
    FUZZ_ASSERT(n >= 0);
    if (n == 0) break;
    FUZZ_ASSERT(++rounds < 10000);
  }
  core.endBatch();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const int fdBaseline = lowestFreeFd();
  auto kind = protocol::Kind(data[0] % 3);
  size_t maxPackageSize = (data[1] & 0x80) ? 10 * 1024 * 1024 : (size_t(data[1] & 0x7f) << 8 | data[2]);
  static const size_t kSlabs[] = {2048, 8192, 128 * 1024};
  size_t slabSize = kSlabs[data[3] % 3];
  size_t capacity = size_t((data[3] >> 2) % 64) + 1;
  bool fin = data[4] & 1;

  std::vector<uint8_t> slab(slabSize);
  std::vector<int32_t> events(capacity * kEventWords);
  auto reactor = Reactor::create();
  FUZZ_ASSERT(reactor != nullptr);
  Delegate d;
  d.slab = slab.data();
  d.slabSize = slabSize;
  d.events = events.data();
  d.capacity = capacity;
  d.maxPackageSize = maxPackageSize;
  auto core = std::unique_ptr<Core>(new Core(*reactor, d, slab.data(), slabSize, events.data(), capacity));
  d.core = core.get();

  net::ListenOptions o;
  o.unixSocket = true;
  o.path = socketPath();
  ::unlink(o.path.c_str());
  ListenerConfig cfg;
  cfg.kind = kind;
  int32_t lid = core->listen(o, cfg);
  FUZZ_ASSERT(lid >= 0);

  int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_ASSERT(client >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, o.path.data(), o.path.size());
  FUZZ_ASSERT(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::fcntl(client, F_SETFL, O_NONBLOCK);
  pump(*reactor, *core);
  FUZZ_ASSERT(d.log.size() == 1 && d.log[0].type == kEventAccept && d.log[0].a == lid);
  int32_t slot = d.log[0].slot;

  auto failed = [&] {
    for (auto& e : d.log)
      if (e.type == kEventError || e.type == kEventClose) return true;
    return false;
  };
  ChunkReader chunks{data + 5, size - 5};
  std::string all, chunk;
  while (chunks.next(&chunk) && !failed()) {
    ssize_t n = ::send(client, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n < 0) break;  // the server closed on bad input
    all.append(chunk, 0, size_t(n));
    pump(*reactor, *core);
  }
  bool sawFin = false;
  if (fin) {
    ::shutdown(client, SHUT_WR);
    pump(*reactor, *core);
    sawFin = true;
  }

  // ---- check ---------------------------------------------------------------
  std::vector<std::string> got;
  const Ev* error = nullptr;
  const Ev* close = nullptr;
  for (size_t i = 1; i < d.log.size(); i++) {
    const Ev& e = d.log[i];
    FUZZ_ASSERT(e.slot == slot);
    FUZZ_ASSERT(e.type != kEventAccept && e.type != kEventDrain);
    FUZZ_ASSERT(close == nullptr);  // nothing after the close
    if (inSlab(e.type) || isStashed(e.type)) {
      FUZZ_ASSERT(error == nullptr);
      if (kind == protocol::Kind::Text) {
        // Text kinds only; ASCII exactly when every byte is below 0x80.
        int32_t base = e.type & kEventTypeMask;
        FUZZ_ASSERT(base == kEventAsciiMessage || base == kEventMessage);
        FUZZ_ASSERT((base == kEventAsciiMessage) == naiveAscii(e.data));
      } else {
        FUZZ_ASSERT((e.type & kEventTypeMask) == kEventBinaryMessage);
      }
      got.push_back(e.data);
    } else if (e.type == kEventError) {
      FUZZ_ASSERT(error == nullptr);
      error = &e;
    } else if (e.type == kEventClose) {
      close = &e;
    }
  }
  if (kind == protocol::Kind::Raw) {
    std::string joined;
    for (auto& m : got) {
      FUZZ_ASSERT(!m.empty());
      joined += m;
    }
    FUZZ_ASSERT(joined == all);
    FUZZ_ASSERT(error == nullptr);
  } else {
    RefResult ref = kind == protocol::Kind::Text ? referenceText(all, maxPackageSize) : referenceFrame(all, maxPackageSize);
    FUZZ_ASSERT(got == ref.messages);
    if (ref.error == RefError::None) {
      FUZZ_ASSERT(error == nullptr);
    } else {
      FUZZ_ASSERT(error != nullptr);
      int32_t want = ref.error == RefError::TooLarge ? kPackageTooLarge : kProtocolError;
      FUZZ_ASSERT(error->a == want || (ref.eitherError && (error->a == kPackageTooLarge || error->a == kProtocolError)));
      FUZZ_ASSERT(close != nullptr && close->a == kClosedOnError);
    }
  }
  if (!error) {
    if (sawFin) FUZZ_ASSERT(close != nullptr && close->a == kClosedByPeer);
    else FUZZ_ASSERT(close == nullptr && core->connection(slot) != nullptr);
  }
  if (close) FUZZ_ASSERT(core->connection(slot) == nullptr);
  const Stats& st = core->stats();
  FUZZ_ASSERT(st.totalRequest == got.size());
  FUZZ_ASSERT(st.bytesRead <= all.size());
  FUZZ_ASSERT(st.connections == (close ? 0u : 1u));

  // A quiet reactor: nothing left that reports readiness forever.
  core->beginBatch();
  FUZZ_ASSERT(reactor->runOnce(0, 1024) == 0);
  core->endBatch();

  ::close(client);
  core.reset();  // closes whatever is open
  reactor.reset();
  ::unlink(o.path.c_str());
  FUZZ_ASSERT(lowestFreeFd() == fdBaseline);
  return 0;
}
