// One TLS connection: an SSL object between the socket and the core. Reads
// take ciphertext from the socket and hand the core plaintext; writes encrypt
// what the core flushes and send it with one write. The handshake runs inside
// read(); application bytes wait until it is done (Core::flush).
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  bool takeServerNameQuery(std::string* name) override;
  // A client starts the handshake once connected; its handshake time counts from here.
  ssize_t start(int fd, uint64_t nowMs);
  // The embedder's answer to a server name query: the context to serve, or
  // nullptr to refuse the handshake (unrecognized_name). False when no query
  // waits for one. The handshake resumes at the connection's next read.
  bool resolveServerName(std::shared_ptr<Context> chosen);
  bool awaitingServerName() const { return lookup_ && lookup_->state == Lookup::Waiting; }
  // From the context's client-hello callback: SSL_CLIENT_HELLO_SUCCESS, _RETRY or _ERROR.
  int onClientHello(int* alert);
  // The context an SNI callback chose, or nullptr.
  const Context* chosenContext() const { return chosen_.get(); }

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
  enum class Progress { Full, WantRead, Paused, Closed, Failed };
  // Ciphertext that arrived while the handshake waits for a server name answer, at most this much.
  static constexpr size_t kMaxParked = 2 * kMaxRecord;
  // A handshake paused for a server name answer; freed when the handshake ends.
  struct Lookup {
    enum State { Asked, Waiting, Resolved, Refused } state = Asked;
    std::string name;
    std::vector<uint8_t> parked;  // ciphertext not yet given to OpenSSL
  };
  ssize_t readWhilePaused(int fd, char* buf, size_t len);
  void park();
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
  std::unique_ptr<Lookup> lookup_;
  std::shared_ptr<Context> chosen_;  // by an SNI callback; keeps its SSL_CTX's callbacks' data alive
  uint64_t startedMs_;
  bool established_ = false;
  bool failed_ = false;
  bool receivedAny_ = false;
  bool releaseOut_ = false;  // the handshake's outgoing buffer is given back once sent
  std::string failure_;
};

}  // namespace tls
}  // namespace nw
