#include "random.h"

#include <linux/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <time.h>
#include <cstring>

namespace nw {
namespace net {

void randomBytes(uint8_t* out, size_t n) {
  static uint8_t pool[4096];
  static size_t available = 0;
  while (n > 0) {
    if (available == 0) {
      ssize_t got;
      do {
        got = ::syscall(SYS_getrandom, pool, sizeof(pool), GRND_NONBLOCK);  // not the 2.25 wrapper
      } while (got < 0 && errno == EINTR);
      if (got <= 0) {
        // Entropy not ready (early boot): fall back to a time-seeded mix.
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t x = (uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec)) | 1;
        for (size_t i = 0; i < sizeof(pool); i++) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          pool[i] = uint8_t(x);
        }
        got = sizeof(pool);
      }
      available = size_t(got);
    }
    size_t take = n < available ? n : available;
    std::memcpy(out, pool + sizeof(pool) - available, take);
    available -= take;
    out += take;
    n -= take;
  }
}

}  // namespace net
}  // namespace nw
