#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the unit tests ($1) and the CLI tests against the mmlens binary ($2),
# both built with sanitizers, and ends with "N passed, N failed".

unit=${1:?usage: run.sh UNIT MMLENS}
mmlens=${2:?usage: run.sh UNIT MMLENS}
dir=$(dirname "$0")
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

# A sanitizer report must never pass for the exit status 1 a test expects.
export ASAN_OPTIONS="exitcode=99:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="exitcode=99:print_stacktrace=1:halt_on_error=1"

run() {
	"$@" >"$log" 2>&1
	status=$?
	cat "$log"
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	passed=$((passed + ok))
	failed=$((failed + bad))
	# Died without reporting the failure, e.g. in a sanitizer.
	if [ "$status" != 0 ] && [ "$bad" = 0 ]; then
		echo "not ok - $* exited with status $status"
		failed=$((failed + 1))
	fi
}

passed=0 failed=0
run "$unit"
run sh "$dir/cli.sh" "$mmlens"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
