#include "event_batch.h"

#include <cstring>

#include "events.h"

namespace nw {

void EventBatch::wakeSoon() {
  if (inBatch_ || wakeRequested_) return;
  wakeRequested_ = true;
  delegate_.wake();
}

void EventBatch::push(int32_t type, int32_t slot, int32_t a, int32_t b) {
  wakeSoon();
  if (count_ == capacity_) {
    if (delivering_) {
      overflow_.insert(overflow_.end(), {type, slot, a, b});
      return;
    }
    deliver();
  }
  int32_t* e = events_ + count_ * kEventWords;
  e[0] = type;
  e[1] = slot;
  e[2] = a;
  e[3] = b;
  count_++;
}

void EventBatch::deliver() {
  if (delivering_) return;  // re-entered from JS: the events wait for the next round
  size_t n = count_;
  if (!n) return;
  delivering_ = true;
  delegate_.deliverEvents(n);
  delivering_ = false;
  // Events pushed while JS read the array went after the delivered ones.
  size_t extra = count_ - n;
  if (extra) std::memmove(events_, events_ + n * kEventWords, extra * kEventWords * sizeof(int32_t));
  count_ = extra;
  size_t moved = 0;
  while (moved < overflow_.size() && count_ < capacity_) {
    std::memcpy(events_ + count_ * kEventWords, overflow_.data() + moved, kEventWords * sizeof(int32_t));
    count_++;
    moved += kEventWords;
  }
  overflow_.erase(overflow_.begin(), overflow_.begin() + long(moved));
}

uint8_t* EventBatch::space(size_t need) {
  if (slabSize_ - used_ < need) {
    // The read being parsed is not named by descriptors yet, only in part: the
    // slab cannot start over under it.
    if (parsing_) return nullptr;
    // Every descriptor naming the slab goes out before it is reused.
    deliver();
    used_ = 0;
  }
  return slab_ + used_;
}

bool EventBatch::pushPayload(int32_t type, int32_t slot, const uint8_t* bytes, size_t length, bool inSlab) {
  if (inSlab) {
    push(type, slot, int32_t(bytes - slab_), int32_t(length));
    return true;
  }
  // While JS reads the batch the slab cannot be reused: stash instead.
  if (!fitsSlab(length) || delivering_) return pushStashed(type, slot, bytes, length);
  uint8_t* dst = space(length);
  if (!dst) return pushStashed(type, slot, bytes, length);
  std::memcpy(dst, bytes, length);
  advance(length);
  push(type, slot, int32_t(dst - slab_), int32_t(length));
  return true;
}

bool EventBatch::pushStashed(int32_t type, int32_t slot, const uint8_t* bytes, size_t length) {
  // The embedder numbers stashed buffers per delivery: if the event array is
  // full, deliver it before stashing, or pushing this event would hand the
  // stash to the delivery before the one that carries the event.
  if (count_ == capacity_ && !delivering_) deliver();
  int32_t index = delegate_.stashLarge(bytes, length);
  if (index < 0) return false;
  push(type | kEventStashed, slot, index, int32_t(length));
  return true;
}

}  // namespace nw
