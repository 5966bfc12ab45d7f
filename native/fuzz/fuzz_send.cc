// The send path's framing: a sequence of sends, each reserved and framed in
// place in one send queue (ByteBuffer) the way Core::beginSend/finishSend do
// it — room for a payload of up to maxLength bytes (a string before it is
// encoded), the real payload shorter — then the whole queue read back with the
// receive side's parsers (text lines, frame lengths, WebSocket headers and
// unmasking) and compared with what was sent. Each frame must stay inside its
// reservation and use the shortest WebSocket header.
//
// Input: byte 0: bit 0 masked (a client), (>> 1) % 3 the stream's protocol
// (text, frame, WebSocket). Then records: [op] [length] [slack], `length`
// payload bytes (fewer at the end); op picks the WebSocket opcode, length and
// slack are scaled by op's high bits to reach the 126 and 65536 boundaries.
#include <cstring>
#include <string>
#include <vector>

#include "../conn/buffer_pool.h"
#include "../conn/byte_buffer.h"
#include "../protocol/outgoing.h"
#include "../protocol/text.h"
#include "reference.h"

using namespace nw;
using protocol::Framing;
namespace ws = protocol::websocket;

namespace {

struct Sent {
  Framing framing;
  std::string payload;
};

size_t scaled(uint8_t v, uint8_t scale) {
  switch (scale) {
    case 0: return v;
    case 1: return 120 + v % 16;      // around 125/126
    case 2: return 65530 + v % 12;    // around 65535/65536
    default: return size_t(v) * 97;   // a few KiB
  }
}

Framing framingOf(int protocolClass, uint8_t op) {
  if (protocolClass == 0) return Framing::Line;
  if (protocolClass == 1) return Framing::Length;
  static const Framing kWs[] = {Framing::WsText, Framing::WsBinary, Framing::WsPing, Framing::WsPong, Framing::WsClose};
  return kWs[op % 5];
}

void checkStream(const std::string& stream, const std::vector<Sent>& sent, bool masked) {
  size_t pos = 0;
  for (const Sent& s : sent) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(stream.data()) + pos;
    size_t left = stream.size() - pos;
    if (s.framing == Framing::Line) {
      // A payload with a "\n" in it is split by the receiver: compare bytes.
      FUZZ_ASSERT(left >= s.payload.size() + 1);
      FUZZ_ASSERT(std::memcmp(p, s.payload.data(), s.payload.size()) == 0);
      FUZZ_ASSERT(p[s.payload.size()] == '\n');
      if (s.payload.find('\n') == std::string::npos)
        FUZZ_ASSERT(protocol::text::boundary(p, left, 0).length == int64_t(s.payload.size() + 1));
      pos += s.payload.size() + 1;
    } else if (s.framing == Framing::Length) {
      protocol::Boundary b = protocol::frame::boundary(p, left);
      FUZZ_ASSERT(b.length == int64_t(s.payload.size() + protocol::frame::kHeaderSize));
      FUZZ_ASSERT(size_t(b.length) <= left);
      protocol::Payload pl = protocol::frame::payload(p, size_t(b.length));
      FUZZ_ASSERT(std::string(reinterpret_cast<const char*>(p + pl.offset), pl.length) == s.payload);
      pos += size_t(b.length);
    } else {
      ws::FrameHeader h;
      int n = ws::parseHeader(p, left, &h);
      FUZZ_ASSERT(n > 0);
      FUZZ_ASSERT(h.fin && h.rsv == 0 && h.opcode == protocol::opcodeOf(s.framing));
      FUZZ_ASSERT(h.masked == masked);
      FUZZ_ASSERT(h.length == s.payload.size());
      FUZZ_ASSERT(size_t(n) == ws::headerSize(h.length, masked));
      FUZZ_ASSERT(size_t(n) + h.length <= left);
      std::string payload(reinterpret_cast<const char*>(p + n), size_t(h.length));
      if (masked) ws::applyMask(reinterpret_cast<uint8_t*>(&payload[0]), payload.size(), h.mask, 0);
      FUZZ_ASSERT(payload == s.payload);
      pos += size_t(n) + size_t(h.length);
    }
  }
  FUZZ_ASSERT(pos == stream.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool masked = data[0] & 1;
  int protocolClass = (data[0] >> 1) % 3;
  BufferPool pool;
  ByteBuffer queue;
  std::vector<Sent> sent;
  uint32_t maskSeed = 0x9e3779b9u;
  size_t pos = 1;
  while (pos + 3 <= size && sent.size() < 16) {
    uint8_t op = data[pos], lenByte = data[pos + 1], slackByte = data[pos + 2];
    pos += 3;
    Framing f = framingOf(protocolClass, op);
    size_t length = scaled(lenByte, uint8_t(op >> 6));
    size_t slack = scaled(slackByte, uint8_t((op >> 4) & 3));
    std::string payload;
    for (size_t i = 0; i < length; i++) {
      payload.push_back(pos < size ? char(data[pos]) : char(i * 31 + 7));
      if (pos < size) pos++;
    }
    size_t maxLength = length + slack;
    bool clientMask = masked && protocol::isWebSocket(f);
    size_t room = protocol::headerRoom(f, maxLength, clientMask);
    size_t reserved = room + maxLength + protocol::trailerSize(f);
    uint8_t* start = queue.reserve(reserved, pool);
    FUZZ_ASSERT(start != nullptr);
    // What the reservation held before: garbage the framer must not rely on.
    if (reserved) std::memset(start, 0xA5, reserved);
    if (length) std::memcpy(start + room, payload.data(), length);
    uint8_t mask[4];
    for (int i = 0; i < 4; i++) mask[i] = uint8_t((maskSeed = maskSeed * 1103515245u + 12345u) >> 24);
    size_t framed = protocol::frameInPlace(start, room, f, length, clientMask ? mask : nullptr);
    FUZZ_ASSERT(framed <= reserved);
    queue.commit(framed);
    sent.push_back({f, std::move(payload)});
  }
  std::string stream(reinterpret_cast<const char*>(queue.data()), queue.size());
  checkStream(stream, sent, masked);
  queue.release(pool);
  return 0;
}
