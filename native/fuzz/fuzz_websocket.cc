// The WebSocket parsers fed arbitrary bytes: the UTF-8 validator against a
// plain reference (and across arbitrary fragment splits), frame headers
// (prefix consistency, and a round trip through writeHeader), and the
// upgrade heads on the one HTTP head parser: the request (the HTTP verdict
// first, then the WebSocket rules) and the client's 101, each decided by its
// bytes alone, whatever the split or the "scanned" hint.
//
// Input: byte 0 % 3 picks the target (0: UTF-8, 1: frame header, 2: upgrade
// head); byte 0 / 3 seeds the split points. The rest is the subject.
#include <string>
#include <vector>

#include "../protocol/http/request_head.h"
#include "../protocol/websocket/frame.h"
#include "../protocol/websocket/handshake.h"
#include "../protocol/websocket/utf8.h"
#include "reference.h"

using namespace nw::protocol;
using nwfuzz::SplitPoints;

namespace {

// RFC 3629 read literally: shortest forms only, no surrogates, nothing above U+10FFFF.
bool referenceUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;  // cut short
    for (size_t k = 1; k <= extra; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

void fuzzUtf8(const uint8_t* p, size_t n, SplitPoints split) {
  bool nonAscii = false;
  uint8_t end = utf8::step(utf8::kAccept, p, n, &nonAscii);
  bool whole = end == utf8::kAccept;
  FUZZ_ASSERT(whole == referenceUtf8(p, n));
  // The flag picks the ASCII fast path for what passes; a rejected message has no use for it.
  if (end != utf8::kReject) FUZZ_ASSERT(nonAscii == !nwfuzz::naiveAscii(std::string(reinterpret_cast<const char*>(p), n)));
  uint8_t state = utf8::kAccept;
  for (size_t pos = 0; pos < n;) {
    size_t piece = split.next(n - pos < 9 ? n - pos : 9);
    state = utf8::step(state, p + pos, piece);
    pos += piece;
    if (state == utf8::kReject) break;
  }
  FUZZ_ASSERT((state == utf8::kAccept) == whole);
}

bool sameHeader(const websocket::FrameHeader& a, const websocket::FrameHeader& b) {
  return a.fin == b.fin && a.rsv == b.rsv && a.opcode == b.opcode && a.masked == b.masked && a.length == b.length &&
         a.headerLength == b.headerLength && (!a.masked || std::memcmp(a.mask, b.mask, 4) == 0);
}

void fuzzFrameHeader(const uint8_t* p, size_t n) {
  websocket::FrameHeader h{};
  int r = websocket::parseHeader(p, n, &h);
  if (r < 0) {
    FUZZ_ASSERT(n >= 10 && (p[1] & 0x7F) == 127 && (p[2] & 0x80));
    return;
  }
  if (r == 0) {
    FUZZ_ASSERT(n < websocket::kMaxHeaderSize);
    return;
  }
  FUZZ_ASSERT(size_t(r) == h.headerLength && size_t(r) <= n && size_t(r) <= websocket::kMaxHeaderSize);
  websocket::FrameHeader again{};
  FUZZ_ASSERT(websocket::parseHeader(p, size_t(r), &again) == r && sameHeader(h, again));
  for (size_t k = 0; k < size_t(r); k++) FUZZ_ASSERT(websocket::parseHeader(p, k, &again) == 0);
  // What writeHeader makes of the same fields parses back to them (in the shortest length form).
  uint8_t out[websocket::kMaxHeaderSize];
  size_t written = websocket::writeHeader(out, h.fin, h.opcode, h.length, h.masked ? h.mask : nullptr);
  FUZZ_ASSERT(written == websocket::headerSize(h.length, h.masked));
  websocket::FrameHeader back{};
  FUZZ_ASSERT(websocket::parseHeader(out, written, &back) == int(written));
  FUZZ_ASSERT(back.fin == h.fin && back.rsv == 0 && back.opcode == h.opcode && back.masked == h.masked && back.length == h.length);
  if (h.masked) FUZZ_ASSERT(std::memcmp(back.mask, h.mask, 4) == 0);
}

bool sameUpgrade(const websocket::UpgradeRequest& a, const websocket::UpgradeRequest& b) {
  if (a.status != 0 || b.status != 0) return a.status == b.status && std::string(a.error) == b.error;
  return a.headLength == b.headLength && a.acceptKey == b.acceptKey;
}

bool sameResponse(const websocket::UpgradeResponse& a, const websocket::UpgradeResponse& b) {
  return a.problem == b.problem && (!a.problem.empty() || a.headLength == b.headLength);
}

bool lists(const std::vector<std::string>& values, const char* token) {
  for (const std::string& v : values)
    if (nwfuzz::lowerCase(v).find(token) != std::string::npos) return true;
  return false;
}

// Whether some value lists `token` as a whole comma-separated element (RFC 9110 5.6.1),
// stated plainly: split at commas, trim SP/HTAB, compare without case.
bool listsElement(const std::vector<std::string>& values, const char* token) {
  for (const std::string& v : values) {
    size_t start = 0;
    for (;;) {
      size_t comma = v.find(',', start);
      std::string element = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t a = element.find_first_not_of(" \t");
      size_t b = element.find_last_not_of(" \t");
      if (a != std::string::npos && nwfuzz::lowerCase(element.substr(a, b - a + 1)) == token) return true;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return false;
}

// The server side: an upgrade is an HTTP request first (the same parser, the
// same verdict on everything the HTTP rules refuse), then the WebSocket rules.
void fuzzUpgradeRequest(const uint8_t* p, size_t n, SplitPoints* split) {
  http::Limits limits;
  websocket::UpgradeRequest request;
  bool decided = websocket::parseUpgradeRequest(p, n, limits, 0, &request);
  http::RequestHead head;
  FUZZ_ASSERT(http::parseRequestHead(p, n, limits, &head) == decided);
  if (decided && head.status) FUZZ_ASSERT(request.status == head.status && std::string(request.error) == head.error);
  if (decided && request.status == 0) {
    // Accepted: a GET over HTTP/1.1 with no body, version 13, one 16-byte key, the upgrade tokens.
    FUZZ_ASSERT(head.status == 0 && head.get && head.http11 && head.body == http::Body::kNone);
    FUZZ_ASSERT(request.headLength == head.headLength && request.acceptKey.size() == 28);
    nwfuzz::RefHead f = nwfuzz::referenceHead(p, request.headLength);
    std::vector<std::string> keys = f.values("sec-websocket-key");
    FUZZ_ASSERT(keys.size() == 1 && keys[0].size() == 24 && keys[0].compare(22, 2, "==") == 0);
    FUZZ_ASSERT(f.values("sec-websocket-version").back() == "13");
    FUZZ_ASSERT(lists(f.values("upgrade"), "websocket") && lists(f.values("connection"), "upgrade"));
  } else if (decided) {
    FUZZ_ASSERT(request.status >= 400 && request.status <= 599 && request.error[0] != '\0');
  }
  // An http:// listener that takes upgrades (parseRequestOrUpgrade) reads the same head as a
  // plain one, asks for a WebSocket exactly when both tokens are there, and then decides the
  // upgrade as a websocket:// listener does.
  http::RequestHead viaHttp;
  bool asks = false;
  websocket::UpgradeRequest upgrade;
  FUZZ_ASSERT(websocket::parseRequestOrUpgrade(p, n, limits, 0, &viaHttp, &asks, &upgrade) == decided);
  if (decided) {
    FUZZ_ASSERT(viaHttp.status == head.status && viaHttp.headLength == head.headLength && viaHttp.body == head.body &&
                viaHttp.keepAlive == head.keepAlive && viaHttp.contentLength == head.contentLength);
  }
  if (decided && head.status == 0) {
    nwfuzz::RefHead f = nwfuzz::referenceHead(p, head.headLength);
    FUZZ_ASSERT(asks == (listsElement(f.values("upgrade"), "websocket") && listsElement(f.values("connection"), "upgrade")));
    if (asks) FUZZ_ASSERT(upgrade.status == request.status && upgrade.acceptKey == request.acceptKey);
    else FUZZ_ASSERT(upgrade.status == 0 && upgrade.acceptKey.empty());
  }
  nwfuzz::checkDecidedByBytes<websocket::UpgradeRequest>(
      n, split,
      [&](size_t k, size_t scanned, websocket::UpgradeRequest* r) {
        return websocket::parseUpgradeRequest(p, k, limits, scanned, r);
      },
      sameUpgrade);
}

// The client side: the 101, read with the same head parser's status-line variant.
void fuzzUpgradeResponse(const uint8_t* p, size_t n, SplitPoints* split) {
  const std::string accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  websocket::UpgradeResponse response;
  bool decided = websocket::parseUpgradeResponse(p, n, accept, &response);
  if (decided && response.problem.empty()) {
    FUZZ_ASSERT(response.headLength >= 16 && response.headLength <= n);
    nwfuzz::RefHead f = nwfuzz::referenceHead(p, response.headLength);
    FUZZ_ASSERT(!f.bareLf && !f.malformedLine && !f.controlInValue);
    FUZZ_ASSERT(f.startLine.compare(0, 12, "HTTP/1.1 101") == 0 && (f.startLine.size() == 12 || f.startLine[12] == ' '));
    FUZZ_ASSERT(f.values("sec-websocket-accept").back() == accept);
    FUZZ_ASSERT(lists(f.values("upgrade"), "websocket") && lists(f.values("connection"), "upgrade"));
  }
  if (!decided) FUZZ_ASSERT(!nwfuzz::referenceHead(p, n).bareLf);
  nwfuzz::checkDecidedByBytes<websocket::UpgradeResponse>(
      n, split,
      [&](size_t k, size_t, websocket::UpgradeResponse* r) {  // the client side takes no hint
        return websocket::parseUpgradeResponse(p, k, accept, r);
      },
      sameResponse);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  SplitPoints split{uint32_t(data[0] / 3) * 2654435761u + 1};
  const uint8_t* p = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0: fuzzUtf8(p, n, split); break;
    case 1: fuzzFrameHeader(p, n); break;
    default:
      // The same bytes as a request and as a response.
      fuzzUpgradeRequest(p, n, &split);
      fuzzUpgradeResponse(p, n, &split);
      break;
  }
  return 0;
}
