#ifndef FC_GUEST_USER_H
#define FC_GUEST_USER_H
#include <sys/types.h>

struct guest_user {
  uid_t uid;
  gid_t gid;
  char name[64];
  char home[256];
  gid_t groups[64];
  int ngroups;
};

/* Resolves "name", "uid" or "uid:gid" / "name:gid" from /etc/passwd and /etc/group, read directly
 * (a static glibc's getpwnam would need NSS modules the guest may not have).
 * 0 on success; -1 with a message in err when the user is unknown. */
int resolve_user(const char *spec, struct guest_user *u, char *err, size_t errlen);

#endif
