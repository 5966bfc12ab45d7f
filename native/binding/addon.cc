// The functions lib/native.ts calls. Every entry point validates its slot and
// returns a plain number or value; none throws a C++ exception.
#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>


#include "../conn/core.h"
#include "../protocol/outgoing.h"
#include "../protocol/websocket/deflate_negotiation.h"
#include "../protocol/websocket/frame.h"
#include "node_loop.h"
#include "udp_binding.h"
#include "tls_binding.h"

namespace nw {
namespace {

// The bytes of a string or Uint8Array argument, valid during the call.
struct Bytes {
  std::string owned;
  const uint8_t* data = nullptr;
  size_t length = 0;
};

bool readBytes(Napi::Env env, napi_value value, Bytes* out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_string) {
    out->owned = Napi::String(env, value).Utf8Value();
    out->data = reinterpret_cast<const uint8_t*>(out->owned.data());
    out->length = out->owned.size();
    return true;
  }
  void* bytes = nullptr;
  napi_typedarray_type arrayType;
  napi_value arrayBuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &arrayType, &out->length, &bytes, &arrayBuffer, &offset) != napi_ok) {
    Napi::TypeError::New(env, "expected a string, Buffer or Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  out->data = static_cast<const uint8_t*>(bytes);
  return true;
}

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
  // libuv's names: the table util.getSystemErrorName() reads.
  std::string code = uv_err_name(-err);
  auto error = Napi::Error::New(env, syscall + " " + code + ": " + std::strerror(err) + " " + address);
  error.Set("code", code);
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", syscall);
  error.Set("address", address);
  return error.Value();
}

net::ListenOptions listenOptionsOf(Napi::Object o) {
  net::ListenOptions options;
  options.unixSocket = o.Get("unix").ToBoolean();
  options.host = o.Get("host").ToString();
  options.port = o.Get("port").ToNumber().Int32Value();
  options.path = o.Get("path").ToString();
  options.backlog = o.Get("backlog").ToNumber().Int32Value();
  options.reusePort = o.Get("reusePort").ToBoolean();
  options.ipv6Only = o.Get("ipv6Only").ToBoolean();
  options.noDelay = o.Get("noDelay").ToBoolean();
  options.keepAliveSeconds = o.Get("keepAlive").ToNumber().Int32Value();
  return options;
}

ListenerConfig listenerConfigOf(Napi::Object o) {
  ListenerConfig config;
  config.kind = protocol::Kind(o.Get("kind").ToNumber().Int32Value());
  return config;
}

std::string addressOf(const net::ListenOptions& o) {
  return o.unixSocket ? o.path : o.host + ":" + std::to_string(o.port);
}

// bindSocket({ unix, host, port, path, backlog, reusePort, ipv6Only, noDelay, keepAlive }) -> fd
// A listening socket that this process does not serve: a master process opens
// it and hands it to worker processes.
Napi::Value BindSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  net::ListenOptions options = listenOptionsOf(info[0].As<Napi::Object>());
  int fd = net::listenSocket(options);
  if (fd < 0) {
    Napi::Error(env, ErrnoError(env, -fd, "listen", addressOf(options))).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Worker processes inherit it through spawn's stdio: no close-on-exec.
  net::keepAcrossExec(fd);
  return Napi::Number::New(env, fd);
}

// listenFd(fd, { kind }) -> id: a socket from bindSocket(), its options already set
Napi::Value ListenFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int32_t id = loop->core().listenOn(fd, listenerConfigOf(info[1].As<Napi::Object>()));
  if (id < 0) {
    Napi::Error(env, ErrnoError(env, -id, "listen", "fd " + std::to_string(fd))).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Set before this call returns, so before the first accept.
  loop->core().listener(id)->secureContext = secureContextOf(env, info[1].As<Napi::Object>().Get("tls"));
  loop->updateRef();
  return Napi::Number::New(env, id);
}

// closeFd(fd): a descriptor from bindSocket() that this process no longer needs.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  net::closeFd(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// listen({ unix, host, port, path, backlog, reusePort, ipv6Only, noDelay, keepAlive, kind }) -> id
Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  auto o = info[0].As<Napi::Object>();
  net::ListenOptions options = listenOptionsOf(o);
  ListenerConfig config = listenerConfigOf(o);
  int32_t id = loop->core().listen(options, config);
  if (id < 0) {
    Napi::Error(env, ErrnoError(env, -id, "listen", addressOf(options))).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  loop->core().listener(id)->secureContext = secureContextOf(env, o.Get("tls"));
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

// setListenerLimits(id, maxConnections, idleTimeoutMs, pingPongIsActivity)
Napi::Value SetListenerLimits(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) {
    l->maxConnections = uint32_t(info[1].As<Napi::Number>().Int64Value());
    l->idleTimeoutMs = uint64_t(info[2].As<Napi::Number>().Int64Value());
    l->pingPongIsActivity = info[3].ToBoolean();
  }
  return info.Env().Undefined();
}

