#include "request_head.h"

#include "tokens.h"

#include <strings.h>

#include <cstring>

namespace nw {
namespace protocol {
namespace http {
namespace {

bool isTchar(uint8_t c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool fail(RequestHead* out, int status, const char* error) {
  out->status = status;
  out->error = error;
  return true;
}

bool equalsNoCase(const uint8_t* a, size_t n, const char* b) {
  return http::equalsNoCase(reinterpret_cast<const char*>(a), n, b);
}

bool hasToken(const uint8_t* v, size_t n, const char* token) {
  return http::hasToken(reinterpret_cast<const char*>(v), n, token);
}

const uint8_t* findCrlfCrlf(const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 3 < n; i++) {
    const uint8_t* cr = static_cast<const uint8_t*>(std::memchr(p + i, '\r', n - i - 3));
    if (!cr) return nullptr;
    if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') return cr;
    i = size_t(cr - p);
  }
  return nullptr;
}

}  // namespace

bool parseRequestHead(const uint8_t* p, size_t n, const Limits& limits, RequestHead* out) {
  *out = RequestHead{};
  const uint8_t* end = findCrlfCrlf(p, n < limits.maxHeadSize ? n : limits.maxHeadSize);
  if (!end) {
    const void* lineEnd = std::memchr(p, '\n', n < limits.maxRequestLine + 2 ? n : limits.maxRequestLine + 2);
    if (!lineEnd && n > limits.maxRequestLine + 1) return fail(out, 414, "request line too long");
    if (n >= limits.maxHeadSize) return fail(out, 431, "request head too large");
    return false;
  }
  out->headLength = size_t(end - p) + 4;
  const uint8_t* head = p;
  const uint8_t* stop = end + 2;  // keep the last header's CRLF

  // Request line: method SP target SP HTTP/1.x CRLF
  const uint8_t* lineEnd = static_cast<const uint8_t*>(std::memchr(head, '\n', size_t(stop - head)));
  // Length first, as on an unfinished head: the answer must not depend on how the bytes arrived.
  if (lineEnd && size_t(lineEnd - head) > limits.maxRequestLine + 1) return fail(out, 414, "request line too long");
  if (!lineEnd || lineEnd == head || lineEnd[-1] != '\r') return fail(out, 400, "malformed request line");
  size_t lineLength = size_t(lineEnd - head) - 1;
  if (lineLength > limits.maxRequestLine) return fail(out, 414, "request line too long");
  size_t i = 0;
  while (i < lineLength && isTchar(head[i])) i++;
  if (i == 0 || i >= lineLength || head[i] != ' ') return fail(out, 400, "malformed request line");
  out->head = i == 4 && std::memcmp(head, "HEAD", 4) == 0;
  size_t targetStart = ++i;
  while (i < lineLength && head[i] > 0x20 && head[i] < 0x7F) i++;
  if (i == targetStart || i >= lineLength || head[i] != ' ') return fail(out, 400, "malformed request target");
  i++;
  if (lineLength - i != 8 || std::memcmp(head + i, "HTTP/1.", 7) != 0) return fail(out, 400, "malformed HTTP version");
  uint8_t minor = head[i + 7];
  if (minor < '0' || minor > '9') return fail(out, 400, "malformed HTTP version");
  if (minor != '0' && minor != '1') return fail(out, 505, "HTTP version not supported");
  bool http11 = minor == '1';
  out->keepAlive = http11;

  // Header fields.
  size_t headers = 0, hosts = 0, lengths = 0, encodings = 0;
  bool chunked = false, unsupportedEncoding = false, closeToken = false, keepAliveToken = false;
  const uint8_t* line = lineEnd + 1;
  while (line < stop) {
    const uint8_t* eol = static_cast<const uint8_t*>(std::memchr(line, '\n', size_t(stop - line)));
    if (!eol || eol == line || eol[-1] != '\r') return fail(out, 400, "malformed header line");
    const uint8_t* lineStop = eol - 1;
    if (*line == ' ' || *line == '\t') return fail(out, 400, "obsolete line folding");
    if (++headers > limits.maxHeaders) return fail(out, 431, "too many headers");
    const uint8_t* name = line;
    const uint8_t* c = line;
    while (c < lineStop && isTchar(*c)) c++;
    if (c == name || c >= lineStop || *c != ':') return fail(out, 400, "malformed header name");
    size_t nameLength = size_t(c - name);
    const uint8_t* value = c + 1;
    while (value < lineStop && (*value == ' ' || *value == '\t')) value++;
    const uint8_t* valueEnd = lineStop;
    while (valueEnd > value && (valueEnd[-1] == ' ' || valueEnd[-1] == '\t')) valueEnd--;
    for (const uint8_t* v = value; v < valueEnd; v++)
      if ((*v < 0x20 && *v != '\t') || *v == 0x7F) return fail(out, 400, "invalid character in header value");
    size_t valueLength = size_t(valueEnd - value);

    if (equalsNoCase(name, nameLength, "content-length")) {
      if (valueLength == 0 || valueLength > 15) return fail(out, 400, "invalid Content-Length");
      uint64_t length = 0;
      for (size_t k = 0; k < valueLength; k++) {
        if (value[k] < '0' || value[k] > '9') return fail(out, 400, "invalid Content-Length");
        length = length * 10 + uint64_t(value[k] - '0');
      }
      if (lengths++ && length != out->contentLength) return fail(out, 400, "conflicting Content-Length");
      out->contentLength = length;
    } else if (equalsNoCase(name, nameLength, "transfer-encoding")) {
      if (encodings++) return fail(out, 400, "repeated Transfer-Encoding");
      if (valueLength == 7 && strncasecmp(reinterpret_cast<const char*>(value), "chunked", 7) == 0) {
        chunked = true;
      } else {
        // Decided after every line is checked: a malformed head is a 400 first.
        unsupportedEncoding = true;
      }
    } else if (equalsNoCase(name, nameLength, "host")) {
      hosts++;
    } else if (equalsNoCase(name, nameLength, "connection")) {
      closeToken = closeToken || hasToken(value, valueLength, "close");
      keepAliveToken = keepAliveToken || hasToken(value, valueLength, "keep-alive");
    } else if (equalsNoCase(name, nameLength, "expect")) {
      if (!(valueLength == 12 && strncasecmp(reinterpret_cast<const char*>(value), "100-continue", 12) == 0))
        return fail(out, 417, "unsupported expectation");
      out->expectContinue = true;
    }
    line = eol + 1;
  }
  // RFC 9112 3.2: more than one Host is refused in any version; HTTP/1.1 needs one.
  if (hosts > 1) return fail(out, 400, "more than one Host header");
  if (http11 && hosts == 0) return fail(out, 400, "missing Host header");
  if (unsupportedEncoding) return fail(out, 501, "only Transfer-Encoding: chunked is supported");
  if (chunked && lengths) return fail(out, 400, "both Content-Length and Transfer-Encoding");
  if (chunked && !http11) return fail(out, 400, "Transfer-Encoding in an HTTP/1.0 request");
  if (chunked) out->body = Body::kChunked;
  else if (lengths && out->contentLength > 0) out->body = Body::kLength;
  if (closeToken) out->keepAlive = false;
  else if (!http11 && keepAliveToken) out->keepAlive = true;
  return true;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
