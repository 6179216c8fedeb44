#!/usr/bin/env bash
# Install everything mmlens needs to build, test and package itself on Debian 12
# (bookworm): toolchain, QEMU, both supported kernels (6.1 from bookworm, 6.12 from
# bookworm-backports) with headers, and linux-source-6.12 for the kselftest harness,
# the ynl tool and the debug kernel of make check-debug (built as .debs).  Idempotent: what is already installed is left alone.
#
# As non-root it only reports what is missing (exit 1 if anything is).
set -euo pipefail

BACKPORTS_LIST=/etc/apt/sources.list.d/mmlens-bookworm-backports.sources

base_pkgs=(
	build-essential gcc make pkg-config bc bison flex libelf-dev kmod
	qemu-system-x86 busybox-static cpio xz-utils zstd
	libnl-3-dev libnl-genl-3-dev libjson-c-dev
	dkms sparse python3 python3-yaml python3-jsonschema
	linux-image-amd64 linux-headers-amd64
	debhelper libssl-dev rsync
)
# linux-libc-dev from backports brings the 6.12 UAPI (PAGEMAP_SCAN for make bench).
backport_pkgs=(linux-image-amd64 linux-headers-amd64 linux-source-6.12 linux-libc-dev)

missing=()
for p in "${base_pkgs[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
# The 6.12 kernel is identified by its image/headers being present, not by package
# name (the metapackage name is shared with 6.1).
have_612() {
	compgen -G '/boot/vmlinuz-6.12.*-amd64' >/dev/null &&
		compgen -G '/lib/modules/6.12.*-amd64/build' >/dev/null &&
		compgen -G '/usr/src/linux-source-6.12.tar.*' >/dev/null &&
		grep -q PAGEMAP_SCAN /usr/include/linux/fs.h 2>/dev/null
}
have_612 || missing+=("linux-image/headers-amd64, linux-source-6.12, linux-libc-dev (bookworm-backports)")

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: everything is installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (run 'sudo make deps'):" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$BACKPORTS_LIST" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${base_pkgs[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backport_pkgs[@]}"
echo "deps: installed"