// Strings longer than this are measured exactly before they are encoded, so a
// reservation stays near their size; shorter ones reserve 3 bytes a unit.
constexpr size_t kStringMeasureLimit = 16384;

// What a send entry point frames its payload as: the connection's own way, or
// an explicit variant (raw bytes, a ping or pong, the end of an HTTP response).
enum class SendAs { Framed, Raw, Ping, Pong, ResponseEnd };

// Copies a string (stringLength >= 0: its length in UTF-16 units) or a typed
// array (stringLength < 0; JS knows which it has, so the binding need not ask)
// into the connection's queue, framed as `as` says; -1 (with a TypeError
// pending) for anything else.
template <SendAs as>
int32_t sendValue(napi_env env, Core& core, Connection* c, napi_value data, napi_value stringLength) {
  int32_t units = -1;
  if (stringLength) napi_get_value_int32(env, stringLength, &units);
  bool text = units >= 0;
  protocol::Framing framing = as == SendAs::Framed ? c->framingFor(text)
                              : as == SendAs::Ping ? protocol::Framing::WsPing
                              : as == SendAs::Pong ? protocol::Framing::WsPong
                                                   : protocol::Framing::None;
  if (text) {
    // Each UTF-16 unit is 1 to 3 UTF-8 bytes; napi also writes a NUL.
    size_t room = size_t(units) * 3 + 1;
    if (size_t(units) > kStringMeasureLimit && napi_get_value_string_utf8(env, data, nullptr, 0, &room) == napi_ok)
      room++;
    Core::Outgoing out;
    out.endsResponse = as == SendAs::ResponseEnd;
    int32_t begun = core.beginSend(c, framing, room, &out);
    if (begun != kSent) return begun;
    size_t length = 0;
    if (napi_get_value_string_utf8(env, data, reinterpret_cast<char*>(out.payload()), room, &length) != napi_ok) {
      napi_throw_type_error(env, nullptr, "send(): a length given for something that is not a string");
      return -1;  // the reservation is not committed: nothing is queued
    }
    return core.finishSend(c, out, length);
  }
  void* bytes = nullptr;
  size_t length = 0;
  napi_typedarray_type arrayType;
  napi_value arrayBuffer;
  size_t offset;
  if (!data || napi_get_typedarray_info(env, data, &arrayType, &length, &bytes, &arrayBuffer, &offset) != napi_ok) {
    napi_throw_type_error(env, nullptr, "send() takes a string, Buffer or Uint8Array");
    return -1;
  }
  return core.send(c, framing, static_cast<const uint8_t*>(bytes), length, as == SendAs::ResponseEnd);
}

// send(slot, data: string | Uint8Array, stringLength or -1) -> SendResult, and the
// variants sendRaw, sendPing, sendPong, endResponse with the same arguments.
// Only copies the payload in: the core frames it (protocol/outgoing.h). The
// hottest call from JS: plain Node-API, no node-addon-api wrapper per call.
template <SendAs as>
napi_value Send(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  void* instance = nullptr;
  napi_get_instance_data(env, &instance);
  auto* loop = static_cast<NodeLoop*>(instance);
  if (!loop) {
    napi_throw_error(env, nullptr, "netwright: native core not initialised");
    return nullptr;
  }
  int32_t slot = -1;
  napi_get_value_int32(env, argv[0], &slot);
  Core& core = loop->core();
  Connection* c = core.connection(slot);
  int32_t result = kRefusedClosed;
  if (c) result = sendValue<as>(env, core, c, argc > 1 ? argv[1] : nullptr, argc > 2 ? argv[2] : nullptr);
  if (result == kTooLarge) {
    napi_throw_range_error(env, nullptr, "frame payload too large");
    return nullptr;
  }
  napi_value out = nullptr;
  if (result >= 0) napi_create_int32(env, result, &out);  // < 0: an exception is pending
  return out;
}

