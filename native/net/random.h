// Unpredictable bytes for WebSocket client mask keys, from a pool refilled by
// getrandom(2) so that a frame costs no syscall. Linux only, like the poller.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nw {
namespace net {

void randomBytes(uint8_t* out, size_t n);

}  // namespace net
}  // namespace nw
