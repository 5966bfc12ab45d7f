#include "random.h"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
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
        got = ::getrandom(pool, sizeof(pool), GRND_NONBLOCK);
      } while (got < 0 && errno == EINTR);
      if (got <= 0) {
        // Entropy not ready (early boot): fall back to a time-seeded mix.
        uint64_t x = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
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
