#!/usr/bin/env bash
# Prove dkms.conf works: add, build (and so sign, as DKMS does) mmlens with
# `dkms build` for one kernel, in a private DKMS tree so the system's is untouched.
#
#   dkms-check.sh KERNEL_RELEASE
set -euo pipefail

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

src=$tmp/source/mmlens-$version
mkdir -p "$src" "$tmp/tree"
cp -r "$top/Kbuild" "$top/dkms.conf" "$top/module" "$top/include" "$src/"
dkms=(dkms --dkmstree "$tmp/tree" --sourcetree "$tmp/source")
if "${dkms[@]}" add -m mmlens -v "$version" >"$tmp/log" 2>&1 &&
	"${dkms[@]}" build -m mmlens -v "$version" -k "$kver" >>"$tmp/log" 2>&1 &&
	compgen -G "$tmp/tree/mmlens/$version/$kver/x86_64/module/mmlens.ko*" >/dev/null; then
	echo "dkms-check: dkms build of mmlens $version for $kver: ok"
else
	cat "$tmp/log" >&2
	[ -f "$tmp/tree/mmlens/$version/build/make.log" ] && cat "$tmp/tree/mmlens/$version/build/make.log" >&2
	echo "dkms-check: dkms build of mmlens $version for $kver: FAILED" >&2
	exit 1
fi
