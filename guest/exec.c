/* The exec operation: starts a command (pipes or a pty), streams its stdio as frames, forwards
 * stdin, resizes and signals, enforces the timeout, and reports the exit code or signal. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "json.h"
#include "proto.h"
#include "user.h"

#define MAX_ARGS 4096
#define STDIN_PENDING_MAX (1u << 20)

static int chld_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
  (void)sig;
  int e = errno;
  if (write(chld_pipe[1], "x", 1) < 0) { /* the pipe is full: a wakeup is already pending */ }
  errno = e;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
  const char *name;
  int num;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"WINCH", SIGWINCH}, {"ABRT", SIGABRT}, {"SEGV", SIGSEGV},
    {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"ILL", SIGILL}, {"TRAP", SIGTRAP}, {"SYS", SIGSYS},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

static const char *signal_name(int sig) {
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (signals[i].num == sig) return signals[i].name;
  return NULL;
}

static int signal_number(const struct jnode *v) {
  if (!v) return -1;
  if (v->type == J_NUM) return v->num >= 1 && v->num <= 64 && v->num == (int)v->num ? (int)v->num : -1;
  if (v->type != J_STR) return -1;
  const char *s = v->str;
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcmp(signals[i].name, s) == 0) return signals[i].num;
  return -1;
}

struct exec_req {
  char **argv;
  char **env;
  const char *cwd;
  const char *user;
  int tty, want_stdin;
  struct winsize ws;
  long long timeout_ms;
};

/* Validates the request; on a bad field sends an ERROR naming it and returns -1. */
static int parse_request(int conn, const struct jnode *req, struct exec_req *x) {
  memset(x, 0, sizeof *x);
  const struct jnode *argv = json_get(req, "argv");
  if (!argv || argv->type != J_ARR || argv->count == 0 || argv->count > MAX_ARGS)
    return send_error(conn, "bad_request", "argv: a non-empty array of at most %d strings is required", MAX_ARGS),
           -1;
  x->argv = calloc(argv->count + 1, sizeof(char *));
  size_t i = 0;
  for (const struct jnode *a = argv->child; a; a = a->next) {
    if (a->type != J_STR) return send_error(conn, "bad_request", "argv[%zu]: must be a string", i), -1;
    x->argv[i++] = a->str;
  }
  const struct jnode *env = json_get(req, "env");
  size_t nenv = env && env->type == J_ARR ? env->count : 0;
  if (env && env->type != J_ARR && env->type != J_NULL)
    return send_error(conn, "bad_request", "env: must be an array of \"KEY=VALUE\" strings"), -1;
  x->env = calloc(nenv + 1, sizeof(char *));
  i = 0;
  for (const struct jnode *e = env ? env->child : NULL; e; e = e->next) {
    if (e->type != J_STR || !strchr(e->str, '=') || e->str[0] == '=')
      return send_error(conn, "bad_request", "env[%zu]: must be a \"KEY=VALUE\" string", i), -1;
    x->env[i++] = e->str;
  }
  if (json_get_str(req, "cwd", &x->cwd) < 0) return send_error(conn, "bad_request", "cwd: must be a string"), -1;
  if (x->cwd && x->cwd[0] != '/')
    return send_error(conn, "bad_request", "cwd: must be an absolute path, got \"%s\"", x->cwd), -1;
  if (json_get_str(req, "user", &x->user) < 0) return send_error(conn, "bad_request", "user: must be a string"), -1;
  if (json_get_bool(req, "stdin", &x->want_stdin) < 0)
    return send_error(conn, "bad_request", "stdin: must be a boolean"), -1;
  double t = 0;
  if (json_get_num(req, "timeout_ms", &t) < 0 || t < 0)
    return send_error(conn, "bad_request", "timeout_ms: must be a number >= 0 (0: no timeout)"), -1;
  x->timeout_ms = (long long)t;
  const struct jnode *tty = json_get(req, "tty");
  if (tty && tty->type == J_OBJ) {
    double rows = 24, cols = 80;
    if (json_get_num(tty, "rows", &rows) < 0 || json_get_num(tty, "cols", &cols) < 0 || rows < 1 || cols < 1 ||
        rows > 65535 || cols > 65535)
      return send_error(conn, "bad_request", "tty: rows and cols must be numbers from 1 to 65535"), -1;
    x->tty = 1;
    x->ws.ws_row = (unsigned short)rows;
    x->ws.ws_col = (unsigned short)cols;
  } else if (tty && tty->type != J_NULL && !(tty->type == J_BOOL && !tty->boolean)) {
    return send_error(conn, "bad_request", "tty: must be an object {\"rows\":N,\"cols\":N} or absent"), -1;
  }
  return 0;
}