// setWebSocketType(slot, type) -> boolean: the connection's own websocketType.
Napi::Value SetWebSocketType(const Napi::CallbackInfo& info) {
  Connection* c = connectionOf(info);
  auto type = protocol::WebSocketType(info[1].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(info.Env(), c && c->setWebSocketType(type));
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

// setHeld(slot, held): JS holds messages it has not delivered (pauseRecv()).
Napi::Value SetHeld(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) loop->core().setHeld(c, info[1].ToBoolean());
  return info.Env().Undefined();
}

// answerPing(slot, payload: Buffer): the automatic pong (kept for the drain when the queue is full).
Napi::Value AnswerPing(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c && info[1].IsTypedArray()) {
    Napi::Uint8Array payload = info[1].As<Napi::Uint8Array>();
    loop->core().answerPing(c, payload.Data(), payload.ByteLength());
  }
  return info.Env().Undefined();
}

// setKind(slot, kind): a connection switches between raw, text and frame
// splitting (connection.protocol set in a callback). Returns false otherwise.
Napi::Value SetKind(const Napi::CallbackInfo& info) {
  Connection* c = connectionOf(info);
  auto kind = protocol::Kind(info[1].As<Napi::Number>().Int32Value());
  bool ok = c && c->setKind(kind);
  return Napi::Boolean::New(info.Env(), ok);
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

// setWebSocketLimits(id, maxHeadSize, handshakeTimeoutMs, pingIntervalMs, websocketType)
Napi::Value SetWebSocketLimits(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) {
    l->maxHeadSize = uint32_t(info[1].As<Napi::Number>().Int64Value());
    l->handshakeTimeoutMs = uint64_t(info[2].As<Napi::Number>().Int64Value());
    l->pingIntervalMs = uint64_t(info[3].As<Napi::Number>().Int64Value());
    l->websocketType = protocol::WebSocketType(info[4].As<Napi::Number>().Int32Value());
  }
  return info.Env().Undefined();
}

// setHttpLimits(id, headersTimeoutMs, keepAliveTimeoutMs, requestTimeoutMs, bodyTimeoutMs, allowConnect, websocketUpgrades)
Napi::Value SetHttpLimits(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) {
    l->headersTimeoutMs = uint64_t(info[1].As<Napi::Number>().Int64Value());
    l->keepAliveTimeoutMs = uint64_t(info[2].As<Napi::Number>().Int64Value());
    l->requestTimeoutMs = uint64_t(info[3].As<Napi::Number>().Int64Value());
    l->bodyTimeoutMs = uint64_t(info[4].As<Napi::Number>().Int64Value());
    l->allowConnect = info[5].ToBoolean();
    l->websocketUpgrades = info[6].ToBoolean();
  }
  return info.Env().Undefined();
}

// permessage-deflate options as lib/native.ts packs them: [enabled, threshold,
// serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits,
// clientMaxWindowBits, memLevel] (windows 0 = not set), checked in TypeScript.
protocol::websocket::DeflateOptions deflateOptionsOf(Napi::Value value) {
  protocol::websocket::DeflateOptions o;
  if (!value.IsArray()) return o;
  auto a = value.As<Napi::Array>();
  auto at = [&](uint32_t i) { return a.Get(i).ToNumber().Int64Value(); };
  o.enabled = at(0) != 0;
  o.threshold = uint32_t(std::max<int64_t>(0, std::min<int64_t>(at(1), UINT32_MAX)));
  o.serverNoContextTakeover = at(2) != 0;
  o.clientNoContextTakeover = at(3) != 0;
  auto window = [](int64_t bits) { return uint8_t(bits >= 8 && bits <= 15 ? bits : 0); };
  o.serverMaxWindowBits = window(at(4));
  o.clientMaxWindowBits = window(at(5));
  int64_t memLevel = at(6);
  o.memLevel = uint8_t(memLevel >= 1 && memLevel <= 9 ? memLevel : 8);
  return o;
}

// setWebSocketDeflate(id, options): what the listener's upgrades agree to.
Napi::Value SetWebSocketDeflate(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (l) l->deflate = deflateOptionsOf(info[1]);
  return info.Env().Undefined();
}

// setClientDeflate(slot, options) -> boolean: what a ws:// client's request offered.
Napi::Value SetClientDeflate(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  return Napi::Boolean::New(info.Env(), c && loop->core().setClientDeflate(c, deflateOptionsOf(info[1])));
}

