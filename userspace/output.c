// SPDX-License-Identifier: GPL-2.0
/*
 * Output helpers: JSON via json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

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

static const char *json_string(struct json_object *obj, int flags)
{
	return json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int mmlens_json_print(FILE *f, struct json_object *obj)
{
	const char *s = json_string(obj, JSON_C_TO_STRING_PRETTY);

	if (!s)
		return -ENOMEM;
	if (fprintf(f, "%s\n", s) < 0)
		return -EIO;
	return 0;
}

int mmlens_json_print_stream(struct mmlens_stream *s, struct json_object *obj)
{
	const char *text = json_string(obj, JSON_C_TO_STRING_PRETTY);

	return text ? mmlens_stream_lines(s, text, strlen(text)) : -ENOMEM;
}

int mmlens_json_line(struct mmlens_stream *s, struct json_object *obj)
{
	const char *text = json_string(obj, JSON_C_TO_STRING_PLAIN);

	return text ? mmlens_stream_lines(s, text, strlen(text)) : -ENOMEM;
}
