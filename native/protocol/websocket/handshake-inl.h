#pragma once
#include <cstring>

namespace nw {
namespace protocol {
namespace websocket {

template <typename Fn>
bool forEachHeader(const uint8_t* head, size_t n, Fn fn) {
  const char* p = reinterpret_cast<const char*>(head);
  const char* end = p + n;
  const char* line = static_cast<const char*>(std::memchr(p, '\n', n));
  if (!line) return false;
  line++;  // past the start line
  while (line < end) {
    const char* eol = static_cast<const char*>(std::memchr(line, '\n', size_t(end - line)));
    if (!eol) return false;
    const char* stop = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
    if (stop == line) return true;  // blank line: end of head
    if (*line == ' ' || *line == '\t') return false;  // obsolete line folding
    const char* colon = static_cast<const char*>(std::memchr(line, ':', size_t(stop - line)));
    if (!colon || colon == line || colon[-1] == ' ' || colon[-1] == '\t') return false;
    const char* value = colon + 1;
    while (value < stop && (*value == ' ' || *value == '\t')) value++;
    const char* valueEnd = stop;
    while (valueEnd > value && (valueEnd[-1] == ' ' || valueEnd[-1] == '\t')) valueEnd--;
    fn(line, size_t(colon - line), value, size_t(valueEnd - value));
    line = eol + 1;
  }
  return false;
}

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