// deflateOffer(options) -> the Sec-WebSocket-Extensions value a client sends.
Napi::Value DeflateOffer(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), protocol::websocket::deflateOffer(deflateOptionsOf(info[0])));
}

// upgradeHttp(slot) -> boolean: the http:// request announced by kEventHttpUpgrade becomes a WebSocket
// handshake waiting for acceptWebSocket/rejectWebSocket (false: the upgrade was invalid, refused natively)
Napi::Value UpgradeHttp(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  bool ok = c && loop->core().upgradeHttp(c);
  if (c) loop->updateRef();
  return Napi::Boolean::New(info.Env(), ok);
}

// declineUpgrade(slot): that request is served as ordinary HTTP; reading goes on behind it
Napi::Value DeclineUpgrade(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) loop->core().declineUpgrade(c);
  return info.Env().Undefined();
}

// acceptWebSocket(slot, extraHeaderLines) -> boolean
Napi::Value AcceptWebSocket(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  bool ok = c && loop->core().acceptWebSocket(c, info[1].As<Napi::String>().Utf8Value());
  return Napi::Boolean::New(info.Env(), ok);
}

// rejectWebSocket(slot, status, body, headerLines?) — headerLines checked by JS (CRLF-terminated lines)
Napi::Value RejectWebSocket(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) {
    std::string headerLines = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : std::string();
    loop->core().rejectHandshake(c, info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::String>().Utf8Value(),
                                 headerLines);
    loop->updateRef();
  }
  return info.Env().Undefined();
}

// closeWebSocket(slot, code, reason)
Napi::Value CloseWebSocket(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (c) {
    std::string reason = info[2].As<Napi::String>().Utf8Value();
    loop->core().closeWebSocket(c, uint32_t(info[1].As<Napi::Number>().Int32Value()),
                                reinterpret_cast<const uint8_t*>(reason.data()), reason.size());
    loop->updateRef();
  }
  return info.Env().Undefined();
}

// broadcast(listenerId, data, binary, exceptSlots: Int32Array | null) -> count
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop;
  Listener* l = listenerOf(info, &loop);
  if (!l) return Napi::Number::New(env, 0);
  Bytes bytes;
  if (!readBytes(env, info[1], &bytes)) return env.Undefined();
  uint8_t opcode = info[2].ToBoolean() ? protocol::websocket::kBinary : protocol::websocket::kText;
  const int32_t* except = nullptr;
  size_t exceptCount = 0;
  if (info[3].IsTypedArray()) {
    auto slots = info[3].As<Napi::Int32Array>();
    except = slots.Data();
    exceptCount = slots.ElementLength();
  }
  int32_t n = loop->core().broadcast(l, opcode, bytes.data, bytes.length, except, exceptCount);
  return Napi::Number::New(env, n);
}

// publish(listenerId, topic, data, binary) -> count; listenerId -1 = every listener
Napi::Value Publish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  Listener* l = loop->core().listener(info[0].As<Napi::Number>().Int32Value());
  Bytes bytes;
  if (!readBytes(env, info[2], &bytes)) return env.Undefined();
  uint8_t opcode = info[3].ToBoolean() ? protocol::websocket::kBinary : protocol::websocket::kText;
  int32_t n = loop->core().publish(l, info[1].As<Napi::String>().Utf8Value(), opcode, bytes.data, bytes.length);
  return Napi::Number::New(env, n);
}

// subscribe(slot, topic, on) -> boolean (changed)
Napi::Value Subscribe(const Napi::CallbackInfo& info) {
  NodeLoop* loop;
  Connection* c = connectionOf(info, &loop);
  if (!c) return Napi::Boolean::New(info.Env(), false);
  std::string topic = info[1].As<Napi::String>().Utf8Value();
  bool changed = info[2].ToBoolean() ? loop->core().subscribe(c, topic) : loop->core().unsubscribe(c, topic);
  return Napi::Boolean::New(info.Env(), changed);
}

// connect(host, port, unixPath, kind, upgradeRequest, key, secureContext?, servername?, handshakeTimeoutMs?)
//   -> slot, or -errno
// (a unix socket when unixPath is not empty; TLS with a secure context)
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  net::ConnectTarget target;
  target.host = info[0].As<Napi::String>().Utf8Value();
  target.port = info[1].As<Napi::Number>().Int32Value();
  target.path = info[2].As<Napi::String>().Utf8Value();
  target.unixSocket = !target.path.empty();
  std::string servername = info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : std::string();
  uint64_t handshakeTimeoutMs = info[8].IsNumber() ? uint64_t(info[8].As<Napi::Number>().Int64Value()) : 10000;
  int32_t slot = loop->core().connect(target, protocol::Kind(info[3].As<Napi::Number>().Int32Value()),
                                      info[4].As<Napi::String>().Utf8Value(), info[5].As<Napi::String>().Utf8Value(),
                                      secureContextOf(env, info[6]), servername, handshakeTimeoutMs);
  loop->updateRef();
  return Napi::Number::New(env, slot);
}

