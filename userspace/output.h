/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output helpers: JSON via json-c.
 */
#ifndef MMLENS_OUTPUT_H
#define MMLENS_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include <json.h>

#include "stream.h"

/*
 * JSON null, for mmlens_json_add() only: json-c's own null is a NULL pointer,
 * which mmlens_json_add() takes for a failed allocation.
 */
struct json_object *mmlens_json_null(void);

/*
 * Adds val under key to obj, taking over the reference to val.  Returns 0, or
 * -ENOMEM when val is NULL (its allocation failed) or adding failed.  val
 * may be mmlens_json_null().
 */
int mmlens_json_add(struct json_object *obj, const char *key,
		    struct json_object *val);

/*
 * Addresses, PFNs and masks as "0x..." strings: JSON numbers are doubles to
 * most consumers and cannot hold all 64-bit values exactly.
 */
struct json_object *mmlens_json_hex(uint64_t val);

/* Prints obj, pretty, with a newline.  Returns 0 or -errno. */
int mmlens_json_print(FILE *f, struct json_object *obj);
/* The same, to a stream: a document a command may print instead of lines. */
int mmlens_json_print_stream(struct mmlens_stream *s, struct json_object *obj);
/* Prints obj as one line (JSON Lines).  Returns 0, -ENOMEM, or the stream's -errno. */
int mmlens_json_line(struct mmlens_stream *s, struct json_object *obj);

#endif /* MMLENS_OUTPUT_H */
