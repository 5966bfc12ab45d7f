#include "deflate_negotiation.h"

#include <algorithm>
#include <vector>

#include "../http/tokens.h"

namespace nw {
namespace protocol {
namespace websocket {
namespace {

struct Param {
  std::string name;  // lower case
  std::string value;
  bool hasValue = false;
};

struct Extension {
  std::string name;  // lower case
  std::vector<Param> params;
};

// RFC 6455 9.1 (extension-list = 1#extension; extension = token *( ";" param );
// param = token [ "=" (token | quoted-string) ]) over one field value, with
// optional whitespace around the separators and empty list elements skipped.
class ListParser {
 public:
  ListParser(const char* p, size_t n) : p_(p), n_(n) {}

  bool parse(std::vector<Extension>* out) {
    while (true) {
      skipSpace();
      if (at(',')) {
        pos_++;
        continue;
      }
      if (pos_ == n_) return true;
      Extension e;
      if (!token(&e.name)) return false;
      skipSpace();
      while (at(';')) {
        pos_++;
        skipSpace();
        Param param;
        if (!token(&param.name)) return false;
        skipSpace();
        if (at('=')) {
          pos_++;
          skipSpace();
          param.hasValue = true;
          if (!(at('"') ? quoted(&param.value) : token(&param.value))) return false;
          skipSpace();
        }
        e.params.push_back(std::move(param));
      }
      out->push_back(std::move(e));
      if (pos_ == n_) return true;
      if (!at(',')) return false;
    }
  }

 private:
  bool at(char c) const { return pos_ < n_ && p_[pos_] == c; }
  void skipSpace() {
    while (pos_ < n_ && (p_[pos_] == ' ' || p_[pos_] == '\t')) pos_++;
  }
  bool token(std::string* out) {
    size_t start = pos_;
    while (pos_ < n_ && http::isTchar(uint8_t(p_[pos_]))) pos_++;
    if (pos_ == start) return false;
    out->assign(p_ + start, pos_ - start);
    std::transform(out->begin(), out->end(), out->begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; });
    return true;
  }
  // A quoted-string whose unescaped value must itself be a token (RFC 6455 9.1).
  bool quoted(std::string* out) {
    pos_++;
    out->clear();
    while (pos_ < n_ && p_[pos_] != '"') {
      if (p_[pos_] == '\\' && ++pos_ == n_) return false;
      if (!http::isTchar(uint8_t(p_[pos_]))) return false;
      out->push_back(p_[pos_++]);
    }
    if (pos_ == n_ || out->empty()) return false;
    pos_++;
    return true;
  }

