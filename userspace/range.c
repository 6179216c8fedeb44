// SPDX-License-Identifier: GPL-2.0
/*
 * The RANGE operand.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "range.h"
#include "util.h"

void mmlens_range_free(struct mmlens_range *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* "START-END"; -EINVAL if arg does not look like one at all. */
static int parse_numeric(const char *arg, struct mmlens_range *r)
{
	uint64_t start, end;
	const char *dash;
	char first[32];
	int ret;

	dash = strchr(arg, '-');
	if (!dash || (size_t)(dash - arg) >= sizeof(first))
		return -EINVAL;
	memcpy(first, arg, dash - arg);
	first[dash - arg] = '\0';
	ret = mmlens_parse_u64(first, &start);
	if (!ret)
		ret = mmlens_parse_u64(dash + 1, &end);
	if (ret)
		return -EINVAL;
	if (start >= end)
		return -ERANGE;
	r->v = malloc(sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	r->v[0].start = start;
	r->v[0].end = end;
	r->n = 1;
	return 0;
}

/* Every mapping whose name in maps is name, adjacent ones merged. */
static int collect(const struct mmlens_maps *maps, const char *name,
		   struct mmlens_range *r)
{
	size_t i;

	r->v = calloc(maps->n ? maps->n : 1, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	for (i = 0; i < maps->n; i++) {
		if (!maps->v[i].path || strcmp(maps->v[i].path, name))
			continue;
		if (r->n && r->v[r->n - 1].end == maps->v[i].start) {
			r->v[r->n - 1].end = maps->v[i].end;
			continue;
		}
		r->v[r->n].start = maps->v[i].start;
		r->v[r->n].end = maps->v[i].end;
		r->n++;
	}
	if (!r->n) {
		mmlens_range_free(r);
		return -ENOENT;
	}
	return 0;
}

int mmlens_range_parse(const char *arg, const char *maps_file,
		       struct mmlens_range *r)
{
	char resolved[PATH_MAX];
	struct mmlens_maps maps;
	const char *name = arg;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!strcmp(arg, "all")) {
		r->all = true;
		return 0;
	}
	ret = parse_numeric(arg, r);
	if (ret != -EINVAL)
		return ret;

	if (arg[0] != '[') {
		/*
		 * maps shows files by their canonical path.  An absolute path
		 * that does not resolve here may still be mapped there: the
		 * target can live in another mount namespace.
		 */
		if (realpath(arg, resolved))
			name = resolved;
		else if (arg[0] != '/')
			return -EINVAL;
	} else if (arg[strlen(arg) - 1] != ']') {
		return -EINVAL;
	}

	ret = mmlens_maps_load(maps_file, &maps);
	/* No maps file: no such process, not "no such mapping". */
	if (ret == -ENOENT)
		return -ESRCH;
	if (ret)
		return ret;
	ret = collect(&maps, name, r);
	mmlens_maps_free(&maps);
	return ret;
}
