// netwright benchmark load generator.
//
// One thread, epoll, non-blocking sockets. Modes:
//   echo    N connections, D messages in flight on each, for --warmup then --duration seconds
//   storm   N concurrent slots: connect, (WebSocket handshake,) one echo, close, repeat
//   idle    open K connections (WebSocket handshake for --proto ws), hold them, report server RSS
//   fanout  K WebSocket subscribers + 1 publisher with D messages in flight; every message the
//           publisher sends is expected once, in order, on every subscriber (and on the publisher).
//           --pace pub (default) counts a message in flight until the publisher has it back;
//           --pace all until every receiver has it (the honest pace when subscribers are served
//           by other processes than the publisher's, which can lag behind it)
//   udp     N UDP sockets (each connected to the server), D datagrams in flight on each; every
//           datagram carries its socket's tag and a sequence number and must come back whole from
//           the server. A datagram not answered within --rto ms is counted lost (apart from the
//           errors) and its slot sends a new one, so a drop never stalls the run; an answer that
//           comes after that is counted late.
// --tls wraps every TCP connection in TLS (the system's OpenSSL, non-blocking SSL_connect, the
// server's certificate not verified: the bench uses a self-signed one, full handshakes, no session
// resumption); what is sent and checked is the same plaintext as without it.
// Protocols (--proto): text (lines ending \n, --size counts the \n), frame (4-byte big-endian
// total length including the header, --size is the total), raw (byte echo; a message is a
// --size chunk of the stream), ws (masked client frames, --size is the payload; the length form
// follows the size: <126, 16-bit, 64-bit), socketio (Engine.IO 4 / Socket.IO over WebSocket:
// path /socket.io/?EIO=4&transport=websocket, open packet "0{...}", "40" connect answered by
// "40{...}", server pings "2" answered with "3"; a message is the event 42["m","<payload>"] with
// a --size payload, and the bytes the server sends back must be exactly the ones sent),
// wsdeflate (ws with permessage-deflate, RFC 7692: offers "permessage-deflate;
// client_max_window_bits" as browsers do, sends each message as compressible JSON of --size
// bytes compressed with context takeover (zlib level 1), inflates what the server sends back,
// compressed or not, and compares it as ws does).
// --pid takes a comma-separated list of server processes whose CPU and RSS are summed (a master
// and its workers); --aux-pid likewise for helpers reported apart (a Redis server).
// Every echoed byte is compared with what was sent: each message carries its connection tag and
// sequence number, so a length, order or content fault counts as an error and closes that
// connection. Output: one JSON object on stdout. Progress and diagnostics go to stderr.
//
// Build: cc -O2 -o loadgen loadgen.c -lssl -lcrypto -lz   (or -DLOADGEN_NO_TLS -lz without OpenSSL)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#ifndef LOADGEN_NO_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#else
typedef struct ssl_st SSL;
#endif

enum { P_TEXT, P_FRAME, P_RAW, P_WS, P_SIO, P_WSZ };
enum { M_ECHO, M_STORM, M_IDLE, M_FANOUT, M_UDP };
// S_TLS: TLS handshake under way; S_SIO: WebSocket open, Socket.IO connect not answered yet
// (both still counted as pending)
enum { S_FREE, S_CONNECTING, S_TLS, S_HANDSHAKE, S_SIO, S_OPEN, S_DEAD };
enum { WS_HDR, WS_DATA, WS_SKIP, WS_CTRL };

#define RBUF_SIZE (256 * 1024)
#define PUB_RING (1u << 16)
#define MAX_PIDS 64
#define CTRL_MAX 1024

typedef struct conn {
  int fd;
  uint8_t state, ws_phase, ws_fin, ws_in_msg, hdr_len, out_armed, is_pub, sio_connecting;
  uint32_t tag;       // connection tag embedded in its messages
  uint32_t etag;      // tag expected in received messages (the publisher's, for subscribers)
  uint64_t sent, recvd;
  uint32_t rx_off;    // bytes of the current expected unit already matched
  uint32_t pend_len, pend_off;
  uint64_t ws_left;   // payload bytes left in the current server frame
  uint64_t t0;        // storm: cycle start
  uint64_t cycles;    // storm: completed cycles of this slot
  uint8_t hdr[14];
  char key[25];
  uint8_t tls_up;     // TLS handshake done (a close_notify is sent at close)
  SSL *ssl;
  uint64_t *useq;     // udp: the sequence number each slot has in flight (slot k sends k, k+D, ...)
  uint8_t *ubusy;     // udp: slot k waits for its answer
  uint8_t *pend;      // bytes the kernel did not take yet
  uint64_t *ts;       // send timestamps, ring indexed by seq
  uint32_t ts_mask;
  uint8_t *exp;       // expected bytes of the current unit
  char *hs;           // handshake response being read (socketio: also a packet that is not a message)
  uint32_t hs_len;
  z_stream *zd, *zi;  // wsdeflate: this connection's compressor and inflater
  uint8_t ws_z;       // wsdeflate: the message being received is compressed
  uint8_t z_fresh;    // wsdeflate: the server asked for client_no_context_takeover
} conn;

static struct {
  const char *host, *path, *mode_name, *proto_name, *pace_name;
  int port, conns, depth, size, proto, mode, batch, verbose, pace_all, tls;
  double duration, warmup, hold, timeout, rto_ms;
} o = {"127.0.0.1", NULL, "echo", "text", "pub", 0, 50, 1, 32, P_TEXT, M_ECHO, 256, 0, 0, 0, 5, 1, 2, 0, 200};

// processes whose CPU is measured: the server's (summed), and helpers reported apart
typedef struct {
  int n, pid[MAX_PIDS];
  uint64_t t0[MAX_PIDS], t1[MAX_PIDS];
  long rss0, rss1;
} procset;
static procset srv, aux;

// the bytes compared on receive per message: the payload, or for socketio the whole event
static uint32_t unit_len;
static const char SIO_PRE[] = "42[\"m\",\"", SIO_POST[] = "\"]";
#define SIO_EXTRA (sizeof SIO_PRE - 1 + sizeof SIO_POST - 1)
// fanout --pace all: receivers that have each of the publisher's recent messages
static uint32_t *acks;
static uint64_t acked;

static int ep;
static conn *cs;
static int nconns;
static struct sockaddr_in addr;
static uint8_t *rbuf, *tbuf;
static size_t tbuf_cap;
static char *pattern;
static char *json_template;  // wsdeflate: --size bytes of JSON-like text
static uint8_t *zbuf;        // wsdeflate: one message, compressed or inflated
static size_t zbuf_cap;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

// counters
static int measuring, finished, running;
static uint64_t m_msgs, m_bytes, total_msgs;
static uint64_t ws_replies, ws_replies_compressed;  // wsdeflate: a server that never compresses does other work
static uint64_t n_recv, n_send, n_wait;  // syscalls in the measured window (load-side cost)
static uint64_t err_mismatch, err_closed, err_connect, err_handshake, err_protocol, err_unexpected, err_missing;
static int n_open, n_pending, n_dead, next_connect;
// udp: datagrams given up after --rto (lost), answers that came after that (late); *_m: measured window
static uint64_t udp_lost, udp_late, udp_lost_m, udp_late_m, udp_send_short;
static uint64_t hist[64 * 64 + 128];

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
static uint64_t xrand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static void die(const char *m) {
  fprintf(stderr, "loadgen: %s: %s\n", m, strerror(errno));
  exit(2);
}

