// An HTTP/1.1 server connection: request heads parsed natively, bodies by
// Content-Length or chunked (decoded here), each complete request handed on as
// one event; pipelined requests in order. After a request that ends the
// connection (Connection: close, HTTP/1.0, CONNECT) nothing is read. Also the
// error answers, 100 Continue, and the head, body and keep-alive timeouts.
#include "http_session.h"

#include <cstring>
#include <string>

#include "../protocol/http/request_head.h"
#include "../protocol/http/status.h"
#include "connection.h"
#include "listener.h"

namespace nw {

namespace http = protocol::http;
namespace ws = protocol::websocket;

size_t HttpSession::consume(Connection& c, uint8_t* p, size_t n, bool inSlab) {
  HttpSession& s = *this;
  size_t pos = 0;
  uint64_t now = c.core_.delegate_.nowMs();
  // closing_: the user closed (after a Connection: close response, say): nothing more is parsed.
  while (pos < n && !c.closed_ && !c.failed_ && !c.closing_) {
    if (s.phase == HttpSession::kDone) return n;
    if (s.phase == HttpSession::kUpgradePending) break;  // what follows may be frames: it waits in the tail
    if (s.phase == HttpSession::kHead) {
      if (!s.headStartedMs) s.headStartedMs = s.requestStartedMs = now;
      bool needMore = false;
      size_t lines = http::leadingEmptyLines(p + pos, n - pos, &needMore);
      if (lines) {
        if (s.emptyLines + lines > http::kMaxEmptyLines) {
          fail(c, 400, "too many empty lines before the request line");
          return n;
        }
        s.emptyLines = uint8_t(s.emptyLines + lines);
        pos += 2 * lines;
        c.tailScanned_ = 0;
        continue;
      }
      if (needMore) {
        c.tailScanned_ = 0;
        break;
      }
      http::Limits limits;
      if (c.listener_) limits.maxHeadSize = c.listener_->maxHeadSize;
      // Only a head at the front of the tail was given before: c.tailScanned_ is about it.
      size_t scanned = pos == 0 && !inSlab ? c.tailScanned_ : 0;
      // Only a listener that takes upgrades looks for them (and pays for their fields).
      bool parsed = c.listener_ && c.listener_->websocketUpgrades
                        ? ws::parseRequestOrUpgrade(p + pos, n - pos, limits, scanned, &s.head, &s.upgradeAsked, &s.upgrade_)
                        : http::parseRequestHead(p + pos, n - pos, limits, &s.head, scanned);
      if (!parsed) {
        c.tailScanned_ = n - pos;  // what is left becomes the tail
        break;
      }
      c.tailScanned_ = 0;
      const http::RequestHead& h = s.head;
      if (h.status) {
        fail(c, h.status, h.error);
        return n;
      }
      if (h.connect && !(c.listener_ && c.listener_->allowConnect)) {
        fail(c, 405, "CONNECT is not supported");
        return n;
      }
      if (h.body == http::Body::kLength && h.contentLength > c.maxPackageSize) {
        // Decided from Content-Length, before reading the body.
        fail(c, 413, "request body too large");
        return n;
      }
      // The head timeout ends with the head; the body has requestTimeout and bodyTimeout.
      s.headStartedMs = 0;
      s.bodyProgressMs = now;
      if (h.expectContinue && h.body != http::Body::kNone) queueRaw(c, "HTTP/1.1 100 Continue\r\n\r\n");
      if (h.body == http::Body::kChunked) {
        if (!s.assembled.append(p + pos, h.headLength, c.core_.pool_)) {
          fail(c, 413, "request too large");
          return n;
        }
        pos += h.headLength;
        http::ChunkedLimits chunkedLimits;
        chunkedLimits.maxTrailerBytes = limits.maxHeadSize;
        s.chunked = http::ChunkedDecoder(chunkedLimits);
        s.phase = HttpSession::kChunkedBody;
        continue;
      }
      s.phase = HttpSession::kLengthBody;
    }
    s.bodyProgressMs = now;
    if (s.phase == HttpSession::kLengthBody) {
      size_t total = s.head.headLength + size_t(s.head.contentLength);
      if (n - pos < total) break;  // head and partial body wait in the tail
      emitRequest(c, p + pos, total, inSlab);
      pos += total;
      continue;
    }
    // kChunkedBody
    size_t used = 0;
    bool tooLarge = false;
    size_t limit = c.maxPackageSize;
    auto sink = [&](const uint8_t* data, size_t length) {
      if (tooLarge || s.chunked.decodedSize() + length > limit || !s.assembled.append(data, length, c.core_.pool_))
        tooLarge = true;
    };
    http::ChunkedDecoder::Result r = s.chunked.feed(p + pos, n - pos, &used, sink);
    pos += used;
    if (tooLarge) {
      fail(c, 413, "request body too large");
      return n;
    }
    if (r == http::ChunkedDecoder::kError) {
      fail(c, 400, s.chunked.error());
      return n;
    }
    if (r == http::ChunkedDecoder::kNeedMore) break;
    emitRequest(c, s.assembled.data(), s.assembled.size(), false);
    s.assembled.release(c.core_.pool_);
  }
  return s.phase == HttpSession::kDone ? n : pos;
}

void HttpSession::emitRequest(Connection& c, const uint8_t* p, size_t length, bool inSlab) {
  HttpSession& s = *this;
  const http::RequestHead& h = s.head;
  bool last = !h.keepAlive || h.connect;
  int32_t extras = (last ? 0 : 1) | (h.head ? 2 : 0) | int32_t(h.headLength << 2);
  s.phase = last ? HttpSession::kDone : HttpSession::kHead;
  if (s.upgradeAsked) {
    // First, so that JS knows it when the request itself arrives (a batch may be delivered between the two).
    c.core_.pushEvent(kEventHttpUpgrade, c.slot_, s.upgrade_.status, 0);
    s.upgradeAsked = false;
    s.afterUpgrade = s.phase;
    s.phase = HttpSession::kUpgradePending;
    last = true;  // held until JS decides
  }
  s.emptyLines = 0;
  s.headStartedMs = s.requestStartedMs = s.bodyProgressMs = 0;
  s.outstanding++;
  c.core_.stats_.totalRequest++;
  if (last) c.core_.updateInterest(&c);  // RFC 9112 9.6: no further request is read
  c.emitPayload(kEventHttpRequest | (extras << 8), p, length, inSlab);
}

void HttpSession::queueRaw(Connection& c, const char* text) {
  size_t before = c.out_.size();
  c.out_.append(text, std::strlen(text), c.core_.pool_);
  c.core_.scheduleFlush(&c);
  c.core_.signalIfFilled(&c, before);
}

void HttpSession::fail(Connection& c, int status, const char* error) {
  Stats& stats = c.core_.stats_;
  if (status == 413) stats.packageTooLarge++;
  else if (status == 431 || status == 414) stats.headTooLarge++;
  else stats.protocolErrors++;
  stats.httpErrors++;
  c.core_.pushEvent(kEventError, c.slot_, status == 413 ? kPackageTooLarge : kProtocolError, status);
  errorStatus = uint16_t(status);
  this->error = error;
  c.failed_ = true;
  c.core_.updateInterest(&c);
  c.core_.markDirty(&c);
}

void HttpSession::finishFailure(Connection& c) {
  if (!errorStatus) return;
  int status = errorStatus;
  errorStatus = 0;
  // The user closed (a response with Connection: close): nothing after it is answered.
  if (c.closing_) return;
  // RFC 9110 15.5.6: a 405 lists the methods that are served.
  const char* allow = status == 405 ? "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n" : "";
  std::string response = http::closingResponse(status, std::string(error) + "\n", allow);
  c.out_.append(response.data(), response.size(), c.core_.pool_);
}

void HttpSession::declineUpgrade(Connection& c) {
  if (phase != kUpgradePending) return;
  phase = afterUpgrade;
  upgrade_ = protocol::websocket::UpgradeRequest{};
  c.core_.updateInterest(&c);
  if (phase == kHead && !c.tail_.empty()) c.core_.wantInput(&c);
}

void HttpSession::responded(Connection& c) {
  if (outstanding) outstanding--;
  c.lastActivityMs = c.core_.delegate_.nowMs();
}

void HttpSession::sweep(Connection& c, uint64_t now) {
  Listener* l = c.listener_;
  if (!l || c.failed_ || c.closing_) return;
  Stats& stats = c.core_.stats_;
  if (headStartedMs && l->headersTimeoutMs && now - headStartedMs >= l->headersTimeoutMs) {
    stats.headersTimeouts++;
    fail(c, 408, "request head not received in time");
    return;
  }
  if (requestStartedMs && l->requestTimeoutMs && now - requestStartedMs >= l->requestTimeoutMs) {
    stats.requestTimeouts++;
    fail(c, 408, "request not received in time");
    return;
  }
  bool inBody = phase == kLengthBody || phase == kChunkedBody;
  if (inBody && l->bodyTimeoutMs && now - bodyProgressMs >= l->bodyTimeoutMs) {
    stats.requestTimeouts++;
    fail(c, 408, "request body stalled");
    return;
  }
  bool idle = outstanding == 0 && phase == kHead && !headStartedMs && c.out_.empty();
  if (idle && l->keepAliveTimeoutMs && now - c.lastActivityMs >= l->keepAliveTimeoutMs) {
    stats.keepAliveTimeouts++;
    c.core_.closeNow(&c, kClosedIdle, true);
  }
}

}  // namespace nw