/* The environment the command sees: defaults for the user, then the request's entries. */
static char **build_env(const struct exec_req *x, const struct guest_user *u) {
  size_t n = 0;
  while (x->env[n]) n++;
  char **out = calloc(n + 8, sizeof(char *));
  size_t k = 0;
  char buf[512];
  out[k++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  snprintf(buf, sizeof buf, "HOME=%s", u->home);
  out[k++] = strdup(buf);
  snprintf(buf, sizeof buf, "USER=%s", u->name);
  out[k++] = strdup(buf);
  snprintf(buf, sizeof buf, "LOGNAME=%s", u->name);
  out[k++] = strdup(buf);
  if (x->tty) out[k++] = strdup("TERM=xterm");
  for (size_t i = 0; i < n; i++) {
    size_t klen = (size_t)(strchr(x->env[i], '=') - x->env[i]) + 1;
    size_t j;
    for (j = 0; j < k; j++)
      if (strncmp(out[j], x->env[i], klen) == 0) break;
    if (j < k) out[j] = x->env[i];
    else out[k++] = x->env[i];
    if (k >= n + 7) break;
  }
  out[k] = NULL;
  return out;
}

/* In the child: report (stage, errno) through the close-on-exec pipe and exit. */
static void child_fail(int fd, int stage) {
  int msg[2] = {stage, errno};
  if (write(fd, msg, sizeof msg) < 0) { /* the parent reports the exit instead */ }
  _exit(127);
}

enum { STAGE_SETUP = 1, STAGE_USER, STAGE_CWD, STAGE_EXEC };

static void send_exit(int conn, int status, int timed_out) {
  struct jb b;
  jb_init(&b);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *name = signal_name(sig);
    jb_fmt(&b, "{\"exit_code\":%d,\"signal\":", 128 + sig);
    if (name) jb_str(&b, name);
    else jb_fmt(&b, "\"%d\"", sig);
    jb_fmt(&b, ",\"signal_number\":%d,\"core_dumped\":%s", sig, WCOREDUMP(status) ? "true" : "false");
  } else {
    jb_fmt(&b, "{\"exit_code\":%d,\"signal\":null", WEXITSTATUS(status));
  }
  jb_fmt(&b, ",\"timed_out\":%s}", timed_out ? "true" : "false");
  jb_send(conn, T_EXIT, &b);
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void op_exec(int conn, const struct jnode *req) {
  struct exec_req x;
  if (parse_request(conn, req, &x) < 0) return;
  struct guest_user u;
  char err[256];
  if (resolve_user(x.user, &u, err, sizeof err) < 0) {
    send_error(conn, "unknown_user", "%s", err);
    return;
  }
  if (!x.cwd) x.cwd = u.home;
  char **envp = build_env(&x, &u);

  if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
    send_error(conn, "internal", "pipe: %s", strerror(errno));
    return;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  int in_w = -1, out_r = -1, err_r = -1, master = -1;
  int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, slave = -1;
  if (x.tty) {
    if (openpty(&master, &slave, NULL, NULL, &x.ws) < 0) {
      send_error(conn, "internal", "openpty: %s", strerror(errno));
      return;
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
  } else {
    if ((x.want_stdin && pipe2(in_p, O_CLOEXEC) < 0) || pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
      send_error(conn, "internal", "pipe: %s", strerror(errno));
      return;
    }
  }
  int status_p[2];
  if (pipe2(status_p, O_CLOEXEC) < 0) {
    send_error(conn, "internal", "pipe: %s", strerror(errno));
    return;
  }

  pid_t pid = fork();
  if (pid < 0) {
    send_error(conn, "internal", "fork: %s", strerror(errno));
    return;
  }
  if (pid == 0) {
    /* The command gets its own session (and process group): signals and the timeout reach
     * everything it starts, and a tty becomes its controlling terminal. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    if (setsid() < 0) child_fail(status_p[1], STAGE_SETUP);
    if (x.tty) {
      if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(status_p[1], STAGE_SETUP);
      if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) child_fail(status_p[1], STAGE_SETUP);
      if (slave > 2) close(slave);
    } else {
      int in_fd = x.want_stdin ? in_p[0] : open("/dev/null", O_RDONLY);
      if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_p[1], 1) < 0 || dup2(err_p[1], 2) < 0)
        child_fail(status_p[1], STAGE_SETUP);
    }
    if (setgroups((size_t)u.ngroups, u.groups) < 0 && u.uid != getuid()) child_fail(status_p[1], STAGE_USER);
    if (getgid() != u.gid && setgid(u.gid) < 0) child_fail(status_p[1], STAGE_USER);
    if (getuid() != u.uid && setuid(u.uid) < 0) child_fail(status_p[1], STAGE_USER);
    if (chdir(x.cwd) < 0) child_fail(status_p[1], STAGE_CWD);
    extern char **environ;
    environ = envp;
    execvp(x.argv[0], x.argv);
    child_fail(status_p[1], STAGE_EXEC);
  }
  close(status_p[1]);
  if (x.tty) {
    close(slave);
    in_w = master;
    out_r = master;
  } else {
    if (x.want_stdin) {
      close(in_p[0]);
      in_w = in_p[1];
    }
    close(out_p[1]);
    close(err_p[1]);
    out_r = out_p[0];
    err_r = err_p[0];
  }
  int fail[2];
  ssize_t r;
  while ((r = read(status_p[0], fail, sizeof fail)) < 0 && errno == EINTR) {}
  close(status_p[0]);
  if (r == (ssize_t)sizeof fail) {
    waitpid(pid, NULL, 0);
    const char *what = fail[0] == STAGE_EXEC ? "exec" : fail[0] == STAGE_CWD ? "chdir" : fail[0] == STAGE_USER ? "setuid" : "setup";
    const char *code = fail[0] == STAGE_EXEC ? (fail[1] == ENOENT ? "not_found" : "not_executable")
                       : fail[0] == STAGE_CWD ? "bad_cwd"
                                              : "exec_failed";
    const char *arg = fail[0] == STAGE_EXEC ? x.argv[0] : fail[0] == STAGE_CWD ? x.cwd : u.name;
    send_error(conn, code, "%s %s: %s", what, arg, strerror(fail[1]));
    return;
  }

  struct jb b;
  jb_init(&b);
  jb_fmt(&b, "{\"pid\":%d}", (int)pid);
  if (jb_send(conn, T_STARTED, &b) < 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return;
  }
  logmsg("exec pid %d: %s", (int)pid, x.argv[0]);

  if (out_r >= 0) set_nonblock(out_r);
  if (err_r >= 0) set_nonblock(err_r);
  if (in_w >= 0) set_nonblock(in_w);

  char *pending = malloc(STDIN_PENDING_MAX + FRAME_MAX);
  size_t pending_len = 0;
  int stdin_eof = 0, conn_open = 1, exited = 0, status = 0, timed_out = 0;
  long long deadline = x.timeout_ms > 0 ? now_ms() + x.timeout_ms : 0;
  long long exit_at = 0;
  char buf[DATA_CHUNK];

  for (;;) {
    if (exited && out_r < 0 && err_r < 0) break;
    struct pollfd p[5];
    int np = 0, i_conn = -1, i_out = -1, i_err = -1, i_in = -1, i_chld;
    if (conn_open && pending_len < STDIN_PENDING_MAX && !exited) {
      i_conn = np;
      p[np++] = (struct pollfd){conn, POLLIN, 0};
    }
    if (out_r >= 0) {
      i_out = np;
      p[np++] = (struct pollfd){out_r, POLLIN, 0};
    }
    if (err_r >= 0) {
      i_err = np;
      p[np++] = (struct pollfd){err_r, POLLIN, 0};
    }
    if (in_w >= 0 && pending_len > 0) {
      i_in = np;
      p[np++] = (struct pollfd){in_w, POLLOUT, 0};
    }
    i_chld = np;
    p[np++] = (struct pollfd){chld_pipe[0], POLLIN, 0};

    int wait_ms = -1;
    long long now = now_ms();
    if (deadline && !exited) wait_ms = deadline > now ? (int)(deadline - now) : 0;
    if (exited) {
      /* Output still open after the command exited belongs to something it left running in the
       * background: drain for a moment, then report the exit rather than wait for it. */
      long long idle_limit = exit_at + 2000;
      wait_ms = now >= idle_limit ? 0 : 100;
    }
    int n = poll(p, (nfds_t)np, wait_ms);
    if (n < 0 && errno != EINTR) break;
    now = now_ms();
    if (deadline && !exited && now >= deadline && !timed_out) {
      timed_out = 1;
      deadline = 0;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    if (n == 0 && exited) break;
    if (n <= 0) continue;

    if (p[i_chld].revents & POLLIN) {
      char drain[64];
      while (read(chld_pipe[0], drain, sizeof drain) > 0) {}
      if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
        exited = 1;
        exit_at = now;
      }
    }
    int fds[2] = {out_r, err_r}, idx[2] = {i_out, i_err};
    for (int k = 0; k < 2; k++) {
      if (idx[k] < 0 || !(p[idx[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[k], buf, sizeof buf);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) { /* EOF, or EIO on a pty whose other side is closed */
        if (fds[k] == master) {
          out_r = -1; /* the master stays open for stdin until the end */
        } else {
          close(fds[k]);
          if (k == 0) out_r = -1;
          else err_r = -1;
        }
        continue;
      }
      if (conn_open && frame_write(conn, k == 0 ? T_STDOUT : T_STDERR, buf, (size_t)got) < 0) conn_open = 0;
    }
    if (i_in >= 0 && (p[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_w, pending, pending_len);
      if (w > 0) {
        memmove(pending, pending + w, pending_len - (size_t)w);
        pending_len -= (size_t)w;
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        pending_len = 0; /* the command closed its stdin: drop what it will never read */
        if (!x.tty) close(in_w);
        in_w = -1;
      }
      if (pending_len == 0 && stdin_eof && in_w >= 0 && !x.tty) {
        close(in_w);
        in_w = -1;
      }
    }
    if (i_conn >= 0 && (p[i_conn].revents & (POLLIN | POLLHUP | POLLERR))) {
      struct frame f;
      int fr = frame_read(conn, &f);
      if (fr != 0) {
        /* The client is gone or sent garbage: the command does not outlive its session. */
        if (fr < 0) logmsg("malformed frame during exec; closing");
        conn_open = 0;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        continue;
      }
      if (f.type == T_STDIN) {
        if (in_w >= 0 && !stdin_eof) {
          memcpy(pending + pending_len, f.data, f.len);
          pending_len += f.len;
        }
      } else if (f.type == T_STDIN_EOF) {
        if (x.tty && in_w >= 0 && !stdin_eof) {
          /* A tty has no half-close: EOF is the line discipline's ^D. */
          pending[pending_len++] = 4;
        } else if (pending_len == 0 && in_w >= 0) {
          close(in_w);
          in_w = -1;
        }
        stdin_eof = 1;
      } else if (f.type == T_RESIZE) {
        struct jnode *j = json_parse((const char *)f.data, f.len);
        double rows, cols;
        if (j && json_get_num(j, "rows", &rows) == 0 && json_get_num(j, "cols", &cols) == 0 && x.tty && rows >= 1 &&
            cols >= 1 && rows <= 65535 && cols <= 65535) {
          struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
          ioctl(master, TIOCSWINSZ, &ws);
          kill(-pid, SIGWINCH);
        }
        json_free(j);
      } else if (f.type == T_SIGNAL) {
        struct jnode *j = json_parse((const char *)f.data, f.len);
        int sig = signal_number(json_get(j, "signal"));
        json_free(j);
        if (sig < 0) {
          send_error(conn, "bad_request", "signal: a signal name (\"TERM\", \"SIGINT\") or number 1-64 is required");
          conn_open = 0;
          kill(-pid, SIGKILL);
          kill(pid, SIGKILL);
          continue;
        }
        if (kill(-pid, sig) < 0) kill(pid, sig);
      } else {
        logmsg("unexpected frame type 0x%02x during exec; closing", f.type);
        send_error(conn, "bad_frame", "frame type 0x%02x is not valid during exec", f.type);
        conn_open = 0;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
      }
    }
  }
  if (!exited) {
    waitpid(pid, &status, 0);
  }
  if (conn_open) send_exit(conn, status, timed_out);
  logmsg("exec pid %d ended (status 0x%x)", (int)pid, status);
  free(pending);
}
