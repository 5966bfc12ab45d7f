// permessage-deflate's zlib streams for one WebSocket connection (RFC 7692 7):
// messages compressed on the way out, inflated in bounded steps on the way in.
// Streams are made on first use and, where the negotiated parameters take no
// context over from one message to the next, freed after each message, so an
// idle connection holds none. All work is synchronous on the loop thread and
// bounded by the message: maxPackageSize inflated, the send limit deflated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../protocol/websocket/deflate_negotiation.h"
#include "buffer_pool.h"
#include "byte_buffer.h"

typedef struct z_stream_s z_stream;

namespace nw {

// Streams that carry nothing from one message to the next, one per window
// and memory level in use, shared by every connection of the loop: a message
// compressed without context (server_no_context_takeover, a broadcast) and a
// one-frame message inflated without context need no stream of their own.
class DeflateStreams {
 public:
  DeflateStreams() = default;
  ~DeflateStreams();
  DeflateStreams(const DeflateStreams&) = delete;
  DeflateStreams& operator=(const DeflateStreams&) = delete;

  // A message compressed from an empty window: valid for any peer that
  // inflates with a window of at least `windowBits`. False as for
  // WebSocketDeflate::compress().
  bool compressFresh(uint8_t windowBits, uint8_t memLevel, const uint8_t* in, size_t length, std::vector<uint8_t>& out,
                     size_t* compressedLength);
  // A reset inflater of this window, or nullptr when memory runs out.
  z_stream* freshInflater(uint8_t windowBits);

 private:
  z_stream* deflaters_[16][10] = {};  // [windowBits][memLevel]
  z_stream* inflaters_[16] = {};
};

class WebSocketDeflate {
 public:
  WebSocketDeflate(const protocol::websocket::DeflateParams& params, bool client, uint8_t memLevel, uint32_t threshold);
  ~WebSocketDeflate();
  WebSocketDeflate(const WebSocketDeflate&) = delete;
  WebSocketDeflate& operator=(const WebSocketDeflate&) = delete;

  // The shared streams of the loop (internal.h's CoreState owns one).
  bool worthCompressing(size_t length) const { return length >= threshold_; }
  // The message compressed into `out` (its length in *compressedLength), the
  // trailing 00 00 FF FF removed. False when compressing would not make it
  // smaller (or zlib failed): then send it uncompressed.
  bool compress(DeflateStreams& shared, const uint8_t* in, size_t length, std::vector<uint8_t>& out,
                size_t* compressedLength);

  enum Inflated { kInflated, kTooLarge, kCorrupt, kNoMemory };
  // A frame of a compressed message, inflated and appended to `out`, which
  // never grows past `limit` (kTooLarge instead). With `fin`, the message's
  // end: the removed 00 00 FF FF is fed back and the stream is ready for the next.
  // `first`: the message's first frame (a one-frame message without context
  // takeover is inflated by the loop's shared stream; the connection keeps none).
  Inflated inflate(DeflateStreams& shared, const uint8_t* in, size_t length, bool first, bool fin, ByteBuffer& out,
                   size_t limit, BufferPool& pool);

  // This end's compressor window (what the peer inflates with).
  uint8_t sendWindowBits() const { return sendWindowBits_; }
  uint8_t memLevel() const { return memLevel_; }
  // A frame compressed elsewhere (a broadcast) went out: the peer's window now
  // holds bytes our compressor never saw, so its next message must not refer back.
  void forgetSendContext() {
    if (!sendNoContext_) sendContextStale_ = true;
  }

  // zlib's sizes, for the documentation and the memory test.
  static size_t deflaterBytes(uint8_t windowBits, uint8_t memLevel);
  static size_t inflaterBytes(uint8_t windowBits);

 private:

  z_stream* deflater_ = nullptr;
  z_stream* inflater_ = nullptr;
  const uint32_t threshold_;
  const uint8_t memLevel_;
  uint8_t sendWindowBits_;
  uint8_t receiveWindowBits_;
  bool sendNoContext_;
  bool receiveNoContext_;
  bool sendContextStale_ = false;
};


}  // namespace nw
