#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int verbose;

void logmsg(const char *fmt, ...) {
  if (!verbose) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fc-guest[%d]: ", (int)getpid());
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int read_full(int fd, void *buf, size_t len, size_t *got) {
  *got = 0;
  while (*got < len) {
    ssize_t r = read(fd, (char *)buf + *got, len - *got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    *got += (size_t)r;
  }
  return 0;
}

int write_full(int fd, const void *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    /* send() with MSG_NOSIGNAL on sockets; write() for pipes and terminals. */
    ssize_t w = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, (const char *)buf + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

static uint8_t *frame_buf;

int frame_read(int fd, struct frame *f) {
  uint8_t hdr[5];
  size_t got;
  if (read_full(fd, hdr, sizeof hdr, &got) < 0) return got == 0 ? 1 : -1;
  uint32_t len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
  if (len > FRAME_MAX) {
    logmsg("frame of %u bytes exceeds the %u-byte limit", len, FRAME_MAX);
    return -1;
  }
  if (!frame_buf) {
    frame_buf = malloc(FRAME_MAX + 1);
    if (!frame_buf) return -1;
  }
  if (read_full(fd, frame_buf, len, &got) < 0) return -1;
  frame_buf[len] = 0;
  f->type = hdr[4];
  f->len = len;
  f->data = frame_buf;
  return 0;
}

int frame_write(int fd, uint8_t type, const void *data, size_t len) {
  uint8_t hdr[5] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type};
  if (len > FRAME_MAX) return -1;
  if (len <= 4096) {
    /* One write for small frames keeps a frame in one vsock packet. */
    uint8_t small[5 + 4096];
    memcpy(small, hdr, 5);
    if (len) memcpy(small + 5, data, len);
    return write_full(fd, small, 5 + len);
  }
  if (write_full(fd, hdr, 5) < 0) return -1;
  return write_full(fd, data, len);
}

void jb_init(struct jb *b) {
  b->cap = 256;
  b->len = 0;
  b->buf = malloc(b->cap);
  if (!b->buf) abort();
  b->buf[0] = 0;
}

void jb_free(struct jb *b) {
  free(b->buf);
  b->buf = NULL;
}

static void jb_reserve(struct jb *b, size_t more) {
  if (b->len + more + 1 <= b->cap) return;
  while (b->len + more + 1 > b->cap) b->cap *= 2;
  b->buf = realloc(b->buf, b->cap);
  if (!b->buf) abort();
}

void jb_raw(struct jb *b, const char *s) {
  size_t l = strlen(s);
  jb_reserve(b, l);
  memcpy(b->buf + b->len, s, l + 1);
  b->len += l;
}

void jb_fmt(struct jb *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  jb_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void jb_str(struct jb *b, const char *s) {
  jb_reserve(b, strlen(s) * 6 + 2);
  char *o = b->buf + b->len;
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      *o++ = '\\';
      *o++ = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      o += sprintf(o, "\\u%04x", *p);
    } else {
      *o++ = (char)*p;
    }
  }
  *o++ = '"';
  *o = 0;
  b->len = (size_t)(o - b->buf);
}

int jb_send(int fd, uint8_t type, struct jb *b) {
  int r = frame_write(fd, type, b->buf, b->len);
  jb_free(b);
  return r;
}

int send_error(int fd, const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  logmsg("error %s: %s", code, msg);
  struct jb b;
  jb_init(&b);
  jb_raw(&b, "{\"code\":");
  jb_str(&b, code);
  jb_raw(&b, ",\"message\":");
  jb_str(&b, msg);
  jb_raw(&b, "}");
  return jb_send(fd, T_ERROR, &b);
}
