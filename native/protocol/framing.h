// What a framer tells about the bytes buffered for one connection.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nw {
namespace protocol {

enum class Kind : uint8_t { Raw = 0, Text = 1, Frame = 2, WebSocket = 3, Http = 4 };

// length > 0: the first message is `length` bytes long (possibly more than
//             are buffered yet);
// length == 0: more bytes are needed to know;
// length < 0: the bytes can never form a valid message.
struct Boundary {
  int64_t length;
};

// Where the payload sits inside a complete message.
struct Payload {
  size_t offset;
  size_t length;
};

}  // namespace protocol
}  // namespace nw
