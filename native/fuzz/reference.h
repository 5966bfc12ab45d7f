// Reference splitting for the fuzz targets: the simplest possible reading of
// the protocol rules, over the whole stream at once, to compare the real
// (incremental, in-place) framers against.
#pragma once
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace nwfuzz {

enum class RefError { None, TooLarge, Protocol };

struct RefResult {
  std::vector<std::string> messages;  // payloads
  RefError error = RefError::None;
  // With maxPackageSize < 4 a frame stream may fail either way depending on
  // how the header arrives (partial header >= max, or a whole header < 4).
  bool eitherError = false;
  std::string rest;  // unfinished bytes at the end (when no error)
};

// The text protocol: a message is a line ending in "\n"; the payload drops
// the "\n" and one "\r" before it; maxPackageSize counts the whole line, and
// an unfinished line already at maxPackageSize bytes can never fit.
inline RefResult referenceText(const std::string& s, size_t maxPackageSize) {
  RefResult r;
  size_t start = 0;
  for (;;) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      if (s.size() - start > 0 && s.size() - start >= maxPackageSize) r.error = RefError::TooLarge;
      else r.rest = s.substr(start);
      return r;
    }
    size_t len = nl + 1 - start;
    if (len > maxPackageSize) {
      r.error = RefError::TooLarge;
      return r;
    }
    std::string line = s.substr(start, len - 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    r.messages.push_back(line);
    start = nl + 1;
  }
}

inline uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

// The frame protocol: 4-byte big-endian total length (header included).
inline RefResult referenceFrame(const std::string& s, size_t maxPackageSize) {
  RefResult r;
  size_t pos = 0;
  for (;;) {
    size_t left = s.size() - pos;
    if (left < 4) {
      if (left > 0 && left >= maxPackageSize) {
        r.error = RefError::TooLarge;
        r.eitherError = true;
      } else {
        r.rest = s.substr(pos);
      }
      return r;
    }
    uint32_t total = be32(s, pos);
    if (total < 4) {
      r.error = RefError::Protocol;
      r.eitherError = maxPackageSize < 4;
      return r;
    }
    if (total > maxPackageSize) {
      r.error = RefError::TooLarge;
      r.eitherError = maxPackageSize < 4;
      return r;
    }
    if (left < total) {
      r.rest = s.substr(pos);
      return r;
    }
    r.messages.push_back(s.substr(pos + 4, total - 4));
    pos += total;
  }
}

inline bool naiveAscii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}
#define FUZZ_ASSERT(cond)                        \
  do {                                           \
    if (!(cond)) ::nwfuzz::die(#cond " @ " __FILE__); \
  } while (0)

// Pseudo-random split points from a seed in the input: 1..limit each.
struct SplitPoints {
  uint32_t state;
  size_t next(size_t limit) {
    state = state * 1103515245u + 12345u;
    return limit ? 1 + (state >> 8) % limit : 0;
  }
};

// A plain reading of a complete HTTP head of h bytes, split at CRLF: the start
// line, and each field line's lower-cased name and its value without the
// whitespace around it, to hold the head parser to the rules.
// Transfer-Encoding: chunked read line by line with the RFC 9112 grammar
// written out as a recursive descent, over the whole input at once.
struct RefChunked {
  enum Verdict { kValid, kInvalid, kIncomplete } verdict = kIncomplete;
  std::string body;
  size_t length = 0;           // bytes of a valid body, trailers included
  size_t extensionBytes = 0;   // size-line bytes past the digits
  size_t trailerBytes = 0;     // the trailer section with its final empty line
};

inline bool refTchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c != 0 && std::string("!#$%&'*+-.^_`|~").find(c) != std::string::npos);
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), the whole of `e`.
inline bool refExtensions(const std::string& e) {
  size_t i = 0;
  auto bws = [&] { while (i < e.size() && (e[i] == ' ' || e[i] == '\t')) i++; };
  auto token = [&] {
    size_t start = i;
    while (i < e.size() && refTchar(e[i])) i++;
    return i > start;
  };
  while (i < e.size()) {
    bws();
    if (i >= e.size() || e[i] != ';') return false;
    i++;
    bws();
    if (!token()) return false;
    size_t save = i;
    bws();
    if (i < e.size() && e[i] == '=') {
      i++;
      bws();
      if (i < e.size() && e[i] == '"') {
        for (i++;; i++) {
          if (i >= e.size()) return false;
          uint8_t c = uint8_t(e[i]);
          if (c == '"') break;
          if (c == '\\') {
            if (++i >= e.size()) return false;
            c = uint8_t(e[i]);
            if (!(c == '\t' || (c >= 0x20 && c != 0x7F))) return false;
          } else if (!(c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80)) {
            return false;
          }
        }
        i++;
      } else if (!token()) {
        return false;
      }
    } else {
      i = save;
    }
  }
  return true;
}

inline bool refTrailerField(const std::string& line) {
  size_t colon = 0;
  while (colon < line.size() && refTchar(line[colon])) colon++;
  if (colon == 0 || colon >= line.size() || line[colon] != ':') return false;
  for (size_t i = colon + 1; i < line.size(); i++) {
    uint8_t c = uint8_t(line[i]);
    if (c < 0x20 ? c != '\t' : c == 0x7F) return false;
  }
  return true;
}

