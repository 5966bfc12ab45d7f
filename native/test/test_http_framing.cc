// HTTP framing past the head: the chunked decoder (extensions, trailers,
// limits; the same answer at every split) and the request target's form.
#include <string>

#include "../protocol/http/request_head.h"
#include "harness.h"

using namespace nw::protocol;

namespace {

struct Decoded {
  http::ChunkedDecoder::Result result = http::ChunkedDecoder::kNeedMore;
  std::string body;
  std::string error;
  size_t consumed = 0;
};

// Feeds `s` cut at `cut` (s.size(): in one piece).
Decoded decode(const std::string& s, size_t cut, const http::ChunkedLimits& limits = http::ChunkedLimits()) {
  http::ChunkedDecoder decoder(limits);
  Decoded d;
  auto sink = [&](const uint8_t* p, size_t n) { d.body.append(reinterpret_cast<const char*>(p), n); };
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t used = 0;
  d.result = decoder.feed(p, cut, &used, sink);
  d.consumed = used;
  if (d.result == http::ChunkedDecoder::kNeedMore && cut < s.size()) {
    d.result = decoder.feed(p + cut, s.size() - cut, &used, sink);
    d.consumed += used;
  }
  d.error = decoder.error();
  return d;
}

// Every split gives the whole input's answer.
Decoded decodeEverySplit(const std::string& s) {
  Decoded whole = decode(s, s.size());
  for (size_t cut = 0; cut < s.size(); cut++) {
    Decoded split = decode(s, cut);
    CHECK_EQ(int(split.result), int(whole.result));
    CHECK_EQ(split.body, whole.body);
    CHECK_EQ(split.error, whole.error);
    if (whole.result == http::ChunkedDecoder::kDone) CHECK_EQ(split.consumed, whole.consumed);
  }
  return whole;
}

int target(const std::string& line) {
  http::RequestHead h;
  std::string s = line + " HTTP/1.1\r\nHost: h\r\n\r\n";
  http::parseRequestHead(reinterpret_cast<const uint8_t*>(s.data()), s.size(), http::Limits(), &h);
  return h.status;
}

}  // namespace

TEST(chunked_extensions_that_follow_the_grammar) {
  for (const char* body : {"5;a=b\r\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n0;b\r\n\r\n",
                           "5 ; a = b ;\tc=\t\"x\\\" ;\"\r\nhello\r\n0\r\n\r\n", "5;a=\"\";b\r\nhello\r\n0\r\n\r\n"}) {
    Decoded d = decodeEverySplit(std::string(body) + "NEXT");
    CHECK_EQ(int(d.result), int(http::ChunkedDecoder::kDone));
    CHECK_EQ(d.body, std::string("hello"));
    CHECK_EQ(d.consumed, std::string(body).size());  // not one byte of what follows
  }
}

TEST(chunked_extensions_refused) {
  for (const char* body : {"2;\r\naa\r\n0\r\n\r\n", "2;a;;b\r\naa\r\n0\r\n\r\n", "2;=b\r\naa\r\n", "2;a=\r\naa\r\n",
                           "2;a=b c\r\naa\r\n", "2;a \r\naa\r\n", "2 \r\naa\r\n", "2;a\x01\r\naa\r\n",
                           "2;a=\"b\r\naa\r\n0\r\n\r\n", "2;a=\"b\"c\r\n", "2;a\rb\r\n", "2;a\n", "2\n", "2;a=\"\\\x01\"\r\n",
                           "5;a=\"abc\r\nhello\r\n0\r\n\r\n"}) {
    Decoded d = decodeEverySplit(body);
    CHECK_EQ(int(d.result), int(http::ChunkedDecoder::kError));
    CHECK(!d.error.empty());
  }
}

TEST(chunked_extension_budget_is_per_body) {
  http::ChunkedLimits limits;
  limits.maxExtensionBytes = 64;
  std::string ext(40, 'x');
  std::string one = "1;" + ext + "\r\nz\r\n";
  CHECK_EQ(int(decode(one + "0\r\n\r\n", one.size() + 5, limits).result), int(http::ChunkedDecoder::kDone));
  Decoded two = decode(one + one + "0\r\n\r\n", 0, limits);
  CHECK_EQ(int(two.result), int(http::ChunkedDecoder::kError));
  CHECK_EQ(two.error, std::string("chunk extensions too long"));
  // Decided once the budget is spent, not at the line end.
  Decoded open = decode("1;" + std::string(100, 'x'), 0, limits);
  CHECK_EQ(int(open.result), int(http::ChunkedDecoder::kError));
}

