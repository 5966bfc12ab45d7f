// The HTTP request head parser (the one head parser, http/head.h, with the
// request rules on top; fuzz_websocket drives it through the upgrade and the
// 101) and the chunked body decoder, fed arbitrary bytes. The head parser must
// decide from the head alone: a prefix that is already decided (valid or not)
// decides the whole input the same way, an undecided input has no decided
// prefix, and a "scanned" hint of undecided bytes changes nothing. The chunked decoder must give the
// same result, output and consumption whether the body comes at once or in
// pieces.
//
// The chunked decoder must also agree with a line-by-line reading of the RFC
// 9112 grammar (reference.h): the same body ends at the same byte, what one
// refuses the other refuses, and its limits (extension bytes, trailer bytes)
// are the only difference. An accepted head's target has the form its method
// allows.
//
// Input: byte 0 bit 0 picks the target (0: head, 1: chunked); bit 1 picks small
// limits; the remaining bits seed the split points. The rest is the head or the
// body.
#include <cstdlib>
#include <string>
#include <vector>

#include "../protocol/http/request_head.h"
#include "reference.h"

using namespace nw::protocol::http;
using nwfuzz::SplitPoints;
using nwfuzz::lowerCase;

namespace {

// Refused heads are compared by status and reason only: the other fields hold
// whatever was parsed before the fault.
bool sameHead(const RequestHead& a, const RequestHead& b) {
  if (a.status != 0 || b.status != 0) return a.status == b.status && std::string(a.error) == b.error;
  return a.headLength == b.headLength && a.body == b.body &&
         a.contentLength == b.contentLength && a.keepAlive == b.keepAlive && a.expectContinue == b.expectContinue &&
         a.head == b.head && a.get == b.get && a.http11 == b.http11;
}

void checkAccepted(const uint8_t* p, const RequestHead& r, const Limits& limits) {
  nwfuzz::RefHead f = nwfuzz::referenceHead(p, r.headLength);
  bool http11 = f.startLine.size() >= 8 && f.startLine.compare(f.startLine.size() - 8, 8, "HTTP/1.1") == 0;
  FUZZ_ASSERT(!f.malformedLine && !f.bareLf && !f.controlInValue);
  FUZZ_ASSERT(f.startLine.size() <= limits.maxRequestLine);
  FUZZ_ASSERT(f.fields.size() <= limits.maxHeaders);
  FUZZ_ASSERT(r.http11 == http11 && r.get == (f.startLine.compare(0, 4, "GET ") == 0));
  FUZZ_ASSERT(f.count("host") <= 1 && (!http11 || f.count("host") == 1));
  std::vector<std::string> contentLengths = f.values("content-length");
  size_t transferEncodings = f.count("transfer-encoding");
  FUZZ_ASSERT(transferEncodings == 0 || contentLengths.empty());  // never both: no smuggling
  for (const std::string& value : contentLengths) {
    FUZZ_ASSERT(!value.empty() && value.find_first_not_of("0123456789") == std::string::npos);
    FUZZ_ASSERT(std::strtoull(value.c_str(), nullptr, 10) == r.contentLength);
  }
  if (r.body == Body::kChunked) FUZZ_ASSERT(transferEncodings > 0);
  if (r.body == Body::kLength) FUZZ_ASSERT(!contentLengths.empty() && r.contentLength > 0);
  if (r.body == Body::kNone) FUZZ_ASSERT(transferEncodings == 0 && r.contentLength == 0);
  std::string line = f.startLine;
  std::string method = line.substr(0, line.find(' '));
  std::string target = line.substr(method.size() + 1, line.size() - method.size() - 10);
  bool absolute = lowerCase(target.substr(0, 7)) == "http://" || lowerCase(target.substr(0, 8)) == "https://";
  if (method == "CONNECT") FUZZ_ASSERT(r.connect && target[0] != '/' && target != "*" && !absolute && target.find(':') != std::string::npos);
  else if (target == "*") FUZZ_ASSERT(method == "OPTIONS");
  else FUZZ_ASSERT(target[0] == '/' || absolute);
  if (absolute) FUZZ_ASSERT(target.find('@') == std::string::npos || target.find('@') > target.find_first_of("/?", target.find("//") + 2));
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
  if (!decided) FUZZ_ASSERT(n < limits.maxHeadSize && !nwfuzz::referenceHead(p, n).bareLf);
  // Decided by the bytes alone: prefixes and "scanned" hints agree with the whole input.
  nwfuzz::checkDecidedByBytes<RequestHead>(
      n, &split, [&](size_t k, size_t scanned, RequestHead* r) { return parseRequestHead(p, k, limits, r, scanned); },
      sameHead);
}

struct Decoded {
  ChunkedDecoder::Result result = ChunkedDecoder::kNeedMore;
  const char* error = "";
  size_t consumed = 0;
  std::string out;
  uint64_t decodedSize = 0;
};

// Feeds pieces of at most `most` bytes (0: all at once) until the decoder ends.
Decoded decode(const uint8_t* p, size_t n, SplitPoints* split, size_t most, const ChunkedLimits& limits) {
  ChunkedDecoder decoder(limits);
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
  d.error = decoder.error();
  return d;
}

void fuzzChunked(const uint8_t* p, size_t n, bool small, SplitPoints split) {
  ChunkedLimits limits;
  if (small) {
    limits.maxExtensionBytes = 24;
    limits.maxTrailerBytes = 32;
  }
  Decoded whole = decode(p, n, &split, 0, limits);
  FUZZ_ASSERT(whole.decodedSize == whole.out.size());
  if (whole.result != ChunkedDecoder::kError) FUZZ_ASSERT(whole.out.size() <= whole.consumed);
  nwfuzz::RefChunked ref = nwfuzz::referenceChunked(std::string(reinterpret_cast<const char*>(p), n));
  bool overLimits = ref.extensionBytes > limits.maxExtensionBytes || ref.trailerBytes > limits.maxTrailerBytes;
  if (whole.result == ChunkedDecoder::kDone) {
    FUZZ_ASSERT(ref.verdict == nwfuzz::RefChunked::kValid && !overLimits);
    FUZZ_ASSERT(ref.length == whole.consumed && ref.body == whole.out);
  }
  if (ref.verdict == nwfuzz::RefChunked::kValid && !overLimits) FUZZ_ASSERT(whole.result == ChunkedDecoder::kDone);
  if (ref.verdict == nwfuzz::RefChunked::kInvalid) FUZZ_ASSERT(whole.result == ChunkedDecoder::kError);
  // A valid body is refused only for a limit (an unfinished one may be refused
  // for its unfinished line, which the reference does not read).
  if (whole.result == ChunkedDecoder::kError && ref.verdict == nwfuzz::RefChunked::kValid) {
    FUZZ_ASSERT(overLimits);
    FUZZ_ASSERT(std::string(whole.error) == "chunk extensions too long" || std::string(whole.error) == "trailer section too large");
  }
  for (size_t most : {size_t(1), size_t(3), size_t(17)}) {
    Decoded pieces = decode(p, n, &split, most, limits);
    FUZZ_ASSERT(pieces.result == whole.result);
    FUZZ_ASSERT(std::string(pieces.error) == whole.error);
    FUZZ_ASSERT(pieces.out == whole.out);
    if (whole.result == ChunkedDecoder::kDone) FUZZ_ASSERT(pieces.consumed == whole.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  SplitPoints split{uint32_t(data[0] >> 2) * 2654435761u + 1};
  if (data[0] & 1) fuzzChunked(data + 1, size - 1, (data[0] & 2) != 0, split);
  else fuzzHead(data + 1, size - 1, (data[0] & 2) != 0, split);
  return 0;
}
