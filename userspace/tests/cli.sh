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

# Without the module, the commands that can show what /proc tells.
if [ -e /sys/module/mmlens ]; then
	echo "ok - cli: /proc fallbacks # SKIP the mmlens module is loaded"
else
	notice() {
		echo "^mmlens: $1: the mmlens module is not loaded; showing what $2 tells \\(load it with .modprobe mmlens.\\)\$"
	}
	pagemap=$(notice translate /proc/PID/pagemap)
	# The top page of our own stack holds the environment: present.
	top=$(awk '/\[stack\]/ { split($1, a, "-"); print a[2] }' /proc/$$/maps)
	va=$(printf '0x%x' $((0x$top - 4096)))
	check "translate without the module" 0 "$pagemap" \
		'^pagemap: +0x[0-9a-f]{16} present' -- translate $$ "$va"
	if [ "$(id -u)" = 0 ]; then
		check "translate without the module shows the pa" 0 "$pagemap" \
			'^pa: +0x[0-9a-f]+$' -- translate $$ "$va"
		check "translate without the module reads kpageflags" 0 "$pagemap" \
			'^  kpageflags: +0x[0-9a-f]+ ' -- translate $$ "$va"
	fi
	check "walk without the module" 0 "$(notice walk /proc/PID/pagemap)" \
		'^pagemap: ' -- walk $$ "$va"
	check "translate --json without the module" 0 "$pagemap" \
		'"source":"pagemap"' -- translate --json $$ "$va"
	check "translate of a kernel address" 1 'is not a user address of PID' "" \
		-- translate $$ 0xffff888000000000
	check "translate of no process" 1 '^mmlens: translate: no process with PID 2147483647$' \
		"" -- translate 2147483647 0x1000
	check "frame 1 without the module" 0 \
		"$(notice frame '/proc/kpageflags and /proc/kpagecount')" \
		'^kpageflags: +0x[0-9a-f]+ ' -- frame 1
	check "frame --json without the module" 0 'frame: the mmlens module' \
		'"kpagecount":[0-9]+' -- frame --json 1
	check "maps without the module" 0 "$(notice maps /proc/PID/pagemap)" \
		'^total: [0-9]+ VMAs' -- maps $$
	check "maps --json without the module" 0 'maps: the mmlens module' \
		'"kind":"stack"' -- maps --json $$
	check "info without the module" 0 "$(notice info '/proc/PID/status and stat')" \
		'^VmPTE +[0-9]+$' -- info $$
	check "ptes without the module" 0 "$(notice ptes /proc/PID/pagemap)" \
		'^[0-9a-f]{12} -   present   4K ' -- ptes $$ '[stack]'
	check "ptes --runs without the module" 0 'ptes: the mmlens module' \
		'^START +END +NR ' -- ptes --runs $$ '[stack]'
	check "ptes --json without the module" 0 'ptes: the mmlens module' \
		'^\{"va":"0x[0-9a-f]+","level":null,"kind":"present"' -- ptes --json $$ '[stack]'
	check "ptes --check without the module" 1 \
		'^mmlens: ptes: --check compares .* there is nothing to compare$' "" \
		-- ptes --check $$
	check "ptes of an unmapped name" 1 "^mmlens: ptes: nothing in PID $$'s maps matches '\\[nosuch\\]'$" \
		"" -- ptes $$ '[nosuch]'
fi

usage='^usage: mmlens '
check "translate without VA" 2 '^mmlens: translate: missing argument$' "" -- translate 1
check "translate bad VA" 2 "^mmlens: translate: invalid address 'zz' \\(decimal, or hex with 0x\\)$" \
	"" -- translate 1 zz
