// Transfer-Encoding: chunked (RFC 9112 7.1), decoded incrementally and
// strictly, so that no split of the bytes and no quote-aware or -unaware peer
// can see the body end elsewhere:
//   - chunk-size: 1 to 15 hex digits (no overflow).
//   - chunk-ext: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
//     parsed, not skipped: an empty extension, a control byte, a quoted string
//     that the line end leaves open, a bare CR or LF are refused. Extensions
//     (and the whitespace around them) of one body share a byte budget.
//   - The data of each chunk is followed by CRLF.
//   - The trailer section: field lines validated like header fields (token
//     name, the colon right after it, no control byte but HTAB in the value,
//     no folding), bounded in bytes; then the empty line. Trailers are not
//     kept: the request is the head and the decoded body.
// The same bytes give the same answer however they are split between calls.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nw {
namespace protocol {
namespace http {

struct ChunkedLimits {
  size_t maxExtensionBytes = 16384;  // all size lines of one body, past their digits, line ends not counted
  size_t maxTrailerBytes = 16384;    // the trailer section, its line ends included
};

class ChunkedDecoder {
 public:
  enum Result { kNeedMore, kDone, kError };
  explicit ChunkedDecoder(const ChunkedLimits& limits = ChunkedLimits()) : limits_(limits) {}

  // Consumes input (sets *consumed) and calls sink(data, length) for decoded
  // bytes. Stops after the final chunk and its trailers. After kError every
  // call is kError again; error() says why.
  template <typename Sink>
  Result feed(const uint8_t* p, size_t n, size_t* consumed, Sink sink);
  uint64_t decodedSize() const { return decoded_; }
  const char* error() const { return error_; }

 private:
  enum State : uint8_t {
    kSize,            // hex digits
    kSizeSpace,       // BWS after the digits: only ";" may follow
    kExtBeforeName,   // after ";" (BWS allowed)
    kExtName,
    kExtAfterName,    // BWS after a name: "=" or ";" follows
    kExtBeforeValue,  // after "=" (BWS allowed)
    kExtToken,
    kExtQuoted,
    kExtQuotedPair,   // after a backslash in a quoted string
    kExtAfterQuote,   // right after a closing quote: the line may end
    kExtAfterValue,   // BWS after a value: ";" follows
    kSizeLF,
    kData,
    kDataCR,
    kDataLF,
    kTrailerStart,    // a field line or the final empty line
    kTrailerName,
    kTrailerValue,
    kTrailerLF,
    kFinalLF,
    kFailed,
  };
  // One byte of anything but chunk data: kNeedMore to go on, kDone after the last LF.
  Result step(uint8_t c);
  Result sizeLine(uint8_t c);
  Result trailer(uint8_t c);
  Result fail(const char* why);

  ChunkedLimits limits_;
  State state_ = kSize;
  uint8_t sizeDigits_ = 0;
  uint64_t remaining_ = 0;
  uint64_t decoded_ = 0;
  size_t extensionBytes_ = 0;
  size_t trailerBytes_ = 0;
  const char* error_ = "";
};

template <typename Sink>
ChunkedDecoder::Result ChunkedDecoder::feed(const uint8_t* p, size_t n, size_t* consumed, Sink sink) {
  size_t i = 0;
  Result r = state_ == kFailed ? kError : kNeedMore;
  while (i < n && r == kNeedMore) {
    if (state_ == kData) {
      size_t take = n - i < remaining_ ? n - i : size_t(remaining_);
      sink(p + i, take);
      decoded_ += take;
      remaining_ -= take;
      i += take;
      if (remaining_ == 0) state_ = kDataCR;
      continue;
    }
    r = step(p[i]);
    if (r != kError) i++;
  }
  *consumed = i;
  return r;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
