#ifndef FC_GUEST_OPS_H
#define FC_GUEST_OPS_H
#include "json.h"

/* Each operation owns the connection until it returns; the connection then closes. */
void op_exec(int conn, const struct jnode *req);
void op_stat(int conn, const struct jnode *req);
void op_upload(int conn, const struct jnode *req);
void op_download(int conn, const struct jnode *req);

#endif
