#include "session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>

#include "../net/socket_ops.h"

namespace nw {
namespace tls {

namespace {
// A buffer this large is given back once sent: an idle connection keeps none.
constexpr size_t kKeptOutCapacity = 16 * 1024;
}  // namespace

std::unique_ptr<Session> Session::create(std::shared_ptr<Context> context, Stats* stats, uint64_t nowMs,
                                         const std::string& servername) {
  std::unique_ptr<Session> session(new Session(std::move(context), stats, nowMs));
  SSL_CTX* ctx = session->context_->sslContext();
  session->ssl_ = SSL_new(ctx);
  BIO* bio = session->ssl_ ? BIO_new(session->context_->bioMethod()) : nullptr;
  if (!bio) {
    ERR_clear_error();
    return nullptr;
  }
  BIO_set_data(bio, &session->cipher_);
  SSL_set_bio(session->ssl_, bio, bio);
  if (session->context_->server()) {
    SSL_set_accept_state(session->ssl_);
  } else {
    SSL_set_connect_state(session->ssl_);
    if (!servername.empty()) {
      bool isAddress = false;
      if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(servername.c_str())) {
        isAddress = true;
        ASN1_OCTET_STRING_free(ip);
      }
      // RFC 6066: no SNI for an address; the certificate is checked against it either way.
      if (!isAddress) SSL_set_tlsext_host_name(session->ssl_, servername.c_str());
      if (session->context_->rejectUnauthorized()) {
        if (isAddress) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session->ssl_), servername.c_str());
        else SSL_set1_host(session->ssl_, servername.c_str());
      }
    }
  }
  ERR_clear_error();
  return session;
}

Session::Session(std::shared_ptr<Context> context, Stats* stats, uint64_t nowMs)
    : context_(std::move(context)), stats_(stats), startedMs_(nowMs) {}

Session::~Session() { SSL_free(ssl_); }

void Session::fail() {
  if (failed_) return;
  failed_ = true;
  failure_ = takeError("TLS error");
  long verified = SSL_get_verify_result(ssl_);
  if (verified != X509_V_OK) failure_ += std::string(" (") + X509_verify_cert_error_string(verified) + ")";
  if (!established_ && stats_) stats_->tlsHandshakeErrors++;
}

void Session::noteEstablished() {
  if (established_ || !SSL_is_init_finished(ssl_)) return;
  established_ = true;
  if (stats_) stats_->tlsHandshakes++;
}

// Established, every byte read handed to OpenSSL and none of it left inside: an SSL_read_ex now
// could only say WANT_READ (and pays for the error queue and the record layer to say it).
bool Session::drained() const { return established_ && cipher_.inLength == 0 && !SSL_has_pending(ssl_); }

Session::Progress Session::decrypt(char* buf, size_t len, size_t* produced) {
  if (drained()) return Progress::WantRead;
  while (*produced < len) {
    ERR_clear_error();
    size_t got = 0;
    int ok = SSL_read_ex(ssl_, buf + *produced, len - *produced, &got);
    noteEstablished();
    if (ok) {
      *produced += got;
      if (drained()) return Progress::WantRead;
      continue;
    }
    switch (SSL_get_error(ssl_, ok)) {
      case SSL_ERROR_WANT_READ: return Progress::WantRead;
      case SSL_ERROR_ZERO_RETURN: return Progress::Closed;  // close_notify
      default: fail(); return Progress::Failed;
    }
  }
  return Progress::Full;
}

ssize_t Session::read(int fd, char* buf, size_t len) {
  if (failed_) return -EPROTO;
  // Ciphertext is read into the upper half of the caller's buffer and the
  // plaintext written from its start: plaintext is never longer than its
  // ciphertext, and at most one partial record waits inside OpenSSL, so with
  // a record's margin the two never meet.
  size_t half = len / 2;
  size_t cipherRoom = half > kMaxRecord ? half - kMaxRecord : 0;
  for (;;) {
    size_t produced = 0;
    Progress progress = decrypt(buf, len, &produced);
    ssize_t sent = flushOut(fd);  // handshake messages, tickets, alerts
    if (sent < 0 && sent != -EAGAIN) {
      fail();
      return sent;
    }
    if (produced) return ssize_t(produced);
    if (progress == Progress::Closed) return 0;
    if (progress == Progress::Failed) return -EPROTO;
    if (cipherRoom == 0) return -ENOBUFS;  // a caller's buffer too small for a record
    ssize_t n = net::readSome(fd, buf + half, cipherRoom);
    if (n <= 0) {
      // A peer that leaves after part of a handshake failed it.
      if (n == 0 && !established_ && receivedAny_ && stats_) stats_->tlsHandshakeErrors++;
      return n;
    }
    receivedAny_ = true;
    cipher_.in = reinterpret_cast<const uint8_t*>(buf + half);
    cipher_.inLength = size_t(n);
  }
}

ssize_t Session::write(int fd, const char* buf, size_t len) {
  if (failed_) return -EPIPE;
  ssize_t sent = flushOut(fd);
  if (sent < 0) return sent;  // -EAGAIN too: nothing new is encrypted while ciphertext waits
  if (len == 0) return 0;
  size_t chunk = len < kWriteChunk ? len : kWriteChunk;
  ERR_clear_error();
  size_t written = 0;
  if (!SSL_write_ex(ssl_, buf, chunk, &written)) {
    fail();
    return -EPIPE;
  }
  sent = flushOut(fd);
  if (sent < 0 && sent != -EAGAIN) return sent;
  return ssize_t(written);
}

ssize_t Session::start(int fd) {
  ERR_clear_error();
  int ok = SSL_do_handshake(ssl_);
  if (ok <= 0 && SSL_get_error(ssl_, ok) != SSL_ERROR_WANT_READ) {
    fail();
    return -EPROTO;
  }
  ssize_t sent = flushOut(fd);
  return sent == -EAGAIN ? 0 : sent;
}

void Session::shutdown(int fd) {
  if (!established_ || failed_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // close_notify into the outgoing buffer; best effort
  ERR_clear_error();
  flushOut(fd);
}

ssize_t Session::flushOut(int fd) {
  while (cipher_.pendingOut()) {
    ssize_t n = net::writeSome(fd, reinterpret_cast<const char*>(cipher_.out.data() + cipher_.outSent),
                               cipher_.out.size() - cipher_.outSent);
    if (n < 0) return n;
    cipher_.outSent += size_t(n);
  }
  // The handshake's flights (and a server's session tickets) are the largest writes an idle
  // connection ever made: their buffer goes once they are sent, after the handshake.
  bool handshakeBuffer = established_ && !handshakeOutReleased_;
  if (cipher_.out.capacity() > kKeptOutCapacity || handshakeBuffer) {
    std::vector<uint8_t>().swap(cipher_.out);
    handshakeOutReleased_ = established_;
  } else {
    cipher_.out.clear();
  }
  cipher_.outSent = 0;
  return 0;
}

const char* Session::version() const { return established_ ? SSL_get_version(ssl_) : nullptr; }

std::string Session::alpnProtocol() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return data ? std::string(reinterpret_cast<const char*>(data), length) : std::string();
}

std::string Session::servername() const {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name ? name : "";
}

std::string Session::peerCertificate() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return std::string();
  std::string der;
  int length = i2d_X509(cert, nullptr);
  if (length > 0) {
    der.resize(size_t(length));
    unsigned char* p = reinterpret_cast<unsigned char*>(&der[0]);
    i2d_X509(cert, &p);
  }
  X509_free(cert);
  return der;
}

long Session::verifyResult() const { return SSL_get_verify_result(ssl_); }

}  // namespace tls
}  // namespace nw
