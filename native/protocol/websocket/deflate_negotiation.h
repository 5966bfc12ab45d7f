// permessage-deflate negotiation (RFC 7692 section 5 and 7.1): the offers in a
// Sec-WebSocket-Extensions header read and answered (server), an offer made
// and its answer checked (client). Pure functions over strings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nw {
namespace protocol {
namespace websocket {

// What one end is configured to ask for (perMessageDeflate's options); a
// window of 0 means "not set".
struct DeflateOptions {
  bool enabled = false;
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  uint8_t serverMaxWindowBits = 0;  // 8..15, or 0
  uint8_t clientMaxWindowBits = 0;  // 8..15, or 0
  uint8_t memLevel = 8;             // 1..9
  uint32_t threshold = 1024;        // messages shorter than this go uncompressed
};

// What both ends agreed: the LZ77 window each end compresses with, and
// whether it starts each message with an empty one.
struct DeflateParams {
  bool serverNoContextTakeover = false;
  bool clientNoContextTakeover = false;
  uint8_t serverMaxWindowBits = 15;
  uint8_t clientMaxWindowBits = 15;
};

// The server: the first acceptable permessage-deflate offer among the header's
// (all its field lines joined with ", "). Offers with unknown, repeated or
// invalid parameters, or that the options cannot meet, are declined (RFC 7692
// 5.1); a header that is not an extension list declines them all. Returns
// false when none is accepted; else fills `params` and `response`, the value of
// the Sec-WebSocket-Extensions field to answer with.
bool acceptDeflateOffer(const char* header, size_t length, const DeflateOptions& options, DeflateParams* params,
                        std::string* response);

// The client: the offer to send for these options (a field value).
std::string deflateOffer(const DeflateOptions& options);

// The client: the server's Sec-WebSocket-Extensions answer to deflateOffer(options)
// (present: whether the field was sent at all). Returns "" and fills `params`
// (agreed: whether permessage-deflate is on) when the answer is acceptable;
// else why the connection must fail (RFC 7692 5.1: an extension not offered, a
// parameter not offered or invalid).
std::string checkDeflateAnswer(const char* header, size_t length, bool present, const DeflateOptions& options,
                               DeflateParams* params, bool* agreed);

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