  const char* p_;
  size_t n_;
  size_t pos_ = 0;
};

// "8" to "15" exactly (RFC 7692 7.1.2.1: no sign, no leading zero); else 0.
uint8_t windowBits(const std::string& v) {
  if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return uint8_t(v[0] - '0');
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return uint8_t(10 + v[1] - '0');
  return 0;
}

// One permessage-deflate element's parameters. A window of 0: absent;
// clientWindowNoValue: client_max_window_bits present without a value.
struct DeflateElement {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  uint8_t serverWindow = 0;
  uint8_t clientWindow = 0;
  bool clientWindowNoValue = false;
};

// False for an unknown or repeated parameter, or a value where none belongs
// or missing where one must be (an offer may send client_max_window_bits
// without one, an answer may not).
bool readElement(const Extension& e, bool offer, DeflateElement* out) {
  bool seen[4] = {false, false, false, false};
  for (const Param& p : e.params) {
    int which = p.name == "server_no_context_takeover"   ? 0
                : p.name == "client_no_context_takeover" ? 1
                : p.name == "server_max_window_bits"     ? 2
                : p.name == "client_max_window_bits"     ? 3
                                                         : -1;
    if (which < 0 || seen[which]) return false;
    seen[which] = true;
    switch (which) {
      case 0:
      case 1:
        if (p.hasValue) return false;
        (which == 0 ? out->serverNoContextTakeover : out->clientNoContextTakeover) = true;
        break;
      case 2:
        if (!p.hasValue || !(out->serverWindow = windowBits(p.value))) return false;
        break;
      default:
        if (!p.hasValue) {
          if (!offer) return false;
          out->clientWindowNoValue = true;
        } else if (!(out->clientWindow = windowBits(p.value))) {
          return false;
        }
    }
  }
  return true;
}

bool isDeflate(const Extension& e) { return e.name == "permessage-deflate"; }

}  // namespace

bool acceptDeflateOffer(const char* header, size_t length, const DeflateOptions& options, DeflateParams* params,
                        std::string* response) {
  std::vector<Extension> offers;
  if (!options.enabled || !ListParser(header, length).parse(&offers)) return false;
  for (const Extension& offer : offers) {
    DeflateElement e;
    if (!isDeflate(offer) || !readElement(offer, true, &e)) continue;
    bool clientWindowOffered = e.clientWindow || e.clientWindowNoValue;
    // The client's window can only be limited when it said it can be.
    if (options.clientMaxWindowBits && !clientWindowOffered) continue;
    DeflateParams agreed;
    std::string answer = "permessage-deflate";
    agreed.serverNoContextTakeover = e.serverNoContextTakeover || options.serverNoContextTakeover;
    agreed.clientNoContextTakeover = e.clientNoContextTakeover || options.clientNoContextTakeover;
    if (agreed.serverNoContextTakeover) answer += "; server_no_context_takeover";
    if (agreed.clientNoContextTakeover) answer += "; client_no_context_takeover";
    uint8_t serverWindow = 15;
    if (options.serverMaxWindowBits) serverWindow = options.serverMaxWindowBits;
    if (e.serverWindow) serverWindow = std::min(serverWindow, e.serverWindow);
    agreed.serverMaxWindowBits = serverWindow;
    if (options.serverMaxWindowBits || e.serverWindow) answer += "; server_max_window_bits=" + std::to_string(serverWindow);
    uint8_t clientWindow = e.clientWindow ? e.clientWindow : 15;
    if (options.clientMaxWindowBits) {
      clientWindow = std::min(clientWindow, options.clientMaxWindowBits);
      answer += "; client_max_window_bits=" + std::to_string(clientWindow);
    }
    agreed.clientMaxWindowBits = clientWindow;
    *params = agreed;
    *response = std::move(answer);
    return true;
  }
  return false;
}

std::string deflateOffer(const DeflateOptions& options) {
  std::string offer = "permessage-deflate";
  if (options.serverNoContextTakeover) offer += "; server_no_context_takeover";
  if (options.clientNoContextTakeover) offer += "; client_no_context_takeover";
  if (options.serverMaxWindowBits) offer += "; server_max_window_bits=" + std::to_string(options.serverMaxWindowBits);
  if (options.clientMaxWindowBits) offer += "; client_max_window_bits=" + std::to_string(options.clientMaxWindowBits);
  else offer += "; client_max_window_bits";
  return offer;
}

std::string checkDeflateAnswer(const char* header, size_t length, bool present, const DeflateOptions& options,
                               DeflateParams* params, bool* agreed) {
  *agreed = false;
  if (!present) return "";
  std::vector<Extension> answer;
  if (!ListParser(header, length).parse(&answer) || answer.empty())
    return "invalid Sec-WebSocket-Extensions in the handshake response";
  if (!options.enabled || answer.size() != 1 || !isDeflate(answer[0]))
    return "the server accepted an extension that was not offered: " + answer[0].name;
  DeflateElement e;
  if (!readElement(answer[0], false, &e)) return "invalid permessage-deflate parameters in the handshake response";
  if (e.serverWindow && options.serverMaxWindowBits && e.serverWindow > options.serverMaxWindowBits)
    return "the server's server_max_window_bits is larger than offered";
  if (e.clientWindow && options.clientMaxWindowBits && e.clientWindow > options.clientMaxWindowBits)
    return "the server's client_max_window_bits is larger than offered";
  DeflateParams p;
  p.serverNoContextTakeover = e.serverNoContextTakeover;
  p.clientNoContextTakeover = e.clientNoContextTakeover || options.clientNoContextTakeover;
  p.serverMaxWindowBits = e.serverWindow ? e.serverWindow : 15;
  p.clientMaxWindowBits = e.clientWindow ? e.clientWindow : options.clientMaxWindowBits ? options.clientMaxWindowBits : 15;
  *params = p;
  *agreed = true;
  return "";
}

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
