#include "context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "bio.h"
#include "session.h"

namespace nw {
namespace tls {

namespace {

constexpr unsigned char kSessionIdContext[] = "netwright";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memoryBio(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), int(pem.size()))); }

int passphraseCallback(char* buf, int size, int, void* userdata) {
  auto* passphrase = static_cast<const std::string*>(userdata);
  if (!passphrase || passphrase->size() > size_t(size)) return -1;
  std::memcpy(buf, passphrase->data(), passphrase->size());
  return int(passphrase->size());
}

// A client certificate that does not verify is still accepted when the
// server asked for one without rejectUnauthorized (connection.getPeerCertificate()
// and the verify result tell the user).
int acceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* offered,
               unsigned int offeredLength, void* arg) {
  auto* wire = static_cast<const std::vector<uint8_t>*>(arg);
  unsigned char* chosen = nullptr;
  // Our order wins (SSL_select_next_proto takes the server list first).
  if (SSL_select_next_proto(&chosen, outLength, wire->data(), unsigned(wire->size()), offered, offeredLength) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // RFC 7301: no_application_protocol
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

int askForServerName(SSL* ssl, int* alert, void*) {
  auto* session = static_cast<Session*>(SSL_get_app_data(ssl));
  return session ? session->onClientHello(alert) : SSL_CLIENT_HELLO_SUCCESS;
}

int chooseByServerName(SSL* ssl, int*, void* arg) {
  auto* context = static_cast<const Context*>(arg);
  auto* session = static_cast<const Session*>(SSL_get_app_data(ssl));
  if (session && session->chosenContext()) {
    if (session->chosenContext() != context) SSL_set_SSL_CTX(ssl, session->chosenContext()->sslContext());
    return SSL_TLSEXT_ERR_OK;
  }
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;
  const Context* chosen = context->forServerName(name);
  if (chosen && chosen != context) SSL_set_SSL_CTX(ssl, chosen->sslContext());
  return SSL_TLSEXT_ERR_OK;
}

bool hostMatches(const std::string& pattern, const char* name) {
  size_t n = std::strlen(name);
  if (pattern.size() == n && strncasecmp(pattern.data(), name, n) == 0) return true;
  if (pattern.size() < 3 || pattern[0] != '*' || pattern[1] != '.') return false;
  const char* dot = std::strchr(name, '.');
  if (!dot) return false;
  size_t suffix = pattern.size() - 1;  // ".example.com"
  return std::strlen(dot) == suffix && strncasecmp(dot, pattern.data() + 1, suffix) == 0;
}

}  // namespace

std::string takeError(const char* fallback) {
  unsigned long code = ERR_peek_last_error();
  std::string message = fallback;
  if (code) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  return message;
}

std::shared_ptr<Context> Context::create(const ContextOptions& options, std::string* error) {
  ERR_clear_error();
  std::shared_ptr<Context> context(new Context());
  if (!context->configure(options, error)) return nullptr;
  return context;
}

Context::~Context() {
  SSL_CTX_free(ctx_);
  BIO_meth_free(bioMethod_);
}

bool Context::configure(const ContextOptions& options, std::string* error) {
  server_ = options.server;
  rejectUnauthorized_ = options.rejectUnauthorized;
  ctx_ = SSL_CTX_new(options.server ? TLS_server_method() : TLS_client_method());
  bioMethod_ = newBioMethod();
  if (!ctx_ || !bioMethod_) {
    *error = takeError("cannot create a TLS context");
    return false;
  }
  if (!SSL_CTX_set_min_proto_version(ctx_, options.minVersion) ||
      !SSL_CTX_set_max_proto_version(ctx_, options.maxVersion) || options.minVersion > options.maxVersion) {
    *error = takeError("unsupported minVersion/maxVersion");
    return false;
  }
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Record buffers are freed while a connection is idle: an idle TLS
  // connection keeps its session state, not 2 x 16 KiB of buffers.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  if (!options.ciphers.empty()) {
    std::string legacy, suites;
    size_t start = 0;
    while (start <= options.ciphers.size()) {
      size_t end = options.ciphers.find(':', start);
      if (end == std::string::npos) end = options.ciphers.size();
      std::string name = options.ciphers.substr(start, end - start);
      if (!name.empty()) {
        std::string& list = name.compare(0, 4, "TLS_") == 0 ? suites : legacy;
        if (!list.empty()) list += ':';
        list += name;
      }
      start = end + 1;
    }
    if ((!legacy.empty() && !SSL_CTX_set_cipher_list(ctx_, legacy.c_str())) ||
        (!suites.empty() && !SSL_CTX_set_ciphersuites(ctx_, suites.c_str()))) {
      *error = takeError("no usable cipher in ciphers");
      return false;
    }
  }
  for (const std::string& protocol : options.alpn) {
    if (protocol.empty() || protocol.size() > 255) {
      *error = "alpn: each protocol name must be 1 to 255 bytes";
      return false;
    }
    alpnWire_.push_back(uint8_t(protocol.size()));
    alpnWire_.insert(alpnWire_.end(), protocol.begin(), protocol.end());
  }
  if (!alpnWire_.empty()) {
    if (options.server) SSL_CTX_set_alpn_select_cb(ctx_, selectAlpn, &alpnWire_);
    else if (SSL_CTX_set_alpn_protos(ctx_, alpnWire_.data(), unsigned(alpnWire_.size())) != 0) {
      *error = takeError("alpn");
      return false;
    }
  }
  if (!loadIdentity(options, error) || !loadTrust(options, error)) return false;
  if (options.server) {
    SSL_CTX_set_session_id_context(ctx_, kSessionIdContext, sizeof kSessionIdContext - 1);
    SSL_CTX_set_tlsext_servername_callback(ctx_, chooseByServerName);
    SSL_CTX_set_tlsext_servername_arg(ctx_, this);
    if (options.askServerName) SSL_CTX_set_client_hello_cb(ctx_, askForServerName, nullptr);
    if (options.requestCert) {
      int mode = SSL_VERIFY_PEER | (options.rejectUnauthorized ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
      SSL_CTX_set_verify(ctx_, mode, options.rejectUnauthorized ? nullptr : acceptAnyCertificate);
    }
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, options.rejectUnauthorized ? nullptr : acceptAnyCertificate);
  }
  ERR_clear_error();
  return true;
}