inline RefChunked referenceChunked(const std::string& s) {
  RefChunked r;
  size_t pos = 0;
  // The next line without its CRLF; false when the input ends first. A CR or
  // LF inside a line makes it invalid.
  auto line = [&](std::string* out) -> int {
    size_t lf = s.find('\n', pos);
    if (lf == std::string::npos) {
      size_t cr = s.find('\r', pos);
      return cr != std::string::npos && cr + 1 < s.size() ? -1 : 0;
    }
    if (lf == pos || s[lf - 1] != '\r') return -1;
    *out = s.substr(pos, lf - 1 - pos);
    if (out->find('\r') != std::string::npos) return -1;
    pos = lf + 1;
    return 1;
  };
  for (;;) {
    std::string sizeLine;
    int got = line(&sizeLine);
    if (got <= 0) {
      r.verdict = got < 0 ? RefChunked::kInvalid : RefChunked::kIncomplete;
      return r;
    }
    size_t digits = 0;
    uint64_t size = 0;
    while (digits < sizeLine.size() && std::isxdigit(uint8_t(sizeLine[digits]))) {
      size = size * 16 + uint64_t(std::strtoul(sizeLine.substr(digits, 1).c_str(), nullptr, 16));
      digits++;
    }
    if (digits == 0 || digits > 15 || !refExtensions(sizeLine.substr(digits))) {
      r.verdict = RefChunked::kInvalid;
      return r;
    }
    r.extensionBytes += sizeLine.size() - digits;
    if (size == 0) break;
    if (s.size() - pos < size + 2) {
      r.verdict = RefChunked::kIncomplete;
      return r;
    }
    r.body += s.substr(pos, size_t(size));
    pos += size_t(size);
    if (s.compare(pos, 2, "\r\n") != 0) {
      r.verdict = RefChunked::kInvalid;
      return r;
    }
    pos += 2;
  }
  size_t trailerStart = pos;
  for (;;) {
    std::string field;
    int got = line(&field);
    if (got <= 0) {
      r.verdict = got < 0 ? RefChunked::kInvalid : RefChunked::kIncomplete;
      return r;
    }
    if (field.empty()) break;
    if (!refTrailerField(field)) {
      r.verdict = RefChunked::kInvalid;
      return r;
    }
  }
  r.trailerBytes = pos - trailerStart;
  r.length = pos;
  r.verdict = RefChunked::kValid;
  return r;
}

struct RefHead {
  std::string startLine;
  std::vector<std::pair<std::string, std::string>> fields;
  bool malformedLine = false;  // folded, no colon, or whitespace before it
  bool bareLf = false;         // an LF without a CR before it
  bool controlInValue = false;  // a byte below 0x20 but HTAB, or DEL

  size_t count(const char* name) const {
    size_t k = 0;
    for (const auto& f : fields) k += f.first == name;
    return k;
  }
  // The values of `name`, in order.
  std::vector<std::string> values(const char* name) const {
    std::vector<std::string> out;
    for (const auto& f : fields)
      if (f.first == name) out.push_back(f.second);
    return out;
  }
};

inline std::string lowerCase(std::string s) {
  for (char& c : s) c = char(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

inline RefHead referenceHead(const uint8_t* p, size_t h) {
  RefHead r;
  std::string s(reinterpret_cast<const char*>(p), h);
  for (size_t i = 0; i < h; i++)
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) r.bareLf = true;
  size_t eol = s.find("\r\n");
  if (eol == std::string::npos) return r;
  r.startLine = s.substr(0, eol);
  for (size_t pos = eol + 2; pos < h;) {
    size_t end = s.find("\r\n", pos);
    if (end == std::string::npos) break;
    std::string line = s.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (line[0] == ' ' || line[0] == '\t' || colon == std::string::npos || colon == 0 || line[colon - 1] == ' ' ||
        line[colon - 1] == '\t') {
      r.malformedLine = true;
      continue;
    }
    size_t v = line.find_first_not_of(" \t", colon + 1);
    size_t ve = line.find_last_not_of(" \t");
    std::string value = v == std::string::npos ? "" : line.substr(v, ve - v + 1);
    for (unsigned char c : value)
      if ((c < 0x20 && c != '\t') || c == 0x7F) r.controlInValue = true;
    r.fields.emplace_back(lowerCase(line.substr(0, colon)), value);
  }
  return r;
}

// For a parser that decides from the bytes alone: parse(k, scanned, &result)
// reads the first k bytes, `scanned` of them given before, and returns false
// while undecided. Checks that a decided prefix decides the whole input the
// same way, and that a hint of bytes that left it undecided changes nothing.
template <typename Result, typename Parse, typename Same>
void checkDecidedByBytes(size_t n, SplitPoints* split, Parse parse, Same same) {
  Result whole;
  bool decided = parse(n, 0, &whole);
  for (int i = 0; i < 24 && n > 1; i++) {
    size_t k = split->next(n - 1);
    Result prefix;
    if (parse(k, 0, &prefix)) {
      FUZZ_ASSERT(decided);
      FUZZ_ASSERT(same(prefix, whole));
      continue;
    }
    Result hinted;
    FUZZ_ASSERT(parse(n, k, &hinted) == decided);
    if (decided) FUZZ_ASSERT(same(hinted, whole));
  }
}

// Chunked input: each chunk is a length byte L, then L+1 bytes (or fewer at
// the end); L = 255 takes a 16-bit length from the next two bytes instead.
struct ChunkReader {
  const uint8_t* p;
  size_t n;
  bool next(std::string* out) {
    if (n == 0) return false;
    size_t len = size_t(p[0]) + 1;
    p++, n--;
    if (len == 256 && n >= 2) {
      len = (size_t(p[0]) << 8 | p[1]) + 1;
      p += 2, n -= 2;
    }
    if (len > n) len = n;
    out->assign(reinterpret_cast<const char*>(p), len);
    p += len, n -= len;
    return true;
  }
};

}  // namespace nwfuzz
