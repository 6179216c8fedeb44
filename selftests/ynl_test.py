#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The kernel's own ynl CLI (tools/net/ynl/cli.py) speaks to mmlens through
include/mmlens.yaml alone, and what it gets agrees with /proc for this
process: TRANSLATE with pagemap, the GET_VMA dump with /proc/self/maps, the
GET_PTE dump (packed struct mmlens_pte records) with pagemap, GET_MM with
maps and status, GET_FRAME with kpageflags and kpagecount, and an error
arrives with its extack message.

Prints kselftest TAP, ending with the "# Totals:" line the VM runner reads.
"""
import ctypes
import json
import mmap
import os
import struct
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.realpath(__file__))
# Installed as build/selftests/ynl_test; the tree is two levels up.
TOP = os.path.realpath(os.path.join(HERE, "..", ".."))
if not os.path.exists(os.path.join(TOP, "include", "mmlens.yaml")):
    TOP = os.path.realpath(os.path.join(HERE, ".."))
SRC = os.path.join(TOP, "build", "linux-source")
CLI = os.path.join(SRC, "tools", "net", "ynl", "cli.py")
SCHEMA = os.path.join(SRC, "Documentation", "netlink", "genetlink.yaml")
SPEC = os.path.join(TOP, "include", "mmlens.yaml")

PAGE = 4096
PM_PRESENT = 1 << 63
PM_PFN = (1 << 55) - 1
KPF_MMAP, KPF_ANON, KPF_COMPOUND_HEAD = 11, 12, 15
# struct mmlens_pte
PTE = struct.Struct("<QQQIIIIIBBBB")
VM_READ, VM_WRITE, VM_EXEC, VM_MAYSHARE = 0x1, 0x2, 0x4, 0x80


class Skip(Exception):
    pass


def ynl(mode, op, attrs):
    """Runs cli.py; returns (exit status, parsed JSON or None, raw output)."""
    cmd = [sys.executable, CLI, "--spec", SPEC]
    cmd += ["--schema", SCHEMA] if os.path.exists(SCHEMA) else ["--no-schema"]
    cmd += ["--output-json", mode, op, "--json", json.dumps(attrs)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    try:
        out = json.loads(p.stdout) if p.returncode == 0 else None
    except ValueError:
        out = None
    return p.returncode, out, p.stdout


# The kernel-address audit of userspace/audit.h, for the replies cli.py
# decodes (by the YAML's attribute names) instead of libmmlens: attributes
# that are bit patterns (raw entries, flag words) are left out, every other
# number must lie below the kernel half, findings go to $MMLENS_AUDIT_KADDR.
KERNEL_HALF = 0xff00000000000000
BITS = {"entry", "flags", "vma-flags", "fault-flags", "entry-before", "entry-after", "result"}


def audit(op, reply, key=""):
    found = []
    if isinstance(reply, list):
        for item in reply:
            found += audit(op, item, key)
    elif isinstance(reply, dict):
        for k, v in reply.items():
            found += audit(op, v, k)
    elif key == "records":
        raw = bytes.fromhex(reply)
        for o in range(0, len(raw) - PTE.size + 1, PTE.size):
            va, _, pfn = PTE.unpack_from(raw, o)[:3]
            found += [(f"records[{o // PTE.size}].{n}", v)
                      for n, v in (("va", va), ("pfn", pfn)) if v >= KERNEL_HALF]
    elif isinstance(reply, int) and key not in BITS and reply % (1 << 64) >= KERNEL_HALF:
        found.append((key, reply % (1 << 64)))
    return found


def ynl_ok(mode, op, attrs):
    rc, out, raw = ynl(mode, op, attrs)
    if rc != 0 or out is None:
        raise AssertionError(f"cli.py {mode} {op} {attrs}: exit {rc}: {raw.strip()[-800:]}")
    path = os.environ.get("MMLENS_AUDIT_KADDR")
    if path:
        with open(path, "a") as f:
            for field, value in audit(op, out):
                f.write(f"ynl_test[{os.getpid()}]: kernel address in {op} {field}: "
                        f"{value:#018x}\n")
    return out


def pagemap(va, n=1):
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(va // PAGE * 8)
        data = f.read(8 * n)
    return list(struct.unpack(f"<{n}Q", data))


def kpage(name, pfn):
    with open(f"/proc/{name}", "rb") as f:
        f.seek(pfn * 8)
        return struct.unpack("<Q", f.read(8))[0]


def read_maps():
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5].rstrip("\n") if len(parts) > 5 else ""
            if path == "[vsyscall]":
                continue
            out.append((start, end, parts[1], int(parts[2], 16), path))
    return out


def region(npages):
    """Private anonymous pages of ours, all written; returns (mmap, address)."""
    m = mmap.mmap(-1, npages * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for i in range(npages):
        m[i * PAGE] = i + 1
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    return m, addr


class Tap:
    def __init__(self, tests):
        self.tests = tests
        self.counts = {"pass": 0, "fail": 0, "skip": 0}

    def run(self):
        print("TAP version 13")
        print(f"1..{len(self.tests)}")
        for n, fn in enumerate(self.tests, 1):
            name = "ynl." + fn.__name__
            print(f"#  RUN           {name} ...", flush=True)
            try:
                fn()
            except Skip as e:
                self.counts["skip"] += 1
                print(f"#      SKIP      {e}")
                print(f"ok {n} {name} # SKIP {e}", flush=True)
                continue
            except Exception as e:  # an assertion or anything unexpected
                self.counts["fail"] += 1
                for line in (traceback.format_exc() if not isinstance(e, AssertionError)
                             else str(e)).splitlines():
                    print(f"# {line}")
                print(f"#          FAIL  {name}")
                print(f"not ok {n} {name}", flush=True)
                continue
            self.counts["pass"] += 1
            print(f"#            OK  {name}")
            print(f"ok {n} {name}", flush=True)
        c = self.counts
        print(f"# Totals: pass:{c['pass']} fail:{c['fail']} xfail:0 xpass:0 "
              f"skip:{c['skip']} error:0", flush=True)
        if c["fail"]:
            return 1
        return 4 if c["skip"] == len(self.tests) else 0


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def translate_agrees_with_pagemap():
    m, base = region(4)
    pid = os.getpid()
    for i in range(4):
        va = base + i * PAGE + 0x234
        r = ynl_ok("--do", "translate", {"pid": pid, "va": va})
        pme = pagemap(va)[0]
        check(pme & PM_PRESENT, f"page {i} not present in pagemap")
        pfn = pme & PM_PFN
        check(r.get("pid") == pid and r.get("va") == va, f"echo: {r}")
        check(r.get("kind") == "present", f"kind {r.get('kind')}")
        check(r.get("leaf-level") == "pte", f"leaf level {r.get('leaf-level')}")
        check(r.get("pfn") == pfn, f"pfn {r.get('pfn')} vs pagemap {pfn:#x}")
        check(r.get("pa") == (pfn << 12) | (va & 0xfff), f"pa {r.get('pa')}")
        check(r.get("page-size") == PAGE, f"page size {r.get('page-size')}")
        flags = set(r.get("flags", []))
        for f in ("present", "rw", "user", "dirty", "exclusive"):
            check(f in flags, f"flag {f} missing from {sorted(flags)}")
        levels = r.get("level", [])
        check([lv.get("level") for lv in levels] == ["pgd", "p4d", "pud", "pmd", "pte"],
              f"levels {[lv.get('level') for lv in levels]}")
        check(r.get("frame", {}).get("pfn") == pfn, f"frame {r.get('frame')}")
    m.close()


def get_vma_dump_agrees_with_proc_maps():
    pid = os.getpid()
    for _ in range(10):
        before = read_maps()
        vmas = ynl_ok("--dump", "get-vma", {"pid": pid})
        after = read_maps()
        if before == after:
            break
    else:
        raise AssertionError("/proc/self/maps keeps changing")
    check(len(vmas) == len(before), f"{len(vmas)} VMAs, maps has {len(before)}")
    for v, (start, end, perms, off, path) in zip(vmas, before):
        fl = v.get("flags", 0)
        mine = ("r" if fl & VM_READ else "-") + ("w" if fl & VM_WRITE else "-") + \
               ("x" if fl & VM_EXEC else "-") + ("s" if fl & VM_MAYSHARE else "p")
        check((v.get("start"), v.get("end")) == (start, end),
              f"VMA {v.get('start'):#x}-{v.get('end'):#x} vs maps {start:#x}-{end:#x} {path}")
        check(mine == perms, f"{start:#x} {path}: flags {fl:#x} vs maps {perms}")
        if path.startswith("/"):
            check(v.get("pgoff", -1) * PAGE == off, f"{start:#x} {path}: pgoff {v.get('pgoff')}")
            check(v.get("file") == path, f"{start:#x}: file {v.get('file')!r} vs {path!r}")
        want = {"[heap]": "heap", "[stack]": "stack", "[vdso]": "vdso", "[vvar]": "vvar"}
        if path in want:
            check(v.get("kind") == want[path], f"{path}: kind {v.get('kind')}")


def get_pte_dump_agrees_with_pagemap():
    m, base = region(16)
    pid = os.getpid()
    end = base + 16 * PAGE
    msgs = ynl_ok("--dump", "get-pte", {"pid": pid, "start": base, "end": end})
    pmes = pagemap(base, 16)
    recs = []
    for msg in msgs:
        raw = bytes.fromhex(msg["records"])
        check(len(raw) % PTE.size == 0, f"records of {len(raw)} bytes")
        recs += [PTE.unpack_from(raw, o) for o in range(0, len(raw), PTE.size)]
    check(len(recs) == 16, f"{len(recs)} records for 16 written pages")
    for i, r in enumerate(recs):
        va, entry, pfn, flags, kflags, nr, ref, mapc, level, kind, st, pkey = r
        check(va == base + i * PAGE, f"record {i} at {va:#x}")
        check(pfn == pmes[i] & PM_PFN, f"record {i}: pfn {pfn:#x} vs pagemap {pmes[i] & PM_PFN:#x}")
        check(kind == 1 and level == 5 and nr == 1,
              f"record {i}: kind {kind} level {level} nr {nr}")
        check(mapc == kpage("kpagecount", pfn), f"record {i}: mapcount {mapc}")
        check(kflags & (1 << KPF_ANON), f"record {i}: frame flags {kflags:#x}")
    m.close()


def get_mm_agrees_with_proc():
    pid = os.getpid()
    def vm_kb():
        with open("/proc/self/status") as f:
            return {l.split(":")[0]: int(l.split()[1]) for l in f.read().splitlines()
                    if l.startswith("Vm") and l.endswith("kB")}

    for _ in range(10):
        maps1, kb = read_maps(), vm_kb()
        mm = ynl_ok("--do", "get-mm", {"pid": pid})
        maps2, kb2 = read_maps(), vm_kb()
        if maps1 == maps2 and kb == kb2:
            break
    else:
        raise AssertionError("/proc/self/maps or the Vm* of status keep changing")
    check(mm.get("tgid") == pid, f"tgid {mm.get('tgid')}")
    check(mm.get("map-count") == len(maps1), f"map-count {mm.get('map-count')} vs {len(maps1)}")
    check(mm.get("pgtables-bytes", -1) >> 10 == kb["VmPTE"],
          f"pgtables-bytes {mm.get('pgtables-bytes')} vs VmPTE {kb['VmPTE']} kB")
    check(mm.get("total-vm", -1) * 4 == kb["VmSize"],
          f"total-vm {mm.get('total-vm')} vs VmSize {kb['VmSize']} kB")
    pt = mm.get("pt-pages", {})
    check(pt.get("pte", 0) > 0 and pt.get("pgd", 0) >= 1, f"pt-pages {pt}")


def get_frame_agrees_with_kpageflags():
    m, base = region(1)
    pfn = pagemap(base)[0] & PM_PFN
    before = kpage("kpageflags", pfn)
    f = ynl_ok("--do", "get-frame", {"pfn": pfn})
    after = kpage("kpageflags", pfn)
    check(f.get("pfn") == pfn, f"pfn {f.get('pfn')}")
    stable = ~(before ^ after) & ((1 << 27) - 1) & ~(1 << 21)  # KSM: 6.12 kpageflags
    check((f.get("flags", 0) ^ before) & stable == 0,
          f"flags {f.get('flags', 0):#x} vs kpageflags {before:#x}")
    check(f.get("mapcount") == kpage("kpagecount", pfn) == 1, f"mapcount {f.get('mapcount')}")
    check(f.get("order") == 0, f"order {f.get('order')}")
    m.close()


def error_arrives_with_its_extack():
    rc, _, raw = ynl("--do", "translate", {"pid": 2, "va": 4096})
    check(rc != 0, "translate of kthreadd succeeded")
    check("process is a kernel thread" in raw, f"output: {raw.strip()[-400:]}")


def main():
    tests = [translate_agrees_with_pagemap, get_vma_dump_agrees_with_proc_maps,
             get_pte_dump_agrees_with_pagemap, get_mm_agrees_with_proc,
             get_frame_agrees_with_kpageflags, error_arrives_with_its_extack]
    if not os.path.exists(CLI) or not os.path.exists(SPEC):
        print("TAP version 13")
        print(f"1..{len(tests)}")
        for n, fn in enumerate(tests, 1):
            print(f"ok {n} ynl.{fn.__name__} # SKIP no {CLI if not os.path.exists(CLI) else SPEC}")
        print(f"# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:{len(tests)} error:0")
        return 4
    return Tap(tests).run()


if __name__ == "__main__":
    sys.exit(main())
