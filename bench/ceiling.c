// The ceiling: a minimal single-threaded C epoll echo server. It echoes bytes back as they
// come (for newline-terminated text that is the same output a line echo gives), so it does the
// least work any server can do per message. Usage: ceiling [http] PORT. Prints "ready PORT".
// With "http" it answers every request head (each blank line ending a head; GET-style requests
// without bodies, as wrk sends) with a fixed keep-alive "Hello, World!" response: the least work
// an HTTP server can do, which shows where wrk itself stops.
// Build: cc -O2 -o ceiling ceiling.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  int fd;
  char *pend;  // bytes the kernel did not take
  size_t len, off;
  int headEnd;  // HTTP mode: how much of "\r\n\r\n" the bytes so far end with
} conn;

static int ep;
static int httpMode;
static const char httpResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "Date: Wed, 25 Nov 2026 00:00:00 GMT\r\n\r\nHello, World!";
static char replies[64 * 1024];
static char buf[256 * 1024];

static void drop(conn *c) {
  close(c->fd);
  free(c->pend);
  free(c);
}

static int flush(conn *c) {
  while (c->off < c->len) {
    ssize_t w = send(c->fd, c->pend + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->off += (size_t)w;
  }
  free(c->pend);
  c->pend = NULL;
  c->len = c->off = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

static int echo(conn *c, const char *d, size_t n) {
  if (c->len) {  // behind queued bytes: append
    c->pend = realloc(c->pend, c->len + n);
    memcpy(c->pend + c->len, d, n);
    c->len += n;
    return 0;
  }
  ssize_t w = send(c->fd, d, n, MSG_NOSIGNAL);
  if (w < 0) {
    if (errno != EAGAIN) return -1;
    w = 0;
  }
  if ((size_t)w < n) {
    c->pend = malloc(n - (size_t)w);
    memcpy(c->pend, d + w, n - (size_t)w);
    c->len = n - (size_t)w, c->off = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  }
  return 0;
}

// HTTP mode: one canned response per request head completed by these bytes.
static int answerHeads(conn *c, const char *d, size_t n) {
  static const char end[] = "\r\n\r\n";
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    if (d[i] == end[c->headEnd]) c->headEnd++;
    else c->headEnd = d[i] == '\r' ? 1 : 0;
    if (c->headEnd < 4) continue;
    c->headEnd = 0;
    if (out + sizeof httpResponse > sizeof replies) {
      if (echo(c, replies, out) < 0) return -1;
      out = 0;
    }
    memcpy(replies + out, httpResponse, sizeof httpResponse - 1);
    out += sizeof httpResponse - 1;
  }
  return out ? echo(c, replies, out) : 0;
}

int main(int argc, char **argv) {
  httpMode = argc > 2 && strcmp(argv[1], "http") == 0;
  if (argc < 2 + httpMode) {
    fprintf(stderr, "usage: ceiling [http] PORT\n");
    return 2;
  }
  int port = atoi(argv[1 + httpMode]);
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) {
    perror("ceiling: listen");
    return 1;
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  printf("ready %d\n", port);
  fflush(stdout);

  struct epoll_event evs[512];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("ceiling: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if (evs[i].events & EPOLLOUT && c->len && flush(c) < 0) {
        drop(c);
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          drop(c);
          continue;
        }
        if (r > 0 && (httpMode ? answerHeads(c, buf, (size_t)r) : echo(c, buf, (size_t)r)) < 0) drop(c);
      }
    }
  }
}
