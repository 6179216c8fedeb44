// SPDX-License-Identifier: GPL-2.0
/*
 * Output helpers: JSON via json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include "output.h"

/* Only its address matters; aligned as any object json-c allocates. */
static max_align_t null_marker;

struct json_object *mmlens_json_null(void)
{
	return (struct json_object *)&null_marker;
}

int mmlens_json_add(struct json_object *obj, const char *key,
		    struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	/* json-c's null is a NULL value. */
	if (val == mmlens_json_null())
		return json_object_object_add(obj, key, NULL) ? -ENOMEM : 0;
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

struct json_object *mmlens_json_hex(uint64_t val)
{
	char buf[sizeof("0x") + 16];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	return json_object_new_string(buf);
}

static int json_write(FILE *f, struct json_object *obj, int flags)
{
	const char *s = json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	if (fprintf(f, "%s\n", s) < 0)
		return -EIO;
	return 0;
}

int mmlens_json_print(FILE *f, struct json_object *obj)
{
	return json_write(f, obj, JSON_C_TO_STRING_PRETTY);
}

int mmlens_json_line(FILE *f, struct json_object *obj)
{
	return json_write(f, obj, JSON_C_TO_STRING_PLAIN);
}
