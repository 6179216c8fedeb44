#!/bin/bash
# make bench, inside the VM: the page-table benchmarks of ptes_bench.
#   run.sh TREE
set -u
dir=$1
echo "== mmlens bench on $(uname -r), $("$dir/build/selftests/paging_probe")-level paging, $(nproc) vCPUs (QEMU TCG)"
"$dir/build/bench/ptes_bench" "$dir/userspace/mmlens" "$dir/build/bench/sparse_target"
