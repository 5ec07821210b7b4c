#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/../..
# Start time and memory of overlayd builds, side by side (as root):
#
#   perf/packaging/startup.sh [-r ROUNDS] [-t SECONDS] NAME=COMMAND ...
#   e.g. perf/packaging/startup.sh -r 5 jit="dotnet /tmp/jit/overlayd.dll" aot=/usr/bin/overlayd
#
# Each round, for each build in turn (interleaved, so a slow moment on the machine hits every build): a fresh
# two-host testbed (perf/netns/lib/testbed.sh) with etcd in host 1, then both hosts' overlayd started as flanneld
# is, and per host:
#   start->fwd  seconds from the exec to the daemon's "forwarding:" log line (etcd reached, lease held, flannel0 up;
#               the log line's own UTC timestamp, so polling adds nothing)
#   idle RSS    VmRSS of host 1's daemon 3 s after forwarding began, no traffic
#   stream RSS  VmRSS of both daemons (the sender's host 1, the receiver's host 2) at the end of an iperf3 TCP
#               stream of -t seconds (default 5) from host 1 to host 2, and the stream's Gbit/s
# One tab-separated line per build and round goes to stdout. Everything runs in namespaces it creates and removes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tools/lib.sh"
source "$repo/perf/netns/lib/testbed.sh"

rounds=3 seconds=5 builds=()
while (($#)); do
  case $1 in
    -r) rounds=$2; shift 2 ;;
    -t) seconds=$2; shift 2 ;;
    -h|--help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) builds+=("$1"); shift ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
((${#builds[@]} > 0)) || ovl_die "name at least one build as NAME=COMMAND (see --help)"
[[ $rounds =~ ^[0-9]+$ ]] && ((rounds >= 1 && rounds <= 20)) || ovl_die "-r must be 1..20"
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds >= 1 && seconds <= 60)) || ovl_die "-t must be 1..60"
[[ $(id -u) == 0 ]] || ovl_die "the measurement creates network namespaces: run it as root"
ovl_need_packages ip:iproute2 iperf3:iperf3 etcd:etcd-server etcdctl:etcd-client

work=$(mktemp -d "${TMPDIR:-/tmp}/overlay-startup.XXXXXX")
export OVL_NS_LEDGER=$work/namespaces OVL_PID_LEDGER=$work/pids
: >"$OVL_NS_LEDGER"; : >"$OVL_PID_LEDGER"
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  ovl_pid_cleanup
  ovl_ns_cleanup
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# forwarded_at LOG: the UTC time of the "forwarding:" line, in seconds since the epoch (with milliseconds).
forwarded_at() {
  local stamp
  stamp=$(sed -n 's/^\([0-9T:.-]*\)Z .*forwarding: .*/\1/p' "$1" | head -n 1)
  [[ -n $stamp ]] && date -u -d "${stamp/T/ }" +%s.%N
}

# one_run NAME COMMAND ROUND: prints NAME ROUND start->fwd(h1) start->fwd(h2) idleRSS(h1) streamRSS(h1) streamRSS(h2) Gbit/s
one_run() {
  local name=$1 command=$2 round=$3 run=$work/$1-$3 i
  mkdir -p "$run"
  tb_create "ovl-start-$$-$name-$round" || ovl_die "could not build the testbed"
  local endpoint=http://$(tb_ul_ip 1):2379
  tb_spawn 1 "$run/etcd.log" etcd --name m --data-dir "$run/etcd" --listen-client-urls "$endpoint" \
    --advertise-client-urls "$endpoint" --listen-peer-urls "http://$(tb_ul_ip 1):2380" \
    --initial-advertise-peer-urls "http://$(tb_ul_ip 1):2380" --initial-cluster "m=http://$(tb_ul_ip 1):2380"
  local etcd_pid=$TB_LAST_PID
  for _ in $(seq 75); do
    tb_x 1 env ETCDCTL_API=3 etcdctl --endpoints "$endpoint" --dial-timeout=1s endpoint health >/dev/null 2>&1 && break
    sleep 0.2
  done
  tb_x 1 env ETCDCTL_API=3 etcdctl --endpoints "$endpoint" put /coreos.com/network/config \
    '{"Network":"10.244.0.0/16","Backend":{"Type":"udp"}}' >/dev/null || ovl_die "etcd did not come up"

  local -a pids=() started=() forwarded=()
  for i in 1 2; do
    started[i]=$(date +%s.%N)
    # shellcheck disable=SC2086 # COMMAND is split on purpose: "dotnet path/overlayd.dll" is two words.
    tb_spawn "$i" "$run/h$i.log" $command -etcd-endpoints="$endpoint" -iface=ul0 \
      -subnet-file="$run/h$i.env" -admin-socket="$run/h$i.sock"
    pids[i]=$TB_LAST_PID
  done
  for i in 1 2; do
    for _ in $(seq 300); do grep -q 'forwarding: ' "$run/h$i.log" 2>/dev/null && break; sleep 0.05; done
    forwarded[i]=$(forwarded_at "$run/h$i.log") || { cat "$run/h$i.log" >&2; ovl_die "$name on host $i did not forward within 15 s"; }
  done
  sleep 3
  local idle_rss
  idle_rss=$(rss_mb "${pids[1]}")

  local dst
  dst=$(sed -n 's/^FLANNEL_SUBNET=\(.*\)\.1\/24$/\1.0/p' "$run/h2.env")
  tb_spawn 2 "$run/iperf-server.log" timeout $((seconds + 20)) iperf3 -s -1 -B "$dst"
  sleep 0.5
  tb_xt 1 $((seconds + 15)) iperf3 -c "$dst" -t "$seconds" -J >"$run/iperf.json" &
  local client=$!
  sleep "$seconds"
  local stream_rss1 stream_rss2
  stream_rss1=$(rss_mb "${pids[1]}")
  stream_rss2=$(rss_mb "${pids[2]}")
  wait "$client" || true
  local gbits
  gbits=$(sed -n 's/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' "$run/iperf.json" | tail -n 1)
  gbits=$(awk -v b="${gbits:-0}" 'BEGIN { printf "%.2f", b / 1e9 }')

  printf '%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\t%s\n' "$name" "$round" \
    "$(echo "${forwarded[1]} - ${started[1]}" | bc)" "$(echo "${forwarded[2]} - ${started[2]}" | bc)" \
    "$idle_rss" "$stream_rss1" "$stream_rss2" "$gbits"

  for i in 1 2; do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for i in 1 2; do for _ in $(seq 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done; done
  kill -TERM "$etcd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  for ns in "${TB_NS[1]}" "${TB_NS[2]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

command -v bc >/dev/null || ovl_need_packages bc:bc
printf 'build\tround\tstart->fwd h1 s\tstart->fwd h2 s\tidle RSS MB\tstream RSS h1 MB\tstream RSS h2 MB\tTCP Gbit/s\n'
for round in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    one_run "${build%%=*}" "${build#*=}" "$round"
  done
done
