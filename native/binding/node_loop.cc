#include "node_loop.h"

#include <cerrno>
#include <cstring>

namespace nw {

NodeLoop::NodeLoop(Napi::Env env, Napi::Function onBatch) : env_(env) {
  onBatch_ = Napi::Persistent(onBatch);
}

NodeLoop* NodeLoop::create(Napi::Env env, Napi::Function onBatch) {
  auto* loop = new NodeLoop(env, onBatch);
  if (!loop->start()) {
    delete loop;
    return nullptr;
  }
  return loop;
}

bool NodeLoop::start() {
  reactor_ = Reactor::create();
  if (!reactor_) {
    Napi::Error::New(env_, std::string("netwright: cannot create the poller: ") + std::strerror(errno))
        .ThrowAsJavaScriptException();
    return false;
  }
  auto slab = Napi::Buffer<uint8_t>::New(env_, kSlabSize);
  auto events = Napi::Int32Array::New(env_, kEventCapacity * kEventWords);
  slab_ = Napi::Persistent(slab);
  events_ = Napi::Persistent(events);
  core_.reset(new Core(*reactor_, *this, slab.Data(), kSlabSize, events.Data(), kEventCapacity));

  auto resource = Napi::Object::New(env_);
  resource_ = Napi::Persistent(resource);
  napi_value name = Napi::String::New(env_, "netwright");
  if (napi_async_init(env_, resource, name, &asyncContext_) != napi_ok) return false;

  if (napi_get_uv_event_loop(env_, &uvLoop_) != napi_ok || !uvLoop_) {
    Napi::Error::New(env_, "netwright: this runtime has no libuv loop (Node.js is required)")
        .ThrowAsJavaScriptException();
    return false;
  }
  uv_poll_init(uvLoop_, &poll_, reactor_->fd());
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, &NodeLoop::onPoll);
  uv_timer_init(uvLoop_, &sweepTimer_);
  sweepTimer_.data = this;
  uv_timer_start(&sweepTimer_, &NodeLoop::onSweep, kSweepIntervalMs, kSweepIntervalMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(&sweepTimer_));
  uv_timer_init(uvLoop_, &kickTimer_);
  kickTimer_.data = this;
  updateRef();
  return true;
}

void NodeLoop::close() {
  if (closing_) return;
  closing_ = true;
  core_.reset();  // closes every socket
  auto onClosed = [](uv_handle_t* h) {
    auto* self = static_cast<NodeLoop*>(h->data);
    if (--self->pendingCloses_ == 0) delete self;
  };
  pendingCloses_ = 3;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweepTimer_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&kickTimer_), onClosed);
}

void NodeLoop::updateRef() {
  if (closing_) return;
  auto* h = reinterpret_cast<uv_handle_t*>(&poll_);
  if (core_->hasOpenSockets()) uv_ref(h);
  else uv_unref(h);
}

bool NodeLoop::cork() {
  if (closing_ || corked_ || core_->inBatch()) return false;
  corked_ = true;
  core_->beginBatch();
  return true;
}

void NodeLoop::uncork() {
  if (!corked_) return;
  corked_ = false;
  core_->endBatch();
  updateRef();
}

uint64_t NodeLoop::nowMs() { return uv_now(uvLoop_); }

void NodeLoop::onPoll(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<NodeLoop*>(handle->data);
  if (status < 0 || self->closing_) return;
  self->runBatch(false);
}

void NodeLoop::onSweep(uv_timer_t* timer) {
  auto* self = static_cast<NodeLoop*>(timer->data);
  if (!self->closing_) self->runBatch(true);
}

void NodeLoop::wake() {
  if (!closing_) uv_timer_start(&kickTimer_, &NodeLoop::onKick, 0, 0);
}

void NodeLoop::onKick(uv_timer_t* timer) {
  auto* self = static_cast<NodeLoop*>(timer->data);
  if (!self->closing_) self->runBatch(false);
}

void NodeLoop::runBatch(bool sweep) {
  // While events keep coming, take another batch here rather than go round
  // libuv's loop for each (it costs an epoll_wait and its timers and checks);
  // a bounded number, so that Node's other handles are never starved.
  for (int round = 0; round < kBatchesPerWake && !closing_; round++) {
    Napi::HandleScope scope(env_);
    napi_callback_scope callbackScope;
    if (napi_open_callback_scope(env_, resource_.Value(), asyncContext_, &callbackScope) != napi_ok) return;
    core_->beginBatch();
    int dispatched = 0;
    if (sweep) core_->sweep();
    else dispatched = reactor_->runOnce(0, 1024);
    core_->endBatch();
    // Closing the scope runs process.nextTick callbacks and promise jobs
    // queued by the whole batch.
    napi_close_callback_scope(env_, callbackScope);
    if (sweep || dispatched <= 0) break;
  }
  updateRef();
}

void NodeLoop::deliverEvents(size_t count) {
  Napi::HandleScope scope(env_);
  napi_value args[2];
  args[0] = Napi::Number::New(env_, double(count));
  args[1] = large_ ? large_ : env_.Undefined();
  large_ = nullptr;
  largeCount_ = 0;
  napi_value result;
  napi_status st = napi_call_function(env_, env_.Undefined(), onBatch_.Value(), 2, args, &result);
  if (st == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env_, &error);
    raiseUncaught(error);
  }
}

int32_t NodeLoop::stashLarge(const uint8_t* data, size_t length) {
  napi_value buffer;
  void* copy = nullptr;
  if (napi_create_buffer_copy(env_, length, data, &copy, &buffer) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env_, &ignored);
    return -1;
  }
  if (!large_) napi_create_array(env_, &large_);
  napi_set_element(env_, large_, largeCount_, buffer);
  return int32_t(largeCount_++);
}

void NodeLoop::raiseUncaught(napi_value error) { napi_fatal_exception(env_, error); }

}  // namespace nw
