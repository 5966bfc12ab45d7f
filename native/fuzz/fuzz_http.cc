// The HTTP request head parser and the chunked body decoder, fed arbitrary
// bytes. The head parser must decide from the head alone: a prefix that is
// already decided (valid or not) decides the whole input the same way, and an
// undecided input has no decided prefix. The chunked decoder must give the
// same result, output and consumption whether the body comes at once or in
// pieces.
//
// Input: byte 0 bit 0 picks the target (0: head, 1: chunked); for heads bit 1
// picks small limits; the remaining bits seed the split points. The rest is
// the head or the body.
#include <cstdlib>
#include <string>
#include <vector>

#include "../protocol/http/request_head.h"
#include "reference.h"

using namespace nw::protocol::http;
using nwfuzz::SplitPoints;

namespace {

// Refused heads are compared by status and reason only: the other fields hold
// whatever was parsed before the fault.
bool sameHead(const RequestHead& a, const RequestHead& b) {
  if (a.status != 0 || b.status != 0) return a.status == b.status && std::string(a.error) == b.error;
  return a.headLength == b.headLength && a.body == b.body &&
         a.contentLength == b.contentLength && a.keepAlive == b.keepAlive && a.expectContinue == b.expectContinue &&
         a.head == b.head;
}

// What a plain reading of an accepted head's lines finds, to hold the parser to the rules.
struct HeadFacts {
  size_t requestLine = 0;
  bool http11 = false;
  size_t fields = 0;
  bool malformedLine = false;  // folded, no colon, or whitespace before the colon
  int hosts = 0, transferEncodings = 0;
  std::vector<std::string> contentLengths;
};

HeadFacts scanHead(const uint8_t* p, size_t h) {
  HeadFacts f;
  std::string s(reinterpret_cast<const char*>(p), h);
  size_t eol = s.find("\r\n");
  f.requestLine = eol;
  f.http11 = eol >= 8 && s.compare(eol - 8, 8, "HTTP/1.1") == 0;
  for (size_t pos = eol + 2; pos < h;) {
    size_t end = s.find("\r\n", pos);
    std::string line = s.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    f.fields++;
    size_t colon = line.find(':');
    if (line[0] == ' ' || line[0] == '\t' || colon == std::string::npos || colon == 0 || line[colon - 1] == ' ' ||
        line[colon - 1] == '\t') {
      f.malformedLine = true;
      continue;
    }
    std::string name = line.substr(0, colon);
    for (char& c : name) c = char(c >= 'A' && c <= 'Z' ? c + 32 : c);
    size_t v = line.find_first_not_of(" \t", colon + 1);
    size_t ve = line.find_last_not_of(" \t");
    std::string value = v == std::string::npos ? "" : line.substr(v, ve - v + 1);
    if (name == "host") f.hosts++;
    else if (name == "transfer-encoding") f.transferEncodings++;
    else if (name == "content-length") f.contentLengths.push_back(value);
  }
  return f;
}

void checkAccepted(const uint8_t* p, const RequestHead& r, const Limits& limits) {
  HeadFacts f = scanHead(p, r.headLength);
  FUZZ_ASSERT(!f.malformedLine);
  FUZZ_ASSERT(f.requestLine <= limits.maxRequestLine);
  FUZZ_ASSERT(f.fields <= limits.maxHeaders);
  FUZZ_ASSERT(f.hosts <= 1 && (!f.http11 || f.hosts == 1));
  FUZZ_ASSERT(f.transferEncodings == 0 || f.contentLengths.empty());  // never both: no smuggling
  for (const std::string& value : f.contentLengths) {
    FUZZ_ASSERT(!value.empty() && value.find_first_not_of("0123456789") == std::string::npos);
    FUZZ_ASSERT(std::strtoull(value.c_str(), nullptr, 10) == r.contentLength);
  }
  if (r.body == Body::kChunked) FUZZ_ASSERT(f.transferEncodings > 0);
  if (r.body == Body::kLength) FUZZ_ASSERT(!f.contentLengths.empty() && r.contentLength > 0);
  if (r.body == Body::kNone) FUZZ_ASSERT(f.transferEncodings == 0 && r.contentLength == 0);
}

void fuzzHead(const uint8_t* p, size_t n, bool small, SplitPoints split) {
  Limits limits;
  if (small) {
    limits.maxHeadSize = 256;
    limits.maxRequestLine = 64;
    limits.maxHeaders = 4;
  }
  RequestHead whole;
  bool decided = parseRequestHead(p, n, limits, &whole);
  if (decided && whole.status == 0) {
    size_t h = whole.headLength;
    FUZZ_ASSERT(h >= 4 && h <= n && h <= limits.maxHeadSize);
    FUZZ_ASSERT(p[h - 4] == '\r' && p[h - 3] == '\n' && p[h - 2] == '\r' && p[h - 1] == '\n');
    FUZZ_ASSERT(whole.body == Body::kLength || whole.contentLength == 0);
    RequestHead exact, shorter;
    FUZZ_ASSERT(parseRequestHead(p, h, limits, &exact) && sameHead(exact, whole));
    FUZZ_ASSERT(!parseRequestHead(p, h - 1, limits, &shorter));
    checkAccepted(p, whole, limits);
  }
  if (decided && whole.status != 0) {
    FUZZ_ASSERT(whole.status >= 400 && whole.status <= 599 && whole.error[0] != '\0');
  }
  // Prefixes: decided ones agree with the whole input.
  for (int i = 0; i < 24 && n > 1; i++) {
    size_t k = split.next(n - 1);
    RequestHead prefix;
    if (!parseRequestHead(p, k, limits, &prefix)) continue;
    FUZZ_ASSERT(decided);
    FUZZ_ASSERT(sameHead(prefix, whole));
  }
}

struct Decoded {
  ChunkedDecoder::Result result = ChunkedDecoder::kNeedMore;
  size_t consumed = 0;
  std::string out;
  uint64_t decodedSize = 0;
};

// Feeds pieces of at most `most` bytes (0: all at once) until the decoder ends.
Decoded decode(const uint8_t* p, size_t n, SplitPoints* split, size_t most) {
  ChunkedDecoder decoder;
  Decoded d;
  size_t pos = 0;
  while (pos < n) {
    size_t piece = most ? split->next(most) : n;
    if (piece > n - pos) piece = n - pos;
    size_t used = 0;
    d.result = decoder.feed(p + pos, piece, &used, [&](const uint8_t* data, size_t length) {
      d.out.append(reinterpret_cast<const char*>(data), length);
    });
    FUZZ_ASSERT(used <= piece);
    pos += used;
    if (d.result != ChunkedDecoder::kNeedMore) break;
    FUZZ_ASSERT(used == piece);  // needing more means everything given was taken
  }
  d.consumed = pos;
  d.decodedSize = decoder.decodedSize();
  return d;
}

void fuzzChunked(const uint8_t* p, size_t n, SplitPoints split) {
  Decoded whole = decode(p, n, &split, 0);
  FUZZ_ASSERT(whole.decodedSize == whole.out.size());
  if (whole.result != ChunkedDecoder::kError) FUZZ_ASSERT(whole.out.size() <= whole.consumed);
  for (size_t most : {size_t(1), size_t(3), size_t(17)}) {
    Decoded pieces = decode(p, n, &split, most);
    FUZZ_ASSERT(pieces.result == whole.result);
    FUZZ_ASSERT(pieces.out == whole.out);
    if (whole.result == ChunkedDecoder::kDone) FUZZ_ASSERT(pieces.consumed == whole.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  SplitPoints split{uint32_t(data[0] >> 2) * 2654435761u + 1};
  if (data[0] & 1) fuzzChunked(data + 1, size - 1, split);
  else fuzzHead(data + 1, size - 1, (data[0] & 2) != 0, split);
  return 0;
}
