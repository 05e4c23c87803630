/* A small JSON reader for fc-guest's request headers: objects, arrays, strings, numbers,
 * booleans and null, parsed into nodes from one arena. Bounded depth and size, no recursion
 * on untrusted nesting beyond JSON_MAX_DEPTH. */
#ifndef FC_GUEST_JSON_H
#define FC_GUEST_JSON_H
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
  enum jtype type;
  int boolean;
  double num;
  char *str;            /* J_STR: decoded, NUL-terminated (strings holding NUL are rejected) */
  char *key;            /* set on members of an object */
  struct jnode *child;  /* first element/member */
  struct jnode *next;   /* next sibling */
  size_t count;         /* elements/members */
};

#define JSON_MAX_DEPTH 16

/* Parses len bytes; returns the root or NULL (malformed). Free with json_free(root). */
struct jnode *json_parse(const char *text, size_t len);
void json_free(struct jnode *root);
const struct jnode *json_get(const struct jnode *obj, const char *key);
/* Typed lookups: return 0 when present with the right type, 1 when absent or null, -1 on a wrong type. */
int json_get_str(const struct jnode *obj, const char *key, const char **out);
int json_get_num(const struct jnode *obj, const char *key, double *out);
int json_get_bool(const struct jnode *obj, const char *key, int *out);

#endif
