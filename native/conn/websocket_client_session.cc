// A WebSocket client connection: its upgrade request went out when TCP
// connected; here the 101 is checked and handed on (kEventUpgraded).
#include "../protocol/websocket/handshake.h"
#include "../protocol/websocket/sha1.h"
#include "connection.h"
#include "websocket_session.h"

namespace nw {

namespace ws = protocol::websocket;

WebSocketClientSession::WebSocketClientSession(const std::string& key) : WebSocketSession(kAwaitResponse, true) {
  acceptKey = ws::acceptKey(key.data(), key.size());
}

size_t WebSocketClientSession::consumeHandshake(Connection& c, uint8_t* p, size_t n, bool inSlab) {
  ws::UpgradeResponse response;
  if (!ws::parseUpgradeResponse(p, n, acceptKey, &response)) return 0;
  if (!response.problem.empty()) {
    c.core_.failConnect(&c, response.problem.c_str());
    return n;
  }
  ws::DeflateParams params;
  bool agreed = false;
  std::string problem = ws::checkDeflateAnswer(response.extensions.data(), response.extensions.size(),
                                               response.extensionsPresent, deflateOffered, &params, &agreed);
  if (!problem.empty()) {
    c.core_.failConnect(&c, problem.c_str());
    return n;
  }
  if (agreed) deflate.reset(new WebSocketDeflate(params, true, deflateOffered.memLevel, deflateOffered.threshold));
  acceptKey.clear();
  acceptKey.shrink_to_fit();
  phase = kOpen;
  c.emitPayload(kEventUpgraded, p, response.headLength, inSlab);
  return response.headLength;
}

}  // namespace nw
