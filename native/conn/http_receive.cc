// The receive side of an HTTP/1.1 connection: request heads parsed natively,
// bodies by Content-Length or chunked (decoded here), each complete request
// handed on as one event; pipelined requests in order. After a request that
// ends the connection (Connection: close, HTTP/1.0, CONNECT) nothing is read.
#include "../protocol/http/request_head.h"
#include "connection.h"
#include "core.h"

namespace nw {

namespace http = protocol::http;

size_t Connection::consumeHttp(uint8_t* p, size_t n, bool inSlab) {
  HttpSession& s = *http_;
  size_t pos = 0;
  uint64_t now = core_.delegate_.nowMs();
  // closing_: the user closed (after a Connection: close response, say): nothing more is parsed.
  while (pos < n && !closed_ && !failed_ && !closing_) {
    if (s.phase == HttpSession::kDone) return n;
    if (s.phase == HttpSession::kHead) {
      if (!s.headStartedMs) s.headStartedMs = s.requestStartedMs = now;
      bool needMore = false;
      size_t lines = http::leadingEmptyLines(p + pos, n - pos, &needMore);
      if (lines) {
        if (s.emptyLines + lines > http::kMaxEmptyLines) {
          core_.failHttp(this, 400, "too many empty lines before the request line");
          return n;
        }
        s.emptyLines = uint8_t(s.emptyLines + lines);
        pos += 2 * lines;
        tailScanned_ = 0;
        continue;
      }
      if (needMore) {
        tailScanned_ = 0;
        break;
      }
      http::Limits limits;
      if (listener_) limits.maxHeadSize = listener_->maxHeadSize;
      // Only a head at the front of the tail was given before: tailScanned_ is about it.
      size_t scanned = pos == 0 && !inSlab ? tailScanned_ : 0;
      if (!http::parseRequestHead(p + pos, n - pos, limits, &s.head, scanned)) {
        tailScanned_ = n - pos;  // what is left becomes the tail
        break;
      }
      tailScanned_ = 0;
      const http::RequestHead& h = s.head;
      if (h.status) {
        core_.failHttp(this, h.status, h.error);
        return n;
      }
      if (h.connect && !(listener_ && listener_->allowConnect)) {
        core_.failHttp(this, 405, "CONNECT is not supported");
        return n;
      }
      if (h.body == http::Body::kLength && h.contentLength > maxPackageSize) {
        // Decided from Content-Length, before reading the body.
        core_.failHttp(this, 413, "request body too large");
        return n;
      }
      // The head timeout ends with the head; the body has requestTimeout and bodyTimeout.
      s.headStartedMs = 0;
      s.bodyProgressMs = now;
      if (h.expectContinue && h.body != http::Body::kNone) core_.queueRaw(this, "HTTP/1.1 100 Continue\r\n\r\n");
      if (h.body == http::Body::kChunked) {
        if (!s.assembled.append(p + pos, h.headLength, core_.pool_)) {
          core_.failHttp(this, 413, "request too large");
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
      emitRequest(p + pos, total, inSlab);
      pos += total;
      continue;
    }
    // kChunkedBody
    size_t used = 0;
    bool tooLarge = false;
    size_t limit = maxPackageSize;
    auto sink = [&](const uint8_t* data, size_t length) {
      if (tooLarge || s.chunked.decodedSize() + length > limit || !s.assembled.append(data, length, core_.pool_))
        tooLarge = true;
    };
    http::ChunkedDecoder::Result r = s.chunked.feed(p + pos, n - pos, &used, sink);
    pos += used;
    if (tooLarge) {
      core_.failHttp(this, 413, "request body too large");
      return n;
    }
    if (r == http::ChunkedDecoder::kError) {
      core_.failHttp(this, 400, s.chunked.error());
      return n;
    }
    if (r == http::ChunkedDecoder::kNeedMore) break;
    emitRequest(s.assembled.data(), s.assembled.size(), false);
    s.assembled.release(core_.pool_);
  }
  return s.phase == HttpSession::kDone ? n : pos;
}

void Connection::emitRequest(const uint8_t* p, size_t length, bool inSlab) {
  HttpSession& s = *http_;
  const http::RequestHead& h = s.head;
  bool last = !h.keepAlive || h.connect;
  int32_t extras = (last ? 0 : 1) | (h.head ? 2 : 0) | int32_t(h.headLength << 2);
  s.phase = last ? HttpSession::kDone : HttpSession::kHead;
  s.emptyLines = 0;
  s.headStartedMs = s.requestStartedMs = s.bodyProgressMs = 0;
  s.outstanding++;
  core_.stats_.totalRequest++;
  if (last) core_.updateInterest(this);  // RFC 9112 9.6: no further request is read
  emitPayload(kEventHttpRequest | (extras << 8), p, length, inSlab);
}

}  // namespace nw
