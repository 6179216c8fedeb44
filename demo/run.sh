#!/bin/bash
# make demo, inside the VM: mmlens on a small live program.
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
run status
run info "$pid"
run maps "$pid"
run translate --explain "$pid" "$heap"
run translate --explain "$pid" "$stack"
run translate --explain "$pid" "$thp"
exec {TARGET[1]}>&-
wait "$pid"
