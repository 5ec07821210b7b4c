#!/usr/bin/env bash
# Paired TCP throughput of overlayd builds (as root): perf/netns/bench.sh's overlay row, TCP x1 and x4 only, one
# short run per build per pair, the builds back to back in each pair so that both see the same moment of a
# shared machine.
#
#   perf/packaging/paired-tcp.sh [-p PAIRS] [-t SECONDS] NAME=OVERLAYD ...
#   e.g. perf/packaging/paired-tcp.sh -p 3 -t 5 jit=/tmp/jit/overlayd.dll aot=/usr/bin/overlayd
#
# OVERLAYD is what bench.sh's OVERLAYD_BIN takes: an executable, or a framework-dependent overlayd.dll. One
# tab-separated line per run goes to stdout: build, pair, TCP x1 Gbit/s, TCP x4 Gbit/s, forwarder CPU-s per GB,
# CPU steal %. The raw bench.sh results stay in a temporary directory, which is removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tools/lib.sh"

pairs=3 seconds=5 builds=()
while (($#)); do
  case $1 in
    -p) pairs=$2; shift 2 ;;
    -t) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) builds+=("$1"); shift ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
((${#builds[@]} > 0)) || ovl_die "name at least one build as NAME=OVERLAYD (see --help)"
[[ $pairs =~ ^[0-9]+$ ]] && ((pairs >= 1 && pairs <= 20)) || ovl_die "-p must be 1..20"
ovl_need_packages jq:jq
results=$(mktemp -d "${TMPDIR:-/tmp}/overlay-paired.XXXXXX")
trap 'rm -rf "$results"' EXIT

printf 'build\tpair\tTCP x1 Gbit/s\tTCP x4 Gbit/s\tCPU-s per GB\tsteal %%\n'
for pair in $(seq "$pairs"); do
  for build in "${builds[@]}"; do
    name=${build%%=*} json=$results/${build%%=*}-$pair.json
    OVERLAYD_BIN=${build#*=} "$repo/perf/netns/bench.sh" -o overlay -m tcp1,tcp4 -t "$seconds" -r 1 -j "$json" >/dev/null 2>"$results/log" ||
      { cat "$results/log" >&2; ovl_die "bench.sh failed for $name"; }
    jq -r --arg name "$name" --arg pair "$pair" \
      '.runs[] | [$name, $pair, .tcp1_gbps, .tcp4_gbps, .cpu_s_per_gb, .steal_pct] | map(tostring) | join("\t")' "$json"
  done
done
