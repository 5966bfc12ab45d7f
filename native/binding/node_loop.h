// The Node side of the core: nests the reactor's descriptor in libuv with one
// uv_poll_t, runs each wake-up as one batch inside one callback scope, and
// hands descriptors to JS through a shared Int32Array and a V8-owned slab.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "../conn/core.h"
#include "../reactor/reactor.h"

namespace nw {

class NodeLoop final : public CoreDelegate {
 public:
  static constexpr size_t kSlabSize = 1024 * 1024;
  static constexpr size_t kEventCapacity = 4096;
  static constexpr uint64_t kSweepIntervalMs = 250;
  static constexpr int kBatchesPerWake = 4;

  // nullptr (with a JS exception pending) on failure.
  static NodeLoop* create(Napi::Env env, Napi::Function onBatch);
  void close();  // env teardown: closes sockets and uv handles, then deletes itself

  Core& core() { return *core_; }
  Napi::Object slab() { return slab_.Value(); }
  Napi::Object events() { return events_.Value(); }

  // Keeps the process alive only while sockets are open.
  void updateRef();
  // Sends made from JS outside a batch (cluster messages arriving on a Node
  // stream) are corked as in one, until uncork() flushes them: one write per
  // connection. false, and nothing to undo, when a batch is already running.
  bool cork();
  void uncork();
  // Re-raise an exception as Node's uncaught exception.
  void raiseUncaught(napi_value error);

  void deliverEvents(size_t count) override;
  int32_t stashLarge(const uint8_t* data, size_t length) override;
  uint64_t nowMs() override;
  void wake() override;

 private:
  NodeLoop(Napi::Env env, Napi::Function onBatch);
  bool start();
  void runBatch(bool sweep);
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onSweep(uv_timer_t* timer);
  static void onKick(uv_timer_t* timer);

  Napi::Env env_;
  uv_loop_t* uvLoop_ = nullptr;
  uv_poll_t poll_;
  uv_timer_t sweepTimer_;
  uv_timer_t kickTimer_;  // runs a batch on the next loop turn (wake())
  int pendingCloses_ = 0;
  bool closing_ = false;
  bool corked_ = false;
  Napi::FunctionReference onBatch_;
  Napi::ObjectReference resource_;
  napi_async_context asyncContext_ = nullptr;
  Napi::Reference<Napi::Buffer<uint8_t>> slab_;
  Napi::Reference<Napi::Int32Array> events_;
  napi_value large_ = nullptr;  // JS array of stashed buffers, per delivery
  uint32_t largeCount_ = 0;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<Core> core_;
};

}  // namespace nw
