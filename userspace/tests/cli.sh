#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the mmlens binary given as $1 on a machine without the mmlens
# module.  Prints "ok - NAME" or "not ok - NAME" per test for tests/run.sh.

mmlens=${1:?usage: cli.sh MMLENS}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

failed=0

# check NAME EXPECTED_STATUS STDERR_REGEX STDOUT_REGEX -- ARGS...
# An empty regex means the stream must be empty.  Output goes to $stdout.
stdout=$tmp/out
check() {
	name=$1 want=$2 err_re=$3 out_re=$4
	shift 5
	: >"$tmp/out"
	"$mmlens" "$@" >"$stdout" 2>"$tmp/err"
	status=$?
	why=
	if [ "$status" != "$want" ]; then
		why="exit status $status, not $want"
	elif [ -z "$err_re" ] && [ -s "$tmp/err" ]; then
		why="unexpected stderr"
	elif [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
		why="stderr does not match /$err_re/"
	elif [ -z "$out_re" ] && [ -s "$tmp/out" ]; then
		why="unexpected stdout"
	elif [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
		why="stdout does not match /$out_re/"
	fi
	if [ -n "$why" ]; then
		echo "not ok - cli: $name"
		echo "#   mmlens $*: $why"
		sed 's/^/#   stderr: /' "$tmp/err"
		sed 's/^/#   stdout: /' "$tmp/out"
		failed=1
	else
		echo "ok - cli: $name"
	fi
}

not_loaded='^mmlens: status: the mmlens kernel module is not loaded \(load it with .modprobe mmlens. or .insmod mmlens\.ko.\)$'
if [ -e /sys/module/mmlens ]; then
	echo "ok - cli: status without the module # SKIP the mmlens module is loaded"
else
	check "status without the module" 1 "$not_loaded" "" -- status
	check "status --json without the module" 1 "$not_loaded" "" -- status --json
	check "--json status without the module" 1 "$not_loaded" "" -- --json status
fi

usage='^usage: mmlens '
check "no arguments" 2 "$usage" "" --
check "unknown command" 2 '^mmlens: frobnicate: unknown command$' "" -- frobnicate
check "unknown command usage" 2 "$usage" "" -- frobnicate
check "bad global option" 2 "^mmlens: unrecognized option '--bogus'$" "" -- --bogus
check "bad global option usage" 2 "$usage" "" -- --bogus status
check "bad short option" 2 "^mmlens: invalid option -- 'x'$" "" -- -x
check "bad status option" 2 "^mmlens: status: unrecognized option '--bogus'$" "" -- status --bogus
check "status operand" 2 "^mmlens: status: unexpected argument 'now'$" "" -- status now
check "--help" 0 "" '^  status +show ' -- --help
check "-h" 0 "" "$usage" -- -h
check "status --help" 0 "" '^usage: mmlens status \[--json\]$' -- status --help
check "--version" 0 "" '^mmlens [0-9][^ ]* \(ABI [0-9]+\)$' -- --version
check "-V" 0 "" '^mmlens [0-9]' -- -V
if [ -w /dev/full ]; then
	stdout=/dev/full
	check "--version to a full disk" 1 '^mmlens: cannot write output: No space left on device$' "" -- --version
	stdout=$tmp/out
fi

exit $failed
