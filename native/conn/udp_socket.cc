#include "udp_socket.h"

#include "core.h"

namespace nw {

UdpSocket::UdpSocket(Core& core, int fd, int32_t id, protocol::Kind kind, bool connected)
    : core_(core), id_(id), kind_(kind), connected_(connected) {
  fd_ = fd;
}

UdpSocket::~UdpSocket() = default;

void UdpSocket::onReady(uint32_t readiness) {
  if (closed_) return;
  core_.readDatagrams(this);
}

}  // namespace nw
