// The JS surface of UDP sockets (udp:// workers, AsyncUdpConnection).
#pragma once
#include <napi.h>

namespace nw {

void registerUdp(Napi::Env env, Napi::Object exports);

}  // namespace nw
