// The JS side of native/tls: secure contexts as external values, a
// listener's context, and what a connection's handshake settled.
#include "tls_binding.h"

#include <cstring>
#include <memory>
#include <string>

#include "../tls/context.h"
#include "../tls/session.h"
#include "node_loop.h"

namespace nw {

namespace {

using ContextRef = std::shared_ptr<tls::Context>;

// Tags the externals this file makes, so that no other value is taken for one.
constexpr napi_type_tag kContextTag = {0x6e657477726967ULL, 0x746c73637478ULL};

std::string stringOf(Napi::Object o, const char* name) {
  Napi::Value v = o.Get(name);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int versionOf(Napi::Object o, const char* name, int fallback, std::string* error) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  std::string text = v.ToString().Utf8Value();
  if (text == "TLSv1") return TLS1_VERSION;
  if (text == "TLSv1.1") return TLS1_1_VERSION;
  if (text == "TLSv1.2") return TLS1_2_VERSION;
  if (text == "TLSv1.3") return TLS1_3_VERSION;
  *error = std::string(name) + " must be 'TLSv1', 'TLSv1.1', 'TLSv1.2' or 'TLSv1.3' (got '" + text + "')";
  return fallback;
}

ContextRef contextOf(Napi::Env env, Napi::Object o, std::string* error) {
  tls::ContextOptions options;
  options.server = o.Get("server").ToBoolean();
  options.cert = stringOf(o, "cert");
  options.key = stringOf(o, "key");
  options.passphrase = stringOf(o, "passphrase");
  options.ca = stringOf(o, "ca");
  options.ciphers = stringOf(o, "ciphers");
  options.minVersion = versionOf(o, "minVersion", TLS1_2_VERSION, error);
  options.maxVersion = versionOf(o, "maxVersion", TLS1_3_VERSION, error);
  if (!error->empty()) return nullptr;
  Napi::Value alpn = o.Get("alpn");
  if (alpn.IsArray()) {
    auto list = alpn.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) options.alpn.push_back(list.Get(i).ToString().Utf8Value());
  }
  options.requestCert = o.Get("requestCert").ToBoolean();
  options.rejectUnauthorized = o.Get("rejectUnauthorized").ToBoolean();
  options.askServerName = o.Get("sniCallback").ToBoolean();
  ContextRef context = tls::Context::create(options, error);
  if (!context) return nullptr;
  Napi::Value sni = o.Get("sni");
  if (sni.IsArray()) {
    auto entries = sni.As<Napi::Array>();
    for (uint32_t i = 0; i < entries.Length(); i++) {
      auto entry = entries.Get(i).As<Napi::Object>();
      std::string host = stringOf(entry, "host");
      ContextRef child = contextOf(env, entry.Get("options").As<Napi::Object>(), error);
      if (!child) {
        *error = "sni '" + host + "': " + *error;
        return nullptr;
      }
      context->addServerName(host, std::move(child));
    }
  }
  return context;
}

// createSecureContext({ server, cert, key, passphrase, ca, ciphers, minVersion, maxVersion,
//   alpn, requestCert, rejectUnauthorized, sni: [{ host, options }], sniCallback }) -> external; throws on bad options
Napi::Value CreateSecureContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string error;
  ContextRef context = contextOf(env, info[0].As<Napi::Object>(), &error);
  if (!context) {
    Napi::Error::New(env, "TLS: " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto external = Napi::External<ContextRef>::New(env, new ContextRef(std::move(context)),
                                                  [](Napi::Env, ContextRef* ref) { delete ref; });
  napi_type_tag_object(env, external, &kContextTag);
  return external;
}

NodeLoop* loopOf(const Napi::CallbackInfo& info) {
  auto* loop = info.Env().GetInstanceData<NodeLoop>();
  if (!loop) Napi::Error::New(info.Env(), "netwright: native core not initialised").ThrowAsJavaScriptException();
  return loop;
}

tls::Session* sessionOf(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return nullptr;
  Connection* c = loop->core().connectionEvenIfClosed(info[0].As<Napi::Number>().Int32Value());
  return c ? static_cast<tls::Session*>(c->ownTransport.get()) : nullptr;
}

// setSecureContext(listenerId, external): connections accepted from now on use it.
Napi::Value SetSecureContext(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return info.Env().Undefined();
  Listener* l = loop->core().listener(info[0].As<Napi::Number>().Int32Value());
  ContextRef context = secureContextOf(info.Env(), info[1]);
  if (l && context) l->secureContext = std::move(context);
  return Napi::Boolean::New(info.Env(), l && l->secureContext);
}

// resolveServerName(slot, external | null) -> false when that connection's handshake
// waits for no server name (it closed, or timed out): null refuses the handshake.
Napi::Value ResolveServerName(const Napi::CallbackInfo& info) {
  NodeLoop* loop = loopOf(info);
  if (!loop) return info.Env().Undefined();
  Connection* c = loop->core().connection(info[0].As<Napi::Number>().Int32Value());
  ContextRef chosen = secureContextOf(info.Env(), info[1]);
  return Napi::Boolean::New(info.Env(), loop->core().resolveServerName(c, std::move(chosen)));
}

// tlsInfo(slot) -> [version, alpnProtocol, servername, verifyResult] or undefined (not TLS,
// or the handshake is not done)
Napi::Value TlsInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tls::Session* s = sessionOf(info);
  if (!s || !s->established()) return env.Undefined();
  auto a = Napi::Array::New(env, 4);
  a.Set(0u, s->version());
  a.Set(1u, s->alpnProtocol());
  a.Set(2u, s->servername());
  a.Set(3u, double(s->verifyResult()));
  return a;
}

// peerCertificate(slot) -> DER Buffer, or undefined
Napi::Value PeerCertificate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tls::Session* s = sessionOf(info);
  if (!s) return env.Undefined();
  std::string der = s->peerCertificate();
  if (der.empty()) return env.Undefined();
  return Napi::Buffer<char>::Copy(env, der.data(), der.size());
}

}  // namespace

std::shared_ptr<tls::Context> secureContextOf(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal()) return nullptr;
  bool ours = false;
  napi_check_object_type_tag(env, value, &kContextTag, &ours);
  if (!ours) return nullptr;
  return *value.As<Napi::External<ContextRef>>().Data();
}

void registerTls(Napi::Env env, Napi::Object exports) {
  exports.Set("createSecureContext", Napi::Function::New(env, CreateSecureContext));
  exports.Set("setSecureContext", Napi::Function::New(env, SetSecureContext));
  exports.Set("tlsInfo", Napi::Function::New(env, TlsInfo));
  exports.Set("resolveServerName", Napi::Function::New(env, ResolveServerName));
  exports.Set("peerCertificate", Napi::Function::New(env, PeerCertificate));
}

}  // namespace nw
