#!/usr/bin/env bash
# Build the initramfs that boots a Debian kernel in QEMU and switches to the host's
# root filesystem, shared read-only over 9p with a tmpfs overlay on top.
#
#   mkinitramfs.sh KERNEL_RELEASE OUTPUT
#
# It holds busybox, the virtio/9p/overlay modules the kernel needs to reach the
# host root (decompressed: busybox insmod cannot read .ko.xz), and init.
set -euo pipefail

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

# Load order matters: each module needs the ones before it.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkinitramfs: busybox-static is not installed" >&2; exit 1; }

moddir=/lib/modules/$kver
[ -d "$moddir" ] || { echo "mkinitramfs: $moddir does not exist" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,lower,rw,newroot,modules}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

: >"$root/modules/order"
for m in "${modules[@]}"; do
	# Built in (6.12 builds virtio in), or gone (6.12 folded fscache into
	# netfs): nothing to load.  A truly missing piece makes the 9p mount fail.
	path=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
	[ "$path" = "(builtin)" ] && continue
	case "$path" in
	*.ko.xz) xz -dc "$path" >"$root/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$path" >"$root/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$path" >"$root/modules/$m.ko" ;;
	*.ko) cp "$path" "$root/modules/$m.ko" ;;
	*) echo "mkinitramfs: cannot use $path" >&2; exit 1 ;;
	esac
	echo "$m" >>"$root/modules/order"
done

install -m 0755 "$here/init" "$root/init"
mkdir -p "$(dirname "$out")"
# Guests of one kernel may boot side by side: each writes its own, renamed whole.
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
