#!/usr/bin/env bash
# scripts/debug-kernel.sh's decisions, on the host, with the kernel build and
# dpkg stubbed: each way to a debug kernel (already installed, the prebuilt
# pair of ../shared/kernels, a build from linux-source) must print the
# release, alone on standard output, and exit 0, on its first run.  The
# stubs log their calls, so each case also checks what was (not) built or
# installed.  Ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
script=$top/scripts/debug-kernel.sh
fragment=$top/selftests/vm/debug.config
release=6.12.95-kdebug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0 fail=0 n=0
check() { # description command...
	n=$((n + 1))
	if "${@:2}"; then
		echo "ok $n - $1"
		pass=$((pass + 1))
	else
		echo "not ok $n - $1"
		fail=$((fail + 1))
	fi
}

# The stubs.  dpkg -i unpacks the packages into the scratch root (the real
# dpkg-deb does the unpacking); make plays kbuild: a .config from the
# defconfig, the packages from bindeb-pkg, beside the tree as kbuild puts them.
stubs=$work/stubs
mkdir -p "$stubs"
cat >"$stubs/dpkg" <<'EOF'
#!/bin/sh
echo "dpkg $*" >>"$STUB_LOG"
[ "$1" = -i ] || exit 1
shift
for deb; do dpkg-deb -x "$deb" "$MMLENS_KDEBUG_ROOT" || exit 1; done
EOF
cat >"$stubs/make" <<'EOF'
#!/bin/sh
echo "make $*" >>"$STUB_LOG"
while [ $# -gt 0 ]; do
	case $1 in
	-C) src=$2; shift ;;
	x86_64_defconfig) echo CONFIG_64BIT=y >"$src/.config" ;;
	bindeb-pkg) sleep 1; "$STUB_DEBS" "$src/.config" "$src/.." ;;
	esac
	shift
done
EOF
# Packages shaped like bindeb-pkg's: the image brings /boot's config and
# vmlinuz, the headers /lib/modules/RELEASE/build.
cat >"$stubs/make-debs" <<EOF
#!/bin/sh
# make-debs CONFIG DIR
set -e
tree=\$(mktemp -d)
mkdir -p "\$tree/image/DEBIAN" "\$tree/image/boot" "\$tree/headers/DEBIAN" \
	"\$tree/headers/lib/modules/$release/build"
cp "\$1" "\$tree/image/boot/config-$release"
echo vmlinuz >"\$tree/image/boot/vmlinuz-$release"
for p in image headers; do
	printf 'Package: linux-%s-$release\nVersion: 1\nArchitecture: amd64\nMaintainer: test <test@localhost>\nDescription: stub\n' \
		"\$p" >"\$tree/\$p/DEBIAN/control"
	dpkg-deb -b -Zgzip "\$tree/\$p" "\$2/linux-\$p-${release}_1_amd64.deb" >/dev/null
