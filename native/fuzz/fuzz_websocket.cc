// The WebSocket parsers fed arbitrary bytes: the UTF-8 validator against a
// plain reference (and across arbitrary fragment splits), frame headers
// (prefix consistency, and a round trip through writeHeader), and the
// upgrade head (the "scanned" hint must not change where it ends; the
// request and response checks must not fault on anything).
//
// Input: byte 0 % 3 picks the target (0: UTF-8, 1: frame header, 2: upgrade
// head); byte 0 / 3 seeds the split points. The rest is the subject.
#include <string>

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

void fuzzUpgradeHead(const uint8_t* p, size_t n, SplitPoints split) {
  size_t end = websocket::findHeadEnd(p, n, 0);
  FUZZ_ASSERT(end <= n);
  for (int i = 0; i < 8 && n > 0; i++) {
    size_t scanned = split.next(n);
    if (websocket::findHeadEnd(p, scanned, 0) != 0) continue;  // not a valid hint
    FUZZ_ASSERT(websocket::findHeadEnd(p, n, scanned) == end);
  }
  size_t head = end ? end : n;
  websocket::UpgradeRequest request = websocket::checkUpgradeRequest(p, head);
  if (request.status == 0) {
    // Accepted: a GET over HTTP/1.1+, version 13, one 16-byte key, the upgrade tokens.
    FUZZ_ASSERT(request.acceptKey.size() == 28);
    FUZZ_ASSERT(head >= 4 && std::memcmp(p, "GET ", 4) == 0);
    int keys = 0;
    bool version13 = false, upgrade = false, connection = false;
    websocket::forEachHeader(p, head, [&](const char* name, size_t nameLength, const char* value, size_t valueLength) {
      std::string n(name, nameLength), v(value, valueLength);
      for (char& c : n) c = char(c >= 'A' && c <= 'Z' ? c + 32 : c);
      for (char& c : v) c = char(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (n == "sec-websocket-key") {
        keys++;
        FUZZ_ASSERT(valueLength == 24 && v.compare(22, 2, "==") == 0);
      }
      if (n == "sec-websocket-version") version13 = v == "13";
      if (n == "upgrade") upgrade = upgrade || v.find("websocket") != std::string::npos;
      if (n == "connection") connection = connection || v.find("upgrade") != std::string::npos;
    });
    FUZZ_ASSERT(keys == 1 && version13 && upgrade && connection);
  } else {
    FUZZ_ASSERT(request.status >= 400 && request.status <= 599 && request.error[0] != '\0');
  }
  (void)websocket::checkUpgradeResponse(p, head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  size_t fields = 0;
  websocket::forEachHeader(p, head, [&](const char*, size_t nameLength, const char*, size_t valueLength) {
    FUZZ_ASSERT(nameLength > 0 && nameLength + valueLength < head);
    fields++;
  });
  FUZZ_ASSERT(fields <= head);
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
    default: fuzzUpgradeHead(p, n, split); break;
  }
  return 0;
}
