// The one HTTP head parser (protocol/http/head.h) and the layers on it: the
// request rules (request_head.h), the WebSocket upgrade and the client's 101
// (websocket/handshake.h). One strictness policy for all three.
#include <cstdio>
#include <string>
#include <vector>

#include "../protocol/http/request_head.h"
#include "../protocol/websocket/handshake.h"
#include "harness.h"

using namespace nw::protocol;

namespace {

const uint8_t* u(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

struct Verdict {
  bool decided = false;
  int status = 0;
  std::string error;
  size_t headLength = 0;
};

Verdict request(const std::string& s, const http::Limits& limits = http::Limits(), size_t scanned = 0) {
  http::RequestHead h;
  Verdict v;
  v.decided = http::parseRequestHead(u(s), s.size(), limits, &h, scanned);
  v.status = h.status;
  v.error = h.error;
  v.headLength = h.headLength;
  return v;
}

Verdict upgrade(const std::string& s, size_t scanned = 0) {
  websocket::UpgradeRequest r;
  Verdict v;
  v.decided = websocket::parseUpgradeRequest(u(s), s.size(), http::Limits(), scanned, &r);
  v.status = r.status;
  v.error = r.error;
  v.headLength = r.headLength;
  return v;
}

const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example
const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// An upgrade request with `extra` field lines (each ending in CRLF) before the blank line.
std::string upgradeRequest(const std::string& extra = "", const std::string& requestLine = "GET /chat HTTP/1.1") {
  return requestLine + "\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
         kKey + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

std::string response(const std::string& statusLine, const std::string& accept = kAccept) {
  return statusLine + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n";
}

std::string responseProblem(const std::string& s, bool* decided = nullptr) {
  websocket::UpgradeResponse r;
  bool d = websocket::parseUpgradeResponse(u(s), s.size(), kAccept, &r);
  if (decided) *decided = d;
  return d ? r.problem : "(undecided)";
}

// Field lines that, added to a valid request, make every use refuse it with
// the same status: the one policy.
struct Refused {
  int status;
  std::vector<std::string> extras;
};

std::vector<Refused> refusedFields() {
  return {
      // a bare LF after a field or as the blank line; folding with SP or HTAB
      {400, {"X-A: 1\n", "X-A: 1\r\n\n", "X-A: 1\r\n folded\r\n", "X-A: 1\r\n\tfolded\r\n"}},
      // whitespace before the colon, no colon, an empty name, a separator in the name
      {400, {"X-A : 1\r\n", "X-A 1\r\n", ": 1\r\n", "X(A): 1\r\n"}},
      // NUL, a CR alone, DEL in a value
      {400, {std::string("X-A: a\0b\r\n", 10), "X-A: a\rb\r\n", "X-A: a\x7f\r\n"}},
      // a second Host, Content-Length with Transfer-Encoding, differing or signed lengths
      {400, {"Host: other\r\n", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
             "Content-Length: 1\r\nContent-Length: 2\r\n", "Content-Length: +1\r\n"}},
      {501, {"Transfer-Encoding: gzip\r\n"}},
      {417, {"Expect: the-unexpected\r\n"}},
  };
}

}  // namespace

TEST(head_request_valid_and_its_length) {
  std::string s = "GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tab:\tv \r\n\r\nnext";
  Verdict v = request(s);
  CHECK(v.decided);
  CHECK_EQ(v.status, 0);
  CHECK_EQ(v.headLength, s.size() - 4);
  CHECK(!request(s.substr(0, v.headLength - 1)).decided);
}

TEST(head_bare_lf_is_refused_at_once_even_before_the_head_ends) {
  // It used to wait for a CRLFCRLF that may never come (then 408 or 431).
  for (const std::string& s : {std::string("GET / HTTP/1.1\n"), std::string("GET / HTTP/1.1\r\nHost: h\n"),
                               std::string("\n"), std::string("GET / HTTP/1.1\r\nHost: h\r\n\n")}) {
    Verdict v = request(s);
    CHECK(v.decided);
    CHECK_EQ(v.status, 400);
    CHECK_EQ(v.error, std::string("bare LF in the head (lines end in CRLF)"));
  }
  // A CRLF head is not refused for a bare LF in what follows it.
  CHECK_EQ(request("GET / HTTP/1.1\r\nHost: h\r\n\r\nbody\n").status, 0);
}

TEST(head_limits_decide_before_the_end) {
  http::Limits limits;
  limits.maxHeadSize = 256;
  limits.maxRequestLine = 64;
  limits.maxHeaders = 2;
  std::string longLine = "GET /" + std::string(70, 'a');
  CHECK_EQ(request(longLine, limits).status, 414);
  // The length of the start line decides before its bare LF: as a trickle would.
  CHECK_EQ(request(longLine + " HTTP/1.1\nHost: h\r\n\r\n", limits).status, 414);
  CHECK_EQ(request("GET / HTTP/1.1\r\nX: " + std::string(300, 'x'), limits).status, 431);
  CHECK_EQ(request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits).status, 431);
  CHECK_EQ(request("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", limits).status, 0);
}

TEST(head_request_line_rules) {
  CHECK_EQ(request("GET / HTTP/1.2\r\nHost: h\r\n\r\n").status, 505);
  CHECK_EQ(request("GET / HTTP/2.0\r\nHost: h\r\n\r\n").status, 400);
  CHECK_EQ(request("GET  / HTTP/1.1\r\nHost: h\r\n\r\n").status, 400);
  CHECK_EQ(request("GET / HTTP/1.1 \r\nHost: h\r\n\r\n").status, 400);
  CHECK_EQ(request("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n").status, 400);
  CHECK_EQ(request("\r\n\r\n").status, 400);
  CHECK_EQ(request("GET / HTTP/1.1\r\n\r\n").status, 400);  // no Host
  CHECK_EQ(request("GET / HTTP/1.0\r\n\r\n").status, 0);
}

TEST(head_scanned_hint_changes_nothing) {
  std::string s = upgradeRequest();
  for (size_t k = 0; k < s.size(); k++) {
    if (request(s.substr(0, k)).decided) continue;
    Verdict whole = request(s), hinted = request(s, http::Limits(), k);
    CHECK(hinted.decided);
    CHECK_EQ(hinted.headLength, whole.headLength);
    CHECK_EQ(upgrade(s, k).headLength, whole.headLength);
  }
  std::string bare = "GET / HTTP/1.1\r\nHost: h\r\nX: 1\nmore";
  for (size_t k = 0; k < 28; k++) CHECK_EQ(request(bare, http::Limits(), k).status, 400);
}

TEST(head_one_policy_for_requests_and_upgrades) {
  for (const Refused& r : refusedFields()) {
    for (const std::string& extra : r.extras) {
      Verdict h = request("POST / HTTP/1.1\r\nHost: example.com\r\n" + extra + "\r\n");
      Verdict w = upgrade(upgradeRequest(extra));
      if (h.status != r.status || w.status != r.status)
        std::fprintf(stderr, "    %s: HTTP %d (%s), upgrade %d (%s)\n", extra.c_str(), h.status, h.error.c_str(),
                     w.status, w.error.c_str());
      CHECK(h.decided && w.decided);
      CHECK_EQ(h.status, r.status);
      CHECK_EQ(w.status, r.status);
    }
  }
}

TEST(upgrade_valid_gives_the_accept_key) {
  std::string s = upgradeRequest("Origin: http://example.com\r\n") + "\x81\x80";
  websocket::UpgradeRequest r;
  REQUIRE(websocket::parseUpgradeRequest(u(s), s.size(), http::Limits(), 0, &r));
  CHECK_EQ(r.status, 0);
  CHECK_EQ(r.acceptKey, std::string(kAccept));
  CHECK_EQ(r.headLength, s.size() - 2);
  CHECK_EQ(upgrade(upgradeRequest("Content-Length: 0\r\n")).status, 0);
}

TEST(upgrade_websocket_rules_on_top_of_the_http_ones) {
  struct Case {
    std::string bytes;
    int status;
  } cases[] = {
      {upgradeRequest("", "POST /chat HTTP/1.1"), 400},
      {upgradeRequest("", "GET /chat HTTP/1.0"), 400},
      {upgradeRequest("", "GET /chat HTTP/1.2"), 505},
      {upgradeRequest("Content-Length: 4\r\n"), 400},  // a body would be read as frames
      {upgradeRequest("Transfer-Encoding: chunked\r\n"), 400},
      {upgradeRequest("Sec-WebSocket-Key: " + std::string(kKey) + "\r\n"), 400},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
           std::string(kKey) + "\r\nSec-WebSocket-Version: 8\r\n\r\n",
       426},
      {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(kKey) +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n",
       400},  // no Host
  };
  for (const Case& c : cases) {
    Verdict v = upgrade(c.bytes);
    CHECK(v.decided);
    CHECK_EQ(v.status, c.status);
  }
  // Bare LF line ends: the old scanner took them, the one parser refuses them.
  std::string lf = upgradeRequest();
  for (size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
  CHECK_EQ(upgrade(lf).status, 400);
  CHECK_EQ(upgrade(lf.substr(0, 20)).status, 400);  // at the first line end
}

TEST(upgrade_response_status_line_variant) {
  CHECK_EQ(responseProblem(response("HTTP/1.1 101 Switching Protocols")), std::string());
  CHECK_EQ(responseProblem(response("HTTP/1.1 101")), std::string());  // an empty reason
  CHECK_EQ(responseProblem(response("HTTP/1.1 101 ")), std::string());
  for (const char* line : {"HTTP/1.1 403 Forbidden", "HTTP/1.1 1010 x", "HTTP/1.0 101 x", "HTTP/1.1 10 x",
                           "HTTP/1.1 101x", "http/1.1 101 x", "HTTP/1.1 101 \x01"})
    CHECK_EQ(responseProblem(response(line)).rfind("unexpected handshake response: ", 0), size_t(0));
  CHECK_EQ(responseProblem(response("HTTP/1.1 101 x", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
           std::string("Sec-WebSocket-Accept does not match the key"));
  CHECK_EQ(responseProblem("HTTP/1.1 101 x\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + std::string(kAccept) +
                           "\r\n\r\n"),
           std::string("handshake response lacks Upgrade/Connection headers"));
  // The field rules are the request's: a bare LF, folding, a bad name.
  std::string lf = response("HTTP/1.1 101 Switching Protocols");
  for (size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
  bool decided = false;
  CHECK_EQ(responseProblem(lf.substr(0, 40), &decided).rfind("malformed handshake response head: bare LF", 0),
           size_t(0));
  CHECK(decided);
  CHECK_EQ(responseProblem("HTTP/1.1 101 x\r\nUpgrade: websocket\r\n folded\r\n\r\n"),
           std::string("malformed handshake response head: obsolete line folding"));
  CHECK_EQ(responseProblem("HTTP/1.1 101 x\r\nUp grade: websocket\r\n\r\n"),
           std::string("malformed handshake response head: malformed header name"));
  CHECK_EQ(responseProblem("HTTP/1.1 101 Switching"), std::string("(undecided)"));
  CHECK_EQ(responseProblem("HTTP/1.1 101 x\r\nX: " + std::string(17000, 'x')),
           std::string("handshake response head too large"));
}
