#!/usr/bin/env bash
# `make check-debug`: the whole selftest suite, with a long race stress and a
# million fuzzed netlink messages, on a 6.12 kernel that reports what a
# production kernel lets pass (KASAN, lockdep, PROVE_RCU, DEBUG_VM, kmemleak,
# lockup and hung-task detectors: selftests/vm/debug.config).  Installs that
# kernel first (scripts/debug-kernel.sh: prebuilt if it fits, else built).
# Pass = every test passes, and the kernel log and kmemleak report nothing.
# Ends with "N passed, N failed".
#
#   MMLENS_STRESS_SECONDS   race stress duration (default 60)
#   MMLENS_FUZZ_MESSAGES    netlink messages fuzzed (default 1000000)
#   MMLENS_PAGING           paging mode of the suite (default 5; the fuzzer's is 4)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export MAKEFLAGS=${MAKEFLAGS:--j2}
stress=${MMLENS_STRESS_SECONDS:-60}
fuzz=${MMLENS_FUZZ_MESSAGES:-1000000}

stage() { printf '\n##### %s\n' "$*"; }
fail() { echo "check-debug: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

stage "dependencies"
scripts/install-deps.sh || fail "cannot install the dependencies"

stage "debug kernel"
kver=$(scripts/debug-kernel.sh) || fail "no debug kernel"
echo "debug kernel: $kver"

stage "build: CLI and selftests"
make -s cli selftests || fail "build failed"

stage "VM selftests on $kver"
# Two guests side by side, one per host CPU.  On this kernel the fuzzer takes
# about 2 s per 1000 messages (KASAN, lockdep and TCG), longer than the rest of
# the suite with the stress: the suite's guest fuzzes 35% of the messages
# after the rest, the other guest fuzzes 65% from another seed (4-level paging
# there, 5-level in the suite's), so that both end about together (measured:
# with 30/70 the suite's guest ended 4 minutes before the fuzzer's).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=MMLENS_TEST_TIMEOUT=3000
run_part() { # name paging env
	# KASAN and lockdep under TCG: everything takes several times longer.
	MMLENS_BUILD=$top/build/debug/$1 MMLENS_VM_TIMEOUT=${MMLENS_VM_TIMEOUT:-4000} \
	MMLENS_PAGING=$2 MMLENS_GUEST_ENV="$common,$3" \
		selftests/vm/matrix.sh "$kver" >"$work/$1.log" 2>&1
}
# How far a guest is, from its TAP log, which grows a selftest at a time.
progress() { # part pid
	local tap
	tap=$(cat "$top/build/debug/$1"/vm/*/tap.log 2>/dev/null)
	if kill -0 "$2" 2>/dev/null; then printf 'running, '; else printf 'finished, '; fi
	printf '%s selftests done, %s failed' "$(grep -c '^ok ' <<<"$tap")" \
		"$(grep -c '^not ok ' <<<"$tap")"
}
rm -f "$top"/build/debug/{suite,fuzz}/vm/*/tap.log
start=$SECONDS
run_part suite "${MMLENS_PAGING:-5}" \
	"MMLENS_STRESS_SECONDS=$stress,MMLENS_FUZZ_MESSAGES=$((fuzz * 35 / 100))" &
suite=$!
run_part fuzz 4 \
	"MMLENS_FUZZ_MESSAGES=$((fuzz - fuzz * 35 / 100)),MMLENS_FUZZ_SEED=0x6d6d6c656e74,MMLENS_TESTS=fuzz_test" &
fuzzer=$!
# The guests' logs come at the end, after some 25 minutes: meanwhile a line
# a minute says how far they are (a long silence looks like a hang, to CI too).
next=60
while kill -0 "$suite" 2>/dev/null || kill -0 "$fuzzer" 2>/dev/null; do
	sleep 5
	[ $((SECONDS - start)) -ge "$next" ] || continue
	next=$((next + 60))
	echo "check-debug: $(((SECONDS - start) / 60)) min: suite guest: $(progress suite "$suite");" \
		"fuzz guest: $(progress fuzz "$fuzzer")"
done
rc=0
wait "$suite" || rc=1
wait "$fuzzer" || rc=1
cat "$work/suite.log" "$work/fuzz.log"

# What the stress and the fuzzer did, as they reported it, and the totals.
echo
grep -hE '^# +# (stress: |fuzz: [0-9]+ messages \(seed)' "$work/suite.log" "$work/fuzz.log" |
	sed -E 's/^# +# //' | tee "$work/did"
echo "fuzzed messages in all: $(sed -nE 's/^fuzz: ([0-9]+) messages.*/\1/p' "$work/did" |
	awk '{ n += $1 } END { print n + 0 }')"
echo "guests with kernel reports (log or kmemleak): $(grep -hc 'FAIL: kernel log\|FAIL: kmemleak' "$work/suite.log" "$work/fuzz.log" |
	awk '{ n += $1 } END { print n }')"
pass=0 fail=0
for part in suite fuzz; do
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/$part.log" | tail -n 1)
	[ -n "$last" ] || { last="0 passed, 1 failed"; rc=1; }
	read -r p _ f _ <<<"$last"
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
exit "$rc"