// ---- latency histogram: 64 sub-buckets per power of two (under 1.6% error) ----
static inline int hidx(uint64_t v) {
  if (v < 128) return (int)v;
  int msb = 63 - __builtin_clzll(v), sh = msb - 6;
  return (sh + 1) * 64 + (int)((v >> sh) - 64);
}
static inline uint64_t hval(int i) {
  if (i < 128) return (uint64_t)i;
  int sh = i / 64 - 1;
  return (((uint64_t)(i % 64) + 64) << sh) + ((1ull << sh) >> 1);
}
static double percentile(double p) {
  uint64_t total = 0;
  for (size_t i = 0; i < sizeof hist / sizeof hist[0]; i++) total += hist[i];
  if (!total) return 0;
  uint64_t want = (uint64_t)(p * (double)total);
  if (want >= total) want = total - 1;
  uint64_t acc = 0;
  for (size_t i = 0; i < sizeof hist / sizeof hist[0]; i++) {
    acc += hist[i];
    if (acc > want) return (double)hval((int)i) / 1000.0;
  }
  return 0;
}
static double hmax(void) {
  for (int i = (int)(sizeof hist / sizeof hist[0]) - 1; i >= 0; i--)
    if (hist[i]) return (double)hval(i) / 1000.0;
  return 0;
}

// ---- SHA-1 and base64, for Sec-WebSocket-Accept ----
static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
static void sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  size_t total = ((len + 8) / 64 + 1) * 64;
  uint8_t *b = calloc(total, 1);
  memcpy(b, msg, len);
  b[len] = 0x80;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) b[total - 1 - i] = (uint8_t)(bits >> (8 * i));
  for (size_t off = 0; off < total; off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)b[off + 4 * i] << 24 | (uint32_t)b[off + 4 * i + 1] << 16 | (uint32_t)b[off + 4 * i + 2] << 8 |
             b[off + 4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (bb & c) | (~bb & d), k = 0x5A827999;
      else if (i < 40) f = bb ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (bb & c) | (bb & d) | (c & d), k = 0x8F1BBCDC;
      else f = bb ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(bb, 30), bb = a, a = t;
    }
    h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
  }
  free(b);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}
static void base64(const uint8_t *in, size_t n, char *out) {
  static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0, j = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[j++] = T[v >> 18], out[j++] = T[(v >> 12) & 63], out[j++] = T[(v >> 6) & 63], out[j++] = T[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[j++] = T[v >> 18], out[j++] = T[(v >> 12) & 63];
    out[j++] = i + 1 < n ? T[(v >> 6) & 63] : '=';
    out[j++] = '=';
  }
  out[j] = 0;
}

// ---- /proc of the server under test ----
static int read_cpu(int pid, uint64_t *ut, uint64_t *st) {
  char p[64], buf[2048];
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *s = strrchr(buf, ')');
  if (!s) return -1;
  // fields after ")": 3 state ... 14 utime 15 stime
  unsigned long long u = 0, t = 0;
  if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &u, &t) != 2) return -1;
  *ut = u, *st = t;
  return 0;
}
static long read_rss_kb(int pid) {
  char p[64], line[256];
  snprintf(p, sizeof p, "/proc/%d/status", pid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

// CPU ticks (utime + stime) summed over a set; a process gone counts what it had at the start
static void procset_cpu(procset *ps, uint64_t *t) {
  for (int i = 0; i < ps->n; i++) {
    uint64_t u, s;
    if (read_cpu(ps->pid[i], &u, &s) == 0) t[i] = u + s;
    else if (t == ps->t1) t[i] = ps->t0[i];
  }
}
static long procset_rss(procset *ps) {
  long sum = 0;
  for (int i = 0; i < ps->n; i++) {
    long kb = read_rss_kb(ps->pid[i]);
    if (kb > 0) sum += kb;
  }
  return ps->n ? sum : -1;
}
static double procset_cpu_s(const procset *ps, int i, long tck) {
  return (double)(ps->t1[i] - ps->t0[i]) / (double)tck;
}
// "123,456,789" (more than MAX_PIDS is an error)
static void parse_pids(procset *ps, const char *list) {
  const char *v = list;
  while (*v) {
    char *end;
    long pid = strtol(v, &end, 10);
    if (end == v || pid <= 0 || (*end && *end != ',') || ps->n == MAX_PIDS) {
      fprintf(stderr, "loadgen: bad pid list '%s' (comma-separated, at most %d)\n", list, MAX_PIDS);
      exit(2);
    }
    ps->pid[ps->n++] = (int)pid;
    v = *end ? end + 1 : end;
  }
}

// ---- messages ----
static const char HEX[] = "0123456789abcdef";
// payload: 4 hex digits of tag, 12 of sequence, then letters depending on the sequence
static void payload(uint8_t *d, uint32_t n, uint32_t tag, uint64_t seq, int nl) {
  uint8_t h[16];
  for (int i = 0; i < 4; i++) h[i] = (uint8_t)HEX[(tag >> (12 - 4 * i)) & 15];
  for (int i = 0; i < 12; i++) h[4 + i] = (uint8_t)HEX[(seq >> (44 - 4 * i)) & 15];
  uint32_t body = nl ? n - 1 : n, k = body < 16 ? body : 16;
  memcpy(d, h, k);
  if (body > 16) memcpy(d + 16, pattern + seq % 26, body - 16);
  if (nl) d[n - 1] = '\n';
}
// the unit compared on receive: whole message (text, raw, frame), payload (ws) or event (socketio)
static void unit(uint8_t *d, uint32_t tag, uint64_t seq) {
  uint32_t n = (uint32_t)o.size;
  switch (o.proto) {
    case P_TEXT: payload(d, n, tag, seq, 1); break;
    case P_RAW: payload(d, n, tag, seq, 0); break;
    case P_FRAME:
      d[0] = (uint8_t)(n >> 24), d[1] = (uint8_t)(n >> 16), d[2] = (uint8_t)(n >> 8), d[3] = (uint8_t)n;
      payload(d + 4, n - 4, tag, seq, 0);
      break;
    case P_WS: payload(d, n, tag, seq, 0); break;
    case P_WSZ:  // the JSON template with the tag and sequence in its first field
      memcpy(d, json_template, n);
      payload(d + 6, 16, tag, seq, 0);
      break;
    case P_SIO:
      memcpy(d, SIO_PRE, sizeof SIO_PRE - 1);
      payload(d + sizeof SIO_PRE - 1, n, tag, seq, 0);
      memcpy(d + sizeof SIO_PRE - 1 + n, SIO_POST, sizeof SIO_POST - 1);
      break;
  }
}
static int is_ws(void) { return o.proto == P_WS || o.proto == P_SIO || o.proto == P_WSZ; }
static size_t wire_size(void) {
  if (!is_ws()) return (size_t)o.size;
  size_t n = unit_len;
  if (o.proto == P_WSZ) n += n / 8 + 64;  // deflate's worst case for incompressible bytes is below this
  return n + 4 + (n < 126 ? 2 : n < 65536 ? 4 : 10);
}
// a masked client text frame's head (FIN, length, mask) for n payload bytes; returns its length
static size_t ws_head(uint8_t *d, uint64_t n, uint8_t mk[4]) {
  size_t h = 0;
  d[h++] = 0x81;  // FIN + text
  if (n < 126) d[h++] = (uint8_t)(0x80 | n);
  else if (n < 65536) d[h++] = 0x80 | 126, d[h++] = (uint8_t)(n >> 8), d[h++] = (uint8_t)n;
  else {
    d[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) d[h++] = (uint8_t)(n >> (8 * i));
  }
  uint32_t mask = (uint32_t)xrand();
  memcpy(mk, &mask, 4);
  memcpy(d + h, mk, 4);
  return h + 4;
}
static void ws_mask(uint8_t *p, uint64_t n, const uint8_t mk[4]) {
  uint32_t mask;
  memcpy(&mask, mk, 4);
  uint64_t m8 = (uint64_t)mask | (uint64_t)mask << 32, i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, p + i, 8);
    v ^= m8;
    memcpy(p + i, &v, 8);
  }
  for (; i < n; i++) p[i] ^= mk[i & 3];
}
// writes one message on the wire format into d, returns its length
static size_t message_deflated(conn *c, uint8_t *d, uint32_t tag, uint64_t seq);
static size_t message(conn *c, uint8_t *d, uint32_t tag, uint64_t seq) {
  if (o.proto == P_WSZ) return message_deflated(c, d, tag, seq);
  if (!is_ws()) {
    unit(d, tag, seq);
    return (size_t)o.size;
  }
  uint8_t mk[4];
  size_t h = ws_head(d, unit_len, mk);
  unit(d + h, tag, seq);
  ws_mask(d + h, unit_len, mk);
  return h + unit_len;
}