bool Context::loadIdentity(const ContextOptions& options, std::string* error) {
  if (options.cert.empty() && options.key.empty()) {
    if (options.server) {
      *error = "a TLS server needs cert and key";
      return false;
    }
    return true;
  }
  if (options.cert.empty() || options.key.empty()) {
    *error = "cert and key go together";
    return false;
  }
  BioPtr certs = memoryBio(options.cert);
  X509* leaf = certs ? PEM_read_bio_X509_AUX(certs.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!leaf) {
    *error = takeError("cert: no PEM certificate");
    return false;
  }
  int used = SSL_CTX_use_certificate(ctx_, leaf);
  X509_free(leaf);
  if (!used) {
    *error = takeError("cert");
    return false;
  }
  while (X509* extra = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (!SSL_CTX_add0_chain_cert(ctx_, extra)) {
      X509_free(extra);
      *error = takeError("cert chain");
      return false;
    }
  }
  ERR_clear_error();  // the end of the bundle
  BioPtr keyBio = memoryBio(options.key);
  EVP_PKEY* key = keyBio ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, passphraseCallback,
                                                   const_cast<std::string*>(&options.passphrase))
                         : nullptr;
  if (!key) {
    *error = takeError("key: no PEM private key (or a wrong passphrase)");
    return false;
  }
  used = SSL_CTX_use_PrivateKey(ctx_, key);
  EVP_PKEY_free(key);
  if (!used || !SSL_CTX_check_private_key(ctx_)) {
    *error = takeError("key does not match cert");
    return false;
  }
  return true;
}

bool Context::loadTrust(const ContextOptions& options, std::string* error) {
  if (options.ca.empty()) return true;
  BioPtr bundle = memoryBio(options.ca);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
  int count = 0;
  while (X509* cert = bundle ? PEM_read_bio_X509(bundle.get(), nullptr, nullptr, nullptr) : nullptr) {
    X509_STORE_add_cert(store, cert);
    // A server names the CAs it accepts client certificates from.
    if (options.server && options.requestCert) SSL_CTX_add_client_CA(ctx_, cert);
    X509_free(cert);
    count++;
  }
  ERR_clear_error();
  if (count == 0) {
    *error = "ca: no PEM certificate";
    return false;
  }
  return true;
}

void Context::addServerName(const std::string& host, std::shared_ptr<Context> context) {
  serverNames_.emplace_back(host, std::move(context));
}

const Context* Context::forServerName(const char* name) const {
  for (const auto& entry : serverNames_)
    if (hostMatches(entry.first, name)) return entry.second.get();
  return nullptr;
}

}  // namespace tls
}  // namespace nw
