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

// Before a call whose failure is read from the error queue: the queue is
// almost always empty, and looking costs less than clearing all its slots.
void clearErrors() {
  if (ERR_peek_error()) ERR_clear_error();
}
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
  SSL_set_app_data(session->ssl_, session.get());
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
  cipher_.in = nullptr;
  cipher_.inLength = 0;
  lookup_.reset();
}

void Session::noteEstablished() {
  if (established_ || !SSL_is_init_finished(ssl_)) return;
  established_ = true;
  releaseOut_ = true;
  if (stats_) stats_->tlsHandshakes++;
}

namespace {

// The host_name of a ClientHello's server_name extension (RFC 6066 3); false
// when there is none or it is malformed.
bool serverNameOf(SSL* ssl, std::string* name) {
  const unsigned char* p = nullptr;
  size_t length = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &length) || length < 2) return false;
  size_t listLength = (size_t(p[0]) << 8) | p[1];
  if (listLength + 2 != length) return false;
  p += 2;
  length -= 2;
  while (length >= 3) {
    unsigned type = p[0];
    size_t nameLength = (size_t(p[1]) << 8) | p[2];
    if (nameLength + 3 > length) return false;
    if (type == TLSEXT_NAMETYPE_host_name) {
      if (nameLength == 0 || nameLength > TLSEXT_MAXLEN_host_name) return false;
      for (size_t i = 0; i < nameLength; i++)
        if (p[3 + i] == 0) return false;
      name->assign(reinterpret_cast<const char*>(p + 3), nameLength);
      return true;
    }
    p += 3 + nameLength;
    length -= 3 + nameLength;
  }
  return false;
}

}  // namespace

int Session::onClientHello(int* alert) {
  if (!lookup_) {
    std::string name;
    // No name: the outer certificate, as with an SNI map.
    if (!serverNameOf(ssl_, &name)) return SSL_CLIENT_HELLO_SUCCESS;
    lookup_.reset(new Lookup());
    lookup_->name = std::move(name);
    return SSL_CLIENT_HELLO_RETRY;
  }
  switch (lookup_->state) {
    case Lookup::Resolved: return SSL_CLIENT_HELLO_SUCCESS;
    case Lookup::Refused:
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_CLIENT_HELLO_ERROR;
    default: return SSL_CLIENT_HELLO_RETRY;
  }
}

bool Session::takeServerNameQuery(std::string* name) {
  if (!lookup_ || lookup_->state != Lookup::Asked) return false;
  lookup_->state = Lookup::Waiting;
  *name = lookup_->name;
  return true;
}

bool Session::resolveServerName(std::shared_ptr<Context> chosen) {
  if (!awaitingServerName()) return false;
  lookup_->state = chosen ? Lookup::Resolved : Lookup::Refused;
  chosen_ = std::move(chosen);
  return true;
}

void Session::park() {
  std::vector<uint8_t>& parked = lookup_->parked;
  const uint8_t* begin = parked.data();
  if (cipher_.inLength && cipher_.in >= begin && cipher_.in <= begin + parked.size()) {
    parked.erase(parked.begin(), parked.begin() + (cipher_.in - begin));
  } else {
    parked.assign(cipher_.in, cipher_.in + cipher_.inLength);
  }
  cipher_.in = nullptr;
  cipher_.inLength = 0;
}

ssize_t Session::readWhilePaused(int fd, char* buf, size_t len) {
  // The client's further bytes wait with the ClientHello's rest; a client
  // has little to say before the ServerHello, so a bound suffices.
  std::vector<uint8_t>& parked = lookup_->parked;
  size_t room = parked.size() < kMaxParked ? kMaxParked - parked.size() : 0;
  if (room > len) room = len;
  if (room == 0) {
    failed_ = true;
    failure_ = "TLS error: too many bytes before the handshake's answer";
    if (stats_) stats_->tlsHandshakeErrors++;
    lookup_.reset();
    return -EPROTO;
  }
  ssize_t n = net::readSome(fd, buf, room);
  if (n <= 0) {
    if (n == 0 && stats_) stats_->tlsHandshakeErrors++;
    return n;
  }
  parked.insert(parked.end(), buf, buf + n);
  return -EAGAIN;
}
// Established, every byte read handed to OpenSSL and none of it left inside: an SSL_read_ex now
// could only say WANT_READ (and pays for the error queue and the record layer to say it).
bool Session::drained() const { return established_ && cipher_.inLength == 0 && !SSL_has_pending(ssl_); }

Session::Progress Session::decrypt(char* buf, size_t len, size_t* produced) {
  if (drained()) return Progress::WantRead;
  while (*produced < len) {
    clearErrors();
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
      case SSL_ERROR_WANT_CLIENT_HELLO_CB: return Progress::Paused;
      case SSL_ERROR_ZERO_RETURN: return Progress::Closed;  // close_notify
      default: fail(); return Progress::Failed;
    }
  }
  return Progress::Full;
}

ssize_t Session::read(int fd, char* buf, size_t len) {
  if (failed_) return -EPROTO;
  if (lookup_ && lookup_->state <= Lookup::Waiting && !cipher_.inLength && SSL_want_client_hello_cb(ssl_))
    return readWhilePaused(fd, buf, len);
  // Resumed after a server name answer: what arrived meanwhile goes first.
  if (lookup_ && !lookup_->parked.empty() && !cipher_.inLength) {
    cipher_.in = lookup_->parked.data();
    cipher_.inLength = lookup_->parked.size();
  }
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
    if (progress == Progress::Paused) {
      park();
      if (produced) return ssize_t(produced);
      return -EAGAIN;  // takeServerNameQuery() names what to ask
    }
    // (Not freed inside decrypt(): OpenSSL may still be reading the parked bytes.)
    if (lookup_ && !cipher_.inLength) {
      if (established_) lookup_.reset();
      else if (!lookup_->parked.empty()) std::vector<uint8_t>().swap(lookup_->parked);
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
  clearErrors();
  size_t written = 0;
  if (!SSL_write_ex(ssl_, buf, chunk, &written)) {
    fail();
    return -EPIPE;
  }
  sent = flushOut(fd);
  if (sent < 0 && sent != -EAGAIN) return sent;
  return ssize_t(written);
}

ssize_t Session::start(int fd, uint64_t nowMs) {
  startedMs_ = nowMs;
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
  if (releaseOut_ || cipher_.out.capacity() > kKeptOutCapacity) {
    std::vector<uint8_t>().swap(cipher_.out);
    releaseOut_ = false;
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
