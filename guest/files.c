/* File operations: stat, upload and download of a file or a directory tree as a sequence of
 * ENTRY frames (path relative to the root, type, mode, mtime, size), each file followed by
 * DATA frames carrying exactly its size, and a final END frame. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "proto.h"

#define MAX_DEPTH 128

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "dir";
  if (S_ISLNK(m)) return "symlink";
  return "other";
}

static int abs_path_arg(int conn, const struct jnode *req, const char **path) {
  if (json_get_str(req, "path", path) != 0 || (*path)[0] != '/') {
    send_error(conn, "bad_request", "path: an absolute path in the guest is required");
    return -1;
  }
  if (strlen(*path) >= PATH_MAX - 1) {
    send_error(conn, "bad_request", "path: longer than %d bytes", PATH_MAX - 2);
    return -1;
  }
  return 0;
}

void op_stat(int conn, const struct jnode *req) {
  const char *path;
  if (abs_path_arg(conn, req, &path) < 0) return;
  struct stat st;
  struct jb b;
  jb_init(&b);
  if (stat(path, &st) < 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      jb_free(&b);
      send_error(conn, "io_error", "stat %s: %s", path, strerror(errno));
      return;
    }
    jb_raw(&b, "{\"exists\":false}");
  } else {
    jb_fmt(&b, "{\"exists\":true,\"type\":\"%s\",\"mode\":%u,\"size\":%lld,\"mtime\":%lld,\"mtime_nsec\":%ld}",
           type_name(st.st_mode), (unsigned)(st.st_mode & 07777), (long long)st.st_size, (long long)st.st_mtim.tv_sec,
           (long)st.st_mtim.tv_nsec);
  }
  jb_send(conn, T_RESULT, &b);
}

/* ---- upload ---- */

struct dir_meta {
  char *path;
  mode_t mode;
  struct timespec times[2];
};

/* A relative entry path: no leading '/', no "." or ".." component, no empty component. */
static int safe_rel(const char *p) {
  if (!*p) return 1;
  if (*p == '/') return 0;
  const char *c = p;
  for (;;) {
    const char *slash = strchr(c, '/');
    size_t l = slash ? (size_t)(slash - c) : strlen(c);
    if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.')) return 0;
    if (!slash) return 1;
    c = slash + 1;
  }
}

