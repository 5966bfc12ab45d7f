#include "websocket_deflate.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace nw {

namespace {

// Level 1: JSON-like text still shrinks to a fraction, at a fraction of the
// default level's CPU (what a server echoing at line rate needs).
constexpr int kLevel = 1;
// Output is produced in steps of at most this many bytes, so a compression
// bomb is stopped within one step of the limit.
constexpr size_t kInflateStep = 64 * 1024;
const uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};

// zlib refuses an 8-bit raw deflate window; with 9 its longest distance is
// 512 - 262 = 250 bytes, inside what an 8-bit window inflates.
int deflateWindow(uint8_t bits) { return -int(std::max<uint8_t>(bits, 9)); }

z_stream* newDeflater(uint8_t windowBits, uint8_t memLevel) {
  auto* z = static_cast<z_stream*>(std::calloc(1, sizeof(z_stream)));
  if (!z) return nullptr;
  if (deflateInit2(z, kLevel, Z_DEFLATED, deflateWindow(windowBits), memLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::free(z);
    return nullptr;
  }
  return z;
}

z_stream* newInflater(uint8_t windowBits) {
  auto* z = static_cast<z_stream*>(std::calloc(1, sizeof(z_stream)));
  if (!z) return nullptr;
  if (inflateInit2(z, -int(windowBits)) != Z_OK) {
    std::free(z);
    return nullptr;
  }
  return z;
}

void endDeflater(z_stream*& z) {
  if (!z) return;
  deflateEnd(z);
  std::free(z);
  z = nullptr;
}

void endInflater(z_stream*& z) {
  if (!z) return;
  inflateEnd(z);
  std::free(z);
  z = nullptr;
}

// One message through `z` with a sync flush, into out[0..length + 4). The
// output must come out shorter than the input once its 00 00 FF FF is cut:
// room for more would be wasted work, so running out of it means "send plain".
bool deflateMessage(z_stream* z, const uint8_t* in, size_t length, std::vector<uint8_t>& out, size_t* compressedLength) {
  if (length == 0 || length > UINT32_MAX) return false;
  if (out.size() < length + 4) out.resize(length + 4);
  z->next_in = const_cast<Bytef*>(in);
  z->avail_in = uInt(length);
  z->next_out = out.data();
  z->avail_out = uInt(length + 4);
  int rc = deflate(z, Z_SYNC_FLUSH);
  // With output room left over, a sync flush has written everything.
  if ((rc != Z_OK && rc != Z_BUF_ERROR) || z->avail_in != 0 || z->avail_out == 0) return false;
  size_t produced = length + 4 - z->avail_out;
  if (produced < 4 || std::memcmp(out.data() + produced - 4, kTail, 4) != 0) return false;
  *compressedLength = produced - 4;
  return *compressedLength < length;
}

// Feeds in[0..length) to `z`, appending what comes out to `out` in bounded steps.
WebSocketDeflate::Inflated inflateInto(z_stream* z, const uint8_t* in, size_t length, ByteBuffer& out, size_t limit,
                                       BufferPool& pool) {
  z->next_in = const_cast<Bytef*>(in);
  z->avail_in = uInt(length);
  while (true) {
    // One byte over the limit is room enough to learn that it is exceeded.
    size_t step = std::min(kInflateStep, limit - std::min(limit, out.size()) + 1);
    uint8_t* dst = out.reserve(step, pool);
    if (!dst) return WebSocketDeflate::kNoMemory;
    z->next_out = dst;
    z->avail_out = uInt(step);
    int rc = inflate(z, Z_SYNC_FLUSH);
    size_t produced = step - z->avail_out;
    out.commit(produced);
    if (out.size() > limit) return WebSocketDeflate::kTooLarge;
    if (rc == Z_STREAM_END) {
      // A block with BFINAL set ends the deflate stream; what follows (at
      // least the 00 00 FF FF fed back at the message end) starts a new one.
      if (inflateReset(z) != Z_OK) return WebSocketDeflate::kCorrupt;
      if (z->avail_in == 0) return WebSocketDeflate::kInflated;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return WebSocketDeflate::kCorrupt;
    if (z->avail_out != 0) {
      if (z->avail_in == 0) return WebSocketDeflate::kInflated;
      if (produced == 0 && rc == Z_BUF_ERROR) return WebSocketDeflate::kCorrupt;  // no progress possible
    }
  }
}

}  // namespace

// ---- the loop's shared streams ----------------------------------------------

DeflateStreams::~DeflateStreams() {
  for (auto& row : deflaters_)
    for (z_stream*& z : row) endDeflater(z);
  for (z_stream*& z : inflaters_) endInflater(z);
}

bool DeflateStreams::compressFresh(uint8_t windowBits, uint8_t memLevel, const uint8_t* in, size_t length,
                                   std::vector<uint8_t>& out, size_t* compressedLength) {
  if (windowBits < 8 || windowBits > 15 || memLevel < 1 || memLevel > 9) return false;
  z_stream*& z = deflaters_[windowBits][memLevel];
  if (!z) z = newDeflater(windowBits, memLevel);
  else if (deflateReset(z) != Z_OK) endDeflater(z), z = newDeflater(windowBits, memLevel);
  return z && deflateMessage(z, in, length, out, compressedLength);
}

z_stream* DeflateStreams::freshInflater(uint8_t windowBits) {
  if (windowBits < 8 || windowBits > 15) return nullptr;
  z_stream*& z = inflaters_[windowBits];
  if (!z) z = newInflater(windowBits);
  else if (inflateReset(z) != Z_OK) endInflater(z), z = newInflater(windowBits);
  return z;
}

// ---- one connection ---------------------------------------------------------

WebSocketDeflate::WebSocketDeflate(const protocol::websocket::DeflateParams& params, bool client, uint8_t memLevel,
                                   uint32_t threshold)
    : threshold_(threshold),
      memLevel_(memLevel),
      sendWindowBits_(client ? params.clientMaxWindowBits : params.serverMaxWindowBits),
      receiveWindowBits_(client ? params.serverMaxWindowBits : params.clientMaxWindowBits),
      sendNoContext_(client ? params.clientNoContextTakeover : params.serverNoContextTakeover),
      receiveNoContext_(client ? params.serverNoContextTakeover : params.clientNoContextTakeover) {}

WebSocketDeflate::~WebSocketDeflate() {
  endDeflater(deflater_);
  endInflater(inflater_);
}

bool WebSocketDeflate::compress(DeflateStreams& shared, const uint8_t* in, size_t length, std::vector<uint8_t>& out,
                                size_t* compressedLength) {
  if (sendNoContext_) return shared.compressFresh(sendWindowBits_, memLevel_, in, length, out, compressedLength);
  if (!deflater_) {
    deflater_ = newDeflater(sendWindowBits_, memLevel_);
    if (!deflater_) return false;
    sendContextStale_ = false;
  }
  if (sendContextStale_) {
    if (deflateReset(deflater_) != Z_OK) {
      endDeflater(deflater_);
      return false;
    }
    sendContextStale_ = false;
  }
  if (deflateMessage(deflater_, in, length, out, compressedLength)) return true;
  // The compressor took in a message the peer will get uncompressed (or not at
  // all): its window no longer matches the peer's.
  sendContextStale_ = true;
  return false;
}

WebSocketDeflate::Inflated WebSocketDeflate::inflate(DeflateStreams& shared, const uint8_t* in, size_t length,
                                                     bool first, bool fin, ByteBuffer& out, size_t limit,
                                                     BufferPool& pool) {
  bool oneShot = receiveNoContext_ && first && fin && !inflater_;
  z_stream* z = oneShot ? shared.freshInflater(receiveWindowBits_) : inflater_;
  if (!z) z = inflater_ = newInflater(receiveWindowBits_);
  if (!z) return kNoMemory;
  Inflated result = inflateInto(z, in, length, out, limit, pool);
  if (result == kInflated && fin) result = inflateInto(z, kTail, 4, out, limit, pool);
  if (result != kInflated || (fin && receiveNoContext_)) endInflater(inflater_);
  return result;
}

size_t WebSocketDeflate::deflaterBytes(uint8_t windowBits, uint8_t memLevel) {
  // zconf.h: (1 << (windowBits + 2)) + (1 << (memLevel + 9)), plus the state.
  int bits = std::max<int>(windowBits, 9);
  return (size_t(1) << (bits + 2)) + (size_t(1) << (memLevel + 9)) + 6 * 1024;
}

size_t WebSocketDeflate::inflaterBytes(uint8_t windowBits) { return (size_t(1) << windowBits) + 7 * 1024; }

}  // namespace nw
