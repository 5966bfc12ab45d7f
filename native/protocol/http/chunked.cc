#include "chunked.h"

#include "tokens.h"

namespace nw {
namespace protocol {
namespace http {
namespace {

int hexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isBws(uint8_t c) { return c == ' ' || c == '\t'; }

// RFC 9110 5.6.4: qdtext and the byte after a backslash (quoted-pair).
bool isQdtext(uint8_t c) { return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x7E && c != '\\') || c >= 0x80; }
bool isQuotedPairByte(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

}  // namespace

ChunkedDecoder::Result ChunkedDecoder::fail(const char* why) {
  state_ = kFailed;
  error_ = why;
  return kError;
}

ChunkedDecoder::Result ChunkedDecoder::step(uint8_t c) {
  switch (state_) {
    case kSizeLF:
      if (c != '\n') return fail("malformed chunk size line");
      sizeDigits_ = 0;
      state_ = remaining_ == 0 ? kTrailerStart : kData;
      return kNeedMore;
    case kDataCR:
    case kDataLF:
      if (c != (state_ == kDataCR ? '\r' : '\n')) return fail("chunk data not followed by CRLF");
      state_ = state_ == kDataCR ? kDataLF : kSize;
      return kNeedMore;
    case kTrailerStart:
    case kTrailerName:
    case kTrailerValue:
    case kTrailerLF:
    case kFinalLF:
      return trailer(c);
    case kFailed:
      return kError;
    default:
      return sizeLine(c);
  }
}

ChunkedDecoder::Result ChunkedDecoder::sizeLine(uint8_t c) {
  if (state_ == kSize) {
    int v = hexValue(c);
    if (v >= 0) {
      if (++sizeDigits_ > 15) return fail("chunk size too large");
      remaining_ = remaining_ * 16 + uint64_t(v);
      return kNeedMore;
    }
    if (sizeDigits_ == 0) return fail("malformed chunk size");
  }
  // The line ends where the grammar may: after the digits, a name, or a value.
  if (c == '\r' && (state_ == kSize || state_ == kExtName || state_ == kExtToken || state_ == kExtAfterQuote)) {
    state_ = kSizeLF;
    return kNeedMore;
  }
  if (++extensionBytes_ > limits_.maxExtensionBytes) return fail("chunk extensions too long");
  switch (state_) {
    case kSize:
    case kSizeSpace:
      if (isBws(c)) state_ = kSizeSpace;
      else if (c == ';') state_ = kExtBeforeName;
      else return fail("malformed chunk size");
      return kNeedMore;
    case kExtBeforeName:
      if (isTchar(c)) state_ = kExtName;
      else if (!isBws(c)) return fail("malformed chunk extension");
      return kNeedMore;
    case kExtName:
    case kExtAfterName:
      if (isTchar(c) && state_ == kExtName) return kNeedMore;
      if (isBws(c)) state_ = kExtAfterName;
      else if (c == '=') state_ = kExtBeforeValue;
      else if (c == ';') state_ = kExtBeforeName;
      else return fail("malformed chunk extension");
      return kNeedMore;
    case kExtBeforeValue:
      if (c == '"') state_ = kExtQuoted;
      else if (isTchar(c)) state_ = kExtToken;
      else if (!isBws(c)) return fail("malformed chunk extension");
      return kNeedMore;
    case kExtToken:
    case kExtAfterQuote:
    case kExtAfterValue:
      if (isTchar(c) && state_ == kExtToken) return kNeedMore;
      if (isBws(c)) state_ = kExtAfterValue;
      else if (c == ';') state_ = kExtBeforeName;
      else return fail("malformed chunk extension");
      return kNeedMore;
    case kExtQuoted:
      if (c == '"') state_ = kExtAfterQuote;
      else if (c == '\\') state_ = kExtQuotedPair;
      else if (!isQdtext(c)) return fail("malformed quoted string in a chunk extension");
      return kNeedMore;
    case kExtQuotedPair:
      if (!isQuotedPairByte(c)) return fail("malformed quoted string in a chunk extension");
      state_ = kExtQuoted;
      return kNeedMore;
    default:
      return fail("malformed chunk size line");
  }
}

ChunkedDecoder::Result ChunkedDecoder::trailer(uint8_t c) {
  if (++trailerBytes_ > limits_.maxTrailerBytes) return fail("trailer section too large");
  switch (state_) {
    case kTrailerStart:
      if (c == '\r') state_ = kFinalLF;
      else if (isTchar(c)) state_ = kTrailerName;
      else return fail("malformed trailer field");
      return kNeedMore;
    case kTrailerName:
      if (c == ':') state_ = kTrailerValue;
      else if (!isTchar(c)) return fail("malformed trailer field");
      return kNeedMore;
    case kTrailerValue:
      if (c == '\r') state_ = kTrailerLF;
      else if (!isFieldValueByte(c)) return fail("invalid character in a trailer field");
      return kNeedMore;
    case kTrailerLF:
      if (c != '\n') return fail("malformed trailer field");
      state_ = kTrailerStart;
      return kNeedMore;
    default:  // kFinalLF
      if (c != '\n') return fail("malformed end of the chunked body");
      state_ = kTrailerStart;
      return kDone;
  }
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
