#include "core.h"

#include "../tls/session.h"

#include <cerrno>
#include <climits>
#include <cstring>

namespace nw {

CoreState::CoreState(Reactor& reactor, CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events,
                     size_t eventCapacity)
    : reactor_(reactor), delegate_(delegate), batch_(delegate, slab, slabSize, events, eventCapacity) {
  spareFd_ = net::openSpareFd();
}

Core::Core(Reactor& reactor, CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events,
           size_t eventCapacity)
    : CoreState(reactor, delegate, slab, slabSize, events, eventCapacity) {}

Core::~Core() {
  shutdown();
  reactor_.holdFrees();
  for (Listener* l : listeners_) reactor_.retire(l);
  listeners_.clear();
  reactor_.releaseFrees();
  net::closeFd(spareFd_);
}

// ---- batches ---------------------------------------------------------------

void Core::beginBatch() {
  batch_.begin();
  reactor_.holdFrees();
}

void Core::endBatch() {
  // Delivering may cork more sends, and flushing may produce close or error
  // events: go round until both are quiet.
  for (;;) {
    processPendingInput();
    if (batch_.count()) {
      batch_.deliver();  // first: the user's answers are corked before anything closes
      continue;
    }
    flushCorked();
    flushAllDatagrams();
    if (batch_.count() == 0 && pendingInput_.empty()) break;
  }
  batch_.end();
  retiredSessions_.clear();
  reactor_.releaseFrees();
}

// ---- listeners -------------------------------------------------------------

int32_t Core::listen(const net::ListenOptions& options, const ListenerConfig& config) {
  int fd = net::listenSocket(options);
  if (fd < 0) return fd;
  return listenOn(fd, config);
}

int32_t Core::listenOn(int fd, const ListenerConfig& config) {
  int rc = net::adoptListeningSocket(fd);
  if (rc != 0) return rc;
  int32_t id = int32_t(listeners_.size());
  auto* l = new Listener(*this, fd, id, config);
  listeners_.push_back(l);
  rc = reactor_.watch(l, kReadable);
  if (rc != 0) {
    unlisten(id);
    return rc;
  }
  return id;
}

Listener* Core::listener(int32_t id) const {
  if (id < 0 || size_t(id) >= listeners_.size()) return nullptr;
  return listeners_[size_t(id)];
}

void Core::unlisten(int32_t id) {
  Listener* l = listener(id);
  if (!l || l->closed()) return;
  // The object stays until the core goes: connections keep pointing at it.
  reactor_.watch(l, 0);
  l->closeSocket();
}

void CoreState::setAccepting(Listener* l, bool accepting) {
  if (!l->closed()) reactor_.watch(l, accepting ? uint32_t(kReadable) : 0u);
}

int32_t CoreState::allocateSlot() {
  if (!freeSlots_.empty()) {
    int32_t slot = freeSlots_.back();
    freeSlots_.pop_back();
    return slot;
  }
  if (slots_.size() >= size_t(INT32_MAX)) return -1;
  slots_.push_back(nullptr);
  return int32_t(slots_.size() - 1);
}

void CoreState::adopt(Listener* l, int fd, const net::RawAddress& peer) {
  int32_t slot = allocateSlot();
  if (slot < 0) {
    net::closeFd(fd);
    return;
  }
  std::unique_ptr<tls::Session> session;
  if (l->secureContext) {
    session = tls::Session::create(l->secureContext, &stats_, delegate_.nowMs());
    if (!session) {
      stats_.tlsHandshakeErrors++;
      releaseSlot(slot);
      net::closeFd(fd);
      return;
    }
  }
  auto* c = new Connection(*this, l, fd, slot, l->config().kind);
  if (session) {
    c->ownTransport = std::move(session);
    c->transport = c->ownTransport.get();
  }
  c->peer = peer;
  c->local = net::localAddress(fd);
  c->lastActivityMs = delegate_.nowMs();
  c->session_ = makeServerSession(c->kind_, c->lastActivityMs);
  slots_[size_t(slot)] = c;
  if (reactor_.watch(c, kReadable) != 0) {
    slots_[size_t(slot)] = nullptr;
    c->closed_ = true;
    net::closeFd(fd);
    reactor_.retire(c);
    return;
  }
  l->connections++;
  stats_.connections++;
  stats_.accepted++;
  pushEvent(kEventAccept, slot, l->id(), 0);
}

int32_t Core::connect(const net::ConnectTarget& target, protocol::Kind kind, const std::string& upgradeRequest,
                      const std::string& key, std::shared_ptr<tls::Context> secure, const std::string& servername,
                      uint64_t handshakeTimeoutMs) {
  std::unique_ptr<tls::Session> session;
  if (secure) {
    session = tls::Session::create(std::move(secure), &stats_, delegate_.nowMs(), servername);
    if (!session) return -ENOMEM;
  }
  int fd = net::connectStream(target);
  if (fd < 0) return fd;
  int32_t slot = allocateSlot();
  if (slot < 0) {
    net::closeFd(fd);
    return -EMFILE;
  }
  auto* c = new Connection(*this, nullptr, fd, slot, kind);
  if (session) {
    c->ownTransport = std::move(session);
    c->transport = c->ownTransport.get();
    c->secureConnectPending_ = true;
    c->clientHandshakeTimeoutMs_ = handshakeTimeoutMs;
  }
  c->connecting_ = true;
  c->lastActivityMs = delegate_.nowMs();
  c->session_ = makeClientSession(kind, key);
  c->masksFrames_ = c->session_ && c->session_->masksSends();
  // What the protocol sends first (the upgrade request) goes once TCP connects.
  if (!upgradeRequest.empty()) c->out_.append(upgradeRequest.data(), upgradeRequest.size(), pool_);
  slots_[size_t(slot)] = c;
  int rc = reactor_.watch(c, kWritable);
  if (rc != 0) {
    slots_[size_t(slot)] = nullptr;
    c->closed_ = true;
    net::closeFd(fd);
    reactor_.retire(c);
    return rc;
  }
  stats_.outbound++;
  return slot;
}

void CoreState::onConnected(Connection* c) {
  int err = net::connectResult(c->fd());
  if (err != 0) {
    pushEvent(kEventConnectFail, c->slot_, -err, 0);
    closeNow(c, kClosedOnError, true);
    return;
  }
  c->connecting_ = false;
  c->peer = net::peerAddress(c->fd());
  c->local = net::localAddress(c->fd());
  if (c->peer.family != 0) net::setStreamOptions(c->fd(), true, 0);
  c->lastActivityMs = delegate_.nowMs();
  if (c->secureConnectPending_) {
    auto* session = static_cast<tls::Session*>(c->ownTransport.get());
    if (session->start(c->fd(), c->lastActivityMs) < 0) {
      failConnect(c, session->failure().c_str());
      return;
    }
    flush(c, true);  // the rest of the ClientHello, if the kernel took only part
    updateInterest(c);
    return;
  }
  // As in Workerman, onConnect is the stream's; a ws:// client's 101 is kEventUpgraded.
  pushEvent(kEventConnect, c->slot_, 0, 0);
  if (!c->out_.empty() && !flush(c, true)) return;  // the upgrade request, or sends made while connecting
  updateInterest(c);
}

bool CoreState::finishSecureConnect(Connection* c) {
  c->secureConnectPending_ = false;
  auto* session = static_cast<tls::Session*>(c->ownTransport.get());
  if (!session->established()) {
    std::string reason = session->failure().empty() ? "the server closed the connection during the TLS handshake"
                                                    : session->failure();
    failConnect(c, reason.c_str());
    return false;
  }
  // The stream is up once TLS is: onConnect; what waited (a ws:// upgrade request) goes
  // now (readAvailable marks it dirty), and a ws:// client's 101 is kEventUpgraded.
  pushEvent(kEventConnect, c->slot_, 0, 0);
  return true;
}

bool Core::resolveServerName(Connection* c, std::shared_ptr<tls::Context> chosen) {
  if (!c || c->closed_ || !c->listener_ || !c->ownTransport) return false;
  auto* session = static_cast<tls::Session*>(c->ownTransport.get());
  if (!session->resolveServerName(std::move(chosen))) return false;
  c->tlsResumePending_ = true;
  wantInput(c);
  return true;
}

// ---- connections -----------------------------------------------------------

Connection* Core::connection(int32_t slot) const {
  if (slot < 0 || size_t(slot) >= slots_.size()) return nullptr;
  Connection* c = slots_[size_t(slot)];
  return c && !c->closed_ ? c : nullptr;
}

Connection* Core::connectionEvenIfClosed(int32_t slot) const {
  if (slot < 0 || size_t(slot) >= slots_.size()) return nullptr;
  return slots_[size_t(slot)];
}

void CoreState::releaseSlot(int32_t slot) {
  if (slot < 0 || size_t(slot) >= slots_.size()) return;
  slots_[size_t(slot)] = nullptr;
  freeSlots_.push_back(slot);
}

void CoreState::updateInterest(Connection* c) {
  if (c->closed_) return;
  uint32_t want = 0;
  if (c->connecting_) {
    reactor_.watch(c, kWritable);
    return;
  }
  bool held = c->failed_ || (c->session_ && c->session_->holdsInput());
  if (!c->paused_ && !c->closing() && !held) want |= kReadable;
  // Input is held while JS decides the upgrade, but a peer that leaves is noticed.
  if (c->session_ && c->session_->watchesHangup() && !c->paused_) want |= kPeerHangup;
  // Paused or held: stay registered so that a reset is still noticed.
  if (want == 0) want = kErrorsOnly;
  if (c->backlogged_) want |= kWritable;
  reactor_.watch(c, want);
}

void Core::setReceiving(Connection* c, bool receiving) {
  c->paused_ = !receiving;
  updateInterest(c);
  // A TLS handshake answered while paused: its input is parked, not in the socket.
  if (receiving && c->tlsResumePending_) wantInput(c);
}

void Core::setHeld(Connection* c, bool held) {
  if (c->held_ == held) return;
  c->held_ = held;
  if (held || c->closed_ || !(c->failed_ || c->peerClosed_)) return;
  // Released: what an ending read deferred (failure answer, close) happens at
  // the end of this batch, or of one run soon.
  markDirty(c);
  batch_.wakeSoon();
}

int32_t CoreState::admit(Connection* c) {
  if (c->closed_ || c->closing_) return kRefusedClosed;
  if (c->session_ && !c->session_->acceptsSends()) return kRefusedClosed;
  if (c->connecting_ && c->out_.size() >= c->maxSendBufferSize) {
    stats_.sendFail++;
    return kRefusedFull;
  }
  if (c->out_.size() >= c->maxSendBufferSize) {
    stats_.sendFail++;
    return kRefusedFull;
  }
  return kSent;
}

uint8_t* CoreState::reserve(Connection* c, size_t maxBytes) { return c->out_.reserve(maxBytes, pool_); }

int32_t CoreState::commit(Connection* c, size_t bytes) {
  size_t before = c->out_.size();
  c->out_.commit(bytes);
  // A reservation committed with nothing in it (an empty string): hold no block.
  if (c->out_.empty()) c->out_.release(pool_);
  int32_t result = kSent;
  size_t queued = c->out_.size();
  if (c->backlogged_ || c->connecting_) {
    result = kQueued;
  } else if (batch_.inBatch() && queued < kCorkLimit && queued < c->maxSendBufferSize) {
    markDirty(c);
  } else if (!flush(c, false)) {
    return kPeerGone;  // c is gone; the caller reports the failure itself
  }
  size_t after = c->out_.size();
  if (before < c->maxSendBufferSize && after >= c->maxSendBufferSize) {
    result |= kBecameFull;
    c->fullSignalled_ = true;
  }
  return result;
}

void CoreState::signalIfFilled(Connection* c, size_t before) {
  if (c->closed_ || c->fullSignalled_) return;
  if (before >= c->maxSendBufferSize || c->out_.size() < c->maxSendBufferSize) return;
  c->fullSignalled_ = true;
  pushEvent(kEventBufferFull, c->slot_, 0, 0);
}

void CoreState::markDirty(Connection* c) {
  if (c->dirty_) return;
  c->dirty_ = true;
  dirty_.push_back(c);
}

void CoreState::flushCorked() {
  // flush() may push events that deliver the batch, and the user may cork more
  // sends meanwhile: take the list first.
  while (!dirty_.empty()) {
    std::vector<Connection*> batch;
    batch.swap(dirty_);
    for (Connection* c : batch) {
      c->dirty_ = false;
      if (c->closed_) continue;
      if (c->failed_ && !c->held_ && c->session_) c->session_->finishFailure(*c);
      flush(c, true);
    }
  }
}

bool CoreState::flush(Connection* c, bool notify) {
  // During a TLS handshake only its own records go; the read that completes
  // it marks the connection dirty for the rest.
  bool handshaking = c->transport->handshaking();
  for (;;) {
    bool again = false;
    while ((!handshaking && !c->out_.empty()) || c->transport->hasPendingOutput()) {
      size_t size = handshaking ? 0 : c->out_.size();
      ssize_t n = c->transport->write(c->fd(), reinterpret_cast<char*>(c->out_.data()), size);
      if (n > 0) {
        c->out_.consume(size_t(n), pool_);
        c->lastWriteMs = delegate_.nowMs();
        c->bytesWritten += size_t(n);
        stats_.bytesWritten += size_t(n);
        continue;
      }
      if (n == 0 && size == 0) continue;  // the transport's own output went
      if (n == -EAGAIN || n == -EWOULDBLOCK) {
        again = true;
        break;
      }
      stats_.sendFail++;
      if (notify) pushEvent(kEventError, c->slot_, kSendFail, 0);
      closeNow(c, kClosedOnError, notify);
      return false;
    }
    // What the protocol owes (a pong to the latest ping) goes once the queue has room.
    if (!c->session_ || !c->session_->appendOwed(*c)) break;
    if (again || c->out_.empty()) break;
  }
  bool wasBacklogged = c->backlogged_;
  c->backlogged_ = (!handshaking && !c->out_.empty()) || c->transport->hasPendingOutput();
  if (wasBacklogged != c->backlogged_) updateInterest(c);
  // Drain follows a backlog, and every onBufferFull (so pipe() always resumes).
  if (c->out_.empty() && (wasBacklogged || c->fullSignalled_)) {
    c->fullSignalled_ = false;
    if (batch_.inBatch()) pushEvent(kEventDrain, c->slot_, 0, 0);
  }
  finishIfDone(c);
  return true;
}

void CoreState::finishIfDone(Connection* c) {
  if (c->closed_ || !c->out_.empty() || c->dirty_ || c->transport->hasPendingOutput()) return;
  // Messages read before the ending read are still to be answered (a close()
  // of the user's own, or the WebSocket close handshake it answered, does not wait).
  if (c->held_ && !c->closing_) return;
  if (c->failed_) closeNow(c, kClosedOnError, true);
  else if (c->closing_) closeNow(c, kClosedLocally, true);
  else if (c->peerClosed_) closeNow(c, kClosedByPeer, true);
}

bool Core::close(Connection* c) {
  if (c->closed_) return true;
  c->closing_ = true;
  updateInterest(c);
  if (c->out_.empty() && !c->dirty_ && !c->transport->hasPendingOutput()) {
    closeNow(c, kClosedLocally, false);
    return true;
  }
  return false;
}

void Core::destroy(Connection* c) { closeNow(c, kClosedLocally, false); }

void CoreState::closeNow(Connection* c, int32_t reason, bool notify) {
  if (c->closed_) return;
  c->closed_ = true;
  int fd = c->fd();
  if (c->listener_) {
    stats_.connections--;
    c->listener_->connections--;
  } else {
    stats_.outbound--;
  }
  if (c->session_) c->session_->closed(*c);
  if (notify) pushEvent(kEventClose, c->slot_, reason, 0);
  reactor_.retire(c);  // deleted at the end of this batch, or the next one
  // Unread input would make close() send RST and cut off what is still in flight to the
  // peer; after the peer's FIN was read there is none.
  if (reason == kClosedLocally) c->transport->shutdown(fd);
  if ((reason == kClosedLocally || reason == kClosedByPeer) && !c->peerClosed_) net::discardPending(fd);
  net::closeFd(fd);
}

void CoreState::failProtocol(Connection* c, int32_t code) {
  if (code == kPackageTooLarge) stats_.packageTooLarge++;
  else stats_.protocolErrors++;
  pushEvent(kEventError, c->slot_, code, 0);
  c->failed_ = true;
  updateInterest(c);
  markDirty(c);
}

void CoreState::scheduleFlush(Connection* c) {
  if (batch_.inBatch()) markDirty(c);
  else flush(c, true);
}

void CoreState::closeAfterFlush(Connection* c) {
  if (c->closed_) return;
  c->closing_ = true;
  updateInterest(c);
  if (batch_.inBatch()) {
    markDirty(c);  // the batch end flushes, then finishIfDone closes
  } else if (flush(c, true)) {
    finishIfDone(c);
  }
}

void CoreState::failConnect(Connection* c, const char* reason) {
  size_t length = std::strlen(reason);
  c->emitPayload(kEventConnectFail, reinterpret_cast<const uint8_t*>(reason), length, false);
  closeNow(c, kClosedOnError, true);
}

void CoreState::wantInput(Connection* c) {
  pendingInput_.push_back(c);
  batch_.wakeSoon();
}

void Core::processPendingInput() {
  while (!pendingInput_.empty()) {
    std::vector<Connection*> batch;
    batch.swap(pendingInput_);
    for (Connection* c : batch) {
      if (c->closed_) continue;
      if (c->tlsResumePending_) {
        if (c->paused_) continue;  // resumeRecv() queues it again
        c->tlsResumePending_ = false;
        if (!c->closing()) c->readAvailable();
      } else {
        c->processTail();
      }
    }
  }
}

// ---- timers and teardown -----------------------------------------------------

void Core::sweep() {
  uint64_t now = delegate_.nowMs();
  for (Listener* l : listeners_) {
    if (l->resumeAtMs && now >= l->resumeAtMs) {
      l->resumeAtMs = 0;
      if (!l->paused) setAccepting(l, true);
    }
  }
  for (Connection* c : slots_) {
    if (!c || c->closed_) continue;
    if (!c->listener_) {
      uint64_t limit = c->clientHandshakeTimeoutMs_;
      if (limit && c->secureConnectPending_ && !c->connecting_ && now - c->transport->handshakeStartedMs() >= limit) {
        stats_.tlsHandshakeTimeouts++;
        std::string reason = "TLS handshake timed out: no answer within " + std::to_string(limit) + " ms";
        failConnect(c, reason.c_str());
        continue;
      }
      if (c->session_) c->session_->sweep(*c, now);  // a ws:// client's close answer
      continue;
    }
    uint64_t handshakeLimit = c->listener_->handshakeTimeoutMs;  // listeners outlive connections
    if (handshakeLimit && c->transport->handshaking() && now - c->transport->handshakeStartedMs() >= handshakeLimit) {
      stats_.tlsHandshakeTimeouts++;
      closeNow(c, kClosedOnError, true);
      continue;
    }
    uint64_t idle = c->listener_->idleTimeoutMs;
    uint64_t activeSince = c->session_ ? c->session_->activeSince(*c) : c->lastActivityMs;
    if (idle && now - activeSince >= idle && !(c->session_ && c->session_->closeIdle(*c))) {
      stats_.idleTimeouts++;
      closeNow(c, kClosedIdle, true);
      continue;
    }
    if (c->session_) c->session_->sweep(*c, now);
  }
}

bool Core::hasOpenSockets() const {
  if (stats_.connections > 0 || stats_.outbound > 0 || openUdp_ > 0) return true;
  for (Listener* l : listeners_)
    if (!l->closed()) return true;
  return false;
}

void Core::shutdown() {
  for (Connection* c : slots_)
    if (c && !c->closed_) closeNow(c, kClosedShutdown, false);
  for (size_t i = 0; i < listeners_.size(); i++) unlisten(int32_t(i));
  for (UdpSocket* s : udpSockets_)
    if (s && !s->closed_) closeUdp(s);
}

}  // namespace nw
