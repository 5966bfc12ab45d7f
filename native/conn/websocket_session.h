// Per-connection WebSocket state; allocated only for websocket connections.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../protocol/outgoing.h"
#include "byte_buffer.h"

namespace nw {

struct WebSocketSession {
  enum Phase : uint8_t {
    kAwaitHead,       // server: reading the upgrade request
    kAwaitAccept,     // server: JS decides (onWebSocketConnect); input is held
    kAwaitResponse,   // client: reading the 101
    kOpen,
  };

  Phase phase = kAwaitHead;
  bool client = false;  // masks what it sends, expects unmasked frames
  bool closeSent = false;
  bool closeReceived = false;
  bool pingOutstanding = false;
  bool pongOwed = false;  // the latest ping found the queue full: answer it when it drains
  uint8_t messageOpcode = 0;  // text or binary while a fragmented message is open
  uint8_t utf8State = 0;
  bool nonAscii = false;  // the open fragmented text message has a byte >= 0x80
  bool ownSendType = false;  // sendType set for this connection, else the listener's
  protocol::WebSocketType sendType = protocol::WebSocketType::Text;
  uint16_t failCode = 0;  // a protocol error was found: close with this code at the batch end
  uint64_t startedMs = 0;
  uint64_t closeSentAtMs = 0;
  uint64_t pingSentAtMs = 0;
  ByteBuffer fragments;          // payload of the open fragmented message
  std::string owedPong;          // that ping's payload
  std::string acceptKey;         // to send (server) or to expect (client); cleared once open
  std::vector<std::string> topics;
};

}  // namespace nw
