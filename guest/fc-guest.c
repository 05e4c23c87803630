/* fc-guest: the fc-macos guest agent. Listens on vsock port 1024 (or a Unix socket in test mode),
 * forks one process per connection, and serves one operation per connection after a versioned
 * handshake. See docs/guest-protocol.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
/* After sys/socket.h: it needs struct sockaddr. */
#include <linux/vm_sockets.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "json.h"
#include "proto.h"

#define DEFAULT_PORT 1024
#define HANDSHAKE_TIMEOUT_S 30
#define LINGER_S 5

#if defined(__aarch64__)
#define ARCH "aarch64"
#elif defined(__x86_64__)
#define ARCH "x86_64"
#else
#define ARCH "unknown"
#endif

static int test_mode;
static pid_t server_pid;
static const char *unix_path;

static long long clock_ms(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void op_ping(int conn) {
  long long up = clock_ms(CLOCK_BOOTTIME);
  struct jb b;
  jb_init(&b);
  jb_fmt(&b, "{\"uptime_ms\":%lld,\"boot_time_ms\":%lld,\"time_ms\":%lld}", up, clock_ms(CLOCK_REALTIME) - up,
         clock_ms(CLOCK_REALTIME));
  jb_send(conn, T_RESULT, &b);
}

/* True while a user process other than PID 1 and this one is alive (kernel threads and zombies
 * have an empty cmdline and do not count). */
static int others_left(void) {
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  pid_t self = getpid();
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 1 || pid == self) continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char c;
    if (read(fd, &c, 1) == 1) found = 1;
    close(fd);
  }
  closedir(proc);
  return found;
}

static void op_shutdown(int conn) {
  sync();
  struct jb b;
  jb_init(&b);
  jb_fmt(&b, "{\"action\":\"%s\"}", test_mode ? "exit" : "poweroff");
  jb_send(conn, T_RESULT, &b);
  if (test_mode) {
    /* On a development machine "power off" ends the fc-guest server only. */
    kill(server_pid, SIGTERM);
    return;
  }
  /* The default /init shuts down too once its shell dies (and signals everyone with TERM): this
   * process carries on regardless; whichever finishes first syncs, leaves / read-only and reboots. */
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* Give processes a moment to exit cleanly (up to 300 ms, less when they are gone sooner), then
   * stop them, flush, and leave the root read-only. SIGHUP after SIGTERM, as systemd's SendSIGHUP
   * does: an interactive shell (the console's) ignores TERM but ends on HUP, so the wait is not
   * spent on it. */
  kill(-1, SIGTERM);
  kill(-1, SIGHUP);
  for (int i = 0; i < 15 && others_left(); i++) {
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
  }
  kill(-1, SIGKILL);
  sync();
  mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
#if defined(__x86_64__)
  /* Firecracker on x86_64 has no power-off device; with reboot=k a guest reboot ends firecracker. */
  reboot(RB_AUTOBOOT);
#else
  /* PSCI SYSTEM_OFF: firecracker exits. */
  reboot(RB_POWER_OFF);
#endif
  reboot(RB_AUTOBOOT);
}

/* Half-closes, then reads what the peer still sends until it closes (at most LINGER_S): a peer
 * still streaming an upload that was refused half-way then reads the ERROR sent to it, where a
 * close with its data unread would fail its next write (EPIPE, reset) and lose the ERROR. */
static void linger(int conn) {
  shutdown(conn, SHUT_WR);
  alarm(LINGER_S);
  char buf[4096];
  while (read(conn, buf, sizeof buf) > 0) {
  }
  alarm(0);
}

static void serve(int conn) {
  alarm(HANDSHAKE_TIMEOUT_S);
  struct frame f;
  if (frame_read(conn, &f) != 0) return;
  struct jnode *hello = f.type == T_HELLO ? json_parse((const char *)f.data, f.len) : NULL;
  double proto = 0;
  if (!hello || json_get_num(hello, "proto", &proto) != 0) {
    send_error(conn, "bad_handshake", "the first frame must be HELLO {\"proto\":%d}", PROTO_VERSION);
    json_free(hello);
    return;
  }
  json_free(hello);
  if (proto != PROTO_VERSION) {
    send_error(conn, "unsupported_protocol", "fc-guest %s speaks protocol %d, not %g", FC_GUEST_VERSION, PROTO_VERSION,
               proto);
    return;
  }
  struct jb b;
  jb_init(&b);
  jb_fmt(&b, "{\"proto\":%d,\"agent\":\"fc-guest\",\"version\":\"%s\",\"arch\":\"%s\"}", PROTO_VERSION, FC_GUEST_VERSION,
         ARCH);
  if (jb_send(conn, T_HELLO, &b) < 0) return;

  if (frame_read(conn, &f) != 0) return;
  alarm(0);
  struct jnode *req = f.type == T_REQUEST ? json_parse((const char *)f.data, f.len) : NULL;
  const char *op;
  if (!req || json_get_str(req, "op", &op) != 0) {
    send_error(conn, "bad_request", "expected a REQUEST frame {\"op\":...}");
    json_free(req);
    return;
  }
  logmsg("op %s", op);
  if (strcmp(op, "ping") == 0) op_ping(conn);
  else if (strcmp(op, "exec") == 0) op_exec(conn, req);
  else if (strcmp(op, "stat") == 0) op_stat(conn, req);
  else if (strcmp(op, "upload") == 0) op_upload(conn, req);
  else if (strcmp(op, "download") == 0) op_download(conn, req);
  else if (strcmp(op, "shutdown") == 0) op_shutdown(conn);
  else send_error(conn, "unknown_op", "op \"%s\" is not one of ping, exec, stat, upload, download, shutdown", op);
  json_free(req);
}

static void on_term(int sig) {
  (void)sig;
  if (unix_path) unlink(unix_path);
  _exit(0);
}

static int listen_socket(int port) {
  int fd;
  if (unix_path) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(unix_path) >= sizeof a.sun_path) {
      fprintf(stderr, "fc-guest: socket path too long (max %zu bytes): %s\n", sizeof a.sun_path - 1, unix_path);
      return -1;
    }
    strcpy(a.sun_path, unix_path);
    unlink(unix_path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      fprintf(stderr, "fc-guest: bind %s: %s\n", unix_path, strerror(errno));
      return -1;
    }
  } else {
    fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_vm a;
    memset(&a, 0, sizeof a);
    a.svm_family = AF_VSOCK;
    a.svm_cid = VMADDR_CID_ANY;
    a.svm_port = (unsigned)port;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      fprintf(stderr, "fc-guest: vsock port %d: %s\n", port, strerror(errno));
      return -1;
    }
  }
  if (listen(fd, 64) < 0) {
    fprintf(stderr, "fc-guest: listen: %s\n", strerror(errno));
    return -1;
  }
  return fd;
}

