/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RANGE operand: "START-END", "[heap]"-like names, paths of mapped files,
 * "all".
 */
#ifndef MMLENS_RANGE_H
#define MMLENS_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmlens_span {
	uint64_t start, end;	/* [start, end) */
};

struct mmlens_range {
	bool all;		/* the whole address space; no spans */
	struct mmlens_span *v;	/* sorted, disjoint, not adjacent */
	size_t n;
};

/*
 * Parses arg against the mappings in maps_file (read only for names and
 * paths):
 *   all           the whole address space
 *   START-END     decimal or 0x-hex, END exclusive, START below END
 *   [name]        every mapping of that name in maps ("[heap]", "[stack]")
 *   PATH          every mapping of that file (relative paths are resolved)
 * A name or path gives one span per mapping, adjacent ones merged: what lies
 * between two mappings of a file belongs to others and is left out.
 *
 * Returns 0; -EINVAL when arg is none of these; -ERANGE when START is not
 * below END; -ENOENT when no mapping matches; -ESRCH when maps_file does not
 * exist (the process is gone); another -errno when it cannot be read.
 */
int mmlens_range_parse(const char *arg, const char *maps_file,
		       struct mmlens_range *r);
void mmlens_range_free(struct mmlens_range *r);

#endif /* MMLENS_RANGE_H */