// wsdeflate: one message, compressed with the connection's stream (sync flush, 00 00 FF FF cut),
// in a masked text frame with RSV1 set
static size_t message_deflated(conn *c, uint8_t *d, uint32_t tag, uint64_t seq) {
  unit(zbuf, tag, seq);
  if (c->z_fresh) deflateReset(c->zd);
  uint8_t *out = zbuf + unit_len;
  size_t room = zbuf_cap - unit_len;
  c->zd->next_in = zbuf, c->zd->avail_in = unit_len;
  c->zd->next_out = out, c->zd->avail_out = (uInt)room;
  if (deflate(c->zd, Z_SYNC_FLUSH) != Z_OK || c->zd->avail_in || !c->zd->avail_out) {
    fprintf(stderr, "loadgen: deflate failed\n");
    exit(1);
  }
  size_t n = room - c->zd->avail_out - 4;
  uint8_t mk[4];
  size_t h = ws_head(d, n, mk);
  d[0] |= 0x40;  // RSV1: compressed
  memcpy(d + h, out, n);
  ws_mask(d + h, n, mk);
  return h + n;
}
static void zstreams_reset(conn *c) {
  if (!c->zd) {
    c->zd = calloc(1, sizeof(z_stream));
    c->zi = calloc(1, sizeof(z_stream));
    if (deflateInit2(c->zd, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK || inflateInit2(c->zi, -15) != Z_OK) {
      fprintf(stderr, "loadgen: zlib init failed\n");
      exit(1);
    }
  } else {
    deflateReset(c->zd);
    inflateReset(c->zi);
  }
  c->ws_z = 0;
  c->z_fresh = 0;
}

// ---- connections ----
static void ep_set(conn *c, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, op, c->fd, &ev) < 0) die("epoll_ctl");
}
// ---- TLS (the system's OpenSSL) and the byte I/O every TCP mode goes through ----
#ifndef LOADGEN_NO_TLS
static SSL_CTX *tls_ctx;
static void tls_init(void) {
  tls_ctx = SSL_CTX_new(TLS_client_method());
  if (!tls_ctx) {
    fprintf(stderr, "loadgen: SSL_CTX_new failed\n");
    exit(2);
  }
  // a self-signed test certificate: not verified; every connection a full handshake
  SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a close without close_notify is a close
#endif
  SSL_CTX_set_read_ahead(tls_ctx, 1);  // one read per socket wakeup, not one per record header
}
static const char *tls_error(int e) {
  static char b[256];
  unsigned long code = ERR_get_error();
  if (code) ERR_error_string_n(code, b, sizeof b);
  else snprintf(b, sizeof b, "TLS error %d (%s)", e, errno ? strerror(errno) : "connection closed");
  ERR_clear_error();
  return b;
}
#endif
// > 0 bytes, 0 closed, -1 with errno (EAGAIN: nothing now)
static ssize_t io_recv(conn *c, uint8_t *buf, size_t n) {
  if (!c->ssl) return recv(c->fd, buf, n, 0);
#ifndef LOADGEN_NO_TLS
  ERR_clear_error();
  int r = SSL_read(c->ssl, buf, n > (1u << 30) ? (1 << 30) : (int)n);
  if (r > 0) return r;
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  c->tls_up = 0;  // no close_notify after this
  if (e == SSL_ERROR_ZERO_RETURN) return 0;
  if (o.verbose) fprintf(stderr, "loadgen: conn %u: SSL_read: %s\n", c->tag, tls_error(e));
  ERR_clear_error();
  errno = e == SSL_ERROR_SYSCALL && errno ? errno : EPROTO;
#endif
  return -1;
}
// bytes taken (SSL_write keeps what it took; a retry must start right after them), -1 with errno
static ssize_t io_send(conn *c, const uint8_t *d, size_t n) {
  if (!c->ssl) return send(c->fd, d, n, MSG_NOSIGNAL);
  size_t done = 0;
#ifndef LOADGEN_NO_TLS
  while (done < n) {
    ERR_clear_error();
    size_t k = n - done;
    int w = SSL_write(c->ssl, d + done, k > (1u << 30) ? (1 << 30) : (int)k);
    if (w > 0) {
      done += (size_t)w;
      continue;
    }
    int e = SSL_get_error(c->ssl, w);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) break;
    c->tls_up = 0;
    ERR_clear_error();
    errno = EPIPE;
    return -1;
  }
#endif
  if (!done && n) {
    errno = EAGAIN;
    return -1;
  }
  return (ssize_t)done;
}
static void tls_free(conn *c) {
  if (!c->ssl) return;
#ifndef LOADGEN_NO_TLS
  if (c->tls_up) SSL_shutdown(c->ssl);  // one try at close_notify, as a polite client does
  SSL_free(c->ssl);
  ERR_clear_error();
#endif
  c->ssl = NULL;
  c->tls_up = 0;
}

