/* fc-guest wire protocol (docs/guest-protocol.md): frames of
 *   u32 big-endian payload length | u8 type | payload
 * JSON payloads for control frames, raw bytes for data frames. */
#ifndef FC_GUEST_PROTO_H
#define FC_GUEST_PROTO_H
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define FC_GUEST_VERSION "0.1.0"
#define FRAME_MAX (1u << 20)
#define DATA_CHUNK (256u * 1024u)

enum frame_type {
  T_HELLO = 0x01,
  T_REQUEST = 0x02,
  T_RESULT = 0x03,
  T_STARTED = 0x04,
  T_ERROR = 0x05,
  T_EXIT = 0x06,
  T_STDIN = 0x10,
  T_STDIN_EOF = 0x11,
  T_STDOUT = 0x12,
  T_STDERR = 0x13,
  T_RESIZE = 0x14,
  T_SIGNAL = 0x15,
  T_ENTRY = 0x20,
  T_DATA = 0x21,
  T_END = 0x22,
};

struct frame {
  uint8_t type;
  uint32_t len;
  uint8_t *data; /* owned by the reader; valid until the next frame_read; NUL-terminated */
};

/* 0: a frame; 1: clean EOF before a frame; -1: I/O error, truncated or oversized frame. */
int frame_read(int fd, struct frame *f);
/* 0 on success, -1 when the peer is gone. */
int frame_write(int fd, uint8_t type, const void *data, size_t len);
int write_full(int fd, const void *buf, size_t len);

/* A growable JSON text. */
struct jb {
  char *buf;
  size_t len, cap;
};
void jb_init(struct jb *b);
void jb_free(struct jb *b);
void jb_raw(struct jb *b, const char *s);
void jb_fmt(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(struct jb *b, const char *s); /* a quoted, escaped JSON string */
int jb_send(int fd, uint8_t type, struct jb *b);

/* Sends {"code":..,"message":..} as an ERROR frame. */
int send_error(int fd, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern int verbose;
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
