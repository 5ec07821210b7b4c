#!/usr/bin/env bash
# Scale benchmark: how overlayd's cost grows with the cluster. Two real hosts (network namespaces on a bridge, etcd in
# host 1, one overlayd each) in a flannel network 10.0.0.0/8 with SubnetLen 24, plus N leases written into etcd as
# flanneld writes them (each naming its own PublicIP in 198.18.0.0/15; leases.py). It measures, from the daemons' own
# logs and metrics:
#
#   start:    overlayd started with the N leases already in etcd: seconds until the table holding all of them is
#             published and until the daemon logs that it forwards; resident memory 30 s after start (after the first native-heap trims), against the
#             same daemon started with no extra lease (per lease, in bytes);
#   metrics:  /metrics page size and scrape time with N peers, with the default -metrics-peers and with every peer;
#   rate:     TCP x1 (Gbit/s) and 64-byte UDP (packets/s received) host 1 -> host 2 with 2 routes and with N+2,
#             interleaved (2 routes, N, 2, N), and the ratio;
#   churn:    while RATE leases a second change their PublicIP, SAMPLES new leases are written one at a time, each
#             naming host 2, while host 1 sends a datagram to the new subnet every millisecond: the time from the
#             put to the first datagram that host 2 receives (p50, p99, max), and how often the table was rebuilt;
#   resync:   host 2 is cut off from etcd (its etcd connections reset), leases change, etcd is compacted, the cut is
#             lifted: the time from the watch's "compacted" answer to the new table of N routes, while a ping host 1
#             -> host 2 every 20 ms runs throughout and must lose nothing.
#
#   perf/scale/scale.sh [-n LEASES] [-s SAMPLES] [-c CHURN_PER_S] [-t SECONDS] [-o RESULTS.md] [--start-only]
#
# (as root) --start-only stops after the start and memory figures, printing where the memory is.
# Defaults: 5,000 leases, 200 samples, 100 changes a second, 10 s per rate test; about 10 minutes on 2 CPUs.
# Environment: OVERLAYD_BIN (a published overlayd instead of publishing this checkout).
# Like every script here it works only inside network namespaces it creates and removes, and every load is bounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tools/lib.sh"

leases=5000 samples=200 churn=100 seconds=10 out= start_only=0
while (($#)); do
  case $1 in
    -n) leases=$2; shift 2 ;;
    -s) samples=$2; shift 2 ;;
    -c) churn=$2; shift 2 ;;
    -t) seconds=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --start-only) start_only=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
((leases >= 1000 && leases <= 5000)) || ovl_die "-n must be 1000..5000 leases"
((samples >= 10 && samples <= 1000)) || ovl_die "-s must be 10..1000 samples"
((churn >= 1 && churn <= 500)) || ovl_die "-c must be 1..500 changes a second"
((seconds >= 2 && seconds <= 60)) || ovl_die "-t must be 2..60 seconds"
[[ $(id -u) == 0 ]] || ovl_die "the scale benchmark creates network namespaces: run it as root"
ovl_need_packages etcd:etcd-server etcdctl:etcd-client ip:iproute2 iperf3:iperf3 ping:iputils-ping python3:python3 \
  curl:curl jq:jq iptables:iptables

