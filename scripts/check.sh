#!/usr/bin/env bash
# `make check`: the one command a newcomer needs.  Installs what is missing (as
# root), builds everything, runs the userspace unit tests under ASan/UBSan on the
# host, the selftests in a VM for every kernel and paging mode, and the DKMS
# build for every kernel; ends with "N passed, N failed" over all of it.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export MAKEFLAGS=${MAKEFLAGS:--j2}

stage() { printf '\n##### %s\n' "$*"; }
pass=0 fail=0 rows=()
record() { # name passed failed
	rows+=("$(printf '%-28s %6s %6s' "$1" "$2" "$3")")
	pass=$((pass + $2)) fail=$((fail + $3))
}
last_counts() { # file -> "P F" from its last "N passed, N failed" line
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/'
}
finish() {
	echo
	printf '%-28s %6s %6s\n' stage passed failed
	printf '%s\n' "${rows[@]}"
	echo
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

stage "dependencies"
if ! scripts/install-deps.sh; then
	record "dependencies" 0 1
	finish
fi

stage "build: CLI and selftests"
if ! make -s cli selftests; then
	record "build" 0 1
	finish
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A stage whose command ends with "N passed, N failed": counted from that
# line; one that never prints it counts as one failure.
counted_stage() { # title row command...
	stage "$1"
	"${@:3}" 2>&1 | tee "$log"
	read -r p f <<<"$(last_counts "$log")"
	[ -n "${p:-}" ] || { p=0 f=1; }
	record "$2" "$p" "$f"
}

counted_stage "ABI: YAML spec against the UAPI header" "ABI spec" make -s abi-check
counted_stage "host unit tests (ASan/UBSan)" "host unit tests" make -s -C userspace test
counted_stage "host script tests" "host script tests" scripts/tests/debug-kernel-test.sh
counted_stage "VM selftests" "VM selftests" selftests/vm/matrix.sh

stage "dkms build"
p=0 f=0
for b in /lib/modules/*/build; do
	k=$(basename "$(dirname "$b")")
	[ -e "/boot/vmlinuz-$k" ] || continue
	case "$k" in *-kdebug) continue ;; esac
	if scripts/dkms-check.sh "$k"; then p=$((p + 1)); else f=$((f + 1)); fi
done
[ $((p + f)) -gt 0 ] || f=1
record "dkms build" "$p" "$f"

finish
