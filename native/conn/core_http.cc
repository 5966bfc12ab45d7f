// The core's HTTP side: error answers, 100 Continue, and the head and
// keep-alive timeouts. Responses themselves are written by JS.
#include <cstring>
#include <string>

#include "../protocol/http/status.h"
#include "core.h"

namespace nw {

void Core::queueRaw(Connection* c, const char* text) {
  c->out_.append(text, std::strlen(text), pool_);
  scheduleFlush(c);
}

void Core::failHttp(Connection* c, int status, const char* error) {
  if (status == 413) stats_.packageTooLarge++;
  else if (status == 431 || status == 414) stats_.headTooLarge++;
  else stats_.protocolErrors++;
  stats_.httpErrors++;
  pushEvent(kEventError, c->slot_, status == 413 ? kPackageTooLarge : kProtocolError, status);
  c->http_->errorStatus = uint16_t(status);
  c->http_->error = error;
  c->failed_ = true;
  updateInterest(c);
  markDirty(c);
}

void Core::finishHttpFailure(Connection* c) {
  HttpSession& s = *c->http_;
  if (!s.errorStatus) return;
  int status = s.errorStatus;
  s.errorStatus = 0;
  // The user closed (a response with Connection: close): nothing after it is answered.
  if (c->closing_) return;
  // RFC 9110 15.5.6: a 405 lists the methods that are served.
  const char* allow = status == 405 ? "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n" : "";
  std::string response = protocol::http::closingResponse(status, std::string(s.error) + "\n", allow);
  c->out_.append(response.data(), response.size(), pool_);
}

void Core::httpResponded(Connection* c) {
  if (!c->http_) return;
  if (c->http_->outstanding) c->http_->outstanding--;
  c->lastActivityMs = delegate_.nowMs();
}

void Core::sweepHttp(Connection* c, uint64_t now) {
  HttpSession& s = *c->http_;
  Listener* l = c->listener_;
  if (!l || c->failed_ || c->closing_) return;
  if (s.headStartedMs && l->headersTimeoutMs && now - s.headStartedMs >= l->headersTimeoutMs) {
    stats_.headersTimeouts++;
    failHttp(c, 408, "request head not received in time");
    return;
  }
  if (s.requestStartedMs && l->requestTimeoutMs && now - s.requestStartedMs >= l->requestTimeoutMs) {
    stats_.requestTimeouts++;
    failHttp(c, 408, "request not received in time");
    return;
  }
  bool inBody = s.phase == HttpSession::kLengthBody || s.phase == HttpSession::kChunkedBody;
  if (inBody && l->bodyTimeoutMs && now - s.bodyProgressMs >= l->bodyTimeoutMs) {
    stats_.requestTimeouts++;
    failHttp(c, 408, "request body stalled");
    return;
  }
  bool idle = s.outstanding == 0 && s.phase == HttpSession::kHead && !s.headStartedMs && c->out_.empty();
  if (idle && l->keepAliveTimeoutMs && now - c->lastActivityMs >= l->keepAliveTimeoutMs) {
    stats_.keepAliveTimeouts++;
    closeNow(c, kClosedIdle, true);
  }
}

}  // namespace nw
