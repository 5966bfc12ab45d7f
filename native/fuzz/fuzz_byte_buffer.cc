// ByteBuffer operation sequences against a std::string model: two buffers
// sharing one pool, appends, reserve/commit of fewer bytes, consumes (also
// past the end) and releases. Checks contents after every step, that an empty
// buffer holds no memory, and that capacity never runs ahead of the bytes
// (a fresh or grown block is one pool block, or less than twice what was
// needed). LSan checks blocks are freed or pooled, never lost.
//
// Input: a sequence of [op] [a] [b] triples.
#include <sanitizer/allocator_interface.h>

#include <string>

#include "../conn/buffer_pool.h"
#include "../conn/byte_buffer.h"
#include "reference.h"

using namespace nw;
using namespace nwfuzz;

namespace {

std::string bytesFor(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = char(seed + i * 31);
  return s;
}

size_t capacityOf(ByteBuffer& b) {
  uint8_t* p = b.data();
  if (!p || !__sanitizer_get_ownership(p)) return 0;  // 0: data() is not the block start
  return __sanitizer_get_allocated_size(p);
}

void checkSame(ByteBuffer& b, const std::string& model) {
  FUZZ_ASSERT(b.size() == model.size());
  FUZZ_ASSERT(b.empty() == model.empty());
  if (model.empty()) {
    FUZZ_ASSERT(b.data() == nullptr);  // no memory held while empty
  } else {
    FUZZ_ASSERT(std::memcmp(b.data(), model.data(), model.size()) == 0);
  }
}

// The capacity of each buffer's current block, learnt whenever data() is the
// block start (always so right after an allocation), 0 while empty.
size_t knownCap[2];

// After an operation that needed `need` bytes of room: if a new block was
// allocated, it is one pool block or less than twice the need.
void checkGrowth(ByteBuffer& b, int which, size_t need) {
  size_t cap = capacityOf(b);
  if (cap == 0 || cap == knownCap[which]) return;  // same block (maybe compacted)
  FUZZ_ASSERT(cap >= need);
  FUZZ_ASSERT(BufferPool::isBlock(cap) || cap < 2 * need);
  knownCap[which] = cap;
}

void noteEmpty(ByteBuffer& b, int which) {
  if (b.empty()) knownCap[which] = 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BufferPool pool;
  ByteBuffer bufs[2];
  std::string models[2];
  knownCap[0] = knownCap[1] = 0;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
    int which = op & 1;
    ByteBuffer& buf = bufs[which];
    std::string& model = models[which];
    // Lengths from tiny to past a few pool blocks.
    size_t len = (op & 0x40) ? size_t(a) * 512 + b : size_t(a);
    switch (((op >> 1) & 7) % 5) {
      case 0: {  // append
        std::string s = bytesFor(len, b);
        FUZZ_ASSERT(buf.append(s.data(), s.size(), pool));
        model += s;
        if (len) checkGrowth(buf, which, model.size());
        break;
      }
      case 1: {  // reserve len, write and commit fewer
        uint8_t* dst = buf.reserve(len, pool);
        FUZZ_ASSERT(dst != nullptr);
        size_t commit = len ? size_t(b) % (len + 1) : 0;
        std::string s = bytesFor(commit, a);
        std::memcpy(dst, s.data(), commit);
        buf.commit(commit);
        model += s;
        if (len) checkGrowth(buf, which, model.size() - commit + len);
        if (model.empty()) buf.release(pool);  // what Core::commit does with an empty commit
        break;
      }
      case 2: {  // consume, possibly everything or more
        size_t n = (op & 0x80) ? model.size() + b : (model.empty() ? 0 : len % (model.size() + 1));
        buf.consume(n, pool);
        model.erase(0, n);
        break;
      }
      case 3:  // release
        buf.release(pool);
        model.clear();
        break;
      case 4: {  // move bytes from one buffer to the other (consume + append)
        ByteBuffer& other = bufs[1 - which];
        std::string& otherModel = models[1 - which];
        size_t n = model.empty() ? 0 : len % (model.size() + 1);
        if (n) FUZZ_ASSERT(other.append(buf.data(), n, pool));
        otherModel += model.substr(0, n);
        if (n) checkGrowth(other, 1 - which, otherModel.size());
        buf.consume(n, pool);
        model.erase(0, n);
        checkSame(other, otherModel);
        break;
      }
    }
    checkSame(buf, model);
    noteEmpty(bufs[0], 0);
    noteEmpty(bufs[1], 1);
  }
  bufs[0].release(pool);
  bufs[1].release(pool);
  return 0;
}
