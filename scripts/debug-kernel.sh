#!/usr/bin/env bash
# Make sure the debug kernel of `make check-debug` is installed, and print its
# release.  In order:
#
#  1. a kernel already installed whose /boot/config-RELEASE has every option of
#     selftests/vm/debug.config (and headers to build the module against);
#  2. the prebuilt pair in ../shared/kernels, if its config has them all;
#  3. a build from Debian's linux-source-6.12 (x86_64_defconfig +
#     kvm_guest.config + the fragment), as .debs made by `make bindeb-pkg` in a
#     cache outside the tree, then installed: ~20 min on 2 cores, once.
#
#   debug-kernel.sh            print the release, installing a kernel if needed
#
#   MMLENS_KDEBUG_CACHE=DIR    where the build happens and the .debs stay
#                              (default ~/.cache/mmlens/kdebug)
#   MMLENS_KDEBUG_ROOT=DIR     the system whose /boot and /lib/modules count as
#                              installed (default /; scripts/tests/ points it,
#                              and dpkg, at a scratch tree)
#   MMLENS_LINUX_SOURCE=FILE   the source tarball (default
#                              /usr/src/linux-source-6.12.tar.xz)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
fragment=$top/selftests/vm/debug.config
shared=${MMLENS_SHARED:-$top/../shared}/kernels
cache=${MMLENS_KDEBUG_CACHE:-${HOME:-/root}/.cache/mmlens/kdebug}
root=${MMLENS_KDEBUG_ROOT:-}
tarball=${MMLENS_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}

log() { echo "debug-kernel: $*" >&2; }

# The fragment's lines, as they must appear in a .config ("CONFIG_X=y" or
# "# CONFIG_X is not set").
wanted() { grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$fragment"; }

# Options of the fragment a config lacks, one per line (nothing: it has them all).
missing() { wanted | grep -vxFf "$1" || true; }

has_fragment() { [ -r "$1" ] && [ -z "$(missing "$1")" ]; }

installed() {
	local config kver
	for config in "$root"/boot/config-*-kdebug; do
		[ -e "$config" ] || continue
		kver=${config#"$root"/boot/config-}
		if has_fragment "$config" && [ -r "$root/boot/vmlinuz-$kver" ] &&
		   [ -d "$root/lib/modules/$kver/build" ]; then
			echo "$kver"
			return 0
		fi
	done
	return 1
}

# Install .debs and print the release they brought.
install_debs() {
	log "installing $(basename -a "$@" | tr '\n' ' ')"
	dpkg -i "$@" >&2
	installed || { log "the installed packages left no kernel with the fragment's options"; exit 1; }
}

if kver=$(installed); then
	echo "$kver"
	exit 0
fi

config=$(ls "$shared"/config-*-kdebug 2>/dev/null | head -n 1 || true)
if [ -n "$config" ] && has_fragment "$config"; then
	install_debs "$shared"/linux-image-*-kdebug_*.deb "$shared"/linux-headers-*-kdebug_*.deb
	exit
fi
if [ -n "$config" ]; then
	log "the prebuilt kernel in $shared lacks:"
	missing "$config" | sed 's/^/    /' >&2
fi

# Build it.  Packages land beside the source tree, in the cache.
[ -r "$tarball" ] || { log "no $tarball (apt-get install linux-source-6.12)"; exit 1; }
mkdir -p "$cache"
src=$cache/linux-source-6.12
# A tree of the same tarball is built again incrementally: kbuild recompiles
# only what the options that changed reach.
unpacked=$cache/unpacked-$(sha256sum "$tarball" | cut -c1-16)
stamp=$cache/built-$(sha256sum "$fragment" "$tarball" | sha256sum | cut -c1-16)
if [ ! -e "$stamp" ]; then
	rm -f "$cache"/*.deb "$cache"/*.buildinfo "$cache"/*.changes "$cache"/built-*
	if [ ! -e "$unpacked" ]; then
		log "building the debug kernel from $tarball in $cache (about 20 minutes)"
		rm -rf "$src" "$cache"/unpacked-*
		tar -xf "$tarball" -C "$cache"
		touch "$unpacked"
	else
		log "building the debug kernel again in $src (the options changed)"
	fi
	make -C "$src" -s x86_64_defconfig kvm_guest.config >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment" >/dev/null
	make -C "$src" -s olddefconfig >&2
	if [ -n "$(missing "$src/.config")" ]; then
		log "olddefconfig dropped options of the fragment:"
		missing "$src/.config" | sed 's/^/    /' >&2
		exit 1
	fi
	# The build is quiet (-s) for some 20 minutes: a line a minute shows it
	# moves (a long silence looks like a hang, to CI too).
	ticker() {
		local start=$SECONDS
		while sleep 60 >/dev/null 2>&1; do
			log "building: $(((SECONDS - start) / 60)) min, $(find "$src" -name '*.o' | wc -l) objects"
		done
	}
	# Stopping it must not fail once it is gone: a failing command in an
	# EXIT trap is the script's exit status under set -e, and bash reaps the
	# killed ticker at its next child, so a second kill finds no process.
	stop_ticker() {
		kill "$ticking" 2>/dev/null || true
		wait "$ticking" 2>/dev/null || true
	}
	ticker &
	ticking=$!
	trap stop_ticker EXIT
	make -C "$src" -s -j"$(nproc)" LOCALVERSION=-kdebug KDEB_PKGVERSION=1 bindeb-pkg >&2
	stop_ticker
	trap - EXIT
	touch "$stamp"
fi
install_debs "$cache"/linux-image-*-kdebug_*.deb "$cache"/linux-headers-*-kdebug_*.deb
