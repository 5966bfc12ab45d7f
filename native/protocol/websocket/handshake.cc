#include "handshake.h"

#include <cstring>

#include "sha1.h"

namespace nw {
namespace protocol {
namespace websocket {
namespace {

bool isBase64(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'; }

// A Sec-WebSocket-Key must be base64 of 16 bytes: 22 characters and "==".
bool validKey(const uint8_t* key, size_t n) {
  if (n != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; i++)
    if (!isBase64(key[i])) return false;
  return true;
}

// A field that may come as several lines: one list, as RFC 9110 5.3 joins them.
void joinList(const http::Field& f, std::string* list) {
  if (!list->empty()) *list += ", ";
  list->append(reinterpret_cast<const char*>(f.value), f.valueLength);
}

// Upgrade: websocket and Connection: upgrade, as both sides need them.
struct UpgradeTokens {
  bool upgrade = false, connection = false;
  void see(const http::Field& f) {
    if (f.is("upgrade")) upgrade = upgrade || f.lists("websocket");
    else if (f.is("connection")) connection = connection || f.lists("upgrade");
  }
};

class RequestFields final : public http::FieldVisitor {
 public:
  int field(const http::Field& f, const char**) override {
    tokens.see(f);
    if (f.is("sec-websocket-version")) {
      versionSeen = true;
      version13 = f.valueIs("13");
    } else if (f.is("sec-websocket-key")) {
      key = f.value;
      keyLength = f.valueLength;
      keys++;
    } else if (f.is("sec-websocket-extensions")) {
      joinList(f, &extensions);
    }
    return 0;
  }

  UpgradeTokens tokens;
  bool versionSeen = false, version13 = false;
  const uint8_t* key = nullptr;
  size_t keyLength = 0;
  int keys = 0;
  std::string extensions;
};

class ResponseFields final : public http::FieldVisitor {
 public:
  explicit ResponseFields(const std::string& expected) : expected_(expected) {}
  int field(const http::Field& f, const char**) override {
    tokens.see(f);
    if (f.is("sec-websocket-accept"))
      accepted = f.valueLength == expected_.size() && std::memcmp(f.value, expected_.data(), f.valueLength) == 0;
    else if (f.is("sec-websocket-extensions")) {
      extensionsPresent = true;
      joinList(f, &extensions);
    }
    return 0;
  }

  UpgradeTokens tokens;
  bool accepted = false;
  bool extensionsPresent = false;
  std::string extensions;

 private:
  const std::string& expected_;
};

// The WebSocket rules, once the head has met the HTTP ones: why it is refused, or nullptr.
const char* upgradeProblem(const http::RequestHead& head, const RequestFields& f, int* status) {
  *status = 400;
  if (!head.get) return "a WebSocket handshake must be a GET request";
  if (!head.http11) return "a WebSocket handshake needs HTTP/1.1";
  // What follows the head is frames: a body there would be read as them.
  if (head.body != http::Body::kNone) return "a WebSocket handshake has no body";
  if (!f.tokens.upgrade) return "missing Upgrade: websocket";
  if (!f.tokens.connection) return "missing Connection: Upgrade";
  if (!f.versionSeen || !f.version13) {
    *status = 426;
    return "unsupported Sec-WebSocket-Version (13 is supported)";
  }
  if (f.keys != 1 || !validKey(f.key, f.keyLength)) return "missing or invalid Sec-WebSocket-Key";
  *status = 0;
  return nullptr;
}

std::string firstLine(const uint8_t* p, size_t n) {
  const void* eol = std::memchr(p, '\n', n);
  size_t length = eol ? size_t(static_cast<const uint8_t*>(eol) - p) : n;
  if (length && p[length - 1] == '\r') length--;
  return std::string(reinterpret_cast<const char*>(p), length > 80 ? 80 : length);
}

}  // namespace

bool parseUpgradeRequest(const uint8_t* p, size_t n, const http::Limits& limits, size_t scanned, UpgradeRequest* out) {
  *out = UpgradeRequest{};
  RequestFields fields;
  http::RequestHead head;
  if (!http::parseRequestHead(p, n, limits, &head, scanned, &fields)) return false;
  out->headLength = head.headLength;
  if (head.status) {
    out->status = head.status;
    out->error = head.error;
    return true;
  }
  if (const char* problem = upgradeProblem(head, fields, &out->status)) {
    out->error = problem;
    return true;
  }
  out->acceptKey = acceptKey(reinterpret_cast<const char*>(fields.key), fields.keyLength);
  out->extensions = std::move(fields.extensions);
  return true;
}

bool parseRequestOrUpgrade(const uint8_t* p, size_t n, const http::Limits& limits, size_t scanned,
                           http::RequestHead* head, bool* asksUpgrade, UpgradeRequest* upgrade) {
  *upgrade = UpgradeRequest{};
  *asksUpgrade = false;
  RequestFields fields;
  if (!http::parseRequestHead(p, n, limits, head, scanned, &fields)) return false;
  upgrade->headLength = head->headLength;
  *asksUpgrade = fields.tokens.upgrade && fields.tokens.connection;
  if (!*asksUpgrade || head->status) return true;
  if (const char* problem = upgradeProblem(*head, fields, &upgrade->status)) {
    upgrade->error = problem;
    return true;
  }
  upgrade->acceptKey = acceptKey(reinterpret_cast<const char*>(fields.key), fields.keyLength);
  upgrade->extensions = std::move(fields.extensions);
  return true;
}

bool parseUpgradeResponse(const uint8_t* p, size_t n, const std::string& expectedAccept, UpgradeResponse* out) {
  *out = UpgradeResponse{};
  ResponseFields fields(expectedAccept);
  http::Head head;
  if (!http::parseHead(p, n, http::StartLine::kStatus, http::Limits(), 0, &fields, &head)) return false;
  out->headLength = head.length;
  if (head.status == 431) out->problem = "handshake response head too large";
  else if (head.status && !head.length)  // refused before its end (a bare LF, a long line)
    out->problem = std::string("malformed handshake response head: ") + head.error;
  else if (head.code != 101 || head.minor != 1)  // a malformed status line has no code
    out->problem = "unexpected handshake response: " + firstLine(p, n);
  else if (head.status) out->problem = std::string("malformed handshake response head: ") + head.error;
  else if (!fields.tokens.upgrade || !fields.tokens.connection)
    out->problem = "handshake response lacks Upgrade/Connection headers";
  else if (!fields.accepted) out->problem = "Sec-WebSocket-Accept does not match the key";
  out->extensionsPresent = fields.extensionsPresent;
  out->extensions = std::move(fields.extensions);
  return true;
}

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
