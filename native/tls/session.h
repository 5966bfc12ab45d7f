// One TLS connection: an SSL object between the socket and the core. Reads
// take ciphertext from the socket and hand the core plaintext; writes encrypt
// what the core flushes and send it with one write. The handshake runs inside
// read(); application bytes wait until it is done (Core::flush).
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "../conn/stats.h"
#include "../net/transport.h"
#include "bio.h"
#include "context.h"

namespace nw {
namespace tls {

class Session final : public net::Transport {
 public:
  // Largest TLS record on the wire (16 KiB payload plus header and expansion).
  static constexpr size_t kMaxRecord = 16384 + 2048;
  // Plaintext encrypted per write() call: bounds the ciphertext kept while the kernel refuses it.
  static constexpr size_t kWriteChunk = 64 * 1024;

  // nullptr when OpenSSL cannot make the session. `servername`: a client's SNI and verified host.
  static std::unique_ptr<Session> create(std::shared_ptr<Context> context, Stats* stats, uint64_t nowMs,
                                         const std::string& servername = std::string());
  ~Session() override;

  ssize_t read(int fd, char* buf, size_t len) override;
  ssize_t write(int fd, const char* buf, size_t len) override;
  bool handshaking() const override { return !established_ && !failed_; }
  bool hasPendingOutput() const override { return cipher_.pendingOut(); }
  uint64_t handshakeStartedMs() const override { return startedMs_; }
  void shutdown(int fd) override;
  // A client starts the handshake once connected.
  ssize_t start(int fd);

  bool established() const { return established_; }
  const char* version() const;
  std::string alpnProtocol() const;
  std::string servername() const;
  // The peer's certificate in DER; empty when it sent none.
  std::string peerCertificate() const;
  // X509_V_OK (0) when the peer's certificate verified.
  long verifyResult() const;
  // Why the session failed ("" while it has not).
  const std::string& failure() const { return failure_; }

 private:
  Session(std::shared_ptr<Context> context, Stats* stats, uint64_t nowMs);
  enum class Progress { Full, WantRead, Closed, Failed };
  Progress decrypt(char* buf, size_t len, size_t* produced);
  bool drained() const;
  void fail();
  void noteEstablished();
  // Sends what OpenSSL produced: 0 when all went, -EAGAIN when some waits, or -errno.
  ssize_t flushOut(int fd);

  std::shared_ptr<Context> context_;  // keeps the BIO method and SNI contexts alive
  Stats* stats_;
  SSL* ssl_ = nullptr;
  Ciphertext cipher_;
  uint64_t startedMs_;
  bool established_ = false;
  bool failed_ = false;
  bool receivedAny_ = false;
  bool handshakeOutReleased_ = false;
  std::string failure_;
};

}  // namespace tls
}  // namespace nw
