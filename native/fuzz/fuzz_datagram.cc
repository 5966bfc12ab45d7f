// Whole-datagram decoding (protocol/datagram.h) for text, frame and raw,
// checked against a plain statement of the rule, and the framing of a reply
// (protocol/outgoing.h) decoded back to the same payload.
//
// Input: byte 0 picks the kind (0 raw, 1 text, 2 frame); the rest is one datagram.
#include <cstring>
#include <string>
#include <vector>

#include "../protocol/datagram.h"
#include "../protocol/outgoing.h"
#include "reference.h"

using namespace nw::protocol;

namespace {

// The rule, stated directly: text is one line ending in "\n" (an "\r" before it
// is dropped); frame is a header whose big-endian total is the datagram's length.
bool expected(Kind kind, const std::string& d, std::string* payload) {
  if (kind == Kind::Raw) {
    *payload = d;
    return true;
  }
  if (kind == Kind::Text) {
    if (d.empty() || d.back() != '\n' || d.find('\n') != d.size() - 1) return false;
    std::string line = d.substr(0, d.size() - 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    *payload = line;
    return true;
  }
  if (d.size() < 4) return false;
  uint64_t total = (uint64_t(uint8_t(d[0])) << 24) | (uint64_t(uint8_t(d[1])) << 16) | (uint64_t(uint8_t(d[2])) << 8) | uint8_t(d[3]);
  if (total != d.size()) return false;
  *payload = d.substr(4);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Kind kind = data[0] % 3 == 0 ? Kind::Raw : data[0] % 3 == 1 ? Kind::Text : Kind::Frame;
  std::string datagram(reinterpret_cast<const char*>(data + 1), size - 1);
  // A copy of exactly the datagram's bytes, so that ASan sees any read past it.
  std::vector<uint8_t> bytes(datagram.begin(), datagram.end());
  Payload p{0, 0};
  bool decoded = datagram::decode(kind, bytes.data(), bytes.size(), &p);
  std::string want;
  bool ok = expected(kind, datagram, &want);
  FUZZ_ASSERT(decoded == ok);
  if (!decoded) return 0;
  FUZZ_ASSERT(p.offset + p.length <= bytes.size());
  FUZZ_ASSERT(std::string(reinterpret_cast<const char*>(bytes.data()) + p.offset, p.length) == want);
  // A reply with this payload, framed the way the kind sends, decodes back to it
  // (text: unless the payload itself holds a line end).
  Framing framing = kind == Kind::Text ? Framing::Line : kind == Kind::Frame ? Framing::Length : Framing::None;
  size_t room = headerRoom(framing, want.size(), false);
  std::vector<uint8_t> out(room + want.size() + trailerSize(framing));
  if (!want.empty()) std::memcpy(out.data() + room, want.data(), want.size());
  size_t framed = frameInPlace(out.data(), room, framing, want.size(), nullptr);
  FUZZ_ASSERT(framed == out.size());
  bool lineInside = want.find('\n') != std::string::npos || (!want.empty() && want.back() == '\r');
  if (kind == Kind::Text && lineInside) return 0;
  Payload back{0, 0};
  FUZZ_ASSERT(datagram::decode(kind, out.data(), out.size(), &back));
  FUZZ_ASSERT(std::string(reinterpret_cast<const char*>(out.data()) + back.offset, back.length) == want);
  return 0;
}
