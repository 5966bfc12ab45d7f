// A loop-wide cache of fixed-size blocks, so that corking a few small sends
// per batch costs no malloc/free in steady state. Bounded in blocks kept.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <vector>

namespace nw {

class BufferPool {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;
  static constexpr size_t kMaxCached = 256;

  ~BufferPool() {
    for (char* b : free_) std::free(b);
  }
  char* take() {
    if (free_.empty()) return static_cast<char*>(std::malloc(kBlockSize));
    char* b = free_.back();
    free_.pop_back();
    return b;
  }
  void give(char* b) {
    if (free_.size() < kMaxCached) free_.push_back(b);
    else std::free(b);
  }

 private:
  std::vector<char*> free_;
};

}  // namespace nw