static void conn_close(conn *c, int dead) {
  tls_free(c);
  if (c->fd >= 0) close(c->fd);
  if (c->state == S_OPEN) n_open--;
  if (c->state == S_CONNECTING || c->state == S_TLS || c->state == S_HANDSHAKE || c->state == S_SIO) n_pending--;
  c->fd = -1;
  free(c->hs);
  c->hs = NULL;
  free(c->pend);
  c->pend = NULL;
  c->pend_len = c->pend_off = 0;
  c->state = dead ? S_DEAD : S_FREE;
  if (dead) n_dead++;
}
static void fail(conn *c, uint64_t *counter, const char *why) {
  (*counter)++;
  if (o.verbose) fprintf(stderr, "loadgen: conn %u: %s\n", c->tag, why);
  // storm slots start over; other modes lose the connection
  conn_close(c, o.mode != M_STORM);
}
static void udp_start(conn *c);
static void conn_start(conn *c) {
  if (o.mode == M_UDP) {
    udp_start(c);
    return;
  }
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    err_connect++;
    if (o.verbose) fprintf(stderr, "loadgen: socket: %s\n", strerror(errno));
    c->state = o.mode == M_STORM ? S_FREE : S_DEAD;
    if (c->state == S_DEAD) n_dead++;
    return;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->t0 = now_ns();
  c->rx_off = 0, c->ws_phase = WS_HDR, c->hdr_len = 0, c->ws_in_msg = 0, c->ws_left = 0, c->out_armed = 0;
  if (o.proto == P_WSZ) zstreams_reset(c);
  c->state = S_CONNECTING;
  n_pending++;
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
    fail(c, &err_connect, strerror(errno));
    return;
  }
  ep_set(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void send_bytes(conn *c, const uint8_t *d, size_t n) {
  if (c->pend_len) {  // keep order behind what is queued
    c->pend = realloc(c->pend, c->pend_len + n);
    memcpy(c->pend + c->pend_len, d, n);
    c->pend_len += (uint32_t)n;
    return;
  }
  ssize_t w = io_send(c, d, n);
  if (measuring) n_send++;
  if (w < 0) {
    if (errno != EAGAIN) {
      fail(c, &err_closed, "send");
      return;
    }
    w = 0;
  }
  if ((size_t)w < n) {
    c->pend = malloc(n - (size_t)w);
    memcpy(c->pend, d + w, n - (size_t)w);
    c->pend_len = (uint32_t)(n - (size_t)w), c->pend_off = 0;
    c->out_armed = 1;
    ep_set(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
  }
}
static void flush_pending(conn *c) {
  while (c->pend_off < c->pend_len) {
    ssize_t w = io_send(c, c->pend + c->pend_off, c->pend_len - c->pend_off);
    if (w < 0) {
      if (errno == EAGAIN) return;
      fail(c, &err_closed, "send");
      return;
    }
    c->pend_off += (uint32_t)w;
  }
  free(c->pend);
  c->pend = NULL;
  c->pend_len = c->pend_off = 0;
  c->out_armed = 0;
  ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
}

static void udp_top_up(conn *c, uint64_t now);
// send messages until D are in flight (echo, fanout), or the one message (storm)
static void top_up(conn *c, uint64_t now) {
  if (o.mode == M_UDP) {
    udp_top_up(c, now);
    return;
  }
  if (c->state != S_OPEN || c->pend_len || finished || !running) return;
  if (o.mode == M_IDLE || (o.mode == M_FANOUT && !c->is_pub)) return;
  uint64_t want = o.mode == M_STORM ? 1 : (uint64_t)o.depth;
  uint64_t inflight = acks ? c->sent - acked : c->sent - c->recvd;
  if (inflight >= want) return;
  size_t n = 0;
  for (; inflight < want; inflight++) {
    c->ts[c->sent & c->ts_mask] = now;
    n += message(c, tbuf + n, c->tag, c->sent);
    c->sent++;
  }
  send_bytes(c, tbuf, n);
}

static conn *publisher(void) { return o.mode == M_FANOUT ? &cs[nconns - 1] : NULL; }

static void complete(conn *c, uint64_t now) {
  if (c->recvd >= (o.mode == M_FANOUT ? publisher()->sent : c->sent)) {
    fail(c, &err_unexpected, "message received that was never sent");
    return;
  }
  if (acks) {  // --pace all: a message leaves the window once every open receiver has it
    acks[c->recvd & (PUB_RING - 1)]++;
    uint64_t sent = publisher()->sent;
    while (acked < sent && acks[acked & (PUB_RING - 1)] >= (uint32_t)n_open) acks[acked++ & (PUB_RING - 1)] = 0;
  }
  // storm: the latency is the whole cycle (connect, handshake, echo)
  uint64_t t = o.mode == M_FANOUT  ? publisher()->ts[c->recvd & (PUB_RING - 1)]
               : o.mode == M_STORM ? c->t0
                                   : c->ts[c->recvd & c->ts_mask];
  c->recvd++;
  c->rx_off = 0;
  total_msgs++;
  if (measuring && !finished) {
    m_msgs++;
    m_bytes += (uint64_t)o.size;  // payload bytes (socketio: without the event's own 10)
    hist[hidx(now > t ? now - t : 0)]++;
  }
  if (o.mode == M_STORM) {
    c->cycles++;
    conn_close(c, 0);  // the slot is restarted by the main loop
  }
}

// compare received bytes against the expected unit stream; returns -1 if the connection failed
static int consume_unit(conn *c, const uint8_t *p, size_t len, uint64_t now) {
  uint32_t n = unit_len;
  while (len) {
    if (c->rx_off == 0) unit(c->exp, c->etag, c->recvd);
    size_t k = n - c->rx_off;
    if (k > len) k = len;
    if (memcmp(c->exp + c->rx_off, p, k)) {
      fail(c, &err_mismatch, "echoed bytes differ from what was sent (length, order or content)");
      return -1;
    }
    c->rx_off += (uint32_t)k, p += k, len -= k;
    if (c->rx_off == n) {
      complete(c, now);
      if (c->state != S_OPEN) return len ? -1 : 0;
    }
  }
  return 0;
}

static void on_open(conn *c, uint64_t now);
static void ws_send_text(conn *c, const char *text) {
  uint8_t f[64], mk[4];
  size_t n = strlen(text), h = ws_head(f, n, mk);
  memcpy(f + h, text, n);
  ws_mask(f + h, n, mk);
  send_bytes(c, f, h + n);
}

// socketio: an Engine.IO / Socket.IO packet that is not one of our events (c->hs, c->hs_len)
static int sio_packet(conn *c, uint64_t now) {
  const char *b = c->hs;
  uint32_t n = c->hs_len;
  if (n == 1 && b[0] == '2') {  // ping
    ws_send_text(c, "3");
    return 0;
  }
  if (n == 1 && b[0] == '6') return 0;  // noop
  if (c->state == S_SIO && !c->sio_connecting && n >= 2 && b[0] == '0' && b[1] == '{') {
    c->sio_connecting = 1;  // Engine.IO open: connect to the main namespace
    ws_send_text(c, "40");
    return 0;
  }
  if (c->state == S_SIO && c->sio_connecting && n >= 2 && b[0] == '4' && b[1] == '0') {
    on_open(c, now);
    return 0;
  }
  if (n >= 2 && b[0] == '4' && b[1] == '4') fail(c, &err_handshake, "Socket.IO connect refused (44)");
  else if (n >= 2 && b[0] == '4' && b[1] == '1') fail(c, &err_closed, "Socket.IO disconnect (41)");
  else if (n == 1 && b[0] == '1') fail(c, &err_closed, "Engine.IO close (1)");
  else fail(c, &err_protocol, "unexpected Engine.IO/Socket.IO packet (or an event of the wrong length)");
  return -1;
}

// wsdeflate: inflates compressed payload bytes and compares what comes out with the expected unit
static int inflate_compare(conn *c, const uint8_t *p, size_t len) {
  c->zi->next_in = (Bytef *)p, c->zi->avail_in = (uInt)len;
  do {
    c->zi->next_out = zbuf, c->zi->avail_out = (uInt)zbuf_cap;
    int rc = inflate(c->zi, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(c, &err_protocol, "corrupt compressed message");
      return -1;
    }
    size_t k = zbuf_cap - c->zi->avail_out;
    if (c->rx_off + k > unit_len || memcmp(c->exp + c->rx_off, zbuf, k)) {
      fail(c, &err_mismatch, "echoed payload differs from what was sent (length, order or content)");
      return -1;
    }
    c->rx_off += (uint32_t)k;
  } while (c->zi->avail_out == 0);
  return 0;
}

static int consume_ws(conn *c, const uint8_t *p, size_t len, uint64_t now) {
  uint32_t n = unit_len;
  while (len) {
    if (c->ws_phase == WS_HDR) {
      c->hdr[c->hdr_len++] = *p++, len--;
      if (c->hdr_len < 2) continue;
      uint8_t l7 = c->hdr[1] & 0x7f;
      if (c->hdr[1] & 0x80) {
        fail(c, &err_protocol, "masked server frame");
        return -1;
      }
      int need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0);
      if (c->hdr_len < need) continue;
      uint64_t plen = l7;
      if (l7 == 126) plen = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
      if (l7 == 127) {
        plen = 0;
        for (int i = 0; i < 8; i++) plen = plen << 8 | c->hdr[2 + i];
      }
      int fin = c->hdr[0] >> 7, op = c->hdr[0] & 15, rsv1 = (c->hdr[0] >> 6) & 1;
      c->hdr_len = 0;
      if (rsv1 && (o.proto != P_WSZ || op == 0 || op >= 8)) {
        fail(c, &err_protocol, "RSV1 where it does not belong");
        return -1;
      }
      c->ws_left = plen;
      if (op == 8) {
        fail(c, &err_closed, "server sent a close frame");
        return -1;
      }
      if (op >= 8) {
        c->ws_phase = plen ? WS_SKIP : WS_HDR;
        continue;
      }
      if ((op == 0) != (c->ws_in_msg != 0)) {
        fail(c, &err_protocol, "bad continuation / opcode sequence");
        return -1;
      }
      // socketio: a frame that cannot be one of our events is an Engine.IO/Socket.IO packet
      if (o.proto == P_SIO && !c->ws_in_msg && (c->state != S_OPEN || plen != n)) {
        if (!fin || plen == 0 || plen > CTRL_MAX) {
          fail(c, &err_protocol, "unexpected Engine.IO/Socket.IO frame");
          return -1;
        }
        free(c->hs);
        c->hs = malloc((size_t)plen + 1);
        c->hs_len = 0;
        c->ws_phase = WS_CTRL;
        continue;
      }
      if (c->ws_in_msg == 0 && c->rx_off == 0) unit(c->exp, c->etag, c->recvd);
      if (c->ws_in_msg == 0) c->ws_z = (uint8_t)rsv1;
      c->ws_in_msg = 1;
      c->ws_fin = (uint8_t)fin;
      c->ws_phase = WS_DATA;
      if (plen == 0) goto frame_end;
      continue;
    }
    {
      size_t k = c->ws_left < len ? (size_t)c->ws_left : len;
      if (c->ws_phase == WS_DATA && c->ws_z) {
        if (inflate_compare(c, p, k) < 0) return -1;
      } else if (c->ws_phase == WS_DATA) {
        if (c->rx_off + k > n || memcmp(c->exp + c->rx_off, p, k)) {
          fail(c, &err_mismatch, "echoed payload differs from what was sent (length, order or content)");
          return -1;
        }
        c->rx_off += (uint32_t)k;
      } else if (c->ws_phase == WS_CTRL) {
        memcpy(c->hs + c->hs_len, p, k);
        c->hs_len += (uint32_t)k;
      }
      p += k, len -= k, c->ws_left -= k;
      if (c->ws_left) continue;
      if (c->ws_phase == WS_SKIP) {
        c->ws_phase = WS_HDR;
        continue;
      }
      if (c->ws_phase == WS_CTRL) {
        c->ws_phase = WS_HDR;
        int rc = sio_packet(c, now);
        free(c->hs);
        c->hs = NULL;
        c->hs_len = 0;
        if (rc < 0 || (c->state != S_OPEN && c->state != S_SIO)) return -1;
        continue;
      }
    }
  frame_end:
    c->ws_phase = WS_HDR;
    if (!c->ws_fin) continue;
    c->ws_in_msg = 0;
    ws_replies++;
    if (c->ws_z) {
      ws_replies_compressed++;
      static const uint8_t tail[4] = {0, 0, 0xff, 0xff};
      if (inflate_compare(c, tail, 4) < 0) return -1;
      c->ws_z = 0;
    }
    if (c->rx_off != n) {
      fail(c, &err_mismatch, "echoed message has the wrong length");
      return -1;
    }
    complete(c, now);
    if (c->state != S_OPEN) return len ? -1 : 0;
  }
  return 0;
}

static void on_open(conn *c, uint64_t now) {
  c->state = S_OPEN;
  n_pending--;
  n_open++;
  if (o.mode == M_STORM) {
    c->sent = c->recvd = c->cycles;
    top_up(c, now);
  }
  // echo: started by the main loop once every connection is open; fanout: publisher likewise
}

static void send_handshake(conn *c) {
  uint8_t raw[16];
  for (int i = 0; i < 16; i++) raw[i] = (uint8_t)xrand();
  base64(raw, 16, c->key);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                   o.path, o.host, o.port, c->key,
                   o.proto == P_WSZ ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
  send_bytes(c, (uint8_t *)req, (size_t)n);
}

static int check_handshake(conn *c, uint64_t now) {
  char *end = memmem(c->hs, c->hs_len, "\r\n\r\n", 4);
  if (!end) {
    if (c->hs_len >= 4000) {
      fail(c, &err_handshake, "handshake response too long");
      return -1;
    }
    return 0;
  }
  size_t head = (size_t)(end - c->hs) + 4;
  c->hs[head - 2] = 0;
  if (strncmp(c->hs, "HTTP/1.1 101", 12)) {
    fail(c, &err_handshake, "handshake not answered with 101");
    return -1;
  }
  char cat[64], want[32];
  snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", c->key);
  uint8_t dg[20];
  sha1((uint8_t *)cat, strlen(cat), dg);
  base64(dg, 20, want);
  int ok = 0, deflated = 0;
  for (char *line = strstr(c->hs, "\r\n"); line && *line; line = strstr(line + 2, "\r\n")) {
    if (!strncasecmp(line + 2, "sec-websocket-accept:", 21)) {
      char *v = line + 2 + 21;
      while (*v == ' ') v++;
      ok = !strncmp(v, want, 28);
    }
    if (!strncasecmp(line + 2, "sec-websocket-extensions:", 25)) {
      char *eol = strstr(line + 2, "\r\n");
      size_t len = eol ? (size_t)(eol - line) : strlen(line);
      // this client compresses with a 15-bit window: an answer that limits it is refused
      deflated = memmem(line, len, "permessage-deflate", 18) && !memmem(line, len, "client_max_window_bits=", 23);
      c->z_fresh = memmem(line, len, "client_no_context_takeover", 26) != NULL;
    }
  }
  if (o.proto == P_WSZ && !deflated) {
    fail(c, &err_handshake, "permessage-deflate not agreed (or with parameters this client does not take)");
    return -1;
  }
  if (!ok) {
    fail(c, &err_handshake, "bad Sec-WebSocket-Accept");
    return -1;
  }
  size_t rest = c->hs_len - head;
  char *hs = c->hs;  // detached: a failure below frees the connection's buffers
  c->hs = NULL;
  c->hs_len = 0;
  if (o.proto == P_SIO) c->state = S_SIO, c->sio_connecting = 0;  // open once "40" is answered
  else on_open(c, now);
  int rc = 0;
  if (rest && (o.mode != M_IDLE || o.proto == P_SIO)) rc = consume_ws(c, (uint8_t *)hs + head, rest, now);
  free(hs);
  return rc;
}

static void read_once(conn *c, uint64_t now) {
  ssize_t r = io_recv(c, rbuf, RBUF_SIZE);
  if (measuring) n_recv++;
  if (r == 0) {
    fail(c, &err_closed, "closed by server");
    return;
  }
  if (r < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    fail(c, &err_closed, strerror(errno));
    return;
  }
  if (c->state == S_HANDSHAKE) {
    c->hs = realloc(c->hs, c->hs_len + (size_t)r + 1);
    memcpy(c->hs + c->hs_len, rbuf, (size_t)r);
    c->hs_len += (uint32_t)r;
    check_handshake(c, now);
    return;
  }
  if (c->state != S_OPEN && c->state != S_SIO) return;
  // idle connections ignore anything the server says (socketio: its packets still get answers)
  if (o.mode == M_IDLE && o.proto != P_SIO) return;
  if (is_ws()) consume_ws(c, rbuf, (size_t)r, now);
  else consume_unit(c, rbuf, (size_t)r, now);
}
static void on_readable(conn *c, uint64_t now) {
  read_once(c, now);
#ifndef LOADGEN_NO_TLS
  // records OpenSSL already read ahead from the socket: epoll will not say so again
  for (int i = 0; i < 64 && c->ssl && c->state != S_FREE && c->state != S_DEAD && SSL_has_pending(c->ssl); i++)
    read_once(c, now);
#endif
}

// the transport is up (TCP connected, and TLS done with --tls): WebSocket handshake, or open
static void transport_up(conn *c, uint64_t now) {
  if (is_ws()) {
    c->state = S_HANDSHAKE;
    send_handshake(c);
  } else {
    on_open(c, now);
  }
}

#ifndef LOADGEN_NO_TLS
static void tls_step(conn *c, uint64_t now) {
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    c->tls_up = 1;
    ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
    transport_up(c, now);
    if (c->ssl && (c->state == S_OPEN || c->state == S_HANDSHAKE || c->state == S_SIO) && SSL_has_pending(c->ssl))
      on_readable(c, now);
    return;
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ) ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
  else if (e == SSL_ERROR_WANT_WRITE) ep_set(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
  else fail(c, &err_handshake, tls_error(e));
}
static void tls_start(conn *c, uint64_t now) {
  c->ssl = SSL_new(tls_ctx);
  if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
    fail(c, &err_handshake, "SSL_new failed");
    return;
  }
  SSL_set_tlsext_host_name(c->ssl, "localhost");
  SSL_set_connect_state(c->ssl);
  c->state = S_TLS;
  tls_step(c, now);
}
#endif

