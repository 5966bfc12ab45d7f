// permessage-deflate fed arbitrary bytes: the Sec-WebSocket-Extensions offer
// parser (server) and answer checker (client), whose verdicts must agree with
// each other, and the bounded inflater on garbage and on real data.
//
// Input: byte 0 % 3 picks the target (0: negotiation, 1: inflate garbage,
// 2: compress then inflate); byte 0 / 3 picks options and split points. The
// rest is the subject.
#include <cstring>
#include <string>
#include <vector>

#include "../conn/websocket_deflate.h"
#include "../protocol/websocket/deflate_negotiation.h"

using namespace nw;
using namespace nw::protocol::websocket;

namespace {

DeflateOptions optionsFrom(uint8_t seed) {
  DeflateOptions o;
  o.enabled = true;
  o.serverNoContextTakeover = seed & 1;
  o.clientNoContextTakeover = seed & 2;
  o.serverMaxWindowBits = (seed & 4) ? uint8_t(8 + (seed >> 5)) : 0;
  o.clientMaxWindowBits = (seed & 8) ? uint8_t(15 - (seed >> 5)) : 0;
  o.threshold = 0;
  return o;
}

void negotiation(uint8_t seed, const char* p, size_t n) {
  DeflateOptions options = optionsFrom(seed);
  DeflateParams params;
  std::string answer;
  if (acceptDeflateOffer(p, n, options, &params, &answer)) {
    if (params.serverMaxWindowBits < 8 || params.serverMaxWindowBits > 15) __builtin_trap();
    if (params.clientMaxWindowBits < 8 || params.clientMaxWindowBits > 15) __builtin_trap();
    // What the server answers, a client that offered this is content with.
    DeflateOptions client;
    client.enabled = true;
    DeflateParams agreed;
    bool on = false;
    if (!checkDeflateAnswer(answer.data(), answer.size(), true, client, &agreed, &on).empty() || !on) __builtin_trap();
    if (agreed.serverMaxWindowBits != params.serverMaxWindowBits) __builtin_trap();
  }
  // The client side on the same bytes: never crashes; an accepted answer has valid windows.
  DeflateParams agreed;
  bool on = false;
  if (checkDeflateAnswer(p, n, true, options, &agreed, &on).empty() && on) {
    if (agreed.serverMaxWindowBits < 8 || agreed.serverMaxWindowBits > 15) __builtin_trap();
    if (agreed.clientMaxWindowBits < 8 || agreed.clientMaxWindowBits > 15) __builtin_trap();
  }
  std::string offer = deflateOffer(options);
  if (!acceptDeflateOffer(offer.data(), offer.size(), optionsFrom(0), &params, &answer)) __builtin_trap();
}

// Frames of one message through a connection's inflater, never past the limit.
void inflateGarbage(uint8_t seed, const uint8_t* p, size_t n) {
  DeflateParams params;
  params.clientMaxWindowBits = uint8_t(8 + (seed & 7));
  params.clientNoContextTakeover = seed & 8;
  DeflateStreams shared;
  BufferPool pool;
  WebSocketDeflate deflate(params, false, 8, 0);
  const size_t limit = 1 + (size_t(seed) << 8);
  size_t pos = 0;
  for (int message = 0; message < 2 && pos <= n; message++) {
    ByteBuffer out;
    size_t split = n ? (size_t(seed) * 131 + message) % (n - pos + 1) : 0;
    // One byte past the limit is how it learns the limit is passed; never more.
    auto bounded = [&](WebSocketDeflate::Inflated r) {
      if (out.size() > limit + 1 || (r == WebSocketDeflate::kInflated && out.size() > limit)) __builtin_trap();
      if (r == WebSocketDeflate::kTooLarge && out.size() != limit + 1) __builtin_trap();
    };
    auto r = deflate.inflate(shared, p + pos, split, true, false, out, limit, pool);
    bounded(r);
    if (r == WebSocketDeflate::kInflated) {
      r = deflate.inflate(shared, p + pos + split, n - pos - split, false, true, out, limit, pool);
      bounded(r);
    }
    out.release(pool);
    if (r != WebSocketDeflate::kInflated) return;
    pos = n;  // the second message: empty
  }
}

void roundTrip(uint8_t seed, const uint8_t* p, size_t n) {
  DeflateParams params;
  params.serverMaxWindowBits = uint8_t(8 + (seed & 7));
  params.clientMaxWindowBits = params.serverMaxWindowBits;
  params.serverNoContextTakeover = params.clientNoContextTakeover = seed & 8;
  DeflateStreams shared;
  BufferPool pool;
  WebSocketDeflate server(params, false, uint8_t(1 + seed % 9), 0);
  WebSocketDeflate client(params, true, 8, 0);
  std::vector<uint8_t> scratch;
  // Twice: the second message may refer back into the first.
  for (int i = 0; i < 2; i++) {
    size_t compressed = 0;
    ByteBuffer out;
    WebSocketDeflate::Inflated r;
    if (server.compress(shared, p, n, scratch, &compressed)) {
      if (compressed >= n) __builtin_trap();
      r = client.inflate(shared, scratch.data(), compressed, true, true, out, n, pool);
      if (r != WebSocketDeflate::kInflated || out.size() != n || (n && std::memcmp(out.data(), p, n) != 0)) __builtin_trap();
    }
    out.release(pool);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t seed = uint8_t(data[0] / 3);
  const uint8_t* p = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0: negotiation(seed, reinterpret_cast<const char*>(p), n); break;
    case 1: inflateGarbage(seed, p, n); break;
    default: roundTrip(seed, p, n);
  }
  return 0;
}
