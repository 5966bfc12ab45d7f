// HTTP/1.1 request heads (RFC 9112): the head parser (head.h) with the
// request's own rules on top, strict: whatever could let a second request hide
// in a body (two lengths, an unknown coding, two Hosts) is refused rather than
// interpreted. The WebSocket upgrade is one more layer on top of this one.
#pragma once
#include <cstddef>
#include <cstdint>

#include "chunked.h"
#include "head.h"
#include "request_target.h"

namespace nw {
namespace protocol {
namespace http {

enum class Body : uint8_t { kNone, kLength, kChunked };

struct RequestHead {
  int status = 0;          // 0: valid; else the HTTP status to answer before closing
  const char* error = "";  // why, for the response body
  size_t headLength = 0;   // bytes up to and including the blank line
  Body body = Body::kNone;
  uint64_t contentLength = 0;
  bool keepAlive = true;
  bool expectContinue = false;
  bool head = false;  // the HEAD method: the response has no body
  bool get = false;   // the GET method
  bool http11 = false;
  bool connect = false;  // the CONNECT method (its target is authority-form, it has no body)
  TargetForm target = TargetForm::kOrigin;
};

// Returns false while the head is incomplete (and within limits); true when
// `out` holds either a parsed head or an error status. `scanned` and `more`
// as for parseHead: `more` sees each field line the request rules let pass.
bool parseRequestHead(const uint8_t* p, size_t n, const Limits& limits, RequestHead* out, size_t scanned = 0,
                      FieldVisitor* more = nullptr);

// RFC 9112 2.2: empty lines (CRLF) received before a request line are ignored,
// up to kMaxEmptyLines of them (more are refused, 400).
constexpr size_t kMaxEmptyLines = 8;

// The number of whole CRLF pairs at the front of p[0, n); *needMore when what
// follows them is a CR that may still become one.
inline size_t leadingEmptyLines(const uint8_t* p, size_t n, bool* needMore) {
  size_t lines = 0;
  while (2 * lines + 1 < n && p[2 * lines] == '\r' && p[2 * lines + 1] == '\n') lines++;
  *needMore = 2 * lines + 1 == n && p[2 * lines] == '\r';
  return lines;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw

