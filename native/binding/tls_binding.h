// TLS entry points of the binding (tls_binding.cc).
#pragma once
#include <napi.h>

#include <memory>

namespace nw {
namespace tls {
class Context;
}

void registerTls(Napi::Env env, Napi::Object exports);
// The context of a createSecureContext() value; nullptr for anything else.
std::shared_ptr<tls::Context> secureContextOf(Napi::Env env, Napi::Value value);

}  // namespace nw