check "walk bad PID" 2 "^mmlens: walk: invalid PID '-1'$" "" -- walk -- -1 0x1000
check "info bad PID" 2 "^mmlens: info: invalid PID 'self'$" "" -- info self
check "info PID 0" 2 "^mmlens: info: PID '0' is out of range$" "" -- info 0
check "maps operand" 2 "^mmlens: maps: unexpected argument '2'$" "" -- maps 1 2
check "ptes bad range" 2 "^mmlens: ptes: invalid range 'junk' " "" -- ptes 1 junk
check "ptes reversed range" 2 "^mmlens: ptes: empty range '0x2000-0x1000': START must be below END$" \
	"" -- ptes 1 0x2000-0x1000
check "ptes --explain" 2 "^mmlens: ptes: unrecognized option '--explain'$" "" -- ptes --explain 1
check "frame bad PFN" 2 "^mmlens: frame: invalid PFN 'x' " "" -- frame x
check "frame without PFN" 2 '^mmlens: frame: missing argument$' "" -- frame
check "watch without PID" 2 '^mmlens: watch: missing argument$' "" -- watch
check "watch bad PID" 2 "^mmlens: watch: invalid PID 'x'$" "" -- watch x
check "watch two PIDs" 2 "^mmlens: watch: unexpected argument '2'$" "" -- watch 1 2
check "watch --interval" 2 "^mmlens: watch: unrecognized option '--interval'$" "" -- watch --interval 1 1
check "watch --help" 0 "" '^usage: mmlens watch \[--json\] \[--follow\] \[--cow\] \[-o\|--output FILE\] PID$' -- watch --help
check "run without command" 2 '^mmlens: run: missing argument$' "" -- run
check "run --runs" 2 "^mmlens: run: unrecognized option '--runs'$" "" -- run --runs true
check "run --help" 0 "" '^usage: mmlens run \[--json\] \[--follow\] \[--cow\] \[-o\|--output FILE\] \[--\] CMD \[ARG\.\.\.\]$' \
	-- run --help
check "stats bad interval" 2 "^mmlens: stats: invalid interval '0' " "" -- stats --interval 0 1
check "stats bad interval text" 2 "^mmlens: stats: invalid interval '1s' " "" -- stats --interval 1s 1
check "stats interval without argument" 2 "^mmlens: stats: option '--interval' requires an argument$" \
	"" -- stats 1 --interval
check "stats bad count" 2 "^mmlens: stats: invalid count '0' " "" -- stats --count 0 1
check "stats --count without PID" 2 '^mmlens: stats: --interval and --count need a PID$' "" \
	-- stats --count 3
check "stats bad PID" 2 "^mmlens: stats: invalid PID 'self'$" "" -- stats self
check "stats --follow" 2 "^mmlens: stats: unrecognized option '--follow'$" "" -- stats --follow 1
check "stats --help" 0 "" '^usage: mmlens stats \[--json\] \[--interval S\] \[--count N\] \[-o\|--output FILE\] \[PID\]$' \
	-- stats --help
export MMLENS_RCVBUF=junk
check "watch bad MMLENS_RCVBUF" 2 "^mmlens: watch: MMLENS_RCVBUF='junk' is not a size in bytes" \
	"" -- watch $$
unset MMLENS_RCVBUF
if [ -e /sys/module/mmlens ]; then
	echo "ok - cli: live commands without the module # SKIP the mmlens module is loaded"
else
	live_nl='^mmlens: (watch|run|stats): the mmlens kernel module is not loaded '
	check "watch without the module" 1 "$live_nl" "" -- watch $$
	check "watch of no process" 1 '^mmlens: watch: no process with PID 2147483647$' "" \
		-- watch 2147483647
	check "stats without the module" 1 "$live_nl" "" -- stats
	check "stats of no process" 1 '^mmlens: stats: no process with PID 2147483647$' "" \
		-- stats 2147483647
	# The command must not run when it cannot be watched.
	check "run without the module" 1 "$live_nl" "" -- run -- touch "$tmp/ran"
	if [ -e "$tmp/ran" ]; then
		echo "not ok - cli: run without the module ran the command"
		failed=1
	else
		echo "ok - cli: run without the module did not run the command"
	fi
