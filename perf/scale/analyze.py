#!/usr/bin/env python3
"""Small calculations for perf/scale/scale.sh, over the daemon's log and the probes' records.

  analyze.py stamp LINE                        epoch seconds of one log line's timestamp
  analyze.py count LOG REGEX AFTER BEFORE      lines matching REGEX between two epochs, and the mean of the first
                                               number group in them ("count mean")
  analyze.py latency PROBES ARRIVALS           from leases.py probe ("i subnet put_epoch") and listen ("i sent_epoch")
                                               output: "samples missing p50_ms p99_ms max_ms"
  analyze.py median NUMBER...                  the median
"""
import re
import statistics
import sys
from datetime import datetime, timezone

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ")


def stamp(line):
    match = STAMP.match(line)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def lines(path, pattern, after, before=float("inf")):
    regex = re.compile(pattern)
    with open(path, errors="replace") as log:
        for line in log:
            when = stamp(line)
            if when is not None and after <= when <= before:
                match = regex.search(line)
                if match:
                    yield when, match


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "stamp":
        when = stamp(argv[2])
        if when is None:
            raise SystemExit(f"no timestamp in: {argv[2][:80]}")
        print(f"{when:.3f}")
    elif command == "count":
        found = [(when, match) for when, match in lines(argv[2], argv[3], float(argv[4]), float(argv[5]))]
        numbers = [float(match.group(1)) for _, match in found if match.groups()]
        print(len(found), f"{statistics.mean(numbers):.0f}" if numbers else "-")
    elif command == "latency":
        puts = {}
        with open(argv[2]) as probes:
            for line in probes:
                i, _, put = line.split()
                puts[i] = float(put)
        latencies = []
        with open(argv[3]) as arrivals:
            for line in arrivals:
                i, sent = line.split()
                if i in puts:
                    latencies.append((float(sent) - puts[i]) * 1000)
        if not latencies:
            print(len(puts), len(puts), "-", "-", "-")
            return
        print(len(puts), len(puts) - len(latencies), f"{percentile(latencies, 50):.0f}",
              f"{percentile(latencies, 99):.0f}", f"{max(latencies):.0f}")
    elif command == "median":
        print(statistics.median(float(x) for x in argv[2:]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