// tcpConnecting(slot) -> whether a client connection's TCP connect is still pending (a TLS
// handshake after it is bounded natively, by the connect's handshakeTimeoutMs)
Napi::Value TcpConnecting(const Napi::CallbackInfo& info) {
  Connection* c = connectionOf(info);
  return Napi::Boolean::New(info.Env(), c && c->connecting_);
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NodeLoop* loop = loopOf(info);
  if (!loop) return env.Undefined();
  const nw::Stats& s = loop->core().stats();
  auto o = Napi::Object::New(env);
#define NW_STAT_SET(name) o.Set(#name, double(s.name));
  NW_STATS(NW_STAT_SET)
#undef NW_STAT_SET
  return o;
}

// cork() -> boolean (false: a batch is running, or the core is not started); uncork()
Napi::Value Cork(const Napi::CallbackInfo& info) {
  auto* loop = info.Env().GetInstanceData<NodeLoop>();
  return Napi::Boolean::New(info.Env(), loop != nullptr && loop->cork());
}

Napi::Value Uncork(const Napi::CallbackInfo& info) {
  auto* loop = info.Env().GetInstanceData<NodeLoop>();
  if (loop) loop->uncork();
  return info.Env().Undefined();
}

Napi::Value RaiseUncaught(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (loop) loop->raiseUncaught(info[0]);
  return info.Env().Undefined();
}

// The numbers both sides use, from the C++ enums (conn/events.h,
// protocol/framing.h, protocol/outgoing.h): lib/native.ts takes them from
// here and refuses to load when a name it needs is missing or extra.
Napi::Object ConstantGroup(Napi::Env env, std::initializer_list<std::pair<const char*, int32_t>> members) {
  auto group = Napi::Object::New(env);
  for (auto& m : members) group.Set(m.first, m.second);
  return group;
}

Napi::Object Constants(Napi::Env env) {
  auto c = Napi::Object::New(env);
  c.Set("EventType", ConstantGroup(env, {{"Accept", kEventAccept},
                                         {"Message", kEventMessage},
                                         {"AsciiMessage", kEventAsciiMessage},
                                         {"Close", kEventClose},
                                         {"Drain", kEventDrain},
                                         {"Error", kEventError},
                                         {"BinaryMessage", kEventBinaryMessage},
                                         {"BufferFull", kEventBufferFull},
                                         {"Handshake", kEventHandshake},
                                         {"Ping", kEventPing},
                                         {"Pong", kEventPong},
                                         {"WsClose", kEventWsClose},
                                         {"WsCloseSent", kEventWsCloseSent},
                                         {"Connect", kEventConnect},
                                         {"ConnectFail", kEventConnectFail},
                                         {"HttpRequest", kEventHttpRequest},
                                         {"Upgraded", kEventUpgraded},
                                         {"Datagram", kEventDatagram},
                                         {"DatagramError", kEventDatagramError},
                                         {"HttpUpgrade", kEventHttpUpgrade},
                                         {"ServerName", kEventServerName}}));
  c.Set("EventRecord", ConstantGroup(env, {{"TypeMask", kEventTypeMask}, {"Stashed", kEventStashed}, {"Words", kEventWords},
                                           {"DatagramHeader", kDatagramHeader}}));
  c.Set("CloseReason", ConstantGroup(env, {{"ByPeer", kClosedByPeer},
                                           {"Locally", kClosedLocally},
                                           {"OnError", kClosedOnError},
                                           {"Idle", kClosedIdle},
                                           {"Shutdown", kClosedShutdown}}));
  c.Set("ErrorCode", ConstantGroup(env, {{"ConnectFail", kConnectFail},
                                         {"SendFail", kSendFail},
                                         {"PackageTooLarge", kPackageTooLarge},
                                         {"ProtocolError", kProtocolError}}));
  c.Set("SendResult", ConstantGroup(env, {{"Sent", kSent},
                                          {"Queued", kQueued},
                                          {"RefusedClosed", kRefusedClosed},
                                          {"RefusedFull", kRefusedFull},
                                          {"PeerGone", kPeerGone},
                                          {"BecameFull", kBecameFull}}));
  using protocol::Kind;
  c.Set("NativeProtocol", ConstantGroup(env, {{"Raw", int32_t(Kind::Raw)},
                                              {"Text", int32_t(Kind::Text)},
                                              {"Frame", int32_t(Kind::Frame)},
                                              {"WebSocket", int32_t(Kind::WebSocket)},
                                              {"Http", int32_t(Kind::Http)}}));
  using protocol::WebSocketType;
  c.Set("WebSocketType", ConstantGroup(env, {{"Text", int32_t(WebSocketType::Text)},
                                             {"Binary", int32_t(WebSocketType::Binary)},
                                             {"Auto", int32_t(WebSocketType::Auto)}}));
  return c;
}

Napi::Value rawFunction(Napi::Env env, const char* name, napi_callback callback) {
  napi_value fn = nullptr;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &fn);
  return Napi::Value(env, fn);
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("constants", Constants(env));
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("bindSocket", Napi::Function::New(env, BindSocket));
  exports.Set("listenFd", Napi::Function::New(env, ListenFd));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("listenerPort", Napi::Function::New(env, ListenerPort));
  exports.Set("unlisten", Napi::Function::New(env, Unlisten));
  exports.Set("setAccepting", Napi::Function::New(env, SetAccepting));
  exports.Set("setListenerLimits", Napi::Function::New(env, SetListenerLimits));
  exports.Set("send", rawFunction(env, "send", Send<SendAs::Framed>));
  exports.Set("sendRaw", rawFunction(env, "sendRaw", Send<SendAs::Raw>));
  exports.Set("sendPing", rawFunction(env, "sendPing", Send<SendAs::Ping>));
  exports.Set("sendPong", rawFunction(env, "sendPong", Send<SendAs::Pong>));
  exports.Set("endResponse", rawFunction(env, "endResponse", Send<SendAs::ResponseEnd>));
  exports.Set("setWebSocketType", Napi::Function::New(env, SetWebSocketType));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("destroy", Napi::Function::New(env, Destroy));
  exports.Set("setReceiving", Napi::Function::New(env, SetReceiving));
  exports.Set("setHeld", Napi::Function::New(env, SetHeld));
  exports.Set("answerPing", Napi::Function::New(env, AnswerPing));
  exports.Set("setLimits", Napi::Function::New(env, SetLimits));
  exports.Set("setKind", Napi::Function::New(env, SetKind));
  exports.Set("queueSize", Napi::Function::New(env, QueueSize));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("raiseUncaught", Napi::Function::New(env, RaiseUncaught));
  exports.Set("cork", Napi::Function::New(env, Cork));
  exports.Set("uncork", Napi::Function::New(env, Uncork));
  exports.Set("setWebSocketLimits", Napi::Function::New(env, SetWebSocketLimits));
  exports.Set("setHttpLimits", Napi::Function::New(env, SetHttpLimits));
  exports.Set("acceptWebSocket", Napi::Function::New(env, AcceptWebSocket));
  exports.Set("setWebSocketDeflate", Napi::Function::New(env, SetWebSocketDeflate));
  exports.Set("setClientDeflate", Napi::Function::New(env, SetClientDeflate));
  exports.Set("deflateOffer", Napi::Function::New(env, DeflateOffer));
  exports.Set("upgradeHttp", Napi::Function::New(env, UpgradeHttp));
  exports.Set("declineUpgrade", Napi::Function::New(env, DeclineUpgrade));
  exports.Set("rejectWebSocket", Napi::Function::New(env, RejectWebSocket));
  exports.Set("closeWebSocket", Napi::Function::New(env, CloseWebSocket));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("publish", Napi::Function::New(env, Publish));
  exports.Set("subscribe", Napi::Function::New(env, Subscribe));
  exports.Set("connect", Napi::Function::New(env, Connect));
  exports.Set("tcpConnecting", Napi::Function::New(env, TcpConnecting));
  registerUdp(env, exports);
  registerTls(env, exports);
  return exports;
}

}  // namespace
}  // namespace nw

static Napi::Object RegisterNetwright(Napi::Env env, Napi::Object exports) { return nw::Register(env, exports); }
NODE_API_MODULE(netwright, RegisterNetwright)
