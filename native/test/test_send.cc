// The send path: framing by the connection's own kind (protocol/outgoing.h),
// the one WebSocket frame writer, and Core::send over real sockets.
#include "../protocol/outgoing.h"
#include "core_fixture.h"

using namespace nwtest;
using nw::protocol::Framing;
using nw::protocol::Kind;
using nw::protocol::WebSocketType;
namespace ws = nw::protocol::websocket;

namespace {

// Frames `payload` as the binding does for a string: room for up to
// `maxLength` payload bytes, the payload written after the header's room.
std::string framed(Framing f, const std::string& payload, size_t maxLength, const uint8_t* mask = nullptr) {
  size_t room = nw::protocol::headerRoom(f, maxLength, mask != nullptr);
  std::vector<uint8_t> out(room + maxLength + nw::protocol::trailerSize(f));
  if (!payload.empty()) std::memcpy(out.data() + room, payload.data(), payload.size());
  size_t n = nw::protocol::frameInPlace(out.data(), room, f, payload.size(), mask);
  return std::string(reinterpret_cast<char*>(out.data()), n);
}

// Parses one whole WebSocket frame, unmasking it; false if s is not exactly one.
bool parseFrame(const std::string& s, ws::FrameHeader* h, std::string* payload) {
  auto p = reinterpret_cast<const uint8_t*>(s.data());
  int n = ws::parseHeader(p, s.size(), h);
  if (n <= 0 || s.size() != size_t(n) + h->length) return false;
  *payload = s.substr(size_t(n));
  if (h->masked) ws::applyMask(reinterpret_cast<uint8_t*>(&(*payload)[0]), payload->size(), h->mask, 0);
  return true;
}

std::string upgradeRequest() {
  return "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A server WebSocket connection past its 101; the client has read the 101.
Connection* openWebSocket(Server& s, Client& c) {
  int32_t slot = s.acceptOne();
  if (slot < 0 || !c.write(upgradeRequest())) return nullptr;
  if (!s.pumpUntil([&] { return s.d.count(kEventHandshake) > 0; })) return nullptr;
  Connection* conn = s.core->connection(slot);  // open only after the head: not acceptConnection()
  if (!conn || !s.core->acceptWebSocket(conn, "")) return nullptr;
  std::string response;
  s.pumpUntil([&] {
    response += c.readAvailable();
    return response.find("\r\n\r\n") != std::string::npos;
  });
  return response.rfind("HTTP/1.1 101", 0) == 0 ? conn : nullptr;
}

std::string readSome(Server& s, Client& c, size_t n) {
  std::string got;
  s.pumpUntil([&] {
    got += c.readAvailable();
    return got.size() >= n;
  });
  return got;
}

}  // namespace

TEST(send_framing_line_and_length) {
  CHECK_EQ(framed(Framing::None, "abc", 3), std::string("abc"));
  CHECK_EQ(framed(Framing::Line, "abc", 10), std::string("abc\n"));
  CHECK_EQ(framed(Framing::Line, "", 1), std::string("\n"));
  CHECK_EQ(framed(Framing::Length, "abc", 3), std::string("\0\0\0\x07" "abc", 7));
  CHECK_EQ(framed(Framing::Length, "", 0), std::string("\0\0\0\x04", 4));
  CHECK(nw::protocol::fits(Framing::Length, UINT32_MAX - 4));
  CHECK(!nw::protocol::fits(Framing::Length, size_t(UINT32_MAX) - 3));
  CHECK(nw::protocol::fits(Framing::Line, size_t(UINT32_MAX) + 1));
}

TEST(send_websocket_header_sizes_at_the_boundaries_any_room) {
  // Each length, with room reserved for the length itself and for up to 3x it
  // (a string before it is encoded): always the shortest header, payload intact.
  for (size_t length : {size_t(0), size_t(1), size_t(125), size_t(126), size_t(127), size_t(65535), size_t(65536),
                        size_t(70000)}) {
    std::string payload(length, '\0');
    for (size_t i = 0; i < length; i++) payload[i] = char(i * 7 + 3);
    for (size_t maxLength : {length, length * 3 + 1}) {
      for (bool masked : {false, true}) {
        const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
        std::string frame = framed(Framing::WsBinary, payload, maxLength, masked ? mask : nullptr);
        ws::FrameHeader h;
        std::string got;
        REQUIRE(parseFrame(frame, &h, &got));
        CHECK(h.fin);
        CHECK_EQ(h.opcode, ws::kBinary);
        CHECK_EQ(h.masked, masked);
        CHECK_EQ(h.headerLength, ws::headerSize(length, masked));
        CHECK(got == payload);
      }
    }
  }
}

TEST(send_websocket_opcodes_and_types) {
  ws::FrameHeader h;
  std::string got;
  REQUIRE(parseFrame(framed(Framing::WsText, "hi", 7), &h, &got));
  CHECK_EQ(h.opcode, ws::kText);
  REQUIRE(parseFrame(framed(Framing::WsPing, "p", 1), &h, &got));
  CHECK_EQ(h.opcode, ws::kPing);
  REQUIRE(parseFrame(framed(Framing::WsPong, "", 0), &h, &got));
  CHECK_EQ(h.opcode, ws::kPong);
  REQUIRE(parseFrame(framed(Framing::WsClose, "\x03\xe8", 2), &h, &got));
  CHECK_EQ(h.opcode, ws::kClose);
  using nw::protocol::websocketFraming;
  CHECK(websocketFraming(WebSocketType::Text, false) == Framing::WsText);
  CHECK(websocketFraming(WebSocketType::Binary, true) == Framing::WsBinary);
  CHECK(websocketFraming(WebSocketType::Auto, true) == Framing::WsText);
  CHECK(websocketFraming(WebSocketType::Auto, false) == Framing::WsBinary);
}

TEST(send_write_frame_matches_in_place) {
  const uint8_t mask[4] = {1, 2, 3, 4};
  std::string payload(300, 'x');
  std::vector<uint8_t> out(ws::kMaxHeaderSize + payload.size());
  size_t n = ws::writeFrame(out.data(), ws::kBinary, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                            mask);
  CHECK(std::string(reinterpret_cast<char*>(out.data()), n) == framed(Framing::WsBinary, payload, 900, mask));
}

TEST(send_core_frames_by_kind) {
  struct Case {
    Kind kind;
    std::string expected;
  } cases[] = {{Kind::Raw, "abc"}, {Kind::Text, "abc\n"}, {Kind::Frame, std::string("\0\0\0\x07" "abc", 7)}};
  for (auto& k : cases) {
    Server s(k.kind);
    Client c(s.port);
    Connection* conn = s.acceptConnection();
    REQUIRE(conn);
    CHECK(!conn->setWebSocketType(WebSocketType::Binary));  // not a WebSocket
    Framing f = conn->framingFor(true);
    CHECK(f == conn->framingFor(false));
    CHECK_EQ(s.core->send(conn, f, reinterpret_cast<const uint8_t*>("abc"), 3), kSent);
    CHECK(readSome(s, c, k.expected.size()) == k.expected);
  }
}

TEST(send_core_string_reservation_larger_than_payload) {
  // What the binding does for a string of 4 UTF-16 units: room for 13 bytes, 6 used.
  Server s(Kind::Text);
  Client c(s.port);
  Connection* conn = s.acceptConnection();
  REQUIRE(conn);
  Core::Outgoing out;
  REQUIRE_EQ(s.core->beginSend(conn, conn->framingFor(true), 13, &out), kSent);
  std::memcpy(out.payload(), "h\xc3\xa9llo", 6);
  CHECK_EQ(s.core->finishSend(conn, out, 6), kSent);
  CHECK(readSome(s, c, 7) == "h\xc3\xa9llo\n");
  CHECK_EQ(conn->queuedBytes(), 0u);
}

TEST(send_core_refusals) {
  Server s(Kind::Frame);
  Client c(s.port);
  Connection* conn = s.acceptConnection();
  REQUIRE(conn);
  int32_t slot = conn->slot();
  Core::Outgoing out;
  CHECK_EQ(s.core->beginSend(conn, Framing::Length, size_t(UINT32_MAX), &out), kTooLarge);
  CHECK_EQ(conn->queuedBytes(), 0u);
  conn->maxSendBufferSize = 0;
  CHECK_EQ(s.core->send(conn, Framing::Length, nullptr, 0), kRefusedFull);
  conn->maxSendBufferSize = 1024;
  s.core->close(conn);
  CHECK(s.core->connection(slot) == nullptr || s.core->send(conn, Framing::Length, nullptr, 0) == kRefusedClosed);
}

TEST(send_core_websocket_follows_websocket_type) {
  Server s(Kind::WebSocket);
  Client c(s.port);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  auto sendBoth = [&] {
    s.core->send(conn, conn->framingFor(true), reinterpret_cast<const uint8_t*>("t"), 1);
    s.core->send(conn, conn->framingFor(false), reinterpret_cast<const uint8_t*>("b"), 1);
    return readSome(s, c, 6);
  };
  CHECK(sendBoth() == "\x81\x01t\x82\x01" "b");  // the listener's default: auto
  s.core->listener(s.lid)->websocketType = WebSocketType::Text;
  CHECK(sendBoth() == "\x81\x01t\x81\x01" "b");
  s.core->listener(s.lid)->websocketType = WebSocketType::Auto;
  CHECK(sendBoth() == "\x81\x01t\x82\x01" "b");
  CHECK(conn->setWebSocketType(WebSocketType::Binary));  // its own wins from now on
  CHECK(sendBoth() == "\x82\x01t\x82\x01" "b");
  s.core->listener(s.lid)->websocketType = WebSocketType::Text;
  CHECK(sendBoth() == "\x82\x01t\x82\x01" "b");
}

TEST(send_core_websocket_lengths_through_the_queue) {
  Server s(Kind::WebSocket);
  Client c(s.port);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  for (size_t length : {size_t(125), size_t(126), size_t(65536)}) {
    std::string payload(length, 'q');
    Core::Outgoing out;
    REQUIRE_EQ(s.core->beginSend(conn, Framing::WsText, length * 3 + 1, &out), kSent);
    std::memcpy(out.payload(), payload.data(), length);
    int32_t r = s.core->finishSend(conn, out, length);
    CHECK(r == kSent || r == kQueued);
    std::string frame = readSome(s, c, ws::headerSize(length, false) + length);
    ws::FrameHeader h;
    std::string got;
    REQUIRE(parseFrame(frame, &h, &got));
    CHECK_EQ(h.opcode, ws::kText);
    CHECK(got == payload);
  }
}

// The automatic pong (Core::answerPing): at once below the send limit; at the
// limit it waits for the queue to drain below it, and only the latest ping's
// payload is answered (RFC 6455 5.5.3).
TEST(send_core_pong_owed_on_a_full_queue_answers_the_latest_ping) {
  Server s(Kind::WebSocket);
  Client c(s.port, 4096);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  s.core->answerPing(conn, reinterpret_cast<const uint8_t*>("now"), 3);
  CHECK(readSome(s, c, 5) == "\x8a\x03now");
  conn->maxSendBufferSize = 16 * 1024;
  std::string chunk(16 * 1024, 'z');
  size_t sent = 0;
  for (int i = 0; i < 4096; i++) {
    int32_t r = s.core->send(conn, Framing::WsBinary, reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size());
    if (r == kRefusedFull) break;
    REQUIRE((r & 7) == kSent || (r & 7) == kQueued);
    sent++;
  }
  REQUIRE(conn->queuedBytes() >= conn->maxSendBufferSize);
  s.core->answerPing(conn, reinterpret_cast<const uint8_t*>("older"), 5);
  s.core->answerPing(conn, reinterpret_cast<const uint8_t*>("latest"), 6);
  size_t frameSize = ws::headerSize(chunk.size(), false) + chunk.size();
  std::string got = readSome(s, c, sent * frameSize + 8);
  REQUIRE_EQ(got.size(), sent * frameSize + 8);
  // The pong goes behind what was queued when the queue fell below its limit.
  size_t at = 0;
  int pongs = 0;
  std::string pong;
  while (at + 2 <= got.size()) {
    ws::FrameHeader h;
    int n = ws::parseHeader(reinterpret_cast<const uint8_t*>(got.data()) + at, got.size() - at, &h);
    REQUIRE(n > 0);
    if (h.opcode == ws::kPong) {
      pongs++;
      pong = got.substr(at + size_t(n), h.length);
    }
    at += size_t(n) + h.length;
  }
  CHECK_EQ(at, got.size());
  CHECK_EQ(pongs, 1);
  CHECK_EQ(pong, std::string("latest"));
}

TEST(send_core_pong_owed_is_dropped_once_a_close_frame_is_queued) {
  Server s(Kind::WebSocket);
  Client c(s.port, 4096);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  conn->maxSendBufferSize = 16 * 1024;
  std::string chunk(16 * 1024, 'z');
  for (int i = 0; i < 4096; i++)
    if (s.core->send(conn, Framing::WsBinary, reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()) ==
        kRefusedFull)
      break;
  s.core->answerPing(conn, reinterpret_cast<const uint8_t*>("p"), 1);
  s.core->closeWebSocket(conn, 1000, nullptr, 0);
  std::string got;
  uint64_t end = monoMs() + 3000;
  bool sawClose = false;
  while (!sawClose && monoMs() < end) {
    s.pumpOnce(5);
    got += c.readAvailable();
    // The close frame (2-byte code 1000) ends what the server sends.
    sawClose = got.size() >= 4 && got.compare(got.size() - 4, 4, std::string("\x88\x02\x03\xe8", 4)) == 0;
  }
  CHECK(sawClose);
  CHECK(got.find(std::string("\x8a\x01p", 3)) == std::string::npos);
}

// Held messages (native setHeld) also defer a WebSocket failure's close frame:
// replies to them are still accepted, and the 1002 follows the release.
TEST(send_core_websocket_failure_close_frame_waits_for_held_messages) {
  Server s(Kind::WebSocket);
  Client c(s.port);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  int32_t slot = conn->slot();
  s.core->setHeld(conn, true);
  REQUIRE(c.write(std::string("\x82\x01x", 3)));  // unmasked: a protocol error
  REQUIRE(s.pumpUntil([&] { return s.d.count(kEventError, slot) == 1; }));
  uint64_t end = monoMs() + 100;
  while (monoMs() < end) s.pumpOnce(5);
  CHECK(s.core->connection(slot) == conn);
  CHECK(c.nothingToRead());
  CHECK_EQ(s.core->send(conn, Framing::WsBinary, reinterpret_cast<const uint8_t*>("r"), 1), kSent);
  s.core->setHeld(conn, false);
  REQUIRE(s.pumpUntil([&] { return s.d.count(kEventClose, slot) == 1; }));
  std::string got;
  end = monoMs() + 2000;
  while (!c.eof && !c.err && monoMs() < end) got += c.readAvailable();
  CHECK(got == std::string("\x82\x01r\x88\x02\x03\xea", 7));
}
