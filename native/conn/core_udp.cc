// UDP sockets: datagrams in (recvmmsg, decoded whole, one event each) and out
// (corked in a batch, sent together with sendmmsg when it ends).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "../protocol/ascii.h"
#include "../protocol/datagram.h"
#include "core.h"

namespace nw {

using protocol::Framing;

int32_t Core::bindUdp(const net::DatagramOptions& options, protocol::Kind kind) {
  int fd = net::bindDatagram(options);
  if (fd < 0) return fd;
  return openUdp(fd, kind, false);
}

int32_t Core::adoptUdp(int fd, protocol::Kind kind) {
  int rc = net::adoptDatagramSocket(fd);
  if (rc != 0) return rc;
  return openUdp(fd, kind, false);
}

int32_t Core::connectUdp(const std::string& host, int port, protocol::Kind kind) {
  int fd = net::connectDatagram(host, port);
  if (fd < 0) return fd;
  return openUdp(fd, kind, true);
}

int32_t Core::openUdp(int fd, protocol::Kind kind, bool connected) {
  if (udpSockets_.size() >= size_t(INT32_MAX)) {
    net::closeFd(fd);
    return -EMFILE;
  }
  int32_t id = int32_t(udpSockets_.size());
  auto* s = new UdpSocket(*this, fd, id, kind, connected);
  int rc = reactor_.watch(s, kReadable);
  if (rc != 0) {
    s->closed_ = true;
    net::closeFd(fd);
    reactor_.retire(s);
    return rc;
  }
  udpSockets_.push_back(s);
  openUdp_++;
  if (connected) stats_.outbound++;
  return id;
}

UdpSocket* Core::udpSocket(int32_t id) const {
  if (id < 0 || size_t(id) >= udpSockets_.size()) return nullptr;
  UdpSocket* s = udpSockets_[size_t(id)];
  return s && !s->closed_ ? s : nullptr;
}

void Core::closeUdp(UdpSocket* s) {
  if (s->closed_) return;
  flushDatagrams(s);
  s->closed_ = true;
  udpSockets_[size_t(s->id_)] = nullptr;
  openUdp_--;
  if (s->connected_) stats_.outbound--;
  int fd = s->fd_;
  reactor_.retire(s);  // deleted at the end of this batch, or the next one
  net::closeFd(fd);
}

void Core::readDatagrams(UdpSocket* s) {
  // One byte more than the largest datagram accepted: a longer one shows as truncated.
  const size_t slotSize = std::min(s->maxPackageSize, UdpSocket::kMaxDatagram) + 1;
  // Only here is the area resized: events delivered in the loop below may change maxPackageSize.
  if (s->receiveArea_.size() != slotSize * UdpSocket::kBatch) s->receiveArea_.assign(slotSize * UdpSocket::kBatch, 0);
  uint8_t* area = s->receiveArea_.data();
  net::ReceivedDatagram got[UdpSocket::kBatch];
  for (int round = 0; round < UdpSocket::kRoundsPerWakeup && !s->closed_; round++) {
    int n = net::receiveDatagrams(s->fd_, area, slotSize, UdpSocket::kBatch, got);
    if (n < 0) {
      pushEvent(kEventDatagramError, s->id_, -n, 0);
      return;
    }
    for (int i = 0; i < n && !s->closed_; i++) {
      const uint8_t* bytes = area + size_t(i) * slotSize;
      size_t length = got[i].length;
      stats_.bytesRead += length;
      protocol::Payload p;
      if (got[i].truncated || length > s->maxPackageSize ||
          !protocol::datagram::decode(s->kind_, bytes, length, &p)) {
        stats_.udpDropped++;
        continue;
      }
      emitDatagram(s, got[i].from, bytes + p.offset, p.length);
    }
    if (size_t(n) < UdpSocket::kBatch) return;
  }
}

void Core::emitDatagram(UdpSocket* s, const net::RawAddress& from, const uint8_t* payload, size_t length) {
  uint8_t* at = batch_.space(size_t(kDatagramHeader) + length);
  at[0] = from.family == AF_INET6 ? 6 : 4;
  at[1] = 0;
  at[2] = uint8_t(from.port >> 8);
  at[3] = uint8_t(from.port);
  std::memcpy(at + 4, from.bytes, 16);
  std::memcpy(at + kDatagramHeader, payload, length);
  int32_t offset = batch_.offsetOf(at);
  batch_.advance(size_t(kDatagramHeader) + length);
  int32_t extras = 0;
  if (s->kind_ == protocol::Kind::Text) extras = protocol::isAscii(payload, length) ? 2 : 1;
  if (s->connected_) stats_.outboundRequest++;
  else stats_.totalRequest++;
  pushEvent(kEventDatagram | (extras << 8), s->id_, offset, int32_t(length));
}

int32_t Core::sendDatagram(UdpSocket* s, Framing framing, const uint8_t* data, size_t length,
                           const net::RawAddress& to) {
  if (s->closed_) return kRefusedClosed;
  const size_t header = framing == Framing::Length ? protocol::frame::kHeaderSize : 0;
  const size_t total = header + length + protocol::trailerSize(framing);
  if (total > UdpSocket::kMaxDatagram) {
    stats_.sendFail++;
    return kRefusedFull;
  }
  std::vector<uint8_t>& bytes = batch_.inBatch() ? s->outBytes_ : datagramScratch_;
  size_t offset = batch_.inBatch() ? bytes.size() : 0;
  bytes.resize(offset + total);
  uint8_t* out = bytes.data() + offset;
  if (length) std::memcpy(out + header, data, length);
  protocol::frameInPlace(out, header, framing, length, nullptr);
  if (batch_.inBatch()) {
    s->out_.push_back({offset, total, to});
    if (!s->dirty_) {
      s->dirty_ = true;
      udpDirty_.push_back(s);
    }
    if (s->outBytes_.size() >= UdpSocket::kCorkLimit) flushDatagrams(s);
    return kSent;
  }
  net::OutgoingDatagram one{out, total, to};
  if (net::sendDatagrams(s->fd_, &one, 1) != 1) {
    stats_.sendFail++;
    return kRefusedFull;
  }
  stats_.bytesWritten += total;
  return kSent;
}

void Core::flushDatagrams(UdpSocket* s) {
  net::OutgoingDatagram batch[UdpSocket::kBatch];
  size_t i = 0;
  while (i < s->out_.size()) {
    size_t k = std::min(s->out_.size() - i, UdpSocket::kBatch);
    for (size_t j = 0; j < k; j++) {
      const UdpSocket::Pending& p = s->out_[i + j];
      batch[j] = {s->outBytes_.data() + p.offset, p.length, p.to};
    }
    int sent = net::sendDatagrams(s->fd_, batch, k);
    if (sent <= 0) {
      // The kernel's buffer is full (or the peer refuses): UDP drops, and says so in sendFail.
      stats_.sendFail += s->out_.size() - i;
      break;
    }
    for (int j = 0; j < sent; j++) stats_.bytesWritten += batch[j].length;
    i += size_t(sent);
  }
  s->out_.clear();
  s->outBytes_.clear();
  if (s->outBytes_.capacity() > 2 * UdpSocket::kCorkLimit) s->outBytes_.shrink_to_fit();
}

void Core::flushAllDatagrams() {
  for (UdpSocket* s : udpDirty_) {
    s->dirty_ = false;
    if (!s->closed_) flushDatagrams(s);
  }
  udpDirty_.clear();
}

}  // namespace nw