static void usage(FILE *to) {
  fprintf(to,
          "usage: fc-guest [--port N] [--listen-unix PATH] [-v]\n"
          "  --port N            vsock port to listen on (default %d)\n"
          "  --listen-unix PATH  test mode: listen on a Unix socket; shutdown ends fc-guest instead of powering off\n"
          "  -v                  log connections and errors to stderr\n"
          "  --version           print the version and protocol\n",
          DEFAULT_PORT);
}

int main(int argc, char **argv) {
  int port = DEFAULT_PORT;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      long p = strtol(argv[++i], &end, 10);
      if (*end || p < 1 || p > 0x7fffffff) {
        fprintf(stderr, "fc-guest: --port: a number from 1 to 2147483647 is required, got %s\n", argv[i]);
        return 2;
      }
      port = (int)p;
    } else if (strcmp(argv[i], "--listen-unix") == 0 && i + 1 < argc) {
      unix_path = argv[++i];
      test_mode = 1;
    } else if (strcmp(argv[i], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("fc-guest %s (protocol %d, %s)\n", FC_GUEST_VERSION, PROTO_VERSION, ARCH);
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "fc-guest: unknown argument %s\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  server_pid = getpid();
  signal(SIGPIPE, SIG_IGN);
  /* Connection processes are reaped by the kernel; the server never waits for them. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);

  int lfd = listen_socket(port);
  if (lfd < 0) return 1;
  if (unix_path) logmsg("listening on unix:%s", unix_path);
  else logmsg("listening on vsock port %d", port);
  for (;;) {
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* Out of descriptors or memory: back off instead of spinning, and keep serving. */
      struct timespec d = {0, 100 * 1000 * 1000};
      nanosleep(&d, NULL);
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(lfd);
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigaction(SIGCHLD, &dfl, NULL);
      serve(conn);
      linger(conn);
      close(conn);
      _exit(0);
    }
    close(conn);
  }
}