void op_upload(int conn, const struct jnode *req) {
  const char *root_arg;
  if (abs_path_arg(conn, req, &root_arg) < 0) return;
  char root[PATH_MAX];
  snprintf(root, sizeof root, "%s", root_arg);
  struct dir_meta *dirs = NULL;
  size_t ndirs = 0, cap = 0;
  long long files = 0, bytes = 0, entries = 0;

  for (;;) {
    struct frame f;
    int r = frame_read(conn, &f);
    if (r != 0) {
      logmsg("upload: connection ended before END");
      goto out;
    }
    if (f.type == T_END) break;
    if (f.type != T_ENTRY) {
      send_error(conn, "bad_frame", "expected an ENTRY or END frame, got type 0x%02x", f.type);
      goto out;
    }
    struct jnode *e = json_parse((const char *)f.data, f.len);
    const char *rel, *type, *target = NULL;
    double mode = 0644, mtime = -1, nsec = 0, size = 0;
    if (!e || json_get_str(e, "path", &rel) != 0 || json_get_str(e, "type", &type) != 0 ||
        json_get_num(e, "mode", &mode) < 0 || json_get_num(e, "mtime", &mtime) < 0 ||
        json_get_num(e, "mtime_nsec", &nsec) < 0 || json_get_num(e, "size", &size) < 0 ||
        json_get_str(e, "target", &target) < 0) {
      json_free(e);
      send_error(conn, "bad_request", "entry: a JSON object with path, type, mode, mtime (and size) is required");
      goto out;
    }
    if (!safe_rel(rel) || (entries == 0) != (rel[0] == 0)) {
      send_error(conn, "bad_request", "entry path \"%s\": must be relative without \".\" or \"..\"; the first entry (only) is \"\"", rel);
      json_free(e);
      goto out;
    }
    if (mode < 0 || mode > 07777 || size < 0 || nsec < 0 || nsec > 999999999) {
      send_error(conn, "bad_request", "entry \"%s\": mode must be 0-07777, size >= 0, mtime_nsec 0-999999999", rel);
      json_free(e);
      goto out;
    }
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof path) {
      send_error(conn, "bad_request", "entry \"%s\": path too long", rel);
      json_free(e);
      goto out;
    }
    entries++;
    struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    if (mtime >= 0) {
      times[0].tv_sec = times[1].tv_sec = (time_t)mtime;
      times[0].tv_nsec = times[1].tv_nsec = (long)nsec;
    }
    if (strcmp(type, "dir") == 0) {
      struct stat st;
      if (mkdir(path, 0700) < 0 && !(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        send_error(conn, "io_error", "mkdir %s: %s", path, strerror(errno));
        json_free(e);
        goto out;
      }
      if (ndirs == cap) {
        cap = cap ? cap * 2 : 16;
        dirs = realloc(dirs, cap * sizeof *dirs);
      }
      dirs[ndirs++] = (struct dir_meta){strdup(path), (mode_t)mode, {times[0], times[1]}};
    } else if (strcmp(type, "file") == 0) {
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0) {
        send_error(conn, "io_error", "open %s: %s", path, strerror(errno));
        json_free(e);
        goto out;
      }
      long long left = (long long)size;
      while (left > 0) {
        if (frame_read(conn, &f) != 0 || f.type != T_DATA || (long long)f.len > left) {
          send_error(conn, "bad_frame", "entry \"%s\": expected %lld more bytes of DATA", rel, left);
          close(fd);
          json_free(e);
          goto out;
        }
        if (write_full(fd, f.data, f.len) < 0) {
          send_error(conn, "io_error", "write %s: %s", path, strerror(errno));
          close(fd);
          json_free(e);
          goto out;
        }
        left -= f.len;
      }
      bytes += (long long)size;
      files++;
      if (fchmod(fd, (mode_t)mode) < 0 || futimens(fd, times) < 0 || close(fd) < 0) {
        send_error(conn, "io_error", "finish %s: %s", path, strerror(errno));
        json_free(e);
        goto out;
      }
    } else if (strcmp(type, "symlink") == 0 && target && *target) {
      unlink(path);
      if (symlink(target, path) < 0) {
        send_error(conn, "io_error", "symlink %s: %s", path, strerror(errno));
        json_free(e);
        goto out;
      }
      utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    } else {
      send_error(conn, "bad_request", "entry \"%s\": type must be file, dir or symlink (with a target)", rel);
      json_free(e);
      goto out;
    }
    json_free(e);
  }
  /* Directories last, deepest first: writing their contents changed their mtimes. */
  for (size_t i = ndirs; i-- > 0;) {
    if (chmod(dirs[i].path, dirs[i].mode) < 0 || utimensat(AT_FDCWD, dirs[i].path, dirs[i].times, 0) < 0) {
      send_error(conn, "io_error", "set mode/mtime of %s: %s", dirs[i].path, strerror(errno));
      goto out;
    }
  }
  if (entries == 0) {
    send_error(conn, "bad_request", "upload: no entries before END");
    goto out;
  }
  struct jb b;
  jb_init(&b);
  jb_fmt(&b, "{\"files\":%lld,\"dirs\":%zu,\"bytes\":%lld}", files, ndirs, bytes);
  jb_send(conn, T_RESULT, &b);
out:
  for (size_t i = 0; i < ndirs; i++) free(dirs[i].path);
  free(dirs);
}

/* ---- download ---- */

struct walk {
  int conn;
  long long files, dirs, bytes;
  char *buf;
};

