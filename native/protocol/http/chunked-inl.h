#pragma once

namespace nw {
namespace protocol {
namespace http {

namespace detail {
inline int hexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace detail

template <typename Sink>
ChunkedDecoder::Result ChunkedDecoder::feed(const uint8_t* p, size_t n, size_t* consumed, Sink sink) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    switch (state_) {
      case kSize: {
        int v = detail::hexValue(c);
        if (v >= 0) {
          if (++sizeDigits_ > 15) return kError;  // no overflow: at most 15 hex digits
          remaining_ = remaining_ * 16 + uint64_t(v);
          i++;
        } else if (sizeDigits_ == 0) {
          return kError;
        } else if (c == ';') {
          state_ = kExtension;
          i++;
        } else if (c == '\r') {
          state_ = kSizeLF;
          i++;
        } else {
          return kError;  // no whitespace or bare LF after the size
        }
        break;
      }
      case kExtension:
        if (c == '\r') state_ = kSizeLF;
        else if (c == '\n' || c < 0x09 || c == 0x7F) return kError;
        i++;
        break;
      case kSizeLF:
        if (c != '\n') return kError;
        i++;
        sizeDigits_ = 0;
        state_ = remaining_ == 0 ? kTrailerStart : kData;
        break;
      case kData: {
        size_t take = n - i < remaining_ ? n - i : size_t(remaining_);
        sink(p + i, take);
        decoded_ += take;
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = kDataCR;
        break;
      }
      case kDataCR:
        if (c != '\r') return kError;
        i++;
        state_ = kDataLF;
        break;
      case kDataLF:
        if (c != '\n') return kError;
        i++;
        state_ = kSize;
        break;
      case kTrailerStart:  // an empty line ends the message; else a trailer field
        if (c == '\r') {
          state_ = kFinalLF;
        } else if (c == ' ' || c == '\t' || c == '\n') {
          return kError;
        } else {
          state_ = kTrailerLine;
        }
        i++;
        break;
      case kTrailerLine:
        if (c == '\r') state_ = kTrailerLF;
        else if (c == '\n') return kError;
        i++;
        break;
      case kTrailerLF:
        if (c != '\n') return kError;
        i++;
        state_ = kTrailerStart;
        break;
      case kFinalLF:
        if (c != '\n') return kError;
        *consumed = i + 1;
        return kDone;
    }
  }
  *consumed = i;
  return kNeedMore;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