TEST(chunked_trailers_are_fields) {
  Decoded ok = decodeEverySplit("0\r\nX-A: v\r\nB:\r\nC:\tw\t\r\n\r\nNEXT");
  CHECK_EQ(int(ok.result), int(http::ChunkedDecoder::kDone));
  CHECK_EQ(ok.consumed, std::string("0\r\nX-A: v\r\nB:\r\nC:\tw\t\r\n\r\n").size());
  const std::string nul("0\r\nX\0: v\r\n\r\n", 12);
  for (const std::string& s : {std::string("0\r\nfoo\r\n\r\n"), std::string("0\r\n: v\r\n\r\n"),
                               std::string("0\r\nX : v\r\n\r\n"), nul, std::string("0\r\nX: a\x01\r\n\r\n"),
                               std::string("0\r\nX: a\x7f\r\n\r\n"), std::string("0\r\nX: a\r\n b\r\n\r\n"),
                               std::string("0\r\nX: a\n\r\n"), std::string("0\r\n\n"), std::string("0\r\nX: a\rb\r\n\r\n")}) {
    Decoded d = decodeEverySplit(s);
    CHECK_EQ(int(d.result), int(http::ChunkedDecoder::kError));
  }
  http::ChunkedLimits limits;
  limits.maxTrailerBytes = 32;
  CHECK_EQ(int(decode("0\r\nX: " + std::string(40, 'v') + "\r\n\r\n", 0, limits).result), int(http::ChunkedDecoder::kError));
  CHECK_EQ(int(decode("0\r\nX: " + std::string(20, 'v') + "\r\n\r\n", 0, limits).result), int(http::ChunkedDecoder::kDone));
}

TEST(chunked_after_an_error_stays_refused) {
  http::ChunkedDecoder decoder;
  size_t used = 0;
  auto sink = [](const uint8_t*, size_t) {};
  CHECK_EQ(int(decoder.feed(reinterpret_cast<const uint8_t*>("2;\r\n"), 4, &used, sink)), int(http::ChunkedDecoder::kError));
  CHECK_EQ(int(decoder.feed(reinterpret_cast<const uint8_t*>("0\r\n\r\n"), 5, &used, sink)), int(http::ChunkedDecoder::kError));
  CHECK_EQ(used, size_t(0));
}

TEST(request_target_forms) {
  CHECK_EQ(target("GET /"), 0);
  CHECK_EQ(target("GET //x/../y?a=b"), 0);
  CHECK_EQ(target("GET http://h"), 0);
  CHECK_EQ(target("GET HTTPS://h:443/p?q"), 0);
  CHECK_EQ(target("GET http://[::1]:8080/"), 0);
  CHECK_EQ(target("GET http://a%20b.example/"), 0);
  CHECK_EQ(target("OPTIONS *"), 0);
  CHECK_EQ(target("CONNECT h:443"), 0);
  CHECK_EQ(target("CONNECT [::1]:443"), 0);
  CHECK_EQ(target("GET ../../etc/passwd"), 400);
  CHECK_EQ(target("GET other.example:80"), 400);
  CHECK_EQ(target("GET *"), 400);
  CHECK_EQ(target("OPTIONS *x"), 400);
  CHECK_EQ(target("GET ftp://h/"), 400);
  CHECK_EQ(target("GET http:///x"), 400);
  CHECK_EQ(target("GET http://u@h/"), 400);
  CHECK_EQ(target("GET http://h:65536/"), 400);
  CHECK_EQ(target("GET http://h:8a/"), 400);
  CHECK_EQ(target("GET http://[zz]/"), 400);
  CHECK_EQ(target("GET http://a%2/"), 400);
  CHECK_EQ(target("CONNECT /"), 400);
  CHECK_EQ(target("CONNECT h"), 400);
  CHECK_EQ(target("CONNECT h:"), 400);
  CHECK_EQ(target("CONNECT *"), 400);
  CHECK_EQ(target("CONNECT http://h:80/"), 400);
}

TEST(request_connect_has_no_body) {
  http::RequestHead h;
  std::string s = "CONNECT h:443 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
  http::parseRequestHead(reinterpret_cast<const uint8_t*>(s.data()), s.size(), http::Limits(), &h);
  CHECK_EQ(h.status, 400);
  s = "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n";
  http::parseRequestHead(reinterpret_cast<const uint8_t*>(s.data()), s.size(), http::Limits(), &h);
  CHECK_EQ(h.status, 0);
  CHECK(h.connect);
}

TEST(request_leading_empty_lines) {
  bool more = false;
  CHECK_EQ(http::leadingEmptyLines(reinterpret_cast<const uint8_t*>("\r\n\r\nGET"), 7, &more), size_t(2));
  CHECK(!more);
  CHECK_EQ(http::leadingEmptyLines(reinterpret_cast<const uint8_t*>("\r\n\r"), 3, &more), size_t(1));
  CHECK(more);
  CHECK_EQ(http::leadingEmptyLines(reinterpret_cast<const uint8_t*>("\r\rGET"), 5, &more), size_t(0));
  CHECK(!more);
  CHECK_EQ(http::leadingEmptyLines(reinterpret_cast<const uint8_t*>("\n"), 1, &more), size_t(0));
  CHECK(!more);
}

TEST(chunked_no_whitespace_before_the_line_end) {
  CHECK_EQ(int(decode("2;a=b \r\naa\r\n0\r\n\r\n", 0).result), int(http::ChunkedDecoder::kError));
  CHECK_EQ(int(decode("2;a=\"b\" \r\naa\r\n0\r\n\r\n", 0).result), int(http::ChunkedDecoder::kError));
  CHECK_EQ(int(decode("2;a=\"b\" ;c\r\naa\r\n0\r\n\r\n", 0).result), int(http::ChunkedDecoder::kDone));
  CHECK_EQ(int(decode("2;a=\"b\"\r\naa\r\n0\r\n\r\n", 0).result), int(http::ChunkedDecoder::kDone));
}
