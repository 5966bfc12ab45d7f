// The pure framers: text (line) and frame (4-byte big-endian total length).
#include <string>

#include "../protocol/ascii.h"
#include "../protocol/frame.h"
#include "../protocol/text.h"
#include "harness.h"

using namespace nw::protocol;

namespace {
const uint8_t* u(const char* s) { return reinterpret_cast<const uint8_t*>(s); }
const uint8_t* u(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
int64_t textLen(const std::string& s, size_t scanned = 0) { return text::boundary(u(s), s.size(), scanned).length; }
std::string textPayload(const std::string& line) {
  Payload p = text::payload(u(line), line.size());
  return line.substr(p.offset, p.length);
}
int64_t frameLen(const std::string& s) { return frame::boundary(u(s), s.size()).length; }
std::string be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = char(v >> 24);
  s[1] = char(v >> 16);
  s[2] = char(v >> 8);
  s[3] = char(v);
  return s;
}
}  // namespace

TEST(text_boundary_basic) {
  CHECK_EQ(textLen(""), 0);
  CHECK_EQ(textLen("abc"), 0);
  CHECK_EQ(textLen("\n"), 1);
  CHECK_EQ(textLen("abc\n"), 4);
  CHECK_EQ(textLen("abc\ndef\n"), 4);  // the first message only
  CHECK_EQ(textLen("abc\r\n"), 5);
  CHECK_EQ(textLen("\r"), 0);
  CHECK_EQ(textLen(std::string("a\0b\n", 4)), 4);  // NUL is an ordinary byte
}

TEST(text_boundary_scanned_hint) {
  // scanned bytes are known to hold no newline; the result is still relative
  // to the start.
  CHECK_EQ(textLen("abcdef\n", 3), 7);
  CHECK_EQ(textLen("abcdef\n", 6), 7);
  CHECK_EQ(textLen("abcdef\n", 7), 0);  // everything scanned
  CHECK_EQ(textLen("abc", 3), 0);
  CHECK_EQ(textLen("abc", 10), 0);  // beyond the end
}

TEST(text_payload_cr_handling) {
  CHECK_EQ(textPayload("\n"), std::string(""));
  CHECK_EQ(textPayload("\r\n"), std::string(""));
  CHECK_EQ(textPayload("abc\n"), std::string("abc"));
  CHECK_EQ(textPayload("abc\r\n"), std::string("abc"));
  CHECK_EQ(textPayload("abc\r\r\n"), std::string("abc\r"));  // only one \r is dropped
  CHECK_EQ(textPayload("\rabc\n"), std::string("\rabc"));
  CHECK_EQ(textPayload("a\rb\n"), std::string("a\rb"));
}

TEST(text_split_byte_by_byte) {
  // A streaming splitter over the pure function, fed one byte at a time.
  std::string stream = "hello\r\nworld\n\n\r\nlast";
  std::string buf;
  size_t scanned = 0;
  std::vector<std::string> got;
  for (char ch : stream) {
    buf.push_back(ch);
    for (;;) {
      int64_t n = textLen(buf, scanned);
      if (n == 0) {
        scanned = buf.size();
        break;
      }
      got.push_back(textPayload(buf.substr(0, size_t(n))));
      buf.erase(0, size_t(n));
      scanned = 0;
    }
  }
  REQUIRE_EQ(got.size(), 4u);
  CHECK_EQ(got[0], std::string("hello"));
  CHECK_EQ(got[1], std::string("world"));
  CHECK_EQ(got[2], std::string(""));
  CHECK_EQ(got[3], std::string(""));
  CHECK_EQ(buf, std::string("last"));
}

TEST(frame_header_partial) {
  std::string h = be32(10);
  CHECK_EQ(frameLen(""), 0);
  CHECK_EQ(frameLen(h.substr(0, 1)), 0);
  CHECK_EQ(frameLen(h.substr(0, 2)), 0);
  CHECK_EQ(frameLen(h.substr(0, 3)), 0);
  CHECK_EQ(frameLen(h), 10);  // known before the payload arrives
  CHECK_EQ(frameLen(h + "abcdef"), 10);
  CHECK_EQ(frameLen(h + "abcdef" + be32(5)), 10);
}

TEST(frame_length_below_4_invalid) {
  for (uint32_t v = 0; v < 4; v++) CHECK_EQ(frameLen(be32(v)), -1);
  CHECK_EQ(frameLen(be32(4)), 4);  // an empty payload is fine
  // Partial headers of what will be an invalid length are not yet invalid.
  CHECK_EQ(frameLen(be32(0).substr(0, 3)), 0);
}

TEST(frame_length_is_big_endian_and_unsigned) {
  CHECK_EQ(frameLen(be32(0x01020304)), 0x01020304);
  CHECK_EQ(frameLen(be32(0xFFFFFFFFu)), int64_t(0xFFFFFFFFu));
  CHECK_EQ(frameLen(be32(0x80000000u)), int64_t(0x80000000u));
  CHECK_EQ(frameLen(std::string("\x00\x00\x01\x00", 4)), 256);
}

TEST(frame_payload_and_header_roundtrip) {
  Payload p = frame::payload(nullptr, 4);
  CHECK_EQ(p.offset, 4u);
  CHECK_EQ(p.length, 0u);
  p = frame::payload(nullptr, 104);
  CHECK_EQ(p.offset, 4u);
  CHECK_EQ(p.length, 100u);
  uint8_t hdr[4];
  for (uint32_t len : {0u, 1u, 255u, 256u, 65536u, 0x7FFFFFFBu}) {
    frame::writeHeader(hdr, len);
    CHECK_EQ(frame::boundary(hdr, 4).length, int64_t(len) + 4);
  }
}

TEST(ascii_detection) {
  CHECK(isAscii(u(""), 0));
  CHECK(isAscii(u("hello world, this is longer than 8"), 34));
  std::string s(37, 'a');
  for (size_t i = 0; i < s.size(); i++) {
    std::string t = s;
    t[i] = char(0x80);
    CHECK(!isAscii(u(t), t.size()));
    CHECK(isAscii(u(t), i));  // the prefix before it is ASCII
  }
  CHECK(isAscii(u("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"), 9));
}