work=$(mktemp -d "${TMPDIR:-/tmp}/overlay-scale.XXXXXX")
export OVL_NS_LEDGER=$work/namespaces OVL_PID_LEDGER=$work/pids
: >"$OVL_NS_LEDGER"; : >"$OVL_PID_LEDGER"
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  ovl_pid_cleanup
  ovl_ns_cleanup
  ((rc != 0)) && for f in "$work"/h*.log; do [[ -f $f ]] && { echo "--- ${f##*/}" >&2; tail -n 15 "$f" >&2; }; done
  [[ -n ${SCALE_KEEP_WORK:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n ${OVERLAYD_BIN:-} ]]; then
  [[ -x $OVERLAYD_BIN ]] || ovl_die "OVERLAYD_BIN=$OVERLAYD_BIN is not an executable overlayd"
  overlayd=$OVERLAYD_BIN
else
  ovl_log "publishing overlayd (Release)"
  dotnet publish "$repo/src/Overlay.Daemon" -c Release -o "$work/bin" --nologo -v quiet >"$work/publish.log" 2>&1 ||
    { cat "$work/publish.log" >&2; ovl_die "dotnet publish failed"; }
  overlayd=$work/bin/overlayd
fi

tag=ovl-scale-$$
ns() { echo "$tag-$1"; }
# x HOST CMD...: runs CMD in the host's namespace (in the foreground: a background job is started with ip netns exec
# itself, so that $! is the process and can be stopped by its PID).
x() { local host=$1; shift; ip netns exec "$(ns "h$host")" "$@"; }
now() { echo "$EPOCHREALTIME"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

ovl_log "building 2 hosts on a bridge, etcd in host 1"
ovl_bridge_add "$(ns br)"
for i in 1 2; do
  ovl_bridge_host "$(ns br)" "$(ns h$i)" "$i" "198.18.0.$i/24"
  x "$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

ep=http://198.18.0.1:2379
ovl_etcd_start "$(ns h1)" scale 198.18.0.1 "$work/etcd" "$work/etcd.log" || ovl_die "etcd did not become healthy"
etcdctl_() { x 1 env ETCDCTL_API=3 etcdctl --endpoints "$ep" "$@"; }
etcdctl_ put /coreos.com/network/config '{"Network":"10.0.0.0/8","SubnetLen":24,"Backend":{"Type":"udp"}}' >/dev/null
lease_tool() { x 1 python3 "$here/leases.py" "$ep" /coreos.com/network "$@"; }

declare -A pid
# start_daemon HOST LOG [FLAGS...]: host i keeps subnet 10.0.i.0/24 (its subnet file is written first, as bench.sh
# does), so no lease written here can collide with it. Prints nothing; sets pid[HOST] and started_at[HOST].
declare -A started_at
start_daemon() {
  local i=$1 log=$2
  shift 2
  printf 'FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_SUBNET=10.0.%s.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n' "$i" >"$work/h$i.env"
  started_at[$i]=$(now)
  ip netns exec "$(ns "h$i")" "$overlayd" -etcd-endpoints="$ep" -iface=ul0 -subnet-file="$work/h$i.env" -admin-socket="$work/h$i.sock" \
    -healthz-ip="198.18.0.$i" -healthz-port=8471 -v=1 "$@" >"$log" 2>&1 &
  pid[$i]=$!
  ovl_pid_add "${pid[$i]}"
}
stop_daemon() {
  [[ -n ${pid[$1]:-} ]] || ovl_die "no daemon known on host $1"
  kill -TERM "${pid[$1]}" || ovl_die "could not signal overlayd ${pid[$1]} on host $1"
  for _ in $(seq 100); do kill -0 "${pid[$1]}" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "${pid[$1]}" 2>/dev/null || true
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# mark LOG: the log's line count, so that a later wait looks only at what came after.
mark() { wc -l <"$1"; }
# wait_log HOST LOG MARK REGEX: waits (at most 120 s) for a line after line MARK of LOG that matches REGEX (extended);
# prints that line's timestamp as epoch seconds.
wait_log() {
  local line
  for _ in $(seq 1200); do
    # (grep -m1 stops reading early, so tail may die of SIGPIPE: not a failure.)
    line=$(tail -n +"$(($3 + 1))" "$2" | grep -m1 -E "$4" || true)
    if [[ -n $line ]]; then
      python3 "$here/analyze.py" stamp "$line"
      return 0
    fi
    kill -0 "${pid[$1]}" 2>/dev/null || ovl_die "overlayd on host $1 died"
    sleep 0.1
  done
  ovl_die "host $1 did not log /$4/ within 120 s"
}
# wait_routes HOST COUNT LOG MARK: until the daemon publishes a table of COUNT routes.
wait_routes() { wait_log "$1" "$3" "${4:-0}" "route table published: $2 routes"; }
wait_ping() {
  for _ in $(seq 150); do x 1 ping -c1 -W1 10.0.2.0 >/dev/null 2>&1 && return 0; sleep 0.2; done
  ovl_die "host 1 cannot ping host 2 over the overlay"
}
# scrape HOST: "bytes seconds" of one GET /metrics
scrape() { x "$1" curl -s -o /dev/null -w '%{size_download} %{time_total}\n' --max-time 10 "http://198.18.0.$1:8471/metrics"; }
scrape_median() {
  local sizes=() times=() s t
  scrape "$1" >/dev/null # the first scrape creates the series
  for _ in 1 2 3 4 5; do read -r s t < <(scrape "$1"); sizes+=("$s"); times+=("$t"); done
  echo "$(python3 "$here/analyze.py" median "${sizes[@]}") $(python3 "$here/analyze.py" median "${times[@]}")"
}
series() { x "$1" curl -s --max-time 10 "http://198.18.0.$1:8471/metrics" | grep -c '^overlay_peer_' || true; }

# rate LABEL: TCP x1 and 64-byte UDP, host 1 -> host 2; appends "label gbps pps" to rates.txt
rate() {
  local tcp udp gbps pps
  ip netns exec "$(ns h2)" timeout $((2 * seconds + 30)) iperf3 -s -1 -B 10.0.2.0 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.5
  tcp=$(x 1 timeout $((seconds + 20)) iperf3 -c 10.0.2.0 -t "$seconds" -J) || ovl_die "iperf3 TCP failed"
  wait "$srv" 2>/dev/null || true
  ip netns exec "$(ns h2)" timeout $((2 * seconds + 30)) iperf3 -s -1 -B 10.0.2.0 >/dev/null 2>&1 &
  srv=$!
  sleep 0.5
  udp=$(x 1 timeout $((seconds + 20)) iperf3 -c 10.0.2.0 -u -l 64 -b 0 -t "$seconds" -J) || ovl_die "iperf3 UDP failed"
  wait "$srv" 2>/dev/null || true
  gbps=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$tcp")
  pps=$(jq -r '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds' <<<"$udp")
  printf '%s %.3f %.0f\n' "$1" "$gbps" "$pps" | tee -a "$work/rates.txt" >&2
}

total=$((leases + 1)) # host 1's table: the N leases and host 2
settle_s=30 # memory is read this long after a start: after the first native-heap trims (every 10 s)
ovl_log "idle: both daemons with no other lease"
start_daemon 2 "$work/h2.log" -metrics-peers=65536
start_daemon 1 "$work/h1-idle.log"
t_idle_start=${started_at[1]}
t_idle_routes=$(wait_routes 1 1 "$work/h1-idle.log" 0)
wait_ping
sleep_until=$(awk -v settle="$settle_s" -v s="${started_at[1]}" 'BEGIN { printf "%.6f", s + settle }')
while (($(awk -v a="$(now)" -v b="$sleep_until" 'BEGIN { print (a < b) }'))); do sleep 0.2; done
rss_idle=$(rss_kb "${pid[1]}")
# memory HOST: resident memory by what holds it (../soak/memory.py: rss file code arena other, kB) and the managed
# heap by generation after the last GC (kB), from the runtime's own metrics.
memory() {
  echo "$(python3 "$here/../soak/memory.py" "${pid[$1]}") $(x "$1" curl -s --max-time 10 "http://198.18.0.$1:8471/metrics" |
    awk '/^system_runtime_dotnet_gc_last_collection_heap_size\{/ { match($0, /gen[0-9]|loh|poh/); g[substr($0, RSTART, RLENGTH)] = $2 / 1024 }
         /^dotnet_total_memory_bytes / { t = $2 / 1024 }
         END { printf "%d %d %d %d %d %d", t, g["gen0"], g["gen1"], g["gen2"], g["loh"], g["poh"] }')"
}
mem_idle=$(memory 1)
read -r page_idle scrape_idle < <(scrape_median 1)

ovl_log "rate with 2 routes"
rate "2-routes"

ovl_log "writing $leases leases"
m1=$(mark "$work/h1-idle.log") m2=$(mark "$work/h2.log")
t0=$(now)
lease_tool fill "$leases"
t_written=$(now)
t_applied=$(wait_routes 1 "$total" "$work/h1-idle.log" "$m1")
wait_routes 2 "$total" "$work/h2.log" "$m2" >/dev/null
ovl_log "rate with $total routes"
rate "$total-routes"

ovl_log "restarting host 1's daemon with $leases leases in etcd"
stop_daemon 1
start_daemon 1 "$work/h1.log"
t_start=${started_at[1]}
t_routes=$(wait_routes 1 "$total" "$work/h1.log" 0)
t_forwarding=$(wait_log 1 "$work/h1.log" 0 "forwarding: ")
wait_ping
sleep_until=$(awk -v settle="$settle_s" -v s="$t_start" 'BEGIN { printf "%.6f", s + settle }')
while (($(awk -v a="$(now)" -v b="$sleep_until" 'BEGIN { print (a < b) }'))); do sleep 0.2; done
rss_full=$(rss_kb "${pid[1]}")
mem_full=$(memory 1)
if ((start_only)); then
  echo "memory of host 1's daemon $settle_s s after start, kB: rss file code arena other | managed: total gen0 gen1 gen2 loh poh"
  echo "  no other lease:   $mem_idle"
  echo "  $leases leases:      $mem_full"
  sleep 30
  echo "  $((settle_s + 30)) s after start: $(memory 1)"
  echo "start: exec to the full table published $(ms "$t_start" "$t_routes") ms ($(ms "$t_idle_start" "$t_idle_routes") ms with no other lease)"
  exit 0
fi

ovl_log "/metrics with $total peers"
read -r page_default scrape_default < <(scrape_median 1)
series_default=$(series 1)
read -r page_all scrape_all < <(scrape_median 2)
series_all=$(series 2)

ovl_log "rates again, interleaved"
m1=$(mark "$work/h1.log")
lease_tool clear "$leases"
wait_routes 1 1 "$work/h1.log" "$m1" >/dev/null
rate "2-routes"
m1=$(mark "$work/h1.log")
lease_tool fill "$leases"
wait_routes 1 "$total" "$work/h1.log" "$m1" >/dev/null
rate "$total-routes"

ovl_log "churn: $churn lease changes a second, $samples new leases timed to their first datagram"
x 2 ip route add local 10.240.0.0/12 dev lo table local
ip netns exec "$(ns h2)" python3 "$here/leases.py" listen $((samples + 60)) >"$work/arrivals.txt" 2>"$work/listen.err" &
ovl_pid_add $!
churn_seconds=$((samples * 7 / 10 + 30))
ip netns exec "$(ns h1)" python3 "$here/leases.py" "$ep" /coreos.com/network churn "$churn" "$churn_seconds" 2>"$work/churn.err" &
churn_pid=$!
ovl_pid_add "$churn_pid"
sleep 2
t_churn=$(now)
lease_tool probe "$samples" 198.18.0.2 >"$work/probes.txt"
t_churn_end=$(now)
kill "$churn_pid" 2>/dev/null || true
read -r n_samples missing p50 p99 pmax < <(python3 "$here/analyze.py" latency "$work/probes.txt" "$work/arrivals.txt")
read -r rebuilds build_us < <(python3 "$here/analyze.py" count "$work/h1.log" 'route table published: \d+ routes, built in (\d+) us' "$t_churn" "$t_churn_end")
churn_window=$(awk -v a="$t_churn" -v b="$t_churn_end" 'BEGIN { printf "%.0f", b - a }')
changes=$(awk -v c="$churn" -v s="$churn_window" 'BEGIN { printf "%.0f", c * s + 2 * '"$samples"' }')

ovl_log "resync after compaction, with a ping host 1 -> host 2 every 20 ms"
m2=$(mark "$work/h2.log")
lease_tool clear 1000 # undo the churn's moves: every lease back at its own address
lease_tool fill "$leases"
wait_routes 2 "$total" "$work/h2.log" "$m2" >/dev/null
ip netns exec "$(ns h1)" ping -i 0.02 -w 90 10.0.2.0 >"$work/ping.txt" 2>&1 &
ping_pid=$!
ovl_pid_add "$ping_pid"
sleep 2
m2=$(mark "$work/h2.log")
x 2 iptables -I OUTPUT -p tcp -d 198.18.0.1 --dport 2379 -j REJECT --reject-with tcp-reset
# Host 2 notices when it next sends on its etcd connections: a lease change makes etcd send it an event to ack.
lease_tool clear 10
wait_log 2 "$work/h2.log" "$m2" "etcd lost" >/dev/null
lease_tool clear 20
# Two more revisions, so that the compaction passes the revision host 2's watch resumes from (its last one + 1).
lease_tool clear 30
lease_tool clear 40
compacted=$(lease_tool compact)
x 2 iptables -D OUTPUT -p tcp -d 198.18.0.1 --dport 2379 -j REJECT --reject-with tcp-reset
t_uncut=$(now)
t_resync=$(wait_log 2 "$work/h2.log" "$m2" "peer watch must resync")
# Only the listing after the resync can hold exactly N-40 routes: the last two clears came after the cut.
t_resynced=$(wait_routes 2 $((total - 40)) "$work/h2.log" "$m2")
sleep 3
kill -INT "$ping_pid" 2>/dev/null || true
for _ in $(seq 50); do grep -q 'packets transmitted' "$work/ping.txt" && break; sleep 0.2; done
# Losses are the sequence numbers missing up to the last reply (the request in flight at the interrupt is no loss).
read -r replies last_seq < <(awk -F'icmp_seq=' '/icmp_seq=/ { split($2, a, " "); n++; if (a[1] > m) m = a[1] } END { print n + 0, m + 0 }' "$work/ping.txt")
ping_lost=$((last_seq - replies))
ping_summary="$replies replies, $ping_lost of $last_seq requests lost"

# Results
rates_2=$(awk '$1 == "2-routes"' "$work/rates.txt")
rates_n=$(awk -v l="$total-routes" '$1 == l' "$work/rates.txt")
mean() { awk -v c="$1" '{ s += $c; n++ } END { printf "%.3f", s / n }'; }
tcp_2=$(mean 2 <<<"$rates_2") tcp_n=$(mean 2 <<<"$rates_n")
pps_2=$(mean 3 <<<"$rates_2") pps_n=$(mean 3 <<<"$rates_n")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b / a }'; }
per_lease=$(awk -v a="$rss_idle" -v b="$rss_full" -v n="$leases" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
report() {
  cat <<EOF
# Scale run $(date -u +%Y-%m-%dT%H:%M:%SZ)

\`perf/scale/scale.sh -n $leases -s $samples -c $churn -t $seconds\` on $(nproc) CPUs (load average at the end: $loadavg),
overlayd $("$overlayd" -version 2>/dev/null | head -n 1), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown).
Network 10.0.0.0/8, SubnetLen 24; host 1's table holds $total routes ($leases written leases and host 2).

| what | with 2 routes | with $total routes | note |
|---|---|---|---|
| start: exec to the full table published | $(ms "$t_idle_start" "$t_idle_routes") ms | $(ms "$t_start" "$t_routes") ms | log "forwarding" at $(ms "$t_start" "$t_forwarding") ms |
| resident memory $settle_s s after start | $((rss_idle / 1024)) MB | $((rss_full / 1024)) MB | $per_lease bytes per lease |
| the same by what holds it, kB: rss file code arena other, managed: total gen0 gen1 gen2 loh poh | $mem_idle | $mem_full | |
| written by one etcd txn per 100 leases, to published | | $(ms "$t0" "$t_applied") ms after the first write | writing took $(ms "$t0" "$t_written") ms |
| /metrics, default -metrics-peers (100) | $page_idle B, $(awk -v t="$scrape_idle" 'BEGIN { printf "%.1f", t * 1000 }') ms | $page_default B, $(awk -v t="$scrape_default" 'BEGIN { printf "%.1f", t * 1000 }') ms | $series_default per-peer series |
| /metrics, every peer (-metrics-peers=65536) | | $page_all B, $(awk -v t="$scrape_all" 'BEGIN { printf "%.1f", t * 1000 }') ms | $series_all per-peer series |
| TCP x1, Gbit/s (mean of 2) | $tcp_2 | $tcp_n | ratio $(ratio "$tcp_2" "$tcp_n") |
| UDP 64 B, packets/s received (mean of 2) | ${pps_2%.*} | ${pps_n%.*} | ratio $(ratio "$pps_2" "$pps_n") |
| new lease to first datagram through, under $churn changes/s | | p50 $p50 ms, p99 $p99 ms, max $pmax ms | $n_samples samples, $missing never arrived within 1 s |
| table rebuilds during the churn | | $rebuilds in ${churn_window} s, $build_us µs each | for about $changes lease changes |
| resync after compaction: "compacted" to the new table | | $(ms "$t_resync" "$t_resynced") ms | cut lifted to table: $(ms "$t_uncut" "$t_resynced") ms |
| ping host 1 -> host 2 every 20 ms through the cut and resync | | $ping_summary | |

Rates, in order: $(tr '\n' ';' <"$work/rates.txt" | sed 's/;/; /g')
EOF
}
report | tee "${out:-/dev/null}"
((replies > 0 && ping_lost == 0)) || ovl_die "the ping lost packets during the resync"
ovl_log "scale run done"
