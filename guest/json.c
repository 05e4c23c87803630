#include "json.h"

#include <stdlib.h>
#include <string.h>

struct parser {
  const char *p, *end;
  int depth;
  int failed;
};

static void skip_ws(struct parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static struct jnode *node_new(enum jtype t) {
  struct jnode *n = calloc(1, sizeof *n);
  if (n) n->type = t;
  return n;
}

void json_free(struct jnode *n) {
  while (n) {
    struct jnode *next = n->next;
    json_free(n->child);
    free(n->str);
    free(n->key);
    free(n);
    n = next;
  }
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses a string starting at the opening quote; returns a malloc'ed decoded copy or NULL. */
static char *parse_string(struct parser *ps) {
  if (ps->p >= ps->end || *ps->p != '"') return NULL;
  ps->p++;
  const char *start = ps->p;
  /* The decoded form is never longer than the escaped form. */
  char *out = malloc((size_t)(ps->end - start) + 1);
  if (!out) return NULL;
  size_t n = 0;
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (c < 0x20) goto bad;
    if (c != '\\') { out[n++] = (char)c; ps->p++; continue; }
    ps->p++;
    if (ps->p >= ps->end) goto bad;
    char e = *ps->p++;
    switch (e) {
      case '"': out[n++] = '"'; break;
      case '\\': out[n++] = '\\'; break;
      case '/': out[n++] = '/'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) goto bad;
        ps->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo)) goto bad;
          if (lo < 0xDC00 || lo > 0xDFFF) goto bad;
          ps->p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          goto bad;
        }
        if (cp == 0) goto bad; /* argv, env and paths cannot hold NUL */
        n += put_utf8(out + n, cp);
        break;
      }
      default: goto bad;
    }
  }
  if (ps->p >= ps->end) goto bad;
  ps->p++; /* closing quote */
  out[n] = 0;
  return out;
bad:
  free(out);
  return NULL;
}

static struct jnode *parse_value(struct parser *ps);

static struct jnode *parse_container(struct parser *ps, int is_obj) {
  if (++ps->depth > JSON_MAX_DEPTH) return NULL;
  struct jnode *n = node_new(is_obj ? J_OBJ : J_ARR);
  if (!n) return NULL;
  ps->p++;
  skip_ws(ps);
  struct jnode **tail = &n->child;
  if (ps->p < ps->end && *ps->p == (is_obj ? '}' : ']')) {
    ps->p++;
    ps->depth--;
    return n;
  }
  for (;;) {
    char *key = NULL;
    skip_ws(ps);
    if (is_obj) {
      key = parse_string(ps);
      if (!key) goto bad;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { free(key); goto bad; }
      ps->p++;
    }
    struct jnode *v = parse_value(ps);
    if (!v) { free(key); goto bad; }
    v->key = key;
    *tail = v;
    tail = &v->next;
    n->count++;
    skip_ws(ps);
    if (ps->p >= ps->end) goto bad;
    if (*ps->p == ',') { ps->p++; continue; }
    if (*ps->p == (is_obj ? '}' : ']')) { ps->p++; break; }
    goto bad;
  }
  ps->depth--;
  return n;
bad:
  json_free(n);
  return NULL;
}

static int match_word(struct parser *ps, const char *w) {
  size_t l = strlen(w);
  if ((size_t)(ps->end - ps->p) < l || memcmp(ps->p, w, l) != 0) return 0;
  ps->p += l;
  return 1;
}

static struct jnode *parse_value(struct parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) return NULL;
  char c = *ps->p;
  if (c == '{') return parse_container(ps, 1);
  if (c == '[') return parse_container(ps, 0);
  if (c == '"') {
    char *s = parse_string(ps);
    if (!s) return NULL;
    struct jnode *n = node_new(J_STR);
    if (!n) { free(s); return NULL; }
    n->str = s;
    return n;
  }
  if (match_word(ps, "true") || match_word(ps, "false")) {
    struct jnode *n = node_new(J_BOOL);
    if (n) n->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
    return n;
  }
  if (match_word(ps, "null")) return node_new(J_NULL);
  if (c == '-' || (c >= '0' && c <= '9')) {
    char buf[64];
    size_t l = 0;
    while (ps->p < ps->end && l < sizeof buf - 1 &&
           (strchr("+-.eE", *ps->p) || (*ps->p >= '0' && *ps->p <= '9')))
      buf[l++] = *ps->p++;
    buf[l] = 0;
    char *endp;
    double d = strtod(buf, &endp);
    if (endp != buf + l || l == 0) return NULL;
    struct jnode *n = node_new(J_NUM);
    if (n) n->num = d;
    return n;
  }
  return NULL;
}

struct jnode *json_parse(const char *text, size_t len) {
  struct parser ps = {text, text + len, 0, 0};
  struct jnode *root = parse_value(&ps);
  if (!root) return NULL;
  skip_ws(&ps);
  if (ps.p != ps.end) {
    json_free(root);
    return NULL;
  }
  return root;
}

const struct jnode *json_get(const struct jnode *obj, const char *key) {
  if (!obj || obj->type != J_OBJ) return NULL;
  for (const struct jnode *m = obj->child; m; m = m->next)
    if (strcmp(m->key, key) == 0) return m;
  return NULL;
}

int json_get_str(const struct jnode *obj, const char *key, const char **out) {
  const struct jnode *v = json_get(obj, key);
  if (!v || v->type == J_NULL) return 1;
  if (v->type != J_STR) return -1;
  *out = v->str;
  return 0;
}

int json_get_num(const struct jnode *obj, const char *key, double *out) {
  const struct jnode *v = json_get(obj, key);
  if (!v || v->type == J_NULL) return 1;
  if (v->type != J_NUM) return -1;
  *out = v->num;
  return 0;
}

int json_get_bool(const struct jnode *obj, const char *key, int *out) {
  const struct jnode *v = json_get(obj, key);
  if (!v || v->type == J_NULL) return 1;
  if (v->type != J_BOOL) return -1;
  *out = v->boolean;
  return 0;
}
