#!/usr/bin/env bash
# Run the selftests in a VM for every kernel x paging mode, then print a summary
# table and a last line "N passed, N failed" totalled over all configurations.
#
#   matrix.sh [KERNEL_RELEASE...]      default: every kernel with image + headers
#                                      (but the -kdebug one of make check-debug)
#
#   MMLENS_PAGING="4 5"   paging modes to run (default both)
#   MMLENS_BUILD=DIR      build root for modules and VM output (default build/)
#   MMLENS_GUEST_ENV=...  NAME=VALUE[,NAME=VALUE...] for the selftests in the guest
#   MMLENS_VM_JOBS=N      guests at a time (default: the number of CPUs)
#   MMLENS_CPU_FLAGS=...  more -cpu flags (default -erms,-fsrm: without them the
#                         guest kernel clears and copies pages with rep stosb/movsb,
#                         which QEMU's TCG runs a byte at a time; a THP fault then
#                         spent long enough in clear_page_erms on a busy host for
#                         the soft lockup detector to fire)
#
# A configuration whose module does not build, whose VM does not boot, load or
# unload the module, or finish in time, or whose kernel log shows a WARNING,
# BUG, Oops, KASAN, lockdep or RCU-stall report, or whose paging mode is not the
# one asked for, or in whose mmlens output the audit found a kernel address
# (userspace/audit.h), fails and counts as one more failed test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
timeout_s=${MMLENS_VM_TIMEOUT:-900}
build=${MMLENS_BUILD:-$top/build}

kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
	for b in /lib/modules/*/build; do
		k=$(basename "$(dirname "$b")")
		case "$k" in *-kdebug) continue ;; esac
		[ -e "/boot/vmlinuz-$k" ] && kernels+=("$k")
	done
fi
if [ ${#kernels[@]} -eq 0 ]; then
	echo "matrix: no kernel has both /boot/vmlinuz-K and /lib/modules/K/build (run 'sudo make deps')" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# One configuration: boots its VM, judges the outcome, and leaves in $dir its
# log and its table row ("pass fail skip probed status").
run_config() { # kver levels dir
	local kver=$1 levels=$2 dir=$3 name="$1, $2-level"
	local out=$build/vm/$kver-l$levels problem= pass=0 fail=0 skip=0 probed=- flag= rc start secs
	exec >"$dir/log" 2>&1
	echo "# ===== $name ====="
	if [ ! -e "$build/kmod/$kver/mmlens.ko" ]; then
		problem="module build failed"
	else
		[ "$levels" = 5 ] && flag=-5
		start=$(date +%s)
		"$here/run-vm.sh" -k "$kver" -m test -o "$out" -M "$build/kmod/$kver/mmlens.ko" \
			-t "$timeout_s" $flag ${MMLENS_GUEST_ENV:+-e "$MMLENS_GUEST_ENV"} \
			-c "${MMLENS_CPU_FLAGS--erms,-fsrm}"
		rc=$?
		secs=$(($(date +%s) - start))
		get() { sed -n "s/^$1=//p" "$out/result" 2>/dev/null | tail -n 1; }
		[ -f "$out/tap.log" ] && cat "$out/tap.log"
		pass=$(get pass) fail=$(get fail) skip=$(get skip) probed=$(get probed_levels)
		pass=${pass:-0} fail=${fail:-0} skip=${skip:-0} probed=${probed:--}
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			problem="guest hung (killed after ${timeout_s}s)"
		elif [ "$(get boot)" != ok ]; then
			problem="guest did not boot"
		elif [ "$(get insmod)" != ok ]; then
			problem="insmod failed: $(cat "$out/insmod.err" 2>/dev/null)"
		elif [ "$(get done)" != ok ]; then
			problem="guest did not finish"
		elif [ "$(get rmmod)" != ok ]; then
			problem="rmmod failed: $(cat "$out/rmmod.err" 2>/dev/null)"
		elif [ "$(get splats)" != 0 ]; then
			problem="kernel log has $(get splats) report line(s)"
			grep -Ef "$here/splat-patterns" "$out/dmesg.log" | head -20 | sed 's/^/#   /'
		elif [ "$(get kmemleak)" != "" ] && [ "$(get kmemleak)" != 0 ]; then
			problem="kmemleak reports $(get kmemleak) leak(s)"
			head -40 "$out/kmemleak.log" | sed 's/^/#   /'
		elif [ "$probed" != "$levels" ]; then
			problem="asked for $levels-level paging, the guest runs $probed-level"
		elif [ "$(get kaddr)" != 0 ]; then
			problem="$(get kaddr) kernel address(es) in mmlens output ($out/kaddr.log)"
			head -20 "$out/kaddr.log" | sed 's/^/#   /'
		fi
		if [ -n "$problem" ] && [ "$(get done)" != ok ]; then
			echo "# console tail ($out/console.log):"
			tail -n 30 "$out/console.log" 2>/dev/null | sed 's/^/#   /'
		fi
		echo "# $name: ${secs}s"
	fi
	local status=ok
	if [ -n "$problem" ]; then
		status="FAIL: $problem"
		fail=$((fail + 1))
	elif [ "$fail" -gt 0 ]; then
		status=FAIL
	fi
	echo "$pass $fail $skip $probed $status" >"$dir/row"
}

# Modules first, one build per kernel (configurations of a kernel share it).
for kver in "${kernels[@]}"; do
	"$top/scripts/build-kmod.sh" "$kver" >/dev/null || rm -f "$build/kmod/$kver/mmlens.ko"
done

# Each guest runs on one host thread (see run-vm.sh): as many at a time as
# there are CPUs.
jobs_max=${MMLENS_VM_JOBS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
configs=()
for kver in "${kernels[@]}"; do
	for levels in ${MMLENS_PAGING:-4 5}; do
		i=${#configs[@]}
		configs+=("$kver $levels")
		mkdir -p "$work/$i"
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
		run_config "$kver" "$levels" "$work/$i" &
	done
done
wait

rows=() total_pass=0 total_fail=0 bad=0
for i in "${!configs[@]}"; do
	read -r kver levels <<<"${configs[$i]}"
	cat "$work/$i/log"
	[ -s "$work/$i/row" ] || echo "0 1 0 - FAIL: the runner died" >"$work/$i/row"
	read -r pass fail skip probed status <"$work/$i/row"
	[ "$status" = ok ] || bad=1
	if [ "$probed" = 5 ]; then l5=on; elif [ "$probed" = 4 ]; then l5=off; else l5=?; fi
	rows+=("$(printf '%-24s %-8s %-8s %6s %6s %7s  %s' "$kver" "$levels-level" "$l5" \
		"$pass" "$fail" "$skip" "$status")")
	total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
done

echo
printf '%-24s %-8s %-8s %6s %6s %7s  %s\n' kernel paging 5-level passed failed skipped result
printf '%s\n' "${rows[@]}"
echo
echo "$total_pass passed, $total_fail failed"
exit $bad
