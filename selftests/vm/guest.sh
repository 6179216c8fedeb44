#!/bin/bash
# PID 1 of the mmlens test VM, running from the host's root filesystem (9p,
# read-only, under a tmpfs overlay).  The kernel command line says what to do:
#
#   mmlens_dir=DIR      the mmlens tree (same path as on the host)
#   mmlens_mode=MODE    test: load the module, run the selftests, unload it,
#                             check the kernel log, power off
#                       shell: load the module and give a person a shell
#                       run: load the module, run mmlens_run=SCRIPT with its
#                             output on the console, unload, check the log
#   mmlens_kmod=PATH    mmlens.ko built for this kernel
#   mmlens_levels=N     paging levels this configuration must have (4 or 5)
#   mmlens_env=A=1,B=2  environment of the selftests or the run script
#                       (MMLENS_TESTS, MMLENS_SKIP_TESTS, MMLENS_TEST_TIMEOUT
#                       and the tests' own knobs)
#
# Results go to the host through the writable 9p share "mmlens_out" as
# key=value lines in "result", plus tap.log and dmesg.log.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
# No tmpfs on /tmp: the tree under test may live there (CI clones anywhere),
# and writes already land in the overlay's tmpfs.
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname mmlens-vm

dir= mode= kmod= levels= script=
for arg in $(</proc/cmdline); do
	case "$arg" in
	mmlens_dir=*) dir=${arg#*=} ;;
	mmlens_mode=*) mode=${arg#*=} ;;
	mmlens_kmod=*) kmod=${arg#*=} ;;
	mmlens_levels=*) levels=${arg#*=} ;;
	mmlens_run=*) script=${arg#*=} ;;
	mmlens_env=*)
		IFS=, read -ra vars <<<"${arg#*=}"
		for v in "${vars[@]}"; do export "${v?}"; done
		;;
	esac
done

poweroff_now() {
	sync
	umount /run/mmlens-out 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 60
}

out=/run/mmlens-out
mkdir -p "$out"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 mmlens_out "$out"; then
	echo "guest: cannot mount the result share" >/dev/console
	poweroff_now
fi
result() { echo "$1=$2" >>"$out/result"; }

# The kernel refuses 5-level addresses to processes in 4-level mode, so asking
# for a mapping above 2^47 tells which mode is really on, without the module.
probed=$("$dir/build/selftests/paging_probe" 2>/dev/null || echo unknown)
result boot ok
result probed_levels "$probed"

if [ "$mode" = shell ]; then
	insmod "$kmod" && echo "mmlens: module loaded from $kmod"
	echo "mmlens: paging levels $probed; the tree is at $dir; exit the shell to power off"
	cd "$dir" || true
	# The root is a tmpfs overlay: install the CLI where any login shell finds it.
	ln -sf "$dir/userspace/mmlens" /usr/local/bin/mmlens
	setsid -c /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	poweroff_now
fi

# A kernel with kmemleak (make check-debug's) reports what leaked from the
# module's load on: what it suspects already (boot) is set aside.
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ]; then
	echo scan >"$kmemleak"
	echo clear >"$kmemleak"
fi

# Unload the module, keep the kernel log, count reports in it, power off.
finish() {
	if rmmod mmlens 2>"$out/rmmod.err"; then
		result rmmod ok
	else
		result rmmod fail
	fi
	if [ -w "$kmemleak" ]; then
		# An object is reported once it went unreferenced through two scans.
		echo scan >"$kmemleak"
		sleep 6
		echo scan >"$kmemleak"
		cat "$kmemleak" >"$out/kmemleak.log"
		result kmemleak "$(grep -c '^unreferenced object' "$out/kmemleak.log")"
	fi
	dmesg >"$out/dmesg.log"
	result splats "$(grep -cEf "$dir/selftests/vm/splat-patterns" "$out/dmesg.log")"
	result done ok
	poweroff_now
}

if ! insmod "$kmod" 2>"$out/insmod.err"; then
	result insmod fail
	dmesg >"$out/dmesg.log"
	poweroff_now
fi
result insmod ok

if [ "$mode" = run ]; then
	cd "$dir" || true
	bash "$script" "$dir" </dev/null 2>&1 | tee "$out/run.log" >/dev/ttyS0
	result run "${PIPESTATUS[0]}"
	finish
fi

# kselftest-runner-style TAP: one line per test program, its own TAP nested
# behind "# ".  Totals are taken from each program's "# Totals:" line; a
# program that dies before printing it counts as one failure.
export MMLENS_EXPECT_PAGING_LEVELS=$levels
# libmmlens appends a line here for every kernel address in what the module
# sends the suite (userspace/audit.h); the host fails a non-empty file.
export MMLENS_AUDIT_KADDR=/tmp/mmlens-kaddr.log
: >"$MMLENS_AUDIT_KADDR"
# MMLENS_TESTS / MMLENS_SKIP_TESTS (names separated by ':') pick programs:
# check-debug runs the fuzzer in a guest of its own, beside the rest.
mapfile -t progs < <(ls "$dir"/build/selftests/*_test 2>/dev/null)
picked=()
for prog in "${progs[@]}"; do
	name=$(basename "$prog")
	[ -z "${MMLENS_TESTS:-}" ] || [[ ":$MMLENS_TESTS:" == *":$name:"* ]] || continue
	[[ ":${MMLENS_SKIP_TESTS:-}:" == *":$name:"* ]] && continue
	picked+=("$prog")
done
progs=("${picked[@]}")
pass=0 fail=0 skip=0 n=0
{
	echo "TAP version 13"
	echo "1..${#progs[@]}"
} >"$out/tap.log"
for prog in "${progs[@]}"; do
	n=$((n + 1))
	name=$(basename "$prog")
	echo "# selftest: $name" >>"$out/tap.log"
	log=/tmp/$name.log
	timeout "${MMLENS_TEST_TIMEOUT:-900}" "$prog" >"$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log" >>"$out/tap.log"
	totals=$(grep -E '^# Totals: ' "$log" | tail -n 1)
	if [ -n "$totals" ]; then
		p=$(sed -E 's/.* pass:([0-9]+).*/\1/' <<<"$totals")
		f=$(sed -E 's/.* fail:([0-9]+).*/\1/' <<<"$totals")
		s=$(sed -E 's/.* skip:([0-9]+).*/\1/' <<<"$totals")
		e=$(sed -E 's/.* error:([0-9]+).*/\1/' <<<"$totals")
		pass=$((pass + p)) fail=$((fail + f + e)) skip=$((skip + s))
	else
		fail=$((fail + 1))
	fi
	if [ $rc -eq 0 ]; then
		echo "ok $n selftests: mmlens: $name" >>"$out/tap.log"
	elif [ $rc -eq 4 ]; then	# KSFT_SKIP: every test in it skipped
		echo "ok $n selftests: mmlens: $name # SKIP" >>"$out/tap.log"
	else
		echo "not ok $n selftests: mmlens: $name # exit=$rc" >>"$out/tap.log"
		[ -z "$totals" ] || [ "$f" -gt 0 ] || [ "$e" -gt 0 ] || fail=$((fail + 1))
	fi
done
result pass $pass
result fail $fail
result skip $skip
result kaddr "$(wc -l <"$MMLENS_AUDIT_KADDR")"
cp "$MMLENS_AUDIT_KADDR" "$out/kaddr.log"

finish
