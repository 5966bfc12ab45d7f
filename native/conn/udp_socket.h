// One UDP socket: a udp:// worker's bound socket (many peers) or an
// AsyncUdpConnection's connected one (one peer). Datagrams are read in batches
// (recvmmsg) into a receive area, decoded whole by the socket's kind and
// copied to the slab as events; the replies made during a batch leave
// together (sendmmsg) when it ends.
#pragma once
#include <cstdint>
#include <vector>

#include "../net/datagram.h"
#include "../protocol/framing.h"
#include "../reactor/reactor.h"

namespace nw {

class Core;

class UdpSocket final : public IoHandle {
 public:
  // Datagrams per recvmmsg/sendmmsg call.
  static constexpr size_t kBatch = 32;
  // Batches read per readiness callback before other sockets get their turn.
  static constexpr int kRoundsPerWakeup = 8;
  // The largest UDP payload (IPv4: 65507; IPv6 without jumbograms: 65527).
  static constexpr size_t kMaxDatagram = 65535;
  // Replies corked past this many bytes go out at once instead of at the batch end.
  static constexpr size_t kCorkLimit = 256 * 1024;

  UdpSocket(Core& core, int fd, int32_t id, protocol::Kind kind, bool connected);
  ~UdpSocket() override;

  void onReady(uint32_t readiness) override;

  int32_t id() const { return id_; }
  protocol::Kind kind() const { return kind_; }
  bool connected() const { return connected_; }
  bool open() const { return !closed_; }

  size_t maxPackageSize = 10 * 1024 * 1024;

 private:
  friend class Core;

  struct Pending {
    size_t offset;
    size_t length;
    net::RawAddress to;
  };

  Core& core_;
  int32_t id_;
  protocol::Kind kind_;
  bool connected_;
  bool closed_ = false;
  bool dirty_ = false;  // has corked replies
  std::vector<uint8_t> receiveArea_;  // kBatch slots, allocated on the first read
  std::vector<uint8_t> outBytes_;
  std::vector<Pending> out_;
};

}  // namespace nw
