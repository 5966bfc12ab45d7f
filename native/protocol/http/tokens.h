// Header-value helpers shared by the HTTP parser and the WebSocket handshake.
#pragma once
#include <strings.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nw {
namespace protocol {
namespace http {

// RFC 9110 5.6.2: a token character.
inline bool isTchar(uint8_t c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// A field value's byte: visible ASCII, SP, HTAB or obs-text; no other control byte, no DEL.
inline bool isFieldValueByte(uint8_t c) { return c >= 0x20 ? c != 0x7F : c == '\t'; }

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