// ---- udp: connected sockets, D slots each; slot k sends sequence numbers k, k+D, k+2D, ... ----
#define UDP_RX 64
static struct mmsghdr *u_msgs;
static struct iovec *u_iov;
static int *u_slot;
static uint64_t udp_last_sweep;

static void udp_start(conn *c) {
  c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    err_connect++;
    c->state = S_DEAD, n_dead++;
    return;
  }
  c->state = S_CONNECTING;
  n_pending++;
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fail(c, &err_connect, strerror(errno));
    return;
  }
  ep_set(c, EPOLLIN, EPOLL_CTL_ADD);
  for (int k = 0; k < o.depth; k++) c->useq[k] = (uint64_t)k, c->ubusy[k] = 0;
  on_open(c, now_ns());
}

static void udp_top_up(conn *c, uint64_t now) {
  if (c->state != S_OPEN || finished || !running) return;
  int n = 0;
  for (int k = 0; k < o.depth; k++) {
    if (c->ubusy[k]) continue;
    uint8_t *d = tbuf + (size_t)n * (size_t)o.size;
    unit(d, c->tag, c->useq[k]);
    u_iov[n].iov_base = d, u_iov[n].iov_len = (size_t)o.size;
    memset(&u_msgs[n].msg_hdr, 0, sizeof u_msgs[n].msg_hdr);
    u_msgs[n].msg_hdr.msg_iov = &u_iov[n], u_msgs[n].msg_hdr.msg_iovlen = 1;
    u_slot[n++] = k;
    c->ubusy[k] = 1, c->ts[k] = now;
  }
  if (!n) return;
  int sent = sendmmsg(c->fd, u_msgs, (unsigned)n, 0);
  if (measuring) n_send++;
  if (sent < 0) {
    if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
      fail(c, &err_closed, strerror(errno));  // ECONNREFUSED: an ICMP port unreachable came back
      return;
    }
    sent = 0;
  }
  for (int j = sent; j < n; j++) c->ubusy[u_slot[j]] = 0, udp_send_short++;  // not sent: sent again later
  c->sent += (uint64_t)sent;
}