static int send_entry(struct walk *w, const char *rel, const struct stat *st, const char *target) {
  struct jb b;
  jb_init(&b);
  jb_raw(&b, "{\"path\":");
  jb_str(&b, rel);
  jb_fmt(&b, ",\"type\":\"%s\",\"mode\":%u,\"mtime\":%lld,\"mtime_nsec\":%ld,\"size\":%lld", type_name(st->st_mode),
         (unsigned)(st->st_mode & 07777), (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
         S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL);
  if (target) {
    jb_raw(&b, ",\"target\":");
    jb_str(&b, target);
  }
  jb_raw(&b, "}");
  return jb_send(w->conn, T_ENTRY, &b);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* -1: stop (an ERROR was sent or the peer is gone). */
static int walk_path(struct walk *w, const char *path, const char *rel, int depth, int follow) {
  struct stat st;
  if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) {
    send_error(w->conn, errno == ENOENT ? "not_found" : "io_error", "stat %s: %s", path, strerror(errno));
    return -1;
  }
  if (S_ISREG(st.st_mode)) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      send_error(w->conn, "io_error", "open %s: %s", path, strerror(errno));
      return -1;
    }
    if (send_entry(w, rel, &st, NULL) < 0) {
      close(fd);
      return -1;
    }
    long long left = st.st_size;
    while (left > 0) {
      ssize_t r = read(fd, w->buf, left < DATA_CHUNK ? (size_t)left : DATA_CHUNK);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        /* The entry promised st_size bytes; a file that shrank mid-read cannot keep that promise. */
        send_error(w->conn, "io_error", "read %s: %s", path, r < 0 ? strerror(errno) : "file shrank while reading");
        close(fd);
        return -1;
      }
      if (frame_write(w->conn, T_DATA, w->buf, (size_t)r) < 0) {
        close(fd);
        return -1;
      }
      left -= r;
    }
    close(fd);
    w->files++;
    w->bytes += st.st_size;
    return 0;
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t l = readlink(path, target, sizeof target - 1);
    if (l < 0) {
      send_error(w->conn, "io_error", "readlink %s: %s", path, strerror(errno));
      return -1;
    }
    target[l] = 0;
    return send_entry(w, rel, &st, target);
  }
  if (!S_ISDIR(st.st_mode)) {
    /* Devices, fifos and sockets inside a tree are skipped; asked for by name, they are an error. */
    if (depth == 0) send_error(w->conn, "unsupported", "%s: not a file, directory or symlink", path);
    return depth == 0 ? -1 : 0;
  }
  if (depth > MAX_DEPTH) {
    send_error(w->conn, "io_error", "%s: deeper than %d directories", path, MAX_DEPTH);
    return -1;
  }
  if (send_entry(w, rel, &st, NULL) < 0) return -1;
  w->dirs++;
  DIR *d = opendir(path);
  if (!d) {
    send_error(w->conn, "io_error", "opendir %s: %s", path, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      names = realloc(names, cap * sizeof *names);
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    char cpath[PATH_MAX], crel[PATH_MAX];
    if (rc == 0) {
      if (snprintf(cpath, sizeof cpath, "%s/%s", strcmp(path, "/") == 0 ? "" : path, names[i]) >= (int)sizeof cpath ||
          snprintf(crel, sizeof crel, "%s%s%s", rel, rel[0] ? "/" : "", names[i]) >= (int)sizeof crel) {
        send_error(w->conn, "io_error", "%s/%s: path too long", path, names[i]);
        rc = -1;
      } else {
        rc = walk_path(w, cpath, crel, depth + 1, 0);
      }
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

void op_download(int conn, const struct jnode *req) {
  const char *path;
  if (abs_path_arg(conn, req, &path) < 0) return;
  struct walk w = {conn, 0, 0, 0, malloc(DATA_CHUNK)};
  if (walk_path(&w, path, "", 0, 1) == 0) {
    struct jb b;
    jb_init(&b);
    jb_fmt(&b, "{\"files\":%lld,\"dirs\":%lld,\"bytes\":%lld}", w.files, w.dirs, w.bytes);
    jb_send(conn, T_END, &b);
  }
  free(w.buf);
}
