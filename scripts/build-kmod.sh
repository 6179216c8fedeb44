#!/usr/bin/env bash
# Build mmlens.ko for one installed kernel into build/kmod/KERNEL/, from a copy of
# the module sources (kbuild builds in place, so each kernel gets its own tree).
# Fails if the build prints any warning: the module must build clean everywhere.
#
#   build-kmod.sh KERNEL_RELEASE
#
#   MMLENS_BUILD=DIR   build root instead of build/ (lets runs happen side by side)
set -euo pipefail

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=/lib/modules/$kver/build
out=${MMLENS_BUILD:-$top/build}/kmod/$kver

[ -d "$kdir" ] || { echo "build-kmod: no headers for $kver at $kdir" >&2; exit 1; }
mkdir -p "$out/module"
# Sources only (never objects an in-tree `make` left for another kernel), and
# only what changed, so kbuild's own dependency tracking still works.
cp -u "$top/Kbuild" "$top/dkms.conf" "$out/"
cp -u "$top"/module/*.[ch] "$out/module/"
cp -ru "$top/include" "$out/"
log=$out/build.log
if ! make -C "$kdir" M="$out" modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-kmod: building mmlens.ko for $kver failed" >&2
	exit 1
fi
if grep -qiE 'warning:' "$log"; then
	grep -iE -B2 -A4 'warning:' "$log" >&2
	echo "build-kmod: mmlens.ko for $kver builds with warnings" >&2
	exit 1
fi
echo "build-kmod: $out/mmlens.ko"
