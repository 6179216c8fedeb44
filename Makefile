# SPDX-License-Identifier: GPL-2.0
# mmlens: kernel module, CLI and selftests.
#
#   make                 module for KVER/KDIR, the mmlens CLI, the selftests
#   make deps            install build/test dependencies (root, Debian 12)
#   make check           deps + build + host unit tests + VM matrix + dkms check
#   make vm-shell        boot a VM with the module loaded (KVER=..., LA57=1)
#   make demo            boot a VM and show mmlens on small live programs
#   make bench           boot the 6.12 VM and measure mmlens against /proc, and
#                        what watching costs a process's faults
#   make install         module (+depmod), CLI, man page, bash completion
#   make dkms-install    register, build and install the module with DKMS

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
TOP := $(CURDIR)
BUILD := $(TOP)/build
PREFIX ?= /usr/local
DESTDIR ?=

# kselftest_harness.h and the ynl tool come from the installed kernel source
# package at build time; only these parts of it are unpacked.
LINUX_SOURCE_TARBALL ?= $(firstword $(wildcard /usr/src/linux-source-6.12.tar.xz) \
				    $(wildcard /usr/src/linux-source-*.tar.xz))
LINUX_SOURCE := $(BUILD)/linux-source
LINUX_SOURCE_PARTS := '*/tools/testing/selftests/kselftest.h' \
		      '*/tools/testing/selftests/kselftest_harness.h' \
		      '*/tools/net/ynl/*' \
		      '*/Documentation/netlink/genetlink.yaml'

HEADER_KERNELS := $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build)))
# Kernels that can be tested: an image to boot and headers to build against
# (not the debug kernel of check-debug, which has its own target).
TEST_KERNELS := $(sort $(foreach k,$(filter-out %-kdebug,$(HEADER_KERNELS)),\
			$(if $(wildcard /boot/vmlinuz-$(k)),$(k))))
VM_KVER ?= $(if $(filter $(KVER),$(TEST_KERNELS)),$(KVER),$(lastword $(TEST_KERNELS)))
BENCH_KVER ?= $(lastword $(filter 6.12%,$(TEST_KERNELS)))
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -Iinclude/uapi -Iuserspace \
	       $(shell pkg-config --cflags libnl-genl-3.0 libnl-3.0 2>/dev/null)
USER_LIBS := userspace/libmmlens.a $(shell pkg-config --libs libnl-genl-3.0 libnl-3.0 2>/dev/null)

all: module cli selftests

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "mmlens: no kernel headers at $(KDIR)." >&2; \
		echo "Installed kernels with headers: $(or $(HEADER_KERNELS),none)" >&2; \
		echo "Build for one with 'make KVER=<release>' (or KDIR=<dir>)." >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(TOP) modules

cli:
	$(MAKE) -C userspace

$(LINUX_SOURCE)/.unpacked:
	@[ -n "$(LINUX_SOURCE_TARBALL)" ] || { \
		echo "mmlens: linux-source-6.12 is not installed (run 'sudo make deps')" >&2; exit 1; }
	rm -rf $(LINUX_SOURCE) && mkdir -p $(LINUX_SOURCE)
	tar -xf $(LINUX_SOURCE_TARBALL) -C $(LINUX_SOURCE) --strip-components=1 \
		--wildcards $(LINUX_SOURCE_PARTS)
	touch $@

selftests: cli $(LINUX_SOURCE)/.unpacked
	$(MAKE) -C selftests

deps:
	scripts/install-deps.sh

check:
	scripts/check.sh

check-debug:
	scripts/check-debug.sh

# The YAML spec must agree with the UAPI header (the source of truth).
abi-check: $(LINUX_SOURCE)/.unpacked
	selftests/abi_check.py include/uapi/linux/mmlens.h include/mmlens.yaml \
		$(LINUX_SOURCE)/Documentation/netlink/genetlink.yaml

vm-shell: cli selftests
	@[ -n "$(VM_KVER)" ] || { echo "mmlens: no kernel to boot (run 'sudo make deps')" >&2; exit 1; }
	scripts/build-kmod.sh $(VM_KVER)
	selftests/vm/run-vm.sh -m shell -k $(VM_KVER) -o $(BUILD)/vm/shell \
		-M $(BUILD)/kmod/$(VM_KVER)/mmlens.ko $(if $(filter 1,$(LA57)),-5)

# Programs the demo and the benchmark run in the VM.
$(BUILD)/demo/demo_target: demo/demo_target.c
	mkdir -p $(dir $@) && $(CC) $(USER_CFLAGS) -o $@ $<
