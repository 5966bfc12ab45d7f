#include "udp_binding.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "node_loop.h"

namespace nw {
namespace {

NodeLoop* loopOf(const Napi::CallbackInfo& info) {
  auto* loop = info.Env().GetInstanceData<NodeLoop>();
  if (!loop) Napi::Error::New(info.Env(), "netwright: native core not initialised").ThrowAsJavaScriptException();
  return loop;
}

UdpSocket* socketOf(const Napi::CallbackInfo& info, NodeLoop** loopOut = nullptr) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return nullptr;
  if (loopOut) *loopOut = loop;
  return loop->core().udpSocket(info[0].As<Napi::Number>().Int32Value());
}

net::DatagramOptions optionsOf(const Napi::Object& o) {
  net::DatagramOptions options;
  options.host = o.Get("host").As<Napi::String>().Utf8Value();
  options.port = o.Get("port").As<Napi::Number>().Int32Value();
  options.reusePort = o.Get("reusePort").ToBoolean();
  options.ipv6Only = o.Get("ipv6Only").ToBoolean();
  return options;
}

// udpBind({ host, port, reusePort, ipv6Only, kind }) -> socket id, or -errno
Napi::Value UdpBind(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return info.Env().Undefined();
  Napi::Object o = info[0].As<Napi::Object>();
  int32_t id = loop->core().bindUdp(optionsOf(o), protocol::Kind(o.Get("kind").As<Napi::Number>().Int32Value()));
  loop->updateRef();
  return Napi::Number::New(info.Env(), id);
}

// udpBindFd({ host, port, reusePort, ipv6Only }) -> a bound descriptor this process does not serve, or -errno
Napi::Value UdpBindFd(const Napi::CallbackInfo& info) {
  int fd = net::bindDatagram(optionsOf(info[0].As<Napi::Object>()));
  // As bindSocket()'s: worker processes inherit it through spawn's stdio, and
  // close the copy that leaks in at the master's number (child.ts).
  if (fd >= 0) net::keepAcrossExec(fd);
  return Napi::Number::New(info.Env(), fd);
}

// udpAdopt(fd, kind) -> socket id, or -errno: serves an inherited bound descriptor
Napi::Value UdpAdopt(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return info.Env().Undefined();
  int32_t id = loop->core().adoptUdp(info[0].As<Napi::Number>().Int32Value(),
                                     protocol::Kind(info[1].As<Napi::Number>().Int32Value()));
  loop->updateRef();
  return Napi::Number::New(info.Env(), id);
}

// udpConnect(host, port, kind) -> socket id, or -errno
Napi::Value UdpConnect(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return info.Env().Undefined();
  int32_t id = loop->core().connectUdp(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(),
                                       protocol::Kind(info[2].As<Napi::Number>().Int32Value()));
  loop->updateRef();
  return Napi::Number::New(info.Env(), id);
}

protocol::Framing framingOf(protocol::Kind kind) {
  switch (kind) {
    case protocol::Kind::Text: return protocol::Framing::Line;
    case protocol::Kind::Frame: return protocol::Framing::Length;
    default: return protocol::Framing::None;
  }
}

// udpSend(id, data: string | Uint8Array, stringLength or -1, raw, family (4, 6, or 0 for the
// connected peer), port, address: IPv4 as a uint32, IPv6 as 16 bytes) -> SendResult
Napi::Value UdpSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = socketOf(info);
  if (!s) return Napi::Number::New(env, kRefusedClosed);
  NodeLoop* loop = env.GetInstanceData<NodeLoop>();
  net::RawAddress to;
  int family = info[4].As<Napi::Number>().Int32Value();
  if (family == 4) {
    to.family = AF_INET;
    uint32_t v4 = htonl(info[6].As<Napi::Number>().Uint32Value());
    std::memcpy(to.bytes, &v4, 4);
  } else if (family == 6) {
    to.family = AF_INET6;
    Napi::Uint8Array bytes = info[6].As<Napi::Uint8Array>();
    if (bytes.ByteLength() != 16) {
      Napi::TypeError::New(env, "udpSend(): an IPv6 address is 16 bytes").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::memcpy(to.bytes, bytes.Data(), 16);
  }
  to.port = uint16_t(info[5].As<Napi::Number>().Uint32Value());
  protocol::Framing framing = info[3].ToBoolean() ? protocol::Framing::None : framingOf(s->kind());
  int32_t result;
  if (info[2].As<Napi::Number>().Int32Value() >= 0) {
    std::string text = info[1].As<Napi::String>().Utf8Value();
    result = loop->core().sendDatagram(s, framing, reinterpret_cast<const uint8_t*>(text.data()), text.size(), to);
  } else {
    if (!info[1].IsTypedArray()) {
      Napi::TypeError::New(env, "send() takes a string, Buffer or Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::TypedArray array = info[1].As<Napi::TypedArray>();
    auto* bytes = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    result = loop->core().sendDatagram(s, framing, bytes, array.ByteLength(), to);
  }
  return Napi::Number::New(env, result);
}

Napi::Value UdpClose(const Napi::CallbackInfo& info) {
  NodeLoop* loop = nullptr;
  UdpSocket* s = socketOf(info, &loop);
  if (s) {
    loop->core().closeUdp(s);
    loop->updateRef();
  }
  return info.Env().Undefined();
}

// udpLocalAddress(id) -> [ip, port] or undefined
Napi::Value UdpLocalAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UdpSocket* s = socketOf(info);
  if (!s) return env.Undefined();
  net::Endpoint e = net::localEndpoint(s->fd());
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(uint32_t(0), Napi::String::New(env, e.ip));
  out.Set(uint32_t(1), Napi::Number::New(env, e.port));
  return out;
}

Napi::Value UdpSetMaxPackageSize(const Napi::CallbackInfo& info) {
  UdpSocket* s = socketOf(info);
  if (s) s->maxPackageSize = size_t(info[1].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

}  // namespace

void registerUdp(Napi::Env env, Napi::Object exports) {
  exports.Set("udpBind", Napi::Function::New(env, UdpBind));
  exports.Set("udpBindFd", Napi::Function::New(env, UdpBindFd));
  exports.Set("udpAdopt", Napi::Function::New(env, UdpAdopt));
  exports.Set("udpConnect", Napi::Function::New(env, UdpConnect));
  exports.Set("udpSend", Napi::Function::New(env, UdpSend));
  exports.Set("udpClose", Napi::Function::New(env, UdpClose));
  exports.Set("udpLocalAddress", Napi::Function::New(env, UdpLocalAddress));
  exports.Set("udpSetMaxPackageSize", Napi::Function::New(env, UdpSetMaxPackageSize));
}

}  // namespace nw
