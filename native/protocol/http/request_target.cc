#include "request_target.h"

#include <cstring>

#include "tokens.h"

namespace nw {
namespace protocol {
namespace http {
namespace {

bool isAlpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool isDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool isHex(uint8_t c) { return isDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

// RFC 3986 reg-name / IPv4address: unreserved, pct-encoded, sub-delims.
bool isRegName(const uint8_t* p, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '%') {
      if (i + 2 >= n || !isHex(p[i + 1]) || !isHex(p[i + 2])) return false;
      i += 2;
    } else if (!isAlpha(c) && !isDigit(c) && !std::strchr("-._~!$&'()*+,;=", c)) {
      return false;
    }
  }
  return true;
}

// "[" IPv6address / IPvFuture "]", loosely: hex digits, ":" and "." (IPv4 tail), at least one ":".
bool isIpLiteral(const uint8_t* p, size_t n) {
  if (n < 4 || p[0] != '[' || p[n - 1] != ']') return false;
  bool colon = false;
  for (size_t i = 1; i + 1 < n; i++) {
    if (p[i] == ':') colon = true;
    else if (!isHex(p[i]) && p[i] != '.') return false;
  }
  return colon;
}

// host [ ":" port ]; `portRequired` for authority-form. No userinfo.
bool isAuthority(const uint8_t* p, size_t n, bool portRequired) {
  size_t hostEnd = n;
  if (n > 0 && p[0] == '[') {
    const uint8_t* close = static_cast<const uint8_t*>(std::memchr(p, ']', n));
    if (!close) return false;
    hostEnd = size_t(close - p) + 1;
    if (!isIpLiteral(p, hostEnd)) return false;
    if (hostEnd < n && p[hostEnd] != ':') return false;
  } else {
    const uint8_t* colon = static_cast<const uint8_t*>(std::memchr(p, ':', n));
    if (colon) hostEnd = size_t(colon - p);
    if (!isRegName(p, hostEnd)) return false;
  }
  if (hostEnd == n) return !portRequired;
  size_t digits = n - hostEnd - 1;
  if (digits > 5 || (portRequired && digits == 0)) return false;
  uint32_t port = 0;
  for (size_t i = hostEnd + 1; i < n; i++) {
    if (!isDigit(p[i])) return false;
    port = port * 10 + uint32_t(p[i] - '0');
  }
  return port <= 65535;
}

// "http://" or "https://" authority [ path-abempty [ "?" query ] ].
bool isAbsoluteForm(const uint8_t* p, size_t n) {
  size_t schemeLength;
  if (n > 7 && equalsNoCase(reinterpret_cast<const char*>(p), 7, "http://")) schemeLength = 7;
  else if (n > 8 && equalsNoCase(reinterpret_cast<const char*>(p), 8, "https://")) schemeLength = 8;
  else return false;
  size_t end = schemeLength;
  while (end < n && p[end] != '/' && p[end] != '?') end++;
  return isAuthority(p + schemeLength, end - schemeLength, false);
}

bool looksAbsolute(const uint8_t* p, size_t n) {
  if (n == 0 || !isAlpha(p[0])) return false;
  for (size_t i = 1; i + 2 < n; i++) {
    if (p[i] == ':') return p[i + 1] == '/' && p[i + 2] == '/';
    if (!isAlpha(p[i]) && !isDigit(p[i]) && p[i] != '+' && p[i] != '-' && p[i] != '.') return false;
  }
  return false;
}

Target refuse(const char* why) {
  Target t;
  t.error = why;
  return t;
}

}  // namespace

Target checkTarget(const uint8_t* method, size_t methodLength, const uint8_t* target, size_t length) {
  bool connect = methodLength == 7 && std::memcmp(method, "CONNECT", 7) == 0;
  bool options = methodLength == 7 && std::memcmp(method, "OPTIONS", 7) == 0;
  Target t;
  if (connect) {
    if (!isAuthority(target, length, true)) return refuse("CONNECT needs an authority-form target (host:port)");
    t.form = TargetForm::kAuthority;
    return t;
  }
  if (length == 1 && target[0] == '*') {
    if (!options) return refuse("the asterisk-form target is only for OPTIONS");
    t.form = TargetForm::kAsterisk;
    return t;
  }
  if (target[0] == '/') return t;
  if (looksAbsolute(target, length)) {
    if (!isAbsoluteForm(target, length)) return refuse("an absolute-form target must be an http or https URI with a host");
    t.form = TargetForm::kAbsolute;
    return t;
  }
  return refuse("malformed request target (origin-form starts with /)");
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
