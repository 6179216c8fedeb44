#!/bin/bash
# make demo, inside the VM: mmlens on a small live program, then the COW
# stream of a program that forks.
#   run.sh TREE
set -u
dir=$1
mmlens=$dir/userspace/mmlens
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# The target runs until its standard input, our end of the coprocess, closes.
coproc TARGET { exec "$dir/build/demo/demo_target"; }
read -r _ heap <&"${TARGET[0]}"
read -r _ stack <&"${TARGET[0]}"
read -r _ thp <&"${TARGET[0]}"
pid=$TARGET_PID
echo "demo_target is pid $pid: heap $heap, stack $stack, THP $thp"

run() { say "mmlens $*"; "$mmlens" "$@"; }
rc=0
run status
run info "$pid"
run maps "$pid"
run translate --explain "$pid" "$heap"
run translate --explain "$pid" "$stack"
run translate --explain "$pid" "$thp"
exec {TARGET[1]}>&-
wait "$pid" || rc=1

# cow_demo's lines and mmlens's share the terminal; cow_demo pauses between
# steps so that the events of one step come before the line of the next.
# Only COW faults are shown (the summary counts every fault); mmlens run
# exits with cow_demo's status.
say "mmlens run --follow --cow -- build/demo/cow_demo"
"$mmlens" run --follow --cow -- "$dir/build/demo/cow_demo" || rc=1
exit $rc
