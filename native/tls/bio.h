// The BIO between OpenSSL and the core: OpenSSL reads the ciphertext the core
// read into the slab (no copy into a BIO buffer), and writes ciphertext into
// the session's outgoing buffer, which the core sends with one write.
#pragma once
#include <openssl/bio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nw {
namespace tls {

struct Ciphertext {
  const uint8_t* in = nullptr;  // read from the socket, not yet taken by OpenSSL
  size_t inLength = 0;
  std::vector<uint8_t> out;     // produced by OpenSSL, not yet sent
  size_t outSent = 0;           // bytes of `out` already sent
  bool pendingOut() const { return outSent < out.size(); }
};

// One per Context; a BIO made from it has a Ciphertext* as its data.
BIO_METHOD* newBioMethod();

}  // namespace tls
}  // namespace nw
