#include "handshake.h"

#include <strings.h>

#include <cstring>

#include "../http/tokens.h"
#include "sha1.h"

namespace nw {
namespace protocol {
namespace websocket {
namespace {

using http::equalsNoCase;

bool isBase64(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'; }

// A Sec-WebSocket-Key must be base64 of 16 bytes: 22 characters and "==".
bool validKey(const char* key, size_t n) {
  if (n != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; i++)
    if (!isBase64(key[i])) return false;
  return true;
}

}  // namespace

size_t findHeadEnd(const uint8_t* p, size_t n, size_t scanned) {
  size_t from = scanned >= 3 ? scanned - 3 : 0;
  for (size_t i = from; i + 1 < n; i++) {
    if (p[i] != '\n') continue;
    if (p[i + 1] == '\n') return i + 2;
    if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') return i + 3;
  }
  return 0;
}

UpgradeRequest checkUpgradeRequest(const uint8_t* head, size_t n) {
  UpgradeRequest r;
  const char* p = reinterpret_cast<const char*>(head);
  const char* eol = static_cast<const char*>(std::memchr(p, '\n', n));
  size_t lineLength = eol ? size_t(eol - p) : 0;
  if (lineLength && p[lineLength - 1] == '\r') lineLength--;
  // "GET <target> HTTP/1.1"
  const char* sp1 = static_cast<const char*>(std::memchr(p, ' ', lineLength));
  const char* sp2 = sp1 ? static_cast<const char*>(std::memchr(sp1 + 1, ' ', size_t(p + lineLength - sp1 - 1))) : nullptr;
  if (!sp1 || !sp2 || sp2 == sp1 + 1) {
    r.status = 400;
    r.error = "malformed request line";
    return r;
  }
  if (size_t(sp1 - p) != 3 || std::memcmp(p, "GET", 3) != 0) {
    r.status = 400;
    r.error = "a WebSocket handshake must be a GET request";
    return r;
  }
  size_t versionLength = size_t(p + lineLength - sp2 - 1);
  if (versionLength != 8 || std::memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '1' || sp2[8] > '9') {
    r.status = 400;
    r.error = "a WebSocket handshake needs HTTP/1.1";
    return r;
  }
  bool upgrade = false, connection = false, versionSeen = false, version13 = false;
  const char* key = nullptr;
  size_t keyLength = 0;
  int keys = 0;
  bool wellFormed = forEachHeader(head, n, [&](const char* name, size_t nl, const char* value, size_t vl) {
    if (equalsNoCase(name, nl, "upgrade")) upgrade = upgrade || http::hasToken(value, vl, "websocket");
    else if (equalsNoCase(name, nl, "connection")) connection = connection || http::hasToken(value, vl, "upgrade");
    else if (equalsNoCase(name, nl, "sec-websocket-version")) {
      versionSeen = true;
      version13 = vl == 2 && value[0] == '1' && value[1] == '3';
    } else if (equalsNoCase(name, nl, "sec-websocket-key")) {
      key = value;
      keyLength = vl;
      keys++;
    }
  });
  if (!wellFormed) {
    r.status = 400;
    r.error = "malformed header";
  } else if (!upgrade) {
    r.status = 400;
    r.error = "missing Upgrade: websocket";
  } else if (!connection) {
    r.status = 400;
    r.error = "missing Connection: Upgrade";
  } else if (!versionSeen || !version13) {
    r.status = 426;
    r.error = "unsupported Sec-WebSocket-Version (13 is supported)";
  } else if (keys != 1 || !validKey(key, keyLength)) {
    r.status = 400;
    r.error = "missing or invalid Sec-WebSocket-Key";
  } else {
    r.acceptKey = acceptKey(key, keyLength);
  }
  return r;
}

std::string checkUpgradeResponse(const uint8_t* head, size_t n, const std::string& expectedAccept) {
  const char* p = reinterpret_cast<const char*>(head);
  if (n < 12 || std::memcmp(p, "HTTP/1.1 101", 12) != 0) {
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', n));
    size_t len = eol ? size_t(eol - p) : n;
    if (len && p[len - 1] == '\r') len--;
    return "unexpected handshake response: " + std::string(p, len > 80 ? 80 : len);
  }
  bool upgrade = false, connection = false, accepted = false;
  bool wellFormed = forEachHeader(head, n, [&](const char* name, size_t nl, const char* value, size_t vl) {
    if (equalsNoCase(name, nl, "upgrade")) upgrade = upgrade || http::hasToken(value, vl, "websocket");
    else if (equalsNoCase(name, nl, "connection")) connection = connection || http::hasToken(value, vl, "upgrade");
    else if (equalsNoCase(name, nl, "sec-websocket-accept"))
      accepted = vl == expectedAccept.size() && std::memcmp(value, expectedAccept.data(), vl) == 0;
  });
  if (!wellFormed) return "malformed handshake response header";
  if (!upgrade || !connection) return "handshake response lacks Upgrade/Connection headers";
  if (!accepted) return "Sec-WebSocket-Accept does not match the key";
  return "";
}

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
