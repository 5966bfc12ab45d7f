// Per-connection HTTP/1.1 request state; allocated only for http connections.
#pragma once
#include <cstdint>

#include "../protocol/http/request_head.h"
#include "byte_buffer.h"

namespace nw {

struct HttpSession {
  enum Phase : uint8_t {
    kHead,          // reading a request head
    kLengthBody,    // head parsed; waiting for Content-Length bytes (the head stays in front of them)
    kChunkedBody,   // head copied to `assembled`; decoding chunks after it
    kDone,          // the last request was read (Connection: close, CONNECT): nothing after it is read
  };

  Phase phase = kHead;
  uint8_t emptyLines = 0;    // empty lines skipped before the request line being read
  uint16_t errorStatus = 0;  // bad input: answer with this status at the batch end, then close
  const char* error = "";
  uint32_t outstanding = 0;  // requests handed to JS whose response has not ended
  uint64_t headStartedMs = 0;     // first byte of an unfinished head; 0 when none
  uint64_t requestStartedMs = 0;  // first byte of an unfinished request; 0 when none
  uint64_t bodyProgressMs = 0;    // the last bytes read of an unfinished body
  protocol::http::RequestHead head;
  protocol::http::ChunkedDecoder chunked;
  ByteBuffer assembled;  // head + decoded body of a chunked request
};

}  // namespace nw
