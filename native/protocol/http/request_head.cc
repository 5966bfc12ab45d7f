#include "request_head.h"

#include <cstring>

namespace nw {
namespace protocol {
namespace http {
namespace {

// The request's rules for its field lines: body framing, Host, Connection, Expect.
class RequestFields final : public FieldVisitor {
 public:
  RequestFields(RequestHead* out, FieldVisitor* more) : out_(out), more_(more) {}

  int field(const Field& f, const char** error) override {
    if (f.is("content-length")) {
      if (f.valueLength == 0 || f.valueLength > 15) return refuse(error, 400, "invalid Content-Length");
      uint64_t length = 0;
      for (size_t k = 0; k < f.valueLength; k++) {
        if (f.value[k] < '0' || f.value[k] > '9') return refuse(error, 400, "invalid Content-Length");
        length = length * 10 + uint64_t(f.value[k] - '0');
      }
      if (lengths++ && length != out_->contentLength) return refuse(error, 400, "conflicting Content-Length");
      out_->contentLength = length;
    } else if (f.is("transfer-encoding")) {
      if (encodings++) return refuse(error, 400, "repeated Transfer-Encoding");
      // Decided after every line is checked: a malformed head is a 400 first.
      if (f.valueIs("chunked")) chunked = true;
      else unsupportedEncoding = true;
    } else if (f.is("host")) {
      hosts++;
    } else if (f.is("connection")) {
      closeToken = closeToken || f.lists("close");
      keepAliveToken = keepAliveToken || f.lists("keep-alive");
    } else if (f.is("expect")) {
      if (!f.valueIs("100-continue")) return refuse(error, 417, "unsupported expectation");
      out_->expectContinue = true;
    }
    return more_ ? more_->field(f, error) : 0;
  }

  size_t hosts = 0, lengths = 0, encodings = 0;
  bool chunked = false, unsupportedEncoding = false, closeToken = false, keepAliveToken = false;

 private:
  static int refuse(const char** error, int status, const char* why) {
    *error = why;
    return status;
  }
  RequestHead* out_;
  FieldVisitor* more_;
};

bool fail(RequestHead* out, int status, const char* error) {
  out->status = status;
  out->error = error;
  return true;
}

}  // namespace

bool parseRequestHead(const uint8_t* p, size_t n, const Limits& limits, RequestHead* out, size_t scanned,
                      FieldVisitor* more) {
  *out = RequestHead{};
  RequestFields fields(out, more);
  Head head;
  if (!parseHead(p, n, StartLine::kRequest, limits, scanned, &fields, &head)) return false;
  out->headLength = head.length;
  if (head.status) return fail(out, head.status, head.error);
  size_t targetStart = head.methodLength + 1;
  size_t targetLength = head.startLine - targetStart - 9;  // before " HTTP/1.x"
  Target target = checkTarget(p, head.methodLength, p + targetStart, targetLength);
  if (target.error) return fail(out, 400, target.error);
  out->target = target.form;
  out->connect = target.form == TargetForm::kAuthority;
  out->head = head.methodLength == 4 && std::memcmp(p, "HEAD", 4) == 0;
  out->get = head.methodLength == 3 && std::memcmp(p, "GET", 3) == 0;
  out->http11 = head.minor == 1;
  out->keepAlive = out->http11;
  // RFC 9112 3.2: more than one Host is refused in any version; HTTP/1.1 needs one.
  if (fields.hosts > 1) return fail(out, 400, "more than one Host header");
  if (out->http11 && fields.hosts == 0) return fail(out, 400, "missing Host header");
  if (fields.unsupportedEncoding) return fail(out, 501, "only Transfer-Encoding: chunked is supported");
  if (fields.chunked && fields.lengths) return fail(out, 400, "both Content-Length and Transfer-Encoding");
  if (fields.chunked && !out->http11) return fail(out, 400, "Transfer-Encoding in an HTTP/1.0 request");
  if (out->connect && (fields.chunked || fields.lengths)) return fail(out, 400, "a CONNECT request has no body");
  if (fields.chunked) out->body = Body::kChunked;
  else if (fields.lengths && out->contentLength > 0) out->body = Body::kLength;
  if (fields.closeToken) out->keepAlive = false;
  else if (!out->http11 && fields.keepAliveToken) out->keepAlive = true;
  return true;
}

}  // namespace http
}  // namespace protocol
}  // namespace nw
