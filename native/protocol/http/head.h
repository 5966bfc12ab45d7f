// The one HTTP/1.x head parser (RFC 9112): request heads for the HTTP server
// and the WebSocket upgrade, status heads for the WebSocket client's 101.
// Pure functions over bytes. What a head means (bodies, Host, Upgrade) is
// decided by the layers on top: request_head.h, websocket/handshake.h.
//
// One strictness policy for every use, the strictest either of the two
// scanners it replaces enforced:
//   - Every line ends in CRLF. A bare LF is refused (400) as soon as it is
//     seen; a CR not followed by LF is refused by the syntax below.
//   - The head ends at the first empty line and, blank line included, is at
//     most maxHeadSize bytes (431, decided once that many bytes have come).
//   - The start line is at most maxRequestLine bytes (414, decided once that
//     many bytes have come without a line end): a request line is
//     token SP target SP "HTTP/1." DIGIT (target: visible ASCII; minor 0 or 1,
//     else 505); a status line is "HTTP/1." DIGIT SP 3DIGIT, then nothing or
//     SP and a reason phrase without control bytes (HTAB allowed) or DEL. The
//     one tolerance: a status line may end right after its code, as Node's
//     own HTTP client accepts; the reason is never read.
//   - At most maxHeaders field lines (431). Each is a token name, the colon
//     right after it (no whitespace before it), then a value that may not hold
//     NUL, CR, other control bytes but HTAB, or DEL. A line that starts with
//     SP or HTAB (obsolete line folding) is refused.
//   - The first fault in the order of the bytes decides, so the answer never
//     depends on how the bytes arrived: an unfinished head is refused for what
//     its bytes so far already show, and its completion is refused the same way.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tokens.h"

namespace nw {
namespace protocol {
namespace http {

struct Limits {
  size_t maxHeadSize = 16384;
  size_t maxRequestLine = 8192;  // the start line, request or status
  size_t maxHeaders = 100;
};

enum class StartLine : uint8_t { kRequest, kStatus };

struct Field {
  const uint8_t* name;
  size_t nameLength;
  const uint8_t* value;  // without the whitespace around it
  size_t valueLength;

  bool is(const char* lowerCaseName) const {
    return equalsNoCase(reinterpret_cast<const char*>(name), nameLength, lowerCaseName);
  }
  // Whether the comma-separated value lists `token` (case-insensitive).
  bool lists(const char* token) const { return hasToken(reinterpret_cast<const char*>(value), valueLength, token); }
  bool valueIs(const char* text) const {
    return equalsNoCase(reinterpret_cast<const char*>(value), valueLength, text);
  }
};

// What a layer on top makes of each field line, in order.
class FieldVisitor {
 public:
  // Returns 0 to go on, or the HTTP status that refuses the head (*error says why).
  virtual int field(const Field& f, const char** error) = 0;

 protected:
  ~FieldVisitor() = default;
};

struct Head {
  int status = 0;          // 0: well formed; else the HTTP status that refuses it
  const char* error = "";  // why, for the response body
  size_t length = 0;       // bytes up to and including the blank line
  size_t startLine = 0;    // bytes of the start line, without its CRLF
  uint8_t minor = 0;       // HTTP/1.<minor>
  size_t methodLength = 0;  // request: the method, at the front
  int code = 0;             // status line: the status code (set even when a field line is refused)
};

// Returns false while the head is unfinished (and nothing refuses it yet);
// true when `out` holds a well-formed head or the status that refuses it.
// `scanned` bytes at the front were given before and left it undecided.
// `visitor` (may be null) sees each well-formed field line.
bool parseHead(const uint8_t* p, size_t n, StartLine kind, const Limits& limits, size_t scanned,
               FieldVisitor* visitor, Head* out);

}  // namespace http
}  // namespace protocol
}  // namespace nw