static int hexval(uint8_t ch) {
  return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}
static void udp_datagram(conn *c, const uint8_t *p, size_t len, int truncated, uint64_t now) {
  uint64_t seq = 0;
  uint32_t tag = 0;
  int ok = !truncated && len == (size_t)o.size;
  for (int i = 0; ok && i < 16; i++) {
    int v = hexval(p[i]);
    if (v < 0) ok = 0;
    else if (i < 4) tag = tag << 4 | (uint32_t)v;
    else seq = seq << 4 | (uint64_t)v;
  }
  if (!ok || tag != c->tag) {
    err_mismatch++;
    if (o.verbose) fprintf(stderr, "loadgen: socket %u: a datagram of %zu bytes that is not one of its own\n", c->tag, len);
    return;
  }
  uint32_t k = (uint32_t)(seq % (uint64_t)o.depth);
  if (seq < c->useq[k]) {  // answered after it was given up (or twice)
    udp_late++;
    if (measuring && !finished) udp_late_m++;
    return;
  }
  if (seq > c->useq[k] || !c->ubusy[k]) {
    err_unexpected++;
    return;
  }
  unit(c->exp, c->tag, seq);
  if (memcmp(c->exp, p, len)) {
    err_mismatch++;
    return;
  }
  c->ubusy[k] = 0, c->useq[k] += (uint64_t)o.depth;
  c->recvd++;
  total_msgs++;
  if (measuring && !finished) {
    m_msgs++;
    m_bytes += (uint64_t)o.size;
    hist[hidx(now > c->ts[k] ? now - c->ts[k] : 0)]++;
  }
}

static void udp_readable(conn *c, uint64_t now) {
  size_t slot = (size_t)o.size + 1;  // one byte more: a longer datagram shows as such
  int rx = (int)(RBUF_SIZE / slot < UDP_RX ? RBUF_SIZE / slot : UDP_RX);
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < rx; i++) {
      u_iov[i].iov_base = rbuf + (size_t)i * slot, u_iov[i].iov_len = slot;
      memset(&u_msgs[i].msg_hdr, 0, sizeof u_msgs[i].msg_hdr);
      u_msgs[i].msg_hdr.msg_iov = &u_iov[i], u_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(c->fd, u_msgs, (unsigned)rx, MSG_DONTWAIT, NULL);
    if (measuring) n_recv++;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fail(c, &err_closed, strerror(errno));
      return;
    }
    for (int i = 0; i < n; i++)
      udp_datagram(c, rbuf + (size_t)i * slot, u_msgs[i].msg_len, (u_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, now);
    if (n < rx) return;
  }
}

// every 10 ms: a datagram not answered within --rto is lost; its slot sends the next one
static void udp_sweep(uint64_t now) {
  if (now - udp_last_sweep < 10000000ull) return;
  udp_last_sweep = now;
  uint64_t rto = (uint64_t)(o.rto_ms * 1e6);
  for (int i = 0; i < nconns; i++) {
    conn *c = &cs[i];
    if (c->state != S_OPEN) continue;
    int freed = 0;
    for (int k = 0; k < o.depth; k++) {
      if (!c->ubusy[k] || now - c->ts[k] < rto) continue;
      c->ubusy[k] = 0, c->useq[k] += (uint64_t)o.depth, freed = 1;
      udp_lost++;
      if (measuring && !finished) udp_lost_m++;
    }
    if (freed) udp_top_up(c, now);
  }
}

static void on_event(conn *c, uint32_t ev, uint64_t now) {
  if (o.mode == M_UDP) {
    if (ev & (EPOLLIN | EPOLLERR)) udp_readable(c, now);
    udp_top_up(c, now);
    return;
  }
#ifndef LOADGEN_NO_TLS
  if (c->state == S_TLS) {
    tls_step(c, now);
    return;
  }
#endif
  if (c->state == S_CONNECTING) {
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err || (ev & (EPOLLERR | EPOLLHUP))) {
      fail(c, &err_connect, err ? strerror(err) : "connect failed");
      return;
    }
    ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
#ifndef LOADGEN_NO_TLS
    if (o.tls) {
      tls_start(c, now);
      return;
    }
#endif
    transport_up(c, now);
    return;
  }
  if (ev & EPOLLIN || (ev & (EPOLLERR | EPOLLHUP))) {
    on_readable(c, now);
    if (c->state == S_FREE || c->state == S_DEAD) return;
  }
  if (ev & EPOLLOUT && c->pend_len) flush_pending(c);
  if (c->state == S_OPEN && (o.mode == M_ECHO || (o.mode == M_FANOUT && c->is_pub)))
    top_up(c, now);
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --port P [--host 127.0.0.1] [--mode echo|storm|idle|fanout|udp] [--tls]\n"
          "  [--proto text|frame|raw|ws|wsdeflate|socketio] [--conns N] [--depth D] [--size BYTES] [--rto MS]\n"
          "  [--duration S] [--warmup S] [--hold S] [--pid PID[,PID...]] [--aux-pid PID[,PID...]]\n"
          "  [--pace pub|all] [--path /] [--batch PENDING_CONNECTS] [--timeout S] [--verbose]\n");
  exit(2);
}

