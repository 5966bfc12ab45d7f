// The request target's form (RFC 9112 3.2), checked against the method:
// origin-form ("/path?query") for ordinary requests, absolute-form
// ("http://host/path", as proxies send it) for any of them, authority-form
// ("host:port") only for CONNECT, asterisk-form ("*") only for OPTIONS.
// Anything else ("../../etc/passwd", "other.example:80" for a GET) is refused.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nw {
namespace protocol {
namespace http {

enum class TargetForm : uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };

struct Target {
  TargetForm form = TargetForm::kOrigin;
  const char* error = nullptr;  // set when the target is refused (400)
};

// `target` holds visible ASCII only (the request line's syntax saw to that).
Target checkTarget(const uint8_t* method, size_t methodLength, const uint8_t* target, size_t length);

}  // namespace http
}  // namespace protocol
}  // namespace nw
