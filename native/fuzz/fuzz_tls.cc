// The TLS transport's entry: a server Session (native/tls) reads arbitrary
// bytes as ciphertext from a socket pair, in the input's chunks, answering
// what it must (alerts, a ServerHello to a mutated ClientHello) into the pair.
// Whatever arrives, read() returns plaintext, EAGAIN, 0 or an error, never
// more than asked; once failed it stays failed and write() refuses; the
// handshake counters move at most once; LSan finds nothing per input.
//
// With an SNI callback context (bit 7 of the first byte) the handshake pauses
// at a ClientHello with a server name: the name the session asks for is one
// RFC 6066 allows (1..255 bytes, no NUL), asked once; bit 6 answers it with a
// context or refuses it, and bytes arriving meanwhile wait (bounded).
//
// Input: [flags and chunk size byte] then the bytes; chunk size = byte % 64 * 32 + 1.
// Seeds in corpus/fuzz_tls/ are real ClientHellos (TLS 1.3 and 1.2).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "../tls/session.h"

using namespace nw;

namespace {

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "fuzz_tls: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

std::string pemOf(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, size_t(length));
  BIO_free(bio);
  return pem;
}

// A self-signed P-256 certificate made once, in memory; `askServerName`: an SNI callback's context.
std::shared_ptr<tls::Context> serverContext(bool askServerName) {
  static std::shared_ptr<tls::Context> contexts[2];
  std::shared_ptr<tls::Context>& context = contexts[askServerName ? 1 : 0];
  if (context) return context;
  context = [askServerName] {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    tls::ContextOptions options;
    options.cert = pemOf([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, cert);
    options.key = pemOf([](BIO* b, void* k) {
      return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
    }, key);
    options.alpn = {"http/1.1"};
    options.askServerName = askServerName;
    X509_free(cert);
    EVP_PKEY_free(key);
    std::string error;
    auto made = tls::Context::create(options, &error);
    if (!made) std::fprintf(stderr, "fuzz_tls: %s\n", error.c_str());
    return made;
  }();
  return context;
}

void drain(int fd) {
  char sink[65536];
  while (read(fd, sink, sizeof sink) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool askServerName = data[0] & 0x80;
  bool answer = data[0] & 0x40;
  auto context = serverContext(askServerName);
  CHECK(context);
  int asked = 0;
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) == 0);
  Stats stats;
  auto session = tls::Session::create(context, &stats, 0);
  CHECK(session);
  size_t chunk = size_t(data[0] % 64) * 32 + 1;
  std::vector<char> buf(256 * 1024);
  bool failed = false;
  bool ended = false;
  for (size_t pos = 1; pos < size && !failed && !ended; pos += chunk) {
    size_t n = size - pos < chunk ? size - pos : chunk;
    CHECK(write(pair[1], data + pos, n) == ssize_t(n));
    for (;;) {
      ssize_t got = session->read(pair[0], buf.data(), buf.size());
      CHECK(got <= ssize_t(buf.size()));
      if (got > 0) continue;  // plaintext (cannot happen without a finished handshake, but is allowed)
      if (got == 0) ended = true;
      else if (got != -EAGAIN) failed = true;
      std::string name;
      if (got == -EAGAIN && session->takeServerNameQuery(&name)) {
        CHECK(askServerName && ++asked == 1);
        CHECK(!name.empty() && name.size() <= 255 && name.find('\0') == std::string::npos);
        CHECK(session->awaitingServerName() && session->handshaking());
        CHECK(!session->takeServerNameQuery(&name));
        CHECK(session->resolveServerName(answer ? serverContext(false) : nullptr));
        CHECK(!session->resolveServerName(nullptr));
        continue;  // the core reads on after an answer
      }
      break;
    }
    drain(pair[1]);
  }
  if (!failed && !ended) {
    shutdown(pair[1], SHUT_WR);
    ssize_t last = session->read(pair[0], buf.data(), buf.size());
    CHECK(last <= 0 || session->established());
    failed = last < 0;
  }
  if (failed) {
    CHECK(!session->handshaking());
    CHECK(session->read(pair[0], buf.data(), buf.size()) < 0);
    CHECK(session->write(pair[0], "x", 1) < 0);
  }
  CHECK(stats.tlsHandshakeErrors <= 1 && stats.tlsHandshakes <= 1);
  session.reset();
  close(pair[0]);
  close(pair[1]);
  return 0;
}
