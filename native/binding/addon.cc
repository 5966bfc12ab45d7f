// The functions lib/native.ts calls. Every entry point validates its slot and
// returns a plain number or value; none throws a C++ exception.
#include <napi.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "../conn/core.h"
#include "../protocol/frame.h"
#include "node_loop.h"

namespace nw {
namespace {

enum Framing : int32_t { kFramingNone = 0, kFramingLine = 1, kFramingLength = 2 };

NodeLoop* loopOf(const Napi::CallbackInfo& info) {
  auto* loop = info.Env().GetInstanceData<NodeLoop>();
  if (!loop) Napi::Error::New(info.Env(), "netwright: native core not initialised").ThrowAsJavaScriptException();
  return loop;
}

Connection* connectionOf(const Napi::CallbackInfo& info, NodeLoop** loopOut = nullptr) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return nullptr;
  if (loopOut) *loopOut = loop;
  return loop->core().connection(info[0].As<Napi::Number>().Int32Value());
}

void closeLoop(Napi::Env, NodeLoop* loop) { loop->close(); }

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (env.GetInstanceData<NodeLoop>()) {
    Napi::Error::New(env, "netwright: init() called twice").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  NodeLoop* loop = NodeLoop::create(env, info[0].As<Napi::Function>());
  if (!loop) return env.Undefined();
  env.SetInstanceData<NodeLoop, &closeLoop>(loop);
  auto result = Napi::Object::New(env);
  result.Set("slab", loop->slab());
  result.Set("events", loop->events());
  return result;
}

Napi::Value ErrnoError(Napi::Env env, int err, const std::string& syscall, const std::string& address) {
  static const struct {
    int err;
    const char* code;
  } kNames[] = {{EADDRINUSE, "EADDRINUSE"}, {EACCES, "EACCES"},           {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
                {EINVAL, "EINVAL"},         {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOENT, "ENOENT"},
                {EMFILE, "EMFILE"},         {EPERM, "EPERM"},             {EAFNOSUPPORT, "EAFNOSUPPORT"}};
  std::string code = "E" + std::to_string(err);
  for (auto& n : kNames)
    if (n.err == err) code = n.code;
  auto error = Napi::Error::New(env, syscall + " " + code + ": " + std::strerror(err) + " " + address);
  error.Set("code", code);
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", syscall);
  error.Set("address", address);
  return error.Value();
}

// listen({ unix, host, port, path, backlog, reusePort, ipv6Only, noDelay, keepAlive, kind }) -> id
Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  auto o = info[0].As<Napi::Object>();
  net::ListenOptions options;
  options.unixSocket = o.Get("unix").ToBoolean();
  options.host = o.Get("host").ToString();
  options.port = o.Get("port").ToNumber().Int32Value();
  options.path = o.Get("path").ToString();
  options.backlog = o.Get("backlog").ToNumber().Int32Value();
  options.reusePort = o.Get("reusePort").ToBoolean();
  options.ipv6Only = o.Get("ipv6Only").ToBoolean();
  ListenerConfig config;
  config.noDelay = o.Get("noDelay").ToBoolean();
  config.keepAliveSeconds = o.Get("keepAlive").ToNumber().Int32Value();
  config.kind = protocol::Kind(o.Get("kind").ToNumber().Int32Value());
  int32_t id = loop->core().listen(options, config);
  if (id < 0) {
    std::string address = options.unixSocket ? options.path : options.host + ":" + std::to_string(options.port);
    Napi::Error(env, ErrnoError(env, -id, "listen", address)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  loop->updateRef();
  return Napi::Number::New(env, id);
}

Listener* listenerOf(const Napi::CallbackInfo& info, NodeLoop** loopOut) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return nullptr;
  *loopOut = loop;
  return loop->core().listener(info[0].As<Napi::Number>().Int32Value());
}

Napi::Value ListenerPort(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (!l || l->closed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), net::localPort(l->fd()));
}

Napi::Value Unlisten(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  if (listenerOf(info, &loop)) {
    loop->core().unlisten(info[0].As<Napi::Number>().Int32Value());
    loop->updateRef();
  }
  return info.Env().Undefined();
}

Napi::Value SetAccepting(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) {
    l->paused = !info[1].ToBoolean();
    if (!l->resumeAtMs) loop->core().setAccepting(l, !l->paused);
  }
  return info.Env().Undefined();
}

// setListenerLimits(id, maxConnections, idleTimeoutMs)
Napi::Value SetListenerLimits(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) {
    l->maxConnections = uint32_t(info[1].As<Napi::Number>().Int64Value());
    l->idleTimeoutMs = uint64_t(info[2].As<Napi::Number>().Int64Value());
  }
  return info.Env().Undefined();
}

