#include "bio.h"

#include <cstring>

namespace nw {
namespace tls {

namespace {

int bioRead(BIO* bio, char* buf, int len) {
  auto* c = static_cast<Ciphertext*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (!c || c->inLength == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = len < 0 ? 0 : size_t(len);
  if (n > c->inLength) n = c->inLength;
  std::memcpy(buf, c->in, n);
  c->in += n;
  c->inLength -= n;
  return int(n);
}

int bioWrite(BIO* bio, const char* data, int len) {
  auto* c = static_cast<Ciphertext*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (!c || len < 0) return -1;
  // Sent bytes are dropped before the buffer grows: it holds at most one
  // write's records plus what the kernel has not taken yet.
  if (c->outSent && c->outSent == c->out.size()) {
    c->out.clear();
    c->outSent = 0;
  }
  c->out.insert(c->out.end(), data, data + len);
  return len;
}

long bioCtrl(BIO*, int cmd, long, void*) {
  // Writes go out when the core flushes; nothing is buffered in the BIO itself.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

}  // namespace

BIO_METHOD* newBioMethod() {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "netwright core");
  if (!method) return nullptr;
  BIO_meth_set_read(method, bioRead);
  BIO_meth_set_write(method, bioWrite);
  BIO_meth_set_ctrl(method, bioCtrl);
  BIO_meth_set_create(method, bioCreate);
  return method;
}

}  // namespace tls
}  // namespace nw