# Static: the dynamic loader's relocations would be COW faults in the demo's stream.
$(BUILD)/demo/cow_demo: demo/cow_demo.c
	mkdir -p $(dir $@) && $(CC) $(USER_CFLAGS) -static -o $@ $<
# ptes_bench copies rows out through the CLI's output stream (stream.o).
$(BUILD)/bench/ptes_bench: selftests/bench/ptes_bench.c userspace/stream.o userspace/libmmlens.a
	mkdir -p $(dir $@) && $(CC) $(USER_CFLAGS) -o $@ $< userspace/stream.o $(USER_LIBS)
# fault_bench watches and decodes events with the CLI's own code (its objects
# come with `make cli`), which needs json-c besides libnl.
FAULT_BENCH_OBJS := $(addprefix userspace/,live.o events.o names.o output.o stream.o)
$(BUILD)/bench/fault_bench: selftests/bench/fault_bench.c $(FAULT_BENCH_OBJS) userspace/libmmlens.a
	mkdir -p $(dir $@) && $(CC) $(USER_CFLAGS) $(shell pkg-config --cflags json-c 2>/dev/null) \
		-pthread -o $@ $< $(FAULT_BENCH_OBJS) $(USER_LIBS) $(shell pkg-config --libs json-c 2>/dev/null)
$(BUILD)/bench/sparse_target: selftests/bench/sparse_target.c
	mkdir -p $(dir $@) && $(CC) $(USER_CFLAGS) -static -o $@ $<

# Both boot a VM, so like make check they first install what is missing.
demo: deps cli selftests $(BUILD)/demo/demo_target $(BUILD)/demo/cow_demo
	@[ -n "$(VM_KVER)" ] || { echo "mmlens: no kernel to boot (run 'sudo make deps')" >&2; exit 1; }
	scripts/build-kmod.sh $(VM_KVER)
	selftests/vm/run-vm.sh -m run -r demo/run.sh -k $(VM_KVER) -o $(BUILD)/vm/demo \
		-M $(BUILD)/kmod/$(VM_KVER)/mmlens.ko $(if $(filter 1,$(LA57)),-5)

# The bench VM's CPU hides ERMS and FSRM: QEMU's TCG runs `rep movsb` and `rep
# stosb` a byte at a time (3 ns/byte measured), and the guest kernel picks them
# for copy_to_user() and clear_page() when the CPU advertises them.  A real
# CPU with ERMS runs them at cache bandwidth; without the flags the kernel
# uses `rep movsq`/`rep stosq` and glibc's memcpy() drops from 3.06 to 0.35
# ns/byte: nearer to hardware, for mmlens and /proc alike (measured: pagemap
# pread 129 -> 138 ns/page, the raw GET_PTE dump 931 -> 555).  The test VMs
# hide them too (selftests/vm/matrix.sh, MMLENS_CPU_FLAGS).  Its RAM is
# backed by host memory before boot (run-vm.sh -p): a timed run that got guest
# frames the host had never touched paid the host's page faults too.
BENCH_CPU_FLAGS ?= -erms,-fsrm

bench: deps cli selftests $(BUILD)/bench/ptes_bench $(BUILD)/bench/sparse_target \
	$(BUILD)/bench/fault_bench
	@[ -n "$(BENCH_KVER)" ] || { echo "mmlens: no 6.12 kernel to boot (run 'sudo make deps')" >&2; exit 1; }
	scripts/build-kmod.sh $(BENCH_KVER)
	selftests/vm/run-vm.sh -m run -r selftests/bench/run.sh -k $(BENCH_KVER) -o $(BUILD)/vm/bench \
		-M $(BUILD)/kmod/$(BENCH_KVER)/mmlens.ko $(if $(BENCH_CPU_FLAGS),-c $(BENCH_CPU_FLAGS)) -p

install: module cli
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

dkms-install:
	rm -rf /usr/src/mmlens-$(VERSION)
	mkdir -p /usr/src/mmlens-$(VERSION)
	cp -r Kbuild dkms.conf module include /usr/src/mmlens-$(VERSION)/
	dkms add -m mmlens -v $(VERSION)
	dkms build -m mmlens -v $(VERSION) -k $(KVER)
	dkms install -m mmlens -v $(VERSION) -k $(KVER)
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# Not kbuild's clean: the objects may come from a KVER other than today's.
clean:
	rm -f mmlens.ko mmlens.mod mmlens.mod.c mmlens.mod.o mmlens.o Module.symvers modules.order \
		.*.cmd module/*.o module/.*.cmd
	rm -rf .tmp_versions
	$(MAKE) -C userspace clean
	rm -rf $(BUILD)

.PHONY: all module cli selftests deps check abi-check vm-shell demo bench install dkms-install \
	clean
