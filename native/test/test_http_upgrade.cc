// An http:// listener that takes WebSocket upgrades: the HTTP session announces
// a request that asks for one (kEventHttpUpgrade), holds what follows it, and
// the embedder (JS) either takes it (Core::upgradeHttp swaps in a WebSocket
// session) or serves it as HTTP (declineUpgrade). Small event arrays make the
// batch go to the embedder in the middle of parsing, where the swap must still
// be safe (ASan watches).
#include "core_fixture.h"

using namespace nwtest;
using nw::protocol::Kind;

namespace {

std::string upgradeRequest(const std::string& path = "/ws", const std::string& version = "13") {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
}

std::string maskedText(const std::string& payload) {
  std::string s;
  s += char(0x81);
  s += char(0x80 | payload.size());  // short payloads only
  const uint8_t mask[4] = {1, 2, 3, 4};
  for (uint8_t m : mask) s += char(m);
  for (size_t i = 0; i < payload.size(); i++) s += char(uint8_t(payload[i]) ^ mask[i & 3]);
  return s;
}

// What JS does: remember kEventHttpUpgrade, and on the request it announces take
// the upgrade (and accept it) or decline it; answer ordinary requests with a 200.
struct Embedder {
  Server& s;
  bool take = true;
  bool accept = true;
  bool pending = false;
  int upgrades = 0, declined = 0, taken = 0, refused = 0, requests = 0;

  void operator()(const Ev& e) {
    Connection* c = s.core->connection(e.slot);
    if (!c) return;
    if (e.type == kEventHttpUpgrade) {
      pending = true;
      upgrades++;
      return;
    }
    if ((e.type & kEventTypeMask) != kEventHttpRequest) return;
    requests++;
    if (pending) {
      pending = false;
      if (!take) {
        declined++;
        s.core->declineUpgrade(c);
      } else if (!s.core->upgradeHttp(c)) {
        refused++;
        return;
      } else {
        taken++;
        if (accept) CHECK(s.core->acceptWebSocket(c, ""));
        return;
      }
    }
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    s.send(c, ok);
    s.core->httpResponded(c);
  }
};

std::string readUntil(Server& s, Client& c, const std::function<bool(const std::string&)>& done) {
  std::string got;
  s.pumpUntil([&] {
    got += c.readAvailable();
    return done(got);
  });
  return got;
}

size_t countOf(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) n++;
  return n;
}

}  // namespace

TEST(http_upgrade_keep_alive_then_upgrade_then_frames_in_one_write) {
  for (size_t capacity : {1, 2, 3, 64}) {
    Server s(Kind::Http, 256 * 1024, capacity);
    s.core->listener(s.lid)->websocketUpgrades = true;
    Embedder js{s};
    s.d.hook = [&](const Ev& e) { js(e); };
    Client c(s.port);
    int32_t slot = s.acceptOne();
    REQUIRE(slot >= 0);
    REQUIRE(c.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + upgradeRequest() + maskedText("hi") + maskedText("GET / x")));
    REQUIRE(s.pumpUntil([&] { return s.d.messages(slot).size() == 2; }));
    std::vector<std::string> messages = s.d.messages(slot);
    CHECK_EQ(messages[0], std::string("hi"));
    CHECK_EQ(messages[1], std::string("GET / x"));  // frames, never a request
    CHECK_EQ(js.upgrades, 1);
    CHECK_EQ(js.taken, 1);
    CHECK_EQ(js.requests, 2);
    std::string got = readUntil(s, c, [](const std::string& g) { return g.find("\r\n\r\nHTTP/1.1 101") != std::string::npos && g.find("\r\n\r\n", g.find("101")) != std::string::npos; });
    CHECK(got.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(got.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    Connection* conn = s.core->connection(slot);
    REQUIRE(conn);
    CHECK(conn->websocket() != nullptr);
    CHECK(conn->http() == nullptr);
  }
}

TEST(http_upgrade_declined_is_served_as_http_and_reading_goes_on) {
  for (size_t capacity : {1, 64}) {
    Server s(Kind::Http, 256 * 1024, capacity);
    s.core->listener(s.lid)->websocketUpgrades = true;
    Embedder js{s};
    js.take = false;
    s.d.hook = [&](const Ev& e) { js(e); };
    Client c(s.port);
    int32_t slot = s.acceptOne();
    REQUIRE(slot >= 0);
    REQUIRE(c.write(upgradeRequest("/other") + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string got = readUntil(s, c, [](const std::string& g) { return countOf(g, "200 OK") == 2; });
    CHECK_EQ(countOf(got, "200 OK"), size_t(2));
    CHECK_EQ(js.declined, 1);
    CHECK_EQ(js.requests, 2);
    Connection* conn = s.core->connection(slot);
    REQUIRE(conn);
    CHECK(conn->http() != nullptr);
  }
}

TEST(http_upgrade_invalid_is_refused_with_its_status_and_closed) {
  Server s(Kind::Http);
  s.core->listener(s.lid)->websocketUpgrades = true;
  Embedder js{s};
  s.d.hook = [&](const Ev& e) { js(e); };
  Client c(s.port);
  REQUIRE(s.acceptOne() >= 0);
  REQUIRE(c.write(upgradeRequest("/ws", "8") + maskedText("never")));
  std::string got = readUntil(s, c, [&](const std::string&) { return c.eof; });
  CHECK(got.rfind("HTTP/1.1 426 ", 0) == 0);
  CHECK(got.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  CHECK(c.eof);
  CHECK_EQ(js.refused, 1);
  CHECK_EQ(s.d.messages().size(), size_t(0));
  CHECK_EQ(s.core->stats().handshakeErrors, uint64_t(1));
}

TEST(http_upgrade_not_asked_without_the_listener_setting) {
  Server s(Kind::Http);
  Embedder js{s};
  s.d.hook = [&](const Ev& e) { js(e); };
  Client c(s.port);
  REQUIRE(s.acceptOne() >= 0);
  REQUIRE(c.write(upgradeRequest() + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = readUntil(s, c, [](const std::string& g) { return countOf(g, "200 OK") == 2; });
  CHECK_EQ(countOf(got, "200 OK"), size_t(2));
  CHECK_EQ(js.upgrades, 0);
}

TEST(http_upgrade_peer_leaving_while_undecided_is_noticed) {
  Server s(Kind::Http);
  s.core->listener(s.lid)->websocketUpgrades = true;
  Embedder js{s};
  js.accept = false;  // taken, then left undecided (onWebSocketConnect pending)
  s.d.hook = [&](const Ev& e) { js(e); };
  auto c = std::make_unique<Client>(s.port);
  int32_t slot = s.acceptOne();
  REQUIRE(slot >= 0);
  REQUIRE(c->write(upgradeRequest()));
  REQUIRE(s.pumpUntil([&] { return js.taken == 1; }));
  c->closeFd();
  REQUIRE(s.pumpUntil([&] { return s.d.count(kEventClose, slot) == 1; }));
}
