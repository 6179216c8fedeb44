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
#   MMLENS_PAGING           paging modes (default 5: the debug kernel has both)
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# KASAN and lockdep under TCG: everything takes several times longer.
MMLENS_VM_TIMEOUT=${MMLENS_VM_TIMEOUT:-3600} MMLENS_PAGING=${MMLENS_PAGING:-5} \
MMLENS_GUEST_ENV="MMLENS_STRESS_SECONDS=$stress,MMLENS_FUZZ_MESSAGES=$fuzz,MMLENS_TEST_TIMEOUT=3000" \
	selftests/vm/matrix.sh "$kver" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# What the stress and the fuzzer did, as they reported it.
echo
grep -hE '^# +# (stress|fuzz): ' "$log" | sed -E 's/^# +# //' | sort -u
echo "kernel reports: $(grep -c 'FAIL: kernel log\|FAIL: kmemleak' "$log")"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
[ -n "$last" ] || last="0 passed, 1 failed"
echo "$last"
exit "$rc"
