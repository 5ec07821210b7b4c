#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/../..
# End-to-end benchmark: Overlay against kernel VXLAN, quicktun and the bare underlay, in one run (as root).
#
#   perf/netns/bench.sh [-o LIST] [-m LIST] [-t SECONDS] [-r ROUNDS] [-j FILE]
#   perf/netns/bench.sh --table FILE
#
#   -o LIST     overlays, comma- or space-separated, from: underlay vxlan quicktun overlay (default: all four)
#   -m LIST     measurements, from: tcp1 tcp4 udp64 latency (default: all four; the others stay empty in the
#               table, so a latency experiment takes a quarter of the time)
#   -t SECONDS  duration of each test, 1..120 (default 10)
#   -r ROUNDS   interleaved rounds, A B C D A B C D ..., 1..20 (default 2)
#   -j FILE     raw per-run results as JSON (default perf/netns/results/<timestamp>.json)
#   --table F   print the tables of a saved results file and exit
#
# Every overlay gets a fresh two-host testbed per round (two network namespaces, one veth pair, underlay MTU
# 1500), is checked with a DF ping of its MTU, then measured from host 1 to host 2: iperf3 TCP with 1 and 4
# streams, iperf3 UDP with 64-byte datagrams at -b 0, sockperf ping-pong latency, and the forwarders' CPU time
# per GB moved. A Markdown table of medians and ratios to vxlan and quicktun goes to stdout, progress to stderr.
#
# Time: about 4 x SECONDS + 10 s per overlay per round, so about 50 s at -t 10: the default run (4 overlays,
# 2 rounds) takes about 7 minutes, plus one `dotnet publish` of the daemon. Every step is bounded by a timeout.
#
# Environment: OVERLAYD_BIN   a published overlayd executable (or .dll) instead of publishing this checkout;
#              OVERLAYD_ARGS  extra flags for both overlayd hosts, e.g. "-v=1";
#              OVERLAYD_ARGS_H1, OVERLAYD_ARGS_H2  extra flags for one host, e.g. "-cpus=0" and "-cpus=1" to give
#                             each host's forwarding threads a CPU of their own, as on two machines.
#
# It installs what is missing (iperf3, sockperf, quicktun, iproute2, iputils-ping, jq, etcd) with apt-get,
# touches nothing in the root network namespace, and on exit, Ctrl-C or failure removes every namespace (by
# exact name) and kills every process (by PID) it started.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tools/lib.sh"
source "$here/lib/testbed.sh"
source "$here/lib/overlays.sh"
source "$here/lib/measure.sh"
source "$here/lib/report.sh"

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

overlays=("${BENCH_OVERLAYS[@]}") MEASUREMENTS=("${BENCH_MEASUREMENTS[@]}") DURATION=10 rounds=2 json=
while (($#)); do
  case $1 in
    -o) read -r -a overlays <<<"${2//,/ }"; shift 2 ;;
    -m) read -r -a MEASUREMENTS <<<"${2//,/ }"; shift 2 ;;
    -t) DURATION=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -j) json=$2; shift 2 ;;
    --table)
      [[ -f ${2:-} ]] || ovl_die "--table needs a results file"
      command -v jq >/dev/null || ovl_die "--table needs jq"
      report_table "$2"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
((${#overlays[@]} > 0)) || ovl_die "-o needs at least one overlay"
for o in "${overlays[@]}"; do overlay_known "$o" || ovl_die "unknown overlay '$o' (known: ${BENCH_OVERLAYS[*]})"; done
((${#MEASUREMENTS[@]} > 0)) || ovl_die "-m needs at least one measurement"
for m in "${MEASUREMENTS[@]}"; do measurement_known "$m" || ovl_die "unknown measurement '$m' (known: ${BENCH_MEASUREMENTS[*]})"; done
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < 1 || DURATION > 120)); then ovl_die "-t must be 1..120 seconds"; fi
if ! [[ $rounds =~ ^[0-9]+$ ]] || ((rounds < 1 || rounds > 20)); then ovl_die "-r must be 1..20"; fi
[[ $(id -u) == 0 ]] || ovl_die "the benchmark creates network namespaces: run it as root"
json=${json:-$here/results/$(date +%Y%m%d-%H%M%S).json}
mkdir -p "$(dirname "$json")"

wants() { local o; for o in "${overlays[@]}"; do [[ $o == "$1" ]] && return 0; done; return 1; }

needs=(ip:iproute2 bridge:iproute2 ss:iproute2 ping:iputils-ping jq:jq iperf3:iperf3 sockperf:sockperf)
wants quicktun && needs+=(quicktun:quicktun)
wants overlay && needs+=(etcd:etcd-server etcdctl:etcd-client)
ovl_need_packages "${needs[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/overlay-bench.XXXXXX")
export OVL_NS_LEDGER=$work/namespaces OVL_PID_LEDGER=$work/pids
: >"$OVL_NS_LEDGER"; : >"$OVL_PID_LEDGER"
runner='' wrote_json=0
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  # The runner of the current run is a process group of its own: killing the group also stops the client it
  # was waiting on, which is in no ledger.
  [[ -n $runner ]] && kill -TERM -- "-$runner" 2>/dev/null
  ovl_pid_cleanup
  ovl_ns_cleanup
  if ((rc != 0)); then
    if ((wrote_json)); then ovl_log "benchmark stopped (exit $rc); the runs so far are in $json"
    else ovl_log "benchmark stopped (exit $rc) before any run finished"; fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

OVERLAYD_CMD=()
if wants overlay; then
  if [[ -n ${OVERLAYD_BIN:-} ]]; then
    [[ -f $OVERLAYD_BIN ]] || ovl_die "OVERLAYD_BIN=$OVERLAYD_BIN does not exist"
    if [[ $OVERLAYD_BIN == *.dll ]]; then OVERLAYD_CMD=(dotnet "$OVERLAYD_BIN"); else OVERLAYD_CMD=("$OVERLAYD_BIN"); fi
  else
    command -v dotnet >/dev/null || ovl_die "the .NET SDK (dotnet) is needed to publish overlayd, or set OVERLAYD_BIN"
    ovl_log "publishing overlayd (Release)"
    dotnet publish "$repo/src/Overlay.Daemon" -c Release -o "$work/bin" --nologo -v quiet >"$work/publish.log" 2>&1 ||
      { cat "$work/publish.log" >&2; ovl_die "dotnet publish failed"; }
    OVERLAYD_CMD=("$work/bin/overlayd")
  fi
fi

tool_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
meta=$(jq -n \
  --arg started "$(date -u +%FT%TZ)" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
  --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg commit "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg iperf3 "$(tool_version iperf3)" --arg sockperf "$(tool_version sockperf)" --arg quicktun "$(tool_version quicktun)" \
  --arg iproute2 "$(tool_version iproute2)" --arg etcd "$(tool_version etcd-server)" \
  --arg overlayd_args "${OVERLAYD_ARGS:-}${OVERLAYD_ARGS_H1:+ h1: $OVERLAYD_ARGS_H1}${OVERLAYD_ARGS_H2:+ h2: $OVERLAYD_ARGS_H2}" --argjson duration "$DURATION" --argjson rounds "$rounds" \
  --arg overlays "${overlays[*]}" --arg measurements "${MEASUREMENTS[*]}" \
  '{started: $started, machine: {kernel: $kernel, cpus: $cpus, cpu: $cpu, loadavg_at_start: $loadavg},
    commit: $commit, tools: {iperf3: $iperf3, sockperf: $sockperf, quicktun: $quicktun, iproute2: $iproute2, etcd: $etcd},
    settings: {duration_s: $duration, rounds: $rounds, overlays: ($overlays | split(" ")),
               measurements: ($measurements | split(" ")), underlay_mtu: 1500,
               overlayd_args: $overlayd_args}}')
runs=$work/runs.jsonl
: >"$runs"

# run_one ROUND OVERLAY RUN_DIR TAG: one testbed, one overlay, all measurements; writes RUN_DIR/result.json.
# It runs in a subshell with `set -e`, so any setup step that fails ends only this run.
run_one() {
  local round=$1 overlay=$2 tag=$4 started t0
  RUN_DIR=$3
  started=$(date -u +%FT%TZ)
  RESULT=()
  fail() {
    report_run_json round="$round" overlay="$overlay" status=failed failure="$1" started="$started" >"$RUN_DIR/result.json"
    ovl_log "  $overlay failed: $1"
    exit 1
  }
  tb_create "$tag" || fail "testbed"
  t0=$(date +%s.%N)
  overlay_up "$overlay" || fail "${OV_FAILURE:-$overlay did not come up}"
  tb_wait_reachable 1 "$OV_DST" 20 || fail "host 2 ($OV_DST) unreachable over $overlay"
  local setup_s mtu_check
  setup_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  mtu_check=$(tb_check_mtu "$OV_DST" "$OV_MTU")
  [[ $mtu_check == ok ]] || fail "DF ping of the overlay MTU $OV_MTU: $mtu_check"
  ovl_log "  up in ${setup_s}s, MTU $OV_MTU ok, forwarder PIDs: ${OV_FORWARDERS[*]:-none}"
  local ticks0 ticks1 steal_pct
  ticks0=$(tb_machine_steal_ticks)
  measure_all
  ticks1=$(tb_machine_steal_ticks)
  steal_pct=$(awk -v a="$ticks0" -v b="$ticks1" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (y[1] > x[1]) printf "%.1f", 100 * (y[2] - x[2]) / (y[1] - x[1]) }')
  ovl_log "  CPU steal during the measurements: ${steal_pct:-?}%"
  local pairs=(round="$round" overlay="$overlay" status=ok started="$started" info="$OV_INFO"
    loadavg_1m="$(cut -d' ' -f1 /proc/loadavg)" mtu="$OV_MTU" mtu_check="$mtu_check" setup_s="$setup_s"
    forwarders="${#OV_FORWARDERS[@]}" duration_s="$DURATION" steal_pct="$steal_pct") key
  for key in tcp1_gbps tcp1_retransmits tcp1_bytes tcp1_forwarder_cpu_s tcp1_machine_cpu_s cpu_s_per_gb \
    tcp1_h1_per_tun_read tcp1_h1_per_gso_send tcp1_h2_per_gro_receive tcp1_h2_per_tun_write tcp1_h2_gro_in_place_pct \
    tcp4_gbps tcp4_retransmits udp64_rx_pps udp64_tx_pps udp64_loss_pct udp64_sockdrop_pps lat_method lat_p50_us lat_p99_us; do
    pairs+=("$key=${RESULT[$key]:-}")
  done
  report_run_json "${pairs[@]}" >"$RUN_DIR/result.json"
}

# Show the tail of a failed run's logs before its directory goes away.
show_logs() {
  local f
  for f in "$1"/*.log "$1"/*.err; do
    [[ -s $f ]] && { echo "--- ${f##*/}" >&2; tail -n 15 "$f" >&2; }
  done
  return 0
}

ovl_log "overlays: ${overlays[*]}; rounds: $rounds; ${DURATION}s per test; results: $json"
started_at=$SECONDS run=0
for ((round = 1; round <= rounds; round++)); do
  for overlay in "${overlays[@]}"; do
    run=$((run + 1))
    dir=$work/run-$run-$overlay
    mkdir -p "$dir"
    ovl_log "round $round/$rounds: $overlay"
    # Job control gives the runner a process group of its own, so cleanup can stop it together with the
    # client it is waiting on; it is switched off again at once so bash prints no job notices.
    set -m
    (set -e; run_one "$round" "$overlay" "$dir" "ovlbench-$$-$run") &
    runner=$!
    set +m
    rc=0; wait "$runner" || rc=$?
    runner=
    ((rc == 0)) || show_logs "$dir"
    [[ -s $dir/result.json ]] ||
      report_run_json round="$round" overlay="$overlay" status=failed failure="exit $rc" >"$dir/result.json"
    cat "$dir/result.json" >>"$runs"
    ovl_pid_cleanup
    ovl_ns_cleanup
    report_write "$json" "$meta" "$runs" && wrote_json=1
  done
done
ovl_log "done in $((SECONDS - started_at)) s; raw results: $json"
report_table "$json"
