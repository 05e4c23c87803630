#include "user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_id(const char *s, unsigned long *out) {
  if (!*s) return -1;
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*end || v > 0x7fffffffUL) return -1;
  *out = v;
  return 0;
}

/* Splits a colon-separated line into at most max fields in place; returns the field count. */
static int split(char *line, char **f, int max) {
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p && n < max; p++)
    if (*p == ':') {
      *p = 0;
      f[n++] = p + 1;
    }
  return n;
}

static void add_group(struct guest_user *u, gid_t g) {
  for (int i = 0; i < u->ngroups; i++)
    if (u->groups[i] == g) return;
  if (u->ngroups < (int)(sizeof u->groups / sizeof u->groups[0])) u->groups[u->ngroups++] = g;
}

static void supplementary_groups(struct guest_user *u) {
  u->ngroups = 0;
  add_group(u, u->gid);
  FILE *fp = fopen("/etc/group", "re");
  if (!fp) return;
  char line[4096];
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\n")] = 0;
    char *f[4];
    unsigned long gid;
    if (split(line, f, 4) < 4 || parse_id(f[2], &gid) < 0) continue;
    for (char *m = strtok(f[3], ","); m; m = strtok(NULL, ","))
      if (strcmp(m, u->name) == 0) add_group(u, (gid_t)gid);
  }
  fclose(fp);
}

int resolve_user(const char *spec, struct guest_user *u, char *err, size_t errlen) {
  char who[128];
  const char *group = NULL;
  snprintf(who, sizeof who, "%s", spec && *spec ? spec : "root");
  char *colon = strchr(who, ':');
  if (colon) {
    *colon = 0;
    group = colon + 1;
  }
  unsigned long id;
  int numeric = parse_id(who, &id) == 0;
  int found = 0;
  FILE *fp = fopen("/etc/passwd", "re");
  if (fp) {
    char line[4096];
    while (fgets(line, sizeof line, fp)) {
      line[strcspn(line, "\n")] = 0;
      char *f[7];
      unsigned long uid, gid;
      if (split(line, f, 7) < 7 || parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0) continue;
      if (numeric ? uid != id : strcmp(f[0], who) != 0) continue;
      u->uid = (uid_t)uid;
      u->gid = (gid_t)gid;
      snprintf(u->name, sizeof u->name, "%s", f[0]);
      snprintf(u->home, sizeof u->home, "%s", f[5][0] ? f[5] : "/");
      found = 1;
      break;
    }
    fclose(fp);
  }
  if (!found) {
    if (!numeric) {
      snprintf(err, errlen, "unknown user \"%s\": not in the guest's /etc/passwd", who);
      return -1;
    }
    /* A uid without a passwd entry, as docker allows. */
    u->uid = (uid_t)id;
    u->gid = (gid_t)id;
    snprintf(u->name, sizeof u->name, "%lu", id);
    snprintf(u->home, sizeof u->home, "/");
  }
  if (found) supplementary_groups(u);
  else {
    u->ngroups = 1;
    u->groups[0] = u->gid;
  }
  if (group) {
    unsigned long gid;
    if (parse_id(group, &gid) < 0) {
      snprintf(err, errlen, "group \"%s\" must be a numeric gid", group);
      return -1;
    }
    u->gid = (gid_t)gid;
    u->ngroups = 1;
    u->groups[0] = u->gid;
  }
  return 0;
}
