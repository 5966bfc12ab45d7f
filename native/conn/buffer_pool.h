// A loop-wide cache of fixed-size blocks in two sizes, so that corking sends
// (a few small ones per connection per batch, or one broadcast to thousands of
// connections) costs no malloc/free in steady state. Bounded in blocks kept.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <vector>

namespace nw {

class BufferPool {
 public:
  static constexpr size_t kSmallBlock = 2 * 1024;
  static constexpr size_t kBlockSize = 16 * 1024;
  static constexpr size_t kMaxCachedSmall = 8192;  // 16 MiB
  static constexpr size_t kMaxCached = 256;        // 4 MiB

  ~BufferPool() {
    for (char* b : small_) std::free(b);
    for (char* b : large_) std::free(b);
  }

  // The block size to start a buffer that must hold n bytes; 0 when no block fits.
  static size_t blockFor(size_t n) { return n <= kSmallBlock ? kSmallBlock : n <= kBlockSize ? kBlockSize : 0; }
  static bool isBlock(size_t capacity) { return capacity == kSmallBlock || capacity == kBlockSize; }

  char* take(size_t block) {
    std::vector<char*>& free = block == kSmallBlock ? small_ : large_;
    if (free.empty()) return static_cast<char*>(std::malloc(block));
    char* b = free.back();
    free.pop_back();
    return b;
  }
  void give(char* b, size_t block) {
    std::vector<char*>& free = block == kSmallBlock ? small_ : large_;
    if (free.size() < (block == kSmallBlock ? kMaxCachedSmall : kMaxCached)) free.push_back(b);
    else std::free(b);
  }

 private:
  std::vector<char*> small_;
  std::vector<char*> large_;
};

}  // namespace nw
