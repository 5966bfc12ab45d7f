// HTTP/1.1 request heads (RFC 9112): the head parser (head.h) with the
// request's own rules on top, strict: whatever could let a second request hide
// in a body (two lengths, an unknown coding, two Hosts) is refused rather than
// interpreted. The WebSocket upgrade is one more layer on top of this one.
#pragma once
#include <cstddef>
#include <cstdint>

#include "head.h"

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
};

// Returns false while the head is incomplete (and within limits); true when
// `out` holds either a parsed head or an error status. `scanned` and `more`
// as for parseHead: `more` sees each field line the request rules let pass.
bool parseRequestHead(const uint8_t* p, size_t n, const Limits& limits, RequestHead* out, size_t scanned = 0,
                      FieldVisitor* more = nullptr);

// Incremental Transfer-Encoding: chunked decoder.
class ChunkedDecoder {
 public:
  enum Result { kNeedMore, kDone, kError };
  // Consumes input (sets *consumed) and calls sink(data, length) for decoded
  // bytes. Stops after the final chunk and its trailers.
  template <typename Sink>
  Result feed(const uint8_t* p, size_t n, size_t* consumed, Sink sink);
  uint64_t decodedSize() const { return decoded_; }

 private:
  enum State : uint8_t { kSize, kExtension, kSizeLF, kData, kDataCR, kDataLF, kTrailerStart, kTrailerLine, kTrailerLF, kFinalLF };
  State state_ = kSize;
  uint64_t remaining_ = 0;
  uint64_t decoded_ = 0;
  int sizeDigits_ = 0;
};

}  // namespace http
}  // namespace protocol
}  // namespace nw

#include "chunked-inl.h"
