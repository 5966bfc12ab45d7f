// The event batch: the receive slab and the event array the embedder shares
// with the core. Descriptors [type, slot, a, b] name payloads in the slab (or a
// copy the embedder stashed); the embedder gets them in one call per batch, or
// earlier when the array or the slab is full.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "events.h"

namespace nw {

class CoreDelegate {
 public:
  virtual ~CoreDelegate() = default;
  // Hand the first `count` descriptors to the user; the slab regions they
  // name are valid until this returns.
  virtual void deliverEvents(size_t count) = 0;
  // Keep a copy of a message too large for the slab; returns its index for
  // an event flagged kEventStashed, or -1 when out of memory.
  virtual int32_t stashLarge(const uint8_t* data, size_t length) = 0;
  virtual uint64_t nowMs() = 0;
  // Events or input are waiting outside a batch: run one soon.
  virtual void wake() = 0;
};

class EventBatch {
 public:
  EventBatch(CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events, size_t capacity)
      : delegate_(delegate), slab_(slab), slabSize_(slabSize), events_(events), capacity_(capacity) {}

  // A batch runs from begin() to end(); events pushed outside one ask the
  // embedder to run one soon (wakeSoon()).
  void begin() {
    inBatch_ = true;
    wakeRequested_ = false;
  }
  void end() {
    used_ = 0;  // the slab starts over
    inBatch_ = false;
  }
  bool inBatch() const { return inBatch_; }
  void wakeSoon();

  void push(int32_t type, int32_t slot, int32_t a, int32_t b);
  // A payload event: in place when the bytes are in the slab, else copied into
  // it (or stashed). False when even the stash failed (out of memory).
  bool pushPayload(int32_t type, int32_t slot, const uint8_t* bytes, size_t length, bool inSlab);
  // Hands what is pushed to the embedder (not while it is already reading them).
  void deliver();
  size_t count() const { return count_; }

  // Where the next read goes; may deliver the batch first and start the slab
  // over. While a read is being parsed in place (beginParse/endParse) its bytes
  // are still in use: then, without room at the end, nullptr.
  uint8_t* space(size_t need);
  void advance(size_t n) { used_ += n; }
  // An event's offset for bytes written at space().
  int32_t offsetOf(const uint8_t* p) const { return int32_t(p - slab_); }
  size_t room() const { return slabSize_ - used_; }
  void beginParse() { parsing_ = true; }
  void endParse() { parsing_ = false; }

 private:
  bool pushStashed(int32_t type, int32_t slot, const uint8_t* bytes, size_t length);
  bool fitsSlab(size_t n) const { return n <= slabSize_ / 2; }

  CoreDelegate& delegate_;
  uint8_t* slab_;
  size_t slabSize_;
  size_t used_ = 0;
  int32_t* events_;
  size_t capacity_;
  size_t count_ = 0;
  bool inBatch_ = false;
  bool wakeRequested_ = false;
  bool delivering_ = false;
  bool parsing_ = false;  // a read is being parsed in place in the slab
  std::vector<int32_t> overflow_;  // events pushed while a full array was being delivered
};

}  // namespace nw
