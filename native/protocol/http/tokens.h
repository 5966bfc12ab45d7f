// Header-value helpers shared by the HTTP parser and the WebSocket handshake.
#pragma once
#include <strings.h>

#include <cstddef>
#include <cstring>

namespace nw {
namespace protocol {
namespace http {

inline bool equalsNoCase(const char* a, size_t n, const char* b) {
  return std::strlen(b) == n && strncasecmp(a, b, n) == 0;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
inline bool hasToken(const char* value, size_t length, const char* token) {
  size_t tokenLength = std::strlen(token);
  size_t i = 0;
  while (i < length) {
    while (i < length && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) i++;
    size_t start = i;
    while (i < length && value[i] != ',') i++;
    size_t end = i;
    while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t')) end--;
    if (end - start == tokenLength && strncasecmp(value + start, token, tokenLength) == 0) return true;
  }
  return false;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
