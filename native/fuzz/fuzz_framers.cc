// The text and frame framers fed arbitrary bytes at arbitrary split points,
// used incrementally the way a connection uses them (with the text framer's
// "scanned" hint), and checked against the whole-stream reference.
//
// Input: byte 0 picks the protocol (bit 0: text/frame) and, in bits 1..7, a
// small maxPackageSize (127 = unlimited); the rest is chunks (reference.h).
#include <string>

#include "../protocol/ascii.h"
#include "../protocol/frame.h"
#include "../protocol/text.h"
#include "reference.h"

using namespace nw::protocol;
using namespace nwfuzz;

namespace {

const uint8_t* u(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

struct Incremental {
  bool text;
  size_t maxPackageSize;
  std::string buf;
  size_t scanned = 0;
  std::vector<std::string> messages;
  RefError error = RefError::None;

  void feed(const std::string& chunk) {
    if (error != RefError::None) return;
    buf += chunk;
    size_t pos = 0;
    for (;;) {
      size_t left = buf.size() - pos;
      if (left == 0) break;
      Boundary b = text ? text::boundary(u(buf) + pos, left, scanned) : frame::boundary(u(buf) + pos, left);
      if (text) {
        // The hint must not change the answer.
        Boundary plain = text::boundary(u(buf) + pos, left, 0);
        FUZZ_ASSERT(plain.length == b.length);
        FUZZ_ASSERT(b.length >= 0);
      }
      if (b.length < 0) {
        error = RefError::Protocol;
        return;
      }
      if (uint64_t(b.length) > maxPackageSize || (b.length == 0 && left >= maxPackageSize)) {
        error = RefError::TooLarge;
        return;
      }
      if (b.length == 0 || size_t(b.length) > left) {
        scanned = text ? left : 0;
        break;
      }
      size_t len = size_t(b.length);
      if (text) FUZZ_ASSERT(buf[pos + len - 1] == '\n');
      Payload p = text ? text::payload(u(buf) + pos, len) : frame::payload(u(buf) + pos, len);
      FUZZ_ASSERT(p.offset + p.length <= len);
      std::string payload = buf.substr(pos + p.offset, p.length);
      FUZZ_ASSERT(isAscii(u(payload), payload.size()) == naiveAscii(payload));
      messages.push_back(payload);
      pos += len;
      scanned = 0;
    }
    buf.erase(0, pos);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool text = !(data[0] & 1);
  size_t limit = data[0] >> 1;
  size_t maxPackageSize = limit == 127 ? SIZE_MAX : limit * 13;
  Incremental inc{text, maxPackageSize, {}, 0, {}, RefError::None};
  ChunkReader chunks{data + 1, size - 1};
  std::string all, chunk;
  while (chunks.next(&chunk)) {
    all += chunk;
    inc.feed(chunk);
  }
  RefResult ref = text ? referenceText(all, maxPackageSize) : referenceFrame(all, maxPackageSize);
  FUZZ_ASSERT(inc.messages == ref.messages);
  if (ref.eitherError) FUZZ_ASSERT(inc.error != RefError::None);
  else FUZZ_ASSERT(inc.error == ref.error);
  if (ref.error == RefError::None) FUZZ_ASSERT(inc.buf == ref.rest);

  // Frame headers round-trip for any payload length that fits.
  if (size >= 5) {
    uint32_t len = be32(std::string(reinterpret_cast<const char*>(data) + size - 4, 4), 0);
    if (len <= UINT32_MAX - 4) {
      uint8_t hdr[4];
      frame::writeHeader(hdr, len);
      FUZZ_ASSERT(frame::boundary(hdr, 4).length == int64_t(len) + 4);
    }
  }
  // isAscii on every suffix of a small window (alignment of the 8-byte path).
  for (size_t off = 0; off < 9 && off < all.size(); off++) {
    std::string s = all.substr(off);
    FUZZ_ASSERT(isAscii(u(s), s.size()) == naiveAscii(s));
  }
  return 0;
}
