// The receive slab: a message assembled outside the slab (WebSocket fragments)
// is copied into it for delivery; that copy must never reuse slab bytes that
// descriptors of the same batch still name, nor the read being parsed.
#include "core_fixture.h"

using namespace nwtest;
using nw::protocol::Kind;
namespace ws = nw::protocol::websocket;

namespace {

std::string upgradeRequest() {
  return "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A masked client frame.
std::string clientFrame(uint8_t opcode, bool fin, const std::string& payload) {
  std::string s;
  s += char((fin ? 0x80 : 0) | opcode);
  size_t n = payload.size();
  if (n < 126) {
    s += char(0x80 | n);
  } else if (n < 65536) {
    s += char(0x80 | 126);
    s += char(n >> 8);
    s += char(n);
  } else {
    s += char(0x80 | 127);
    for (int i = 7; i >= 0; i--) s += char(uint64_t(n) >> (8 * i));
  }
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  for (uint8_t m : mask) s += char(m);
  for (size_t i = 0; i < n; i++) s += char(uint8_t(payload[i]) ^ mask[i & 3]);
  return s;
}

// A payload that names its message and is checkable byte by byte.
std::string payloadOf(size_t index, size_t size) {
  std::string s = "m" + std::to_string(index) + ":";
  while (s.size() < size) s += char('a' + (index + s.size()) % 26);
  s.resize(size);
  return s;
}

Connection* openWebSocket(Server& s, Client& c) {
  int32_t slot = s.acceptOne();
  if (slot < 0 || !c.write(upgradeRequest())) return nullptr;
  if (!s.pumpUntil([&] { return s.d.count(kEventHandshake) > 0; })) return nullptr;
  Connection* conn = s.core->connection(slot);
  if (!conn || !s.core->acceptWebSocket(conn, "")) return nullptr;
  std::string response;
  s.pumpUntil([&] {
    response += c.readAvailable();
    return response.find("\r\n\r\n") != std::string::npos;
  });
  return response.rfind("HTTP/1.1 101", 0) == 0 ? conn : nullptr;
}

}  // namespace

// One read fills the slab to its end; a fragmented message completes in it and is
// copied into the slab, which has no room left. Whole messages after it in the same
// read are named in place, and the next read of the same readiness must not land
// on them before they are delivered.
TEST(receive_fragmented_message_copied_into_a_full_slab) {
  const size_t kSlab = 96 * 1024;  // more than a read's minimum room (64 KiB), less than the kernel holds
  Server s(Kind::WebSocket, kSlab, 4096);
  Client c(s.port);
  Connection* conn = openWebSocket(s, c);
  REQUIRE(conn);
  int32_t slot = conn->slot();
  // Room in the kernel for everything, so that each read fills the slab's room.
  int rcvbuf = 4 * 1024 * 1024;
  ::setsockopt(conn->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

  std::string wire;
  std::vector<std::string> expected;
  // Whole 1000-byte messages up to about the middle of the slab; then one fragmented
  // 20 KB message; then whole messages again, well past two slabs' worth.
  size_t i = 0;
  while (wire.size() < 40 * 1024) {
    expected.push_back(payloadOf(i++, 1000));
    wire += clientFrame(ws::kBinary, true, expected.back());
  }
  for (int round = 0; round < 3; round++) {
    std::string big = payloadOf(i++, 20000);
    expected.push_back(big);
    wire += clientFrame(ws::kBinary, false, big.substr(0, 7000));
    wire += clientFrame(ws::kContinuation, true, big.substr(7000));
    while (wire.size() < (round + 1) * kSlab + 40 * 1024) {
      expected.push_back(payloadOf(i, 1000 + (i % 7) * 100));
      i++;
      wire += clientFrame(ws::kText, true, expected.back());
    }
  }
  REQUIRE(c.write(wire));
  ::usleep(50 * 1000);  // let it all reach the server's receive queue
  size_t before = s.d.messages(slot).size();
  REQUIRE(s.pumpUntil([&] { return s.d.messages(slot).size() - before >= expected.size(); }));
  std::vector<std::string> got = s.d.messages(slot);
  got.erase(got.begin(), got.begin() + long(before));
  REQUIRE_EQ(got.size(), expected.size());
  size_t damaged = 0;
  for (size_t k = 0; k < got.size(); k++)
    if (got[k] != expected[k]) damaged++;
  CHECK_EQ(damaged, size_t(0));
}
