// A contiguous byte queue: append at the tail, consume from the head. Holds no
// memory while empty (idle connections cost nothing); small buffers come from
// the loop's BufferPool. Capacity grows with the bytes actually appended, never
// ahead of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "buffer_pool.h"

namespace nw {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  size_t size() const { return tail_ - head_; }
  bool empty() const { return tail_ == head_; }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(buf_ + head_); }

  // Room for n more bytes at the tail; commit() what was written. nullptr when
  // memory runs out.
  uint8_t* reserve(size_t n, BufferPool& pool) {
    if (n == 0 && !buf_) return noRoom();  // nothing to hold: allocate nothing
    if (cap_ - tail_ < n && !makeRoom(n, pool)) return nullptr;
    return reinterpret_cast<uint8_t*>(buf_ + tail_);
  }
  void commit(size_t n) { tail_ += n; }

  bool append(const void* p, size_t n, BufferPool& pool) {
    uint8_t* dst = reserve(n, pool);
    if (!dst) return false;
    std::memcpy(dst, p, n);
    commit(n);
    return true;
  }

  void consume(size_t n, BufferPool& pool) {
    head_ += n;
    if (head_ >= tail_) release(pool);
  }

  void release(BufferPool& pool) {
    if (buf_) freeBlock(buf_, cap_, pool);
    buf_ = nullptr;
    head_ = tail_ = cap_ = 0;
  }

 private:
  // A valid, non-null address for a zero-byte reservation (never written).
  static uint8_t* noRoom() {
    static uint8_t none;
    return &none;
  }
  bool makeRoom(size_t n, BufferPool& pool) {
    size_t used = size();
    size_t need = used + n;
    if (buf_ && need <= cap_) {
      std::memmove(buf_, buf_ + head_, used);
      head_ = 0;
      tail_ = used;
      return true;
    }
    size_t cap = cap_ ? cap_ * 2 : BufferPool::blockFor(need);
    if (cap == 0) cap = BufferPool::kBlockSize;
    while (cap < need) cap *= 2;
    char* fresh = BufferPool::isBlock(cap) ? pool.take(cap) : static_cast<char*>(std::malloc(cap));
    if (!fresh) return false;
    if (used) std::memcpy(fresh, buf_ + head_, used);
    if (buf_) freeBlock(buf_, cap_, pool);
    buf_ = fresh;
    cap_ = cap;
    head_ = 0;
    tail_ = used;
    return true;
  }

  static void freeBlock(char* buf, size_t cap, BufferPool& pool) {
    if (BufferPool::isBlock(cap)) pool.give(buf, cap);
    else std::free(buf);
  }

  char* buf_ = nullptr;
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t cap_ = 0;
};

}  // namespace nw
