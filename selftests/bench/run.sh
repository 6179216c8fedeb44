#!/bin/bash
# make bench, inside the VM: the page-table benchmarks of ptes_bench, then what
# live events cost a faulting process (fault_bench).
#   run.sh TREE
set -u
dir=$1
echo "== mmlens bench on $(uname -r), $("$dir/build/selftests/paging_probe")-level paging, $(nproc) vCPUs (QEMU TCG)"
# The Makefile hides ERMS from the bench VM (BENCH_CPU_FLAGS): say which model ran.
if grep -qw erms /proc/cpuinfo; then
	echo "== CPU with ERMS: copies and page clearing use rep movsb/stosb, which TCG runs a byte at a time"
else
	echo "== CPU without ERMS/FSRM: the kernel copies and clears pages with rep movsq/stosq;"
	echo "   TCG runs rep movsb/stosb a byte at a time (3 ns/byte), real CPUs at cache bandwidth"
fi
"$dir/build/bench/ptes_bench" "$dir/userspace/mmlens" "$dir/build/bench/sparse_target"
"$dir/build/bench/fault_bench"