fi
# -o FILE is opened before anything else is done: no module needed to fail.
nowhere=$tmp/no/such/dir/out
cannot_open() {
	echo "^mmlens: $1: cannot open $2: $3\$"
}
check "ptes -o unwritable" 1 "$(cannot_open ptes "$nowhere" 'No such file or directory')" "" \
	-- ptes -o "$nowhere" $$ '[stack]'
check "watch --output unwritable" 1 "$(cannot_open watch "$tmp" 'Is a directory')" "" \
	-- watch --output "$tmp" $$
check "stats -o unwritable" 1 "$(cannot_open stats "$nowhere" 'No such file or directory')" "" \
	-- stats -o "$nowhere"
check "run -o unwritable" 1 "$(cannot_open run "$nowhere" 'No such file or directory')" "" \
	-- run -o "$nowhere" -- touch "$tmp/ran-o"
if [ -e "$tmp/ran-o" ]; then
	echo "not ok - cli: run -o unwritable ran the command"
	failed=1
else
	echo "ok - cli: run -o unwritable did not run the command"
fi
check "-o without its file" 2 "^mmlens: ptes: option requires an argument -- 'o'$" "" -- ptes $$ -o
check "status -o" 2 "^mmlens: status: invalid option -- 'o'$" "" -- status -o x
if [ -e /sys/module/mmlens ]; then
	echo "ok - cli: ptes output to a full disk # SKIP the mmlens module is loaded"
elif [ -w /dev/full ]; then
	full='^mmlens: ptes: cannot write output: No space left on device$'
	check "ptes -o a full disk" 1 "$full" "" -- ptes -o /dev/full $$ '[stack]'
	stdout=/dev/full
	check "ptes --json to a full disk" 1 "$full" "" -- ptes --json $$ '[stack]'
	stdout=$tmp/out
fi
# A kernel thread has no address space: the commands that look at one say so,
# with or without the module.  Flags are field 7 after the command name, which
# may hold anything.
kthread=
for stat in /proc/[0-9]*/stat; do
	flags=$(sed 's/.*) //' "$stat" 2>/dev/null | cut -d' ' -f7)
	if [ -n "$flags" ] && [ $((flags & 0x200000)) != 0 ]; then
		kthread=${stat#/proc/}
		kthread=${kthread%/stat}
		break
	fi
done
if [ -z "$kthread" ]; then
	echo "ok - cli: kernel threads # SKIP no kernel thread in this PID namespace"
else
	kt="PID $kthread is a kernel thread: it has no address space\$"
	check "ptes --check of a kernel thread" 1 "^mmlens: ptes: $kt" "" -- ptes --check "$kthread"
	check "ptes of a kernel thread" 1 "^mmlens: ptes: $kt" "" -- ptes "$kthread"
	check "ptes [heap] of a kernel thread" 1 "^mmlens: ptes: $kt" "" -- ptes "$kthread" '[heap]'
	check "translate of a kernel thread" 1 "^mmlens: translate: $kt" "" \
		-- translate "$kthread" 0x1000
	check "maps of a kernel thread" 1 "^mmlens: maps: $kt" "" -- maps "$kthread"
	check "info --json of a kernel thread" 1 "^mmlens: info: $kt" "" -- info --json "$kthread"
	check "watch of a kernel thread" 1 "^mmlens: watch: $kt" "" -- watch "$kthread"
	check "stats of a kernel thread" 1 "^mmlens: stats: $kt" "" -- stats --count 1 "$kthread"
fi
check "walk --help" 0 "" '^usage: mmlens walk \[--json\] \[--explain\] PID VA$' -- walk --help
check "ptes --help" 0 "" '^usage: mmlens ptes \[--json\] \[--runs\] \[--check\] \[-o\|--output FILE\] PID \[RANGE\]$' \
	-- ptes --help
check "--help lists translate" 0 "" '^  translate +walk the page tables' -- --help
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