done
rm -rf "\$tree"
EOF
chmod +x "$stubs"/*

# A config with every option of the fragment, and one that lacks the first.
grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$fragment" | sed '1i CONFIG_64BIT=y' >"$work/config-full"
sed '2d' "$work/config-full" >"$work/config-lacking"
first_option=$(sed -n 2p "$work/config-full")

# A source tarball whose only content is the merge script the build runs.
mkdir -p "$work/src/linux-source-6.12/scripts/kconfig"
cat >"$work/src/linux-source-6.12/scripts/kconfig/merge_config.sh" <<'EOF'
#!/bin/sh
# merge_config.sh -m -O DIR BASE FRAGMENT
cat "$5" >>"$3/.config"
EOF
chmod +x "$work/src/linux-source-6.12/scripts/kconfig/merge_config.sh"
tarball=$work/linux-source-6.12.tar.xz
tar -cJf "$tarball" -C "$work/src" linux-source-6.12

# A fresh scratch machine for each case: root, cache, shared folder, logs.
fresh() { # case
	case_dir=$work/$1
	mkdir -p "$case_dir/root" "$case_dir/cache" "$case_dir/shared/kernels"
	: >"$case_dir/calls"
}
prebuilt() { # config
	cp "$1" "$case_dir/shared/kernels/config-$release"
	"$stubs/make-debs" "$1" "$case_dir/shared/kernels"
}
run() { # -> $out, $err, $rc of one run of the script
	out=$(env PATH="$stubs:$PATH" STUB_LOG="$case_dir/calls" STUB_DEBS="$stubs/make-debs" \
		MMLENS_KDEBUG_ROOT="$case_dir/root" MMLENS_KDEBUG_CACHE="$case_dir/cache" \
		MMLENS_SHARED="$case_dir/shared" MMLENS_LINUX_SOURCE="$tarball" \
		"$script" 2>"$case_dir/err")
	rc=$?
	err=$(cat "$case_dir/err")
}
prints_release() { [ "$rc" -eq 0 ] && [ "$out" = "$release" ]; }
called() { grep -q "^$1" "$case_dir/calls"; }
not_called() { ! called "$1"; }
installed_in_root() {
	[ -r "$case_dir/root/boot/vmlinuz-$release" ] && [ -d "$case_dir/root/lib/modules/$release/build" ]
}
said() { grep -qF -- "$1" <<<"$err"; }

fresh installed
mkdir -p "$case_dir/root/boot" "$case_dir/root/lib/modules/$release/build"
cp "$work/config-full" "$case_dir/root/boot/config-$release"
echo vmlinuz >"$case_dir/root/boot/vmlinuz-$release"
run
check "installed: prints the release and exits 0" prints_release
check "installed: neither builds nor installs" eval 'not_called make && not_called dpkg'

fresh prebuilt
prebuilt "$work/config-full"
run
check "prebuilt: prints the release and exits 0 on the first run" prints_release
check "prebuilt: installs the shared pair and builds nothing" \
	eval 'called "dpkg -i .*linux-image-.*linux-headers-" && not_called make && installed_in_root'
: >"$case_dir/calls"
run
check "prebuilt: a second run finds it installed" eval 'prints_release && not_called dpkg'

fresh build
run
check "build: prints the release and exits 0 on the first run" prints_release
check "build: builds bindeb-pkg, then installs what it built" \
	eval 'called "make .*bindeb-pkg" && called "dpkg -i .*/cache/linux-image-" && installed_in_root'
check "build: the .config has the fragment" \
	eval '[ -z "$(grep -vxFf "$case_dir/cache/linux-source-6.12/.config" <(sed 1d "$work/config-full"))" ]'
: >"$case_dir/calls"
run
check "build: a second run finds it installed" eval 'prints_release && not_called make && not_called dpkg'
# Built before, not installed (a machine whose dpkg -i was interrupted): no rebuild.
rm -rf "$case_dir/root"/*
: >"$case_dir/calls"
run
check "build: packages already built are installed without building" \
	eval 'prints_release && not_called make && called "dpkg -i"'

fresh prebuilt-lacking
prebuilt "$work/config-lacking"
run
check "prebuilt lacking an option: builds instead and prints the release" \
	eval 'prints_release && called "make .*bindeb-pkg"'
check "prebuilt lacking an option: names the option it lacks" said "    $first_option"

fresh no-source
tarball=$work/none.tar.xz
run
check "no kernel, no prebuilt, no source: exits 1 and says what to install" \
	eval '[ "$rc" -eq 1 ] && [ -z "$out" ] && said "apt-get install linux-source-6.12"'

fresh broken-debs
# Packages that install no kernel with the fragment (a stale prebuilt pair
# whose config file says otherwise): an error, never a silent exit.
cp "$work/config-full" "$case_dir/shared/kernels/config-$release"
"$stubs/make-debs" "$work/config-lacking" "$case_dir/shared/kernels"
run
check "packages that bring no matching kernel: exits 1 and says so" \
	eval '[ "$rc" -ne 0 ] && [ -z "$out" ] && said "left no kernel"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