// send(slot, data: string | Uint8Array, framing, stringLength) -> SendResult
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (!c) return Napi::Number::New(env, kRefusedClosed);
  Core& core = loop->core();
  int32_t admitted = core.admit(c);
  if (admitted != kSent) return Napi::Number::New(env, admitted);
  auto framing = Framing(info[2].As<Napi::Number>().Int32Value());
  size_t header = framing == kFramingLength ? protocol::frame::kHeaderSize : 0;
  size_t trailer = framing == kFramingLine ? 1 : 0;
  napi_value data = info[1];
  napi_valuetype type;
  napi_typeof(env, data, &type);
  size_t length = 0;
  uint8_t* dst = nullptr;
  if (type == napi_string) {
    // Each UTF-16 unit is at most 3 UTF-8 bytes; napi also writes a NUL.
    size_t units = size_t(info[3].As<Napi::Number>().Int64Value());
    size_t room = units * 3 + 1;
    dst = core.reserve(c, header + room + trailer);
    if (!dst) return Napi::Number::New(env, kRefusedFull);
    napi_get_value_string_utf8(env, data, reinterpret_cast<char*>(dst + header), room, &length);
  } else {
    void* bytes = nullptr;
    napi_typedarray_type arrayType;
    napi_value arrayBuffer;
    size_t offset;
    if (napi_get_typedarray_info(env, data, &arrayType, &length, &bytes, &arrayBuffer, &offset) != napi_ok) {
      Napi::TypeError::New(env, "send() takes a string, Buffer or Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    dst = core.reserve(c, header + length + trailer);
    if (!dst) return Napi::Number::New(env, kRefusedFull);
    if (length) std::memcpy(dst + header, bytes, length);
  }
  if (framing == kFramingLength) {
    if (length > UINT32_MAX - header) {
      Napi::RangeError::New(env, "frame payload too large").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    protocol::frame::writeHeader(dst, uint32_t(length));
  }
  if (trailer) dst[header + length] = '\n';
  return Napi::Number::New(env, core.commit(c, header + length + trailer));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (!c) return Napi::Boolean::New(info.Env(), true);
  bool closedNow = loop->core().close(c);
  loop->updateRef();
  return Napi::Boolean::New(info.Env(), closedNow);
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) {
    loop->core().destroy(c);
    loop->updateRef();
  }
  return info.Env().Undefined();
}

Napi::Value SetReceiving(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) loop->core().setReceiving(c, info[1].ToBoolean());
  return info.Env().Undefined();
}

// setLimits(slot, maxSendBufferSize, maxPackageSize)
Napi::Value SetLimits(const Napi::CallbackInfo& info) {
  Connection* c = connectionOf(info);
  if (c) {
    c->maxSendBufferSize = size_t(info[1].As<Napi::Number>().Int64Value());
    int64_t maxPackage = info[2].As<Napi::Number>().Int64Value();
    c->maxPackageSize = size_t(maxPackage > INT32_MAX ? INT32_MAX : maxPackage);
  }
  return info.Env().Undefined();
}

Napi::Value QueueSize(const Napi::CallbackInfo& info) {
  Connection* c = connectionOf(info);
  return Napi::Number::New(info.Env(), c ? double(c->queuedBytes()) : 0);
}

// info(slot) -> [remoteIp, remotePort, localIp, localPort, bytesRead, bytesWritten]
// Works until the end of the batch that closed the connection.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  Connection* c = loop->core().connectionEvenIfClosed(info[0].As<Napi::Number>().Int32Value());
  if (!c) return env.Undefined();
  net::Endpoint remote = net::toEndpoint(c->peer);
  net::Endpoint local = net::toEndpoint(c->local);
  auto a = Napi::Array::New(env, 6);
  a.Set(0u, remote.ip);
  a.Set(1u, remote.port);
  a.Set(2u, local.ip);
  a.Set(3u, local.port);
  a.Set(4u, double(c->bytesRead));
  a.Set(5u, double(c->bytesWritten));
  return a;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  const nw::Stats& s = loop->core().stats();
  auto o = Napi::Object::New(env);
  o.Set("connections", double(s.connections));
  o.Set("accepted", double(s.accepted));
  o.Set("totalRequest", double(s.totalRequest));
  o.Set("sendFail", double(s.sendFail));
  o.Set("packageTooLarge", double(s.packageTooLarge));
  o.Set("protocolErrors", double(s.protocolErrors));
  o.Set("acceptErrors", double(s.acceptErrors));
  o.Set("rejectedMaxConnections", double(s.rejectedMaxConnections));
  o.Set("idleTimeouts", double(s.idleTimeouts));
  o.Set("bytesRead", double(s.bytesRead));
  o.Set("bytesWritten", double(s.bytesWritten));
  return o;
}

Napi::Value RaiseUncaught(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (loop) loop->raiseUncaught(info[0]);
  return info.Env().Undefined();
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("listenerPort", Napi::Function::New(env, ListenerPort));
  exports.Set("unlisten", Napi::Function::New(env, Unlisten));
  exports.Set("setAccepting", Napi::Function::New(env, SetAccepting));
  exports.Set("setListenerLimits", Napi::Function::New(env, SetListenerLimits));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("destroy", Napi::Function::New(env, Destroy));
  exports.Set("setReceiving", Napi::Function::New(env, SetReceiving));
  exports.Set("setLimits", Napi::Function::New(env, SetLimits));
  exports.Set("queueSize", Napi::Function::New(env, QueueSize));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("raiseUncaught", Napi::Function::New(env, RaiseUncaught));
  return exports;
}

}  // namespace
}  // namespace nw

static Napi::Object RegisterNetwright(Napi::Env env, Napi::Object exports) { return nw::Register(env, exports); }
NODE_API_MODULE(netwright, RegisterNetwright)
