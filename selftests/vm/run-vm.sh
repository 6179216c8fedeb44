#!/usr/bin/env bash
# Boot one Debian kernel in QEMU (TCG, 2 vCPUs) on the host's root filesystem and
# run guest.sh there.
#
#   run-vm.sh -k KERNEL_RELEASE -m test|shell|run -o OUTDIR -M MMLENS_KO [-5] [-t SECONDS]
#             [-r SCRIPT] [-c CPU_FLAGS] [-e NAME=VALUE[,NAME=VALUE...]] [-p]
#
#   -5   5-level paging (-cpu max,+la57); default 4-level (-cpu max,-la57)
#   -c   more -cpu flags, comma-separated (e.g. -erms,-fsrm), after the paging one
#   -t   kill a guest that has not powered off after SECONDS (test and run; 900)
#   -r   the script run mode runs in the guest (as "bash SCRIPT TREE")
#   -e   environment for the selftests or the script in the guest
#   -p   back the guest's RAM with host memory before boot (-mem-prealloc), so
#        that no timed run pays the host's first touch of a guest frame (bench)
#
# In test mode the console goes to OUTDIR/console.log and the guest's results to
# OUTDIR (see guest.sh); in shell mode the console is this terminal, and in run
# mode the script's output is (the kernel quiet unless it has trouble).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kver= mode=test outdir= kmod= la57=0 timeout_s=900 script= cpu_flags= guest_env= prealloc=()
mem=${MMLENS_VM_MEM:-4G}
while getopts "k:m:o:M:5t:r:c:e:p" opt; do
	case $opt in
	k) kver=$OPTARG ;;
	m) mode=$OPTARG ;;
	o) outdir=$OPTARG ;;
	M) kmod=$OPTARG ;;
	5) la57=1 ;;
	t) timeout_s=$OPTARG ;;
	r) script=$(realpath "$OPTARG") ;;
	c) cpu_flags=$OPTARG ;;
	e) guest_env=$OPTARG ;;
	p) prealloc=(-mem-prealloc) ;;
	*) exit 2 ;;
	esac
done
[ -n "$kver" ] && [ -n "$outdir" ] && [ -n "$kmod" ] || {
	echo "usage: run-vm.sh -k KERNEL -m test|shell|run -o OUTDIR -M MMLENS_KO [-5] [-t SECONDS] [-r SCRIPT] [-c CPU_FLAGS] [-e NAME=VALUE,...] [-p]" >&2
	exit 2
}
vmlinuz=/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || { echo "run-vm: cannot read $vmlinuz" >&2; exit 1; }

# The initramfs depends only on the kernel and the two scripts that make it.
initrd=$top/build/vm/initrd-$kver.gz
if [ ! -s "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$kver" "$initrd"
fi

mkdir -p "$outdir"
rm -f "$outdir"/{result,tap.log,dmesg.log,console.log,insmod.err,rmmod.err,run.log}
outdir=$(cd "$outdir" && pwd)
kmod=$(realpath "$kmod")

if [ $la57 -eq 1 ]; then cpu=max,+la57 levels=5; else cpu=max,-la57 levels=4; fi
if [ -n "$cpu_flags" ]; then cpu=$cpu,$cpu_flags; fi
append="console=ttyS0,115200 panic=-1 sysrq_always_enabled=1 mmlens_dir=$top mmlens_mode=$mode mmlens_kmod=$kmod mmlens_levels=$levels"
[ "$mode" = run ] && append="$append quiet loglevel=3 mmlens_run=$script"
[ -n "$guest_env" ] && append="$append mmlens_env=$guest_env"
# A 1 GiB huge page can only be had reliably before memory fragments.
[ "$mode" = test ] && append="$append hugepagesz=1G hugepages=1"

# One TCG thread runs both vCPUs in turn.  With a thread per vCPU (QEMU 7.2),
# a vCPU sometimes keeps executing kernel text another vCPU has just patched
# (text_poke_bp: ftrace, static calls, kprobes), long after the patching CPU
# synchronized every CPU: it hits a breakpoint that is no longer there and
# oopses ("int3", or a kprobe single-stepped to address 0), or never answers
# the sync IPI (soft lockup).  Running the events selftests (which arm and
# disarm the probes a few times each) in a loop, guests died in the 3rd round
# (6.12) and the 7th (6.1) with thread=multi; 90 rounds over both kernels and
# paging modes passed with thread=single.
qemu=(qemu-system-x86_64 -machine pc -accel tcg,thread=single -cpu "$cpu" -smp 2 -m "$mem" "${prealloc[@]}"
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append"
	-nic none -no-reboot -display none
	-virtfs local,path=/,mount_tag=hostroot,readonly=on,multidevs=remap,security_model=none
	-virtfs "local,path=$outdir,mount_tag=mmlens_out,security_model=none")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi
# timeout exits 124 when it had to kill QEMU: the guest hung.
if [ "$mode" = run ]; then
	timeout --kill-after=10 "$timeout_s" "${qemu[@]}" -serial stdio -monitor none </dev/null |
		tr -d '\r'
	rc=${PIPESTATUS[0]}
	[ $rc -eq 0 ] || exit $rc
	grep -qx 'run=0' "$outdir/result" && grep -qx 'splats=0' "$outdir/result" &&
		grep -qx 'rmmod=ok' "$outdir/result"
	exit
fi
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" -serial "file:$outdir/console.log" -monitor none </dev/null
