// ByteBuffer: append/consume, compaction, growth, release to the pool, and no
// memory held while empty. Capacity is read with malloc_usable_size, which
// ASan reports exactly.
#include <malloc.h>

#include <string>

#include "../conn/buffer_pool.h"
#include "../conn/byte_buffer.h"
#include "harness.h"

using namespace nw;

namespace {
std::string contents(ByteBuffer& b) { return std::string(reinterpret_cast<char*>(b.data()), b.size()); }
std::string pattern(size_t n, size_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = char('a' + (i * 7 + seed) % 26);
  return s;
}
}  // namespace

TEST(byte_buffer_empty_holds_nothing) {
  BufferPool pool;
  ByteBuffer b;
  CHECK(b.empty());
  CHECK_EQ(b.size(), 0u);
  CHECK(b.data() == nullptr);
  b.consume(0, pool);
  CHECK(b.data() == nullptr);
  b.release(pool);
  CHECK(b.data() == nullptr);
}

TEST(byte_buffer_append_consume) {
  BufferPool pool;
  ByteBuffer b;
  CHECK(b.append("hello ", 6, pool));
  CHECK(b.append("world", 5, pool));
  CHECK_EQ(b.size(), 11u);
  CHECK_EQ(contents(b), std::string("hello world"));
  b.consume(6, pool);
  CHECK_EQ(contents(b), std::string("world"));
  b.consume(5, pool);
  CHECK(b.empty());
  CHECK(b.data() == nullptr);  // emptied buffers go back at once
}

TEST(byte_buffer_reserve_commit) {
  BufferPool pool;
  ByteBuffer b;
  uint8_t* p = b.reserve(100, pool);
  REQUIRE(p != nullptr);
  std::memcpy(p, "abc", 3);
  CHECK(b.empty());  // nothing committed yet
  b.commit(3);
  CHECK_EQ(contents(b), std::string("abc"));
  uint8_t* q = b.reserve(10, pool);
  CHECK(q == p + 3);  // room was already there
  b.release(pool);
  CHECK(b.empty());
}

TEST(byte_buffer_small_buffer_is_one_pool_block_and_reused) {
  BufferPool pool;
  ByteBuffer b;
  CHECK(b.append("x", 1, pool));
  uint8_t* first = b.data();
  CHECK_EQ(malloc_usable_size(first), BufferPool::kSmallBlock);
  b.consume(1, pool);  // back to the pool
  CHECK(b.append("y", 1, pool));
  CHECK(b.data() == first);  // taken from the pool again
  ByteBuffer other;
  CHECK(other.append("z", 1, pool));
  CHECK(other.data() != first);
  b.release(pool);
  other.release(pool);
}

TEST(byte_buffer_compacts_instead_of_growing) {
  BufferPool pool;
  ByteBuffer b;
  const size_t block = BufferPool::kBlockSize;
  std::string a = pattern(block - 100);
  CHECK(b.append(a.data(), a.size(), pool));
  uint8_t* base = b.data();
  b.consume(block - 200, pool);  // 100 bytes left, at the far end
  std::string more = pattern(1000, 3);
  CHECK(b.append(more.data(), more.size(), pool));  // 1100 <= block: memmove
  CHECK(b.data() == base);
  CHECK_EQ(malloc_usable_size(b.data()), block);
  CHECK_EQ(contents(b), a.substr(block - 200) + more);
  b.release(pool);
}

TEST(byte_buffer_grows_by_doubling_with_content_kept) {
  BufferPool pool;
  ByteBuffer b;
  const size_t block = BufferPool::kBlockSize;
  std::string expect;
  std::string s = pattern(block - 1);
  CHECK(b.append(s.data(), s.size(), pool));
  expect += s;
  b.consume(10, pool);
  expect.erase(0, 10);
  std::string t = pattern(20, 5);
  CHECK(b.append(t.data(), t.size(), pool));  // block - 11 + 20 > block: grows
  expect += t;
  CHECK_EQ(malloc_usable_size(b.data()), 2 * block);
  CHECK_EQ(contents(b), expect);
  std::string big = pattern(5 * block, 9);  // needs > 4 blocks: 8 blocks
  CHECK(b.append(big.data(), big.size(), pool));
  expect += big;
  CHECK_EQ(malloc_usable_size(b.data()), 8 * block);
  CHECK_EQ(contents(b), expect);
  b.consume(b.size(), pool);
  CHECK(b.data() == nullptr);
}

TEST(byte_buffer_large_first_append_is_sized_to_it) {
  BufferPool pool;
  ByteBuffer b;
  const size_t block = BufferPool::kBlockSize;
  std::string s = pattern(3 * block);
  CHECK(b.append(s.data(), s.size(), pool));
  CHECK_EQ(malloc_usable_size(b.data()), 4 * block);
  CHECK_EQ(contents(b), s);
  b.release(pool);  // malloc'd, not a pool block: freed (LSan would see a leak otherwise)
  CHECK(b.empty());
}

TEST(byte_buffer_consume_more_than_size_releases) {
  BufferPool pool;
  ByteBuffer b;
  b.append("abc", 3, pool);
  b.consume(3, pool);
  CHECK(b.data() == nullptr);
  b.append("abc", 3, pool);
  b.consume(2, pool);
  CHECK_EQ(contents(b), std::string("c"));
  b.release(pool);
}

TEST(byte_buffer_pool_bounded) {
  // More blocks given than the pool keeps: the excess is freed, not leaked.
  BufferPool pool;
  std::vector<ByteBuffer> bufs(BufferPool::kMaxCached + 10);
  for (auto& b : bufs) b.append("x", 1, pool);
  for (auto& b : bufs) b.release(pool);
  for (auto& b : bufs) b.append("y", 1, pool);
  for (auto& b : bufs) CHECK_EQ(contents(b), std::string("y"));
  for (auto& b : bufs) b.release(pool);
}

TEST(byte_buffer_zero_reservation_allocates_nothing) {
  BufferPool pool;
  ByteBuffer b;
  uint8_t* p = b.reserve(0, pool);
  CHECK(p != nullptr);  // nullptr would mean out of memory
  b.commit(0);
  CHECK(b.empty());
  CHECK(b.data() == nullptr);
  CHECK(b.append("", 0, pool));
  CHECK(b.data() == nullptr);
  // With a buffer present, a zero reservation points at its tail.
  b.append("ab", 2, pool);
  CHECK(b.reserve(0, pool) == b.data() + 2);
  b.release(pool);
}