static double elapsed_s(uint64_t a, uint64_t b) { return (double)(b - a) / 1e9; }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && (i++, 1))
    if (ARG("--host")) o.host = v;
    else if (ARG("--port")) o.port = atoi(v);
    else if (ARG("--conns")) o.conns = atoi(v);
    else if (ARG("--depth")) o.depth = atoi(v);
    else if (ARG("--size")) o.size = atoi(v);
    else if (ARG("--duration")) o.duration = atof(v);
    else if (ARG("--warmup")) o.warmup = atof(v);
    else if (ARG("--hold")) o.hold = atof(v);
    else if (ARG("--timeout")) o.timeout = atof(v);
    else if (ARG("--pid")) parse_pids(&srv, v);
    else if (ARG("--aux-pid")) parse_pids(&aux, v);
    else if (ARG("--pace")) o.pace_name = v;
    else if (ARG("--path")) o.path = v;
    else if (ARG("--batch")) o.batch = atoi(v);
    else if (ARG("--proto")) o.proto_name = v;
    else if (ARG("--mode")) o.mode_name = v;
    else if (ARG("--rto")) o.rto_ms = atof(v);
    else if (!strcmp(a, "--tls")) o.tls = 1;
    else if (!strcmp(a, "--verbose")) o.verbose = 1;
    else usage();
  }
  if (!strcmp(o.proto_name, "text")) o.proto = P_TEXT;
  else if (!strcmp(o.proto_name, "frame")) o.proto = P_FRAME;
  else if (!strcmp(o.proto_name, "raw") || !strcmp(o.proto_name, "tcp")) o.proto = P_RAW, o.proto_name = "raw";
  else if (!strcmp(o.proto_name, "ws")) o.proto = P_WS;
  else if (!strcmp(o.proto_name, "socketio")) o.proto = P_SIO;
  else if (!strcmp(o.proto_name, "wsdeflate")) o.proto = P_WSZ;
  else usage();
  if (!strcmp(o.mode_name, "echo")) o.mode = M_ECHO;
  else if (!strcmp(o.mode_name, "storm")) o.mode = M_STORM;
  else if (!strcmp(o.mode_name, "idle")) o.mode = M_IDLE;
  else if (!strcmp(o.mode_name, "fanout")) {
    o.mode = M_FANOUT;
    if (o.proto != P_SIO) o.proto = P_WS, o.proto_name = "ws";
  } else if (!strcmp(o.mode_name, "udp")) {
    o.mode = M_UDP, o.proto = P_RAW, o.proto_name = "udp";
    if (o.size < 16 || o.size > 65507 || o.tls || o.conns > 65535 || o.rto_ms <= 0) {
      fprintf(stderr, "loadgen: udp needs 16 <= --size <= 65507, at most 65535 sockets, --rto > 0 and no --tls\n");
      return 2;
    }
  } else usage();
  if (o.tls) {
#ifdef LOADGEN_NO_TLS
    fprintf(stderr, "loadgen: built without OpenSSL (LOADGEN_NO_TLS): --tls is not available (apt-get install libssl-dev)\n");
    return 2;
#else
    tls_init();
#endif
  }
  if (!strcmp(o.pace_name, "all")) o.pace_all = 1;
  else if (strcmp(o.pace_name, "pub")) usage();
  if (!o.path) o.path = o.proto == P_SIO ? "/socket.io/?EIO=4&transport=websocket" : "/";
  unit_len = (uint32_t)o.size + (o.proto == P_SIO ? (uint32_t)SIO_EXTRA : 0);
  if (!o.port || o.conns < 1 || o.depth < 1) usage();
  if ((o.proto == P_TEXT && o.size < 2) || (o.proto == P_FRAME && o.size < 4) || o.size < 1) {
    fprintf(stderr, "loadgen: --size too small for %s\n", o.proto_name);
    return 2;
  }
  if (o.timeout <= 0) o.timeout = o.warmup + o.duration + o.hold + 60;

  // raise our own open-file limit to the hard limit
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  if ((rlim_t)o.conns + 16 > rl.rlim_cur) {
    fprintf(stderr, "loadgen: %d connections exceed the open-file limit %llu\n", o.conns,
            (unsigned long long)rl.rlim_cur);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)o.port);
  if (inet_pton(AF_INET, o.host, &addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: --host must be an IPv4 address\n");
    return 2;
  }
  rng ^= (uint64_t)now_ns() * 0x2545F4914F6CDD1Dull;
  pattern = malloc((size_t)o.size + 64);
  for (int i = 0; i < o.size + 64; i++) pattern[i] = (char)('a' + i % 26);
  if (o.proto == P_WSZ) {
    if (o.size < 32) {
      fprintf(stderr, "loadgen: --size too small for wsdeflate\n");
      return 2;
    }
    json_template = malloc((size_t)o.size + 128);
    int n = snprintf(json_template, 64, "{\"h\":\"0000000000000000\",\"items\":[");
    for (int i = 0; n < o.size; i++)
      n += snprintf(json_template + n, 128, "{\"id\":%d,\"name\":\"user-%d\",\"online\":%s,\"tags\":[\"alpha\",\"beta\"]},", 1000 + i,
                    1000 + i, i % 3 ? "false" : "true");
    json_template[o.size - 2] = ']', json_template[o.size - 1] = '}';
    zbuf_cap = (size_t)o.size * 2 + 256;
    zbuf = malloc(zbuf_cap);
  }
  rbuf = malloc(RBUF_SIZE);
  tbuf_cap = wire_size() * (size_t)o.depth + 64;
  tbuf = malloc(tbuf_cap);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");

  nconns = o.conns + (o.mode == M_FANOUT ? 1 : 0);
  cs = calloc((size_t)nconns, sizeof(conn));
  for (int i = 0; i < nconns; i++) {
    conn *c = &cs[i];
    c->fd = -1;
    c->tag = c->etag = (uint32_t)i;
    if (o.mode != M_IDLE) c->exp = malloc(unit_len);
    if (o.mode == M_UDP) {
      c->ts = malloc(sizeof(uint64_t) * (size_t)o.depth);
      c->useq = malloc(sizeof(uint64_t) * (size_t)o.depth);
      c->ubusy = calloc((size_t)o.depth, 1);
    }
    if (o.mode == M_ECHO || o.mode == M_STORM) {
      uint32_t r = 1;
      while (r < (uint32_t)o.depth) r <<= 1;
      c->ts = malloc(sizeof(uint64_t) * r);
      c->ts_mask = r - 1;
    }
  }
  if (o.mode == M_UDP) {
    int m = o.depth > UDP_RX ? o.depth : UDP_RX;
    u_msgs = calloc((size_t)m, sizeof *u_msgs);
    u_iov = calloc((size_t)m, sizeof *u_iov);
    u_slot = calloc((size_t)m, sizeof *u_slot);
  }
  if (o.mode == M_FANOUT) {
    conn *p = &cs[nconns - 1];
    p->is_pub = 1;
    p->ts = malloc(sizeof(uint64_t) * PUB_RING);
    p->ts_mask = PUB_RING - 1;
    for (int i = 0; i < nconns; i++) cs[i].etag = p->tag;
    if (o.pace_all) acks = calloc(PUB_RING, sizeof *acks);
  }

  uint64_t t_start = now_ns(), deadline = t_start + (uint64_t)(o.timeout * 1e9);
  uint64_t t_run = 0, t_meas = 0, t_end = 0, t_all_open = 0;
  struct rusage ru0, ru1;
  memset(&ru0, 0, sizeof ru0), memset(&ru1, 0, sizeof ru1);
  srv.rss0 = procset_rss(&srv), srv.rss1 = -1;
  int targets = o.mode == M_FANOUT ? o.conns : nconns;  // fanout: subscribers first
  int pub_started = 0, timed_out = 0;
  struct epoll_event evs[1024];

  while (!finished) {
    uint64_t now = now_ns();
    if (now > deadline) {
      timed_out = 1;
      fprintf(stderr, "loadgen: timed out (open %d of %d, dead %d)\n", n_open, nconns, n_dead);
      break;
    }
    // start connections, at most --batch pending at once
    if (o.mode == M_STORM) {
      for (int i = 0; i < nconns; i++)
        if (cs[i].state == S_FREE && n_pending < o.batch) conn_start(&cs[i]);
    } else {
      while (next_connect < targets && n_pending < o.batch) conn_start(&cs[next_connect++]);
    }
    // phases
    if (!t_run) {
      int ready = o.mode == M_STORM || (next_connect >= targets && n_pending == 0);
      if (ready && !t_all_open) {
        t_all_open = now;
        if (o.mode != M_STORM && n_open < targets)
          fprintf(stderr, "loadgen: only %d of %d connections opened\n", n_open, targets);
      }
      if (ready && o.mode == M_FANOUT && !pub_started && now - t_all_open > 300000000ull) {
        pub_started = 1;
        conn_start(&cs[nconns - 1]);
        next_connect = targets = nconns;
      } else if (ready && o.mode == M_FANOUT && pub_started && cs[nconns - 1].state == S_OPEN) {
        t_run = now;
      } else if (ready && o.mode != M_FANOUT) {
        t_run = now;
      }
      if (t_run) {
        running = 1;
        if (o.mode == M_IDLE) {
          t_meas = now;
          getrusage(RUSAGE_SELF, &ru0);
        } else {
          for (int i = 0; i < nconns; i++) top_up(&cs[i], now);
        }
      }
    }
    if (t_run && !t_meas && now - t_run >= (uint64_t)(o.warmup * 1e9)) {
      t_meas = now;
      measuring = 1;
      memset(hist, 0, sizeof hist);
      n_recv = n_send = n_wait = 0;
      getrusage(RUSAGE_SELF, &ru0);
      procset_cpu(&srv, srv.t0), procset_cpu(&aux, aux.t0);
    }
    if (t_meas) {
      double span = o.mode == M_IDLE ? o.hold : o.duration;
      if (now - t_meas >= (uint64_t)(span * 1e9)) {
        t_end = now;
        procset_cpu(&srv, srv.t1), procset_cpu(&aux, aux.t1), srv.rss1 = procset_rss(&srv);
        getrusage(RUSAGE_SELF, &ru1);
        finished = 1;
        break;
      }
    }
    if (o.mode != M_STORM && o.mode != M_IDLE && t_run && n_open == 0 && n_pending == 0) {
      fprintf(stderr, "loadgen: every connection failed\n");
      break;
    }
    if (o.mode == M_UDP && running) udp_sweep(now);
    int n = epoll_wait(ep, evs, 1024, 5);
    if (measuring) n_wait++;
    if (n < 0 && errno != EINTR) die("epoll_wait");
    now = now_ns();
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (c->state == S_FREE || c->state == S_DEAD) continue;
      on_event(c, evs[i].events, now);
    }
    // --pace all: the last receiver of a message, not the publisher, may open the window
    if (acks && t_run) top_up(publisher(), now);
  }
  if (!t_end) {
    t_end = now_ns();
    procset_cpu(&srv, srv.t1), procset_cpu(&aux, aux.t1), srv.rss1 = procset_rss(&srv);
  }
  if (!measuring) memset(hist, 0, sizeof hist);

  double win = t_meas ? elapsed_s(t_meas, t_end) : 0;
  long tck = sysconf(_SC_CLK_TCK);
  double cpu = 0, aux_cpu = 0;
  if (t_meas) {
    for (int i = 0; i < srv.n; i++) cpu += procset_cpu_s(&srv, i, tck);
    for (int i = 0; i < aux.n; i++) aux_cpu += procset_cpu_s(&aux, i, tck);
  }
  // fanout: a receiver still without a message sent more than STALL_NS before the end lost it
  // (with --pace all such a loss stalls the publisher: without this it would show as no error)
  const uint64_t STALL_NS = 3000000000ull;
  uint64_t fan_published = 0, fan_min = UINT64_MAX, fan_max = 0;
  if (o.mode == M_FANOUT) {
    conn *pub = publisher();
    fan_published = pub->sent;
    for (int i = 0; i < nconns; i++) {
      conn *c = &cs[i];
      if (c->state != S_OPEN) continue;
      if (c->recvd < fan_min) fan_min = c->recvd;
      if (c->recvd > fan_max) fan_max = c->recvd;
      if (c->recvd >= fan_published) continue;
      uint64_t sent_at = fan_published - c->recvd < PUB_RING ? pub->ts[c->recvd & (PUB_RING - 1)] : 0;
      if (t_end > sent_at + STALL_NS) {
        err_missing++;
        if (o.verbose && err_missing <= 5)
          fprintf(stderr, "loadgen: conn %u never got message %llu (of %llu sent)\n", c->tag, (unsigned long long)c->recvd,
                  (unsigned long long)fan_published);
      }
    }
    if (fan_min == UINT64_MAX) fan_min = 0;
  }
  uint64_t errors = err_mismatch + err_closed + err_connect + err_handshake + err_protocol + err_unexpected + err_missing;
  uint64_t storm_cycles = 0;
  for (int i = 0; i < nconns; i++) storm_cycles += cs[i].cycles;

  printf("{\"mode\":\"%s\",\"proto\":\"%s\",\"pace\":\"%s\",\"conns\":%d,\"depth\":%d,\"size\":%d,", o.mode_name,
         o.proto_name, o.mode == M_FANOUT ? (o.pace_all ? "all" : "pub") : "-", o.conns, o.depth, o.size);
  printf("\"window_s\":%.3f,\"messages\":%llu,\"msgs_per_sec\":%.1f,\"payload_bytes_per_sec\":%.1f,", win,
         (unsigned long long)m_msgs, win > 0 ? (double)m_msgs / win : 0, win > 0 ? (double)m_bytes / win : 0);
  printf("\"lat_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},", percentile(0.5), percentile(0.99),
         percentile(0.999), hmax());
  printf("\"errors\":%llu,\"error_detail\":{\"mismatch\":%llu,\"closed\":%llu,\"connect\":%llu,\"handshake\":%llu,"
         "\"protocol\":%llu,\"unexpected\":%llu,\"missing\":%llu},",
         (unsigned long long)errors, (unsigned long long)err_mismatch, (unsigned long long)err_closed,
         (unsigned long long)err_connect, (unsigned long long)err_handshake, (unsigned long long)err_protocol,
         (unsigned long long)err_unexpected, (unsigned long long)err_missing);
  if (o.mode == M_FANOUT)
    printf("\"fanout\":{\"published\":%llu,\"acked\":%llu,\"min_received\":%llu,\"max_received\":%llu},",
           (unsigned long long)fan_published, (unsigned long long)(acks ? acked : fan_min), (unsigned long long)fan_min,
           (unsigned long long)fan_max);
  if (o.mode == M_UDP)
    printf("\"udp\":{\"rto_ms\":%.0f,\"lost\":%llu,\"late\":%llu,\"lost_total\":%llu,\"late_total\":%llu,\"unsent\":%llu},",
           o.rto_ms, (unsigned long long)udp_lost_m, (unsigned long long)udp_late_m, (unsigned long long)udp_lost,
           (unsigned long long)udp_late, (unsigned long long)udp_send_short);
  if (o.proto == P_WSZ)
    printf("\"deflate\":{\"replies\":%llu,\"compressed\":%llu},", (unsigned long long)ws_replies,
           (unsigned long long)ws_replies_compressed);
  printf("\"tls\":%s,", o.tls ? "true" : "false");
  printf("\"open_at_end\":%d,\"dead\":%d,\"total_messages\":%llu,\"storm_cycles\":%llu,\"timed_out\":%s,", n_open,
         n_dead, (unsigned long long)total_msgs, (unsigned long long)storm_cycles, timed_out ? "true" : "false");
  printf("\"nofile_limit\":%llu,", (unsigned long long)rl.rlim_cur);
  double lcpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  printf("\"loadgen\":{\"cpu_util\":%.3f,\"recv_calls\":%llu,\"send_calls\":%llu,\"epoll_waits\":%llu},",
         win > 0 && finished ? lcpu / win : 0, (unsigned long long)n_recv,
         (unsigned long long)n_send, (unsigned long long)n_wait);
  // server: its processes summed (each one's CPU seconds beside); aux: the helpers, apart
  procset *sets[2] = {&srv, &aux};
  for (int k = 0; k < 2; k++) {
    procset *ps = sets[k];
    double c = k ? aux_cpu : cpu;
    printf(k ? ",\"aux\":" : "\"server\":");
    if (!ps->n) {
      printf("null");
      continue;
    }
    printf("{\"pid\":%d,\"pids\":[", ps->pid[0]);
    for (int i = 0; i < ps->n; i++) printf("%s%d", i ? "," : "", ps->pid[i]);
    printf("],\"cpu_s_each\":[");
    for (int i = 0; i < ps->n; i++) printf("%s%.3f", i ? "," : "", t_meas ? procset_cpu_s(ps, i, tck) : 0);
    printf("],\"cpu_s\":%.3f,\"cpu_util\":%.3f,\"cpu_ns_per_msg\":%.1f", c, win > 0 ? c / win : 0,
           m_msgs ? c * 1e9 / (double)m_msgs : 0);
    if (!k) printf(",\"rss_kb_before\":%ld,\"rss_kb_after\":%ld", ps->rss0, ps->rss1);
    printf("}");
  }
  printf("}\n");
  fflush(stdout);
  for (int i = 0; i < nconns; i++)
    if (cs[i].fd >= 0) close(cs[i].fd);
  return timed_out ? 3 : 0;
}
