// A TLS configuration (one SSL_CTX) built from the options a Worker or a
// client connection was given: certificate chain, key, trusted CAs, versions,
// ciphers, ALPN, client-certificate policy, and for servers the contexts
// chosen by SNI. Shared by every session made from it; a replacement
// (setSecureContext) affects new sessions only.
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nw {
namespace tls {

struct ContextOptions {
  bool server = true;
  std::string cert;        // PEM: the leaf first, then its chain
  std::string key;         // PEM
  std::string passphrase;  // for an encrypted key
  std::string ca;          // PEM bundle: whom to trust (client certs, or servers)
  std::string ciphers;     // OpenSSL names; TLS_* names are TLS 1.3 suites
  int minVersion = TLS1_2_VERSION;
  int maxVersion = TLS1_3_VERSION;
  std::vector<std::string> alpn;  // in preference order
  bool requestCert = false;       // server: ask the client for a certificate
  bool rejectUnauthorized = true; // refuse a peer whose certificate does not verify
  // Server: the handshake pauses at the ClientHello for the embedder to choose
  // the context by server name (Session::takeServerNameQuery / resolveServerName).
  bool askServerName = false;
};

class Context {
 public:
  // nullptr with *error set when the options are unusable.
  static std::shared_ptr<Context> create(const ContextOptions& options, std::string* error);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  SSL_CTX* sslContext() const { return ctx_; }
  bool server() const { return server_; }
  bool rejectUnauthorized() const { return rejectUnauthorized_; }
  // The BIO that moves a session's ciphertext between OpenSSL and the core.
  BIO_METHOD* bioMethod() const { return bioMethod_; }

  // SNI: the context for a host name ("*.example.com" matches one label).
  void addServerName(const std::string& host, std::shared_ptr<Context> context);
  const Context* forServerName(const char* name) const;

 private:
  Context() = default;
  bool configure(const ContextOptions& options, std::string* error);
  bool loadIdentity(const ContextOptions& options, std::string* error);
  bool loadTrust(const ContextOptions& options, std::string* error);

  SSL_CTX* ctx_ = nullptr;
  BIO_METHOD* bioMethod_ = nullptr;
  bool server_ = true;
  bool rejectUnauthorized_ = true;
  std::vector<uint8_t> alpnWire_;  // length-prefixed protocol names
  std::vector<std::pair<std::string, std::shared_ptr<Context>>> serverNames_;
};

// The OpenSSL error queue's latest reason as text, and the queue cleared
// (it is shared with Node's own crypto on this thread).
std::string takeError(const char* fallback);

}  // namespace tls
}  // namespace nw
