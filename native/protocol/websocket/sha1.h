// SHA-1 and base64, only for Sec-WebSocket-Accept (RFC 6455 4.2.2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nw {
namespace protocol {
namespace websocket {

void sha1(const uint8_t* data, size_t length, uint8_t digest[20]);
std::string base64(const uint8_t* data, size_t length);
// base64(sha1(key + GUID))
std::string acceptKey(const char* key, size_t length);

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
