// Incremental UTF-8 validation (Bjoern Hoehrmann's DFA) with an ASCII fast
// path. The state carries across fragments, so a message fails as soon as an
// invalid sequence arrives, and a message ending mid-sequence fails at FIN.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nw {
namespace protocol {
namespace utf8 {

constexpr uint8_t kAccept = 0;
constexpr uint8_t kReject = 12;

// Advances the DFA over p[0..n); *nonAscii (when given) is set if any byte
// was >= 0x80, so callers need no second pass to pick an ASCII fast path.
uint8_t step(uint8_t state, const uint8_t* p, size_t n, bool* nonAscii = nullptr);

inline bool valid(const uint8_t* p, size_t n) { return step(kAccept, p, n) == kAccept; }

}  // namespace utf8
}  // namespace protocol
}  // namespace nw
