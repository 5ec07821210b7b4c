#!/usr/bin/env python3
"""Splits a process's resident memory by what holds it, from /proc/PID/smaps, for soak.sh.

  memory.py PID      prints "rss file code arena other" in kB, where
    file   pages of mapped files (the runtime, the framework's assemblies)
    code   the .NET runtime's executable and loader memory, double-mapped through a memfd ("doublemapper"): JIT
           output, stubs, type data
    arena  glibc malloc arenas (64 MiB-aligned anonymous heaps of native threads) and the brk heap
    other  every other anonymous mapping: the GC's heap, thread stacks, the runtime's own reservations
A growing `arena` with a flat `other` is native allocation or fragmentation; `other` with a flat managed heap is the
GC's commit; `code` is the JIT.
"""
import re
import sys

ARENA_ALIGN = 64 << 20
HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def categorize(lo, hi, perms, name):
    if "doublemapper" in name:
        return "code"
    if name == "[heap]":
        return "arena"
    if name and not name.startswith("["):
        return "file"
    if not name and lo % ARENA_ALIGN == 0 and hi - lo <= ARENA_ALIGN and perms.startswith("rw"):
        return "arena"
    return "other"


def main():
    totals = {"file": 0, "code": 0, "arena": 0, "other": 0}
    category = None
    try:
        with open(f"/proc/{int(sys.argv[1])}/smaps") as smaps:
            for line in smaps:
                header = HEADER.match(line)
                if header:
                    lo, hi = int(header.group(1), 16), int(header.group(2), 16)
                    category = categorize(lo, hi, header.group(3), header.group(4).strip())
                elif line.startswith("Rss:") and category:
                    totals[category] += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        print("0 0 0 0 0")
        return
    print(sum(totals.values()), totals["file"], totals["code"], totals["arena"], totals["other"])


if __name__ == "__main__":
    main()
