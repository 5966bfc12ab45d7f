#include "head.h"

#include <cstring>

namespace nw {
namespace protocol {
namespace http {
namespace {

bool isDigit(uint8_t c) { return c >= '0' && c <= '9'; }

bool fail(Head* out, int status, const char* error) {
  out->status = status;
  out->error = error;
  return true;
}

// Where the head ends (out->length), or the fault its bytes so far show.
// Returns false while neither is known.
bool findEnd(const uint8_t* p, size_t n, const Limits& limits, size_t scanned, Head* out) {
  size_t window = n < limits.maxHeadSize ? n : limits.maxHeadSize;
  size_t lineLimit = limits.maxRequestLine + 2;  // the line, its CR and its LF
  // A start line's length is known from its LF, or from lineLimit bytes without
  // one; past lineLimit a call that was given `scanned` bytes saw the LF already.
  if (scanned < lineLimit && window >= lineLimit && !std::memchr(p, '\n', lineLimit))
    return fail(out, 414, "request line too long");
  for (size_t i = scanned; i < window;) {
    const uint8_t* lf = static_cast<const uint8_t*>(std::memchr(p + i, '\n', window - i));
    if (!lf) break;
    size_t at = size_t(lf - p);
    if (at == 0 || p[at - 1] != '\r') return fail(out, 400, "bare LF in the head (lines end in CRLF)");
    // Every LF before this one ended in CRLF, so "\n\r\n" here is the blank line.
    if (at >= 2 && p[at - 2] == '\n') {
      out->length = at + 1;
      return true;
    }
    i = at + 1;
  }
  if (n >= limits.maxHeadSize) return fail(out, 431, "request head too large");
  return false;
}

// token SP target SP HTTP/1.x
bool parseRequestLine(const uint8_t* line, size_t length, Head* out) {
  size_t i = 0;
  while (i < length && isTchar(line[i])) i++;
  if (i == 0 || i >= length || line[i] != ' ') return fail(out, 400, "malformed request line");
  out->methodLength = i;
  size_t targetStart = ++i;
  while (i < length && line[i] > 0x20 && line[i] < 0x7F) i++;
  if (i == targetStart || i >= length || line[i] != ' ') return fail(out, 400, "malformed request target");
  i++;
  if (length - i != 8 || std::memcmp(line + i, "HTTP/1.", 7) != 0 || !isDigit(line[i + 7]))
    return fail(out, 400, "malformed HTTP version");
  out->minor = uint8_t(line[i + 7] - '0');
  if (out->minor > 1) return fail(out, 505, "HTTP version not supported");
  return false;
}

// HTTP/1.x SP 3DIGIT [SP reason]
bool parseStatusLine(const uint8_t* line, size_t length, Head* out) {
  if (length < 12 || std::memcmp(line, "HTTP/1.", 7) != 0 || !isDigit(line[7]) || line[8] != ' ' ||
      !isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) || (length > 12 && line[12] != ' '))
    return fail(out, 400, "malformed status line");
  for (size_t i = 13; i < length; i++)
    if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7F) return fail(out, 400, "malformed status line");
  out->minor = uint8_t(line[7] - '0');
  out->code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  return false;
}

// One field line without its CRLF: a token name, a colon, a value with OWS around it.
bool parseField(const uint8_t* line, const uint8_t* stop, Field* f, Head* out) {
  const uint8_t* c = line;
  while (c < stop && isTchar(*c)) c++;
  if (c == line || c >= stop || *c != ':') return fail(out, 400, "malformed header name");
  const uint8_t* value = c + 1;
  while (value < stop && (*value == ' ' || *value == '\t')) value++;
  const uint8_t* valueEnd = stop;
  while (valueEnd > value && (valueEnd[-1] == ' ' || valueEnd[-1] == '\t')) valueEnd--;
  for (const uint8_t* v = value; v < valueEnd; v++)
    if (!isFieldValueByte(*v)) return fail(out, 400, "invalid character in header value");
  *f = Field{line, size_t(c - line), value, size_t(valueEnd - value)};
  return false;
}

}  // namespace

bool parseHead(const uint8_t* p, size_t n, StartLine kind, const Limits& limits, size_t scanned,
               FieldVisitor* visitor, Head* out) {
  *out = Head{};
  if (!findEnd(p, n, limits, scanned, out)) return false;
  if (out->status) return true;
  // Every LF in the head follows a CR, and the head ends in "\r\n\r\n".
  const uint8_t* end = p + out->length - 2;  // the blank line
  const uint8_t* lineEnd = static_cast<const uint8_t*>(std::memchr(p, '\n', out->length));
  out->startLine = size_t(lineEnd - p) - 1;
  bool refused = kind == StartLine::kRequest ? parseRequestLine(p, out->startLine, out)
                                             : parseStatusLine(p, out->startLine, out);
  if (refused) return true;
  size_t fields = 0;
  for (const uint8_t* line = lineEnd + 1; line < end;) {
    const uint8_t* eol = static_cast<const uint8_t*>(std::memchr(line, '\n', size_t(end - line)));
    if (*line == ' ' || *line == '\t') return fail(out, 400, "obsolete line folding");
    if (++fields > limits.maxHeaders) return fail(out, 431, "too many headers");
    Field f;
    if (parseField(line, eol - 1, &f, out)) return true;
    const char* error = "";
    if (int status = visitor ? visitor->field(f, &error) : 0) return fail(out, status, error);
    line = eol + 1;
  }
  return true;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
