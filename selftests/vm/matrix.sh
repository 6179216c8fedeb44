#!/usr/bin/env bash
# Run the selftests in a VM for every kernel x paging mode, then print a summary
# table and a last line "N passed, N failed" totalled over all configurations.
#
#   matrix.sh [KERNEL_RELEASE...]      default: every kernel with image + headers
#
#   MMLENS_PAGING="4 5"   paging modes to run (default both)
#   MMLENS_BUILD=DIR      build root for modules and VM output (default build/)
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
		[ -e "/boot/vmlinuz-$k" ] && kernels+=("$k")
	done
fi
if [ ${#kernels[@]} -eq 0 ]; then
	echo "matrix: no kernel has both /boot/vmlinuz-K and /lib/modules/K/build (run 'sudo make deps')" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

rows=() total_pass=0 total_fail=0 bad=0
for kver in "${kernels[@]}"; do
	for levels in ${MMLENS_PAGING:-4 5}; do
		name="$kver, $levels-level"
		out=$build/vm/$kver-l$levels
		echo "# ===== $name ====="
		problem=
		pass=0 fail=0 skip=0 probed=-

		if ! "$top/scripts/build-kmod.sh" "$kver" >/dev/null; then
			problem="module build failed"
		else
			flag=
			[ "$levels" = 5 ] && flag=-5
			start=$(date +%s)
			"$here/run-vm.sh" -k "$kver" -m test -o "$out" -M "$build/kmod/$kver/mmlens.ko" \
				-t "$timeout_s" $flag
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
		status=ok
		if [ -n "$problem" ]; then
			status="FAIL: $problem"
			fail=$((fail + 1))
		elif [ "$fail" -gt 0 ]; then
			status=FAIL
		fi
		[ "$status" = ok ] || bad=1
		if [ "$probed" = 5 ]; then l5=on; elif [ "$probed" = 4 ]; then l5=off; else l5=?; fi
		rows+=("$(printf '%-24s %-8s %-8s %6s %6s %7s  %s' "$kver" "$levels-level" "$l5" \
			"$pass" "$fail" "$skip" "$status")")
		total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
	done
done

echo
printf '%-24s %-8s %-8s %6s %6s %7s  %s\n' kernel paging 5-level passed failed skipped result
printf '%s\n' "${rows[@]}"
echo
echo "$total_pass passed, $total_fail failed"
exit $bad
