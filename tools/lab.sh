#!/usr/bin/env bash
# The lab demo: three hosts (or -n of them, 2 to 10) in network namespaces on one bridge (underlay 198.18.0.0/24), a
# real etcd, one overlayd per host started with flanneld's flags, then a ping matrix over the overlay (every host to
# every other, N x (N-1) ordered pairs, so each pair is checked both ways), an iperf3 run with
# overlayctl's live per-peer rates beside it, the daemon's routes next to etcd's leases, a pcap capture read
# back with tshark, and the Prometheus metrics from the health port.
# Everything it creates (namespaces, processes, temp files) is removed at exit, also on Ctrl-C or failure.
#
#   tools/lab.sh [-n HOSTS] [-t IPERF_SECONDS] [--keep] [--overlayd PATH] [--overlayctl PATH]     (as root)
#
# --keep leaves the lab running until Enter is pressed, to poke at it (ip netns exec ... ).
# --overlayd and --overlayctl (or OVERLAYD_BIN and OVERLAYCTL_BIN) run prebuilt executables, e.g. the Debian
# package's /usr/bin/overlayd and /usr/bin/overlayctl, instead of building this checkout (which needs the SDK).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib.sh"

hosts=3 seconds=5 keep=0 overlayd=${OVERLAYD_BIN:-} overlayctl=${OVERLAYCTL_BIN:-}
while (($#)); do
  case $1 in
    --overlayd) overlayd=$2; shift 2 ;;
    --overlayctl) overlayctl=$2; shift 2 ;;
    -n) hosts=$2; shift 2 ;;
    -t) seconds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
((hosts >= 2 && hosts <= 10)) || ovl_die "-n must be 2..10"
((seconds >= 1 && seconds <= 60)) || ovl_die "-t must be 1..60 seconds"
[[ $(id -u) == 0 ]] || ovl_die "the lab creates network namespaces: run it as root"

for given in "$overlayd" "$overlayctl"; do
  [[ -z $given || -x $given ]] || ovl_die "$given is not an executable file (--overlayd and --overlayctl take a path)"
done
ovl_need_packages etcd:etcd-server etcdctl:etcd-client ip:iproute2 iperf3:iperf3 ping:iputils-ping tshark:tshark
if [[ -z $overlayd || -z $overlayctl ]]; then
  command -v dotnet >/dev/null || ovl_die "the .NET 10 SDK (dotnet) is required, or give --overlayd and --overlayctl"
fi

work=$(mktemp -d /tmp/overlay-lab.XXXXXX)
export OVL_NS_LEDGER=$work/namespaces OVL_PID_LEDGER=$work/pids
: >"$OVL_NS_LEDGER"; : >"$OVL_PID_LEDGER"
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  ovl_pid_cleanup
  ovl_ns_cleanup
  if ((rc != 0)); then
    ovl_log "lab failed (exit $rc); daemon logs follow"
    for f in "$work"/h*.log; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 25 "$f" >&2; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tag=ovl-lab-$$
ns() { echo "$tag-$1"; }
ul_ip() { echo "198.18.0.$1"; }

mkdir -p "$work/bin"
for pair in "Overlay.Daemon:overlayd:$overlayd" "Overlay.Ctl:overlayctl:$overlayctl"; do
  IFS=: read -r project name given <<<"$pair"
  if [[ -n $given ]]; then
    ovl_log "using $name at $given"
    ln -s "$(realpath "$given")" "$work/bin/$name"
    continue
  fi
  # The quick framework-dependent build (seconds, runs on the SDK's runtime); tools/package.sh builds the Native
  # AOT executables that ship, which the lab runs with --overlayd and --overlayctl.
  ovl_log "building $name from source (Release)"
  dotnet publish "$repo/src/$project" -c Release -p:PublishAot=false -o "$work/bin" --nologo -v quiet >"$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; ovl_die "dotnet publish of $project failed"; }
done
# overlayctl runs inside the host's namespace: the admin socket is a file, but etcd is only reachable there.
ctl() { ip netns exec "$(ns h$1)" "$work/bin/overlayctl" -socket "$work/h$1.sock" "${@:2}"; }

ovl_log "building $hosts hosts on a bridge: underlay 198.18.0.0/24"
ovl_bridge_add "$(ns br)"
for i in $(seq "$hosts"); do
  ovl_bridge_host "$(ns br)" "$(ns h$i)" "$i" "$(ul_ip "$i")/24"
done

etcd_ep=http://$(ul_ip 1):2379
ovl_log "starting etcd in host 1 on $etcd_ep"
ovl_etcd_start "$(ns h1)" lab "$(ul_ip 1)" "$work/etcd" "$work/etcd.log" || ovl_die "etcd did not become healthy (see $work/etcd.log)"
etcdctl_() { ip netns exec "$(ns h1)" env ETCDCTL_API=3 etcdctl --endpoints "$etcd_ep" "$@"; }

config='{"Network":"10.244.0.0/16","Backend":{"Type":"udp"}}'
ovl_log "network config: $config"
etcdctl_ put /coreos.com/network/config "$config" >/dev/null

for i in $(seq "$hosts"); do
  ip netns exec "$(ns h$i)" "$work/bin/overlayd" -etcd-endpoints="$etcd_ep" -iface=ul0 -admin-socket="$work/h$i.sock" \
    -subnet-file="$work/h$i.env" -healthz-ip=127.0.0.1 -healthz-port=8471 >"$work/h$i.log" 2>&1 &
  ovl_pid_add $!
done

declare -A tun_ip
for i in $(seq "$hosts"); do
  # Ten daemons starting at once on a small machine: give each 30 s.
  for _ in $(seq 300); do [[ -s $work/h$i.env ]] && break; sleep 0.1; done
  [[ -s $work/h$i.env ]] || ovl_die "overlayd on host $i did not write its subnet file within 30 s"
  subnet=$(sed -n 's/^FLANNEL_SUBNET=//p' "$work/h$i.env")
  tun_ip[$i]=${subnet%.*}.0
  ovl_log "host $i: $(tr '\n' ' ' <"$work/h$i.env")"
done

echo
echo "## Leases in etcd"
etcdctl_ get --prefix /coreos.com/network/subnets | paste - -
echo
echo "## Ping matrix (3 pings each, to each host's flannel0 address)"
failures=0
for i in $(seq "$hosts"); do
  for j in $(seq "$hosts"); do
    ((i == j)) && continue
    # Routes arrive through the etcd watch; give the mesh a moment on the first try.
    ok=0
    for _ in $(seq 20); do
      if out=$(ip netns exec "$(ns h$i)" ping -c 3 -i 0.2 -W 1 "${tun_ip[$j]}" 2>&1); then ok=1; break; fi
      sleep 0.25
    done
    if ((ok)); then
      rtt=$(sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' <<<"$out")
      printf '  h%s -> h%s (%s): ok, avg rtt %s ms\n' "$i" "$j" "${tun_ip[$j]}" "$rtt"
    else
      printf '  h%s -> h%s (%s): FAILED\n' "$i" "$j" "${tun_ip[$j]}"
      failures=$((failures + 1))
    fi
  done
done
((failures == 0)) || ovl_die "$failures ping pairs failed"

echo
echo "## iperf3 TCP, h1 -> h2 over the overlay, $seconds s, with overlayctl stats on h1 beside it"
ip netns exec "$(ns h2)" timeout $((seconds + 15)) iperf3 -s -1 -B "${tun_ip[2]}" >"$work/iperf-server.log" 2>&1 &
ovl_pid_add $!
sleep 0.5
# Totals first, then one block of per-second rates (host row, then one row per peer) each second.
timeout $((seconds + 10)) ip netns exec "$(ns h1)" "$work/bin/overlayctl" -socket "$work/h1.sock" stats -c $((seconds < 3 ? seconds + 1 : 4)) \
  >"$work/stats.out" 2>&1 &
stats_pid=$!
ovl_pid_add "$stats_pid"
if out=$(ip netns exec "$(ns h1)" timeout $((seconds + 10)) iperf3 -c "${tun_ip[2]}" -t "$seconds" -f g 2>&1); then
  grep -E 'sender|receiver' <<<"$out" | sed 's/^/  /'
else
  echo "$out" >&2
  ovl_die "iperf3 failed"
fi
wait "$stats_pid" || ovl_die "overlayctl stats failed: $(cat "$work/stats.out")"
echo
echo "## overlayctl stats on h1 (totals, then rows ending /s: rates in packets/s and bit/s)"
sed 's/^/  /' "$work/stats.out"

echo
echo "## overlayctl routes on h1: the daemon's table beside etcd's leases"
routes=$(ctl 1 -etcd-endpoints "$etcd_ep" routes 2>&1) || ovl_die "overlayctl routes failed: $routes"
sed 's/^/  /' <<<"$routes"

echo
echo "## overlayctl capture on h1: 6 packets of a ping to h2, read back with tshark"
timeout 20 ip netns exec "$(ns h1)" "$work/bin/overlayctl" -socket "$work/h1.sock" capture -c 6 -w "$work/lab.pcap" 2>"$work/capture.err" &
capture_pid=$!
ovl_pid_add "$capture_pid"
sleep 1
ip netns exec "$(ns h1)" ping -c 3 -i 0.2 -W 1 "${tun_ip[2]}" >/dev/null || true
wait "$capture_pid" || ovl_die "overlayctl capture failed: $(cat "$work/capture.err")"
sed 's/^/  /' "$work/capture.err"
# The capture is Linux cooked (sll): packet type 4 is "sent by us" (TUN to peer), 0 "to us" (peer to TUN).
tshark -r "$work/lab.pcap" -T fields -e frame.time_relative -e sll.pkttype -e ip.src -e ip.dst -e _ws.col.Info 2>/dev/null |
  awk -F'\t' '{ printf "  %8.6f  %-3s  %-15s -> %-15s %s\n", $1, ($2 == 4 ? "out" : "in"), $3, $4, $5 }'

echo
echo "## /metrics on h1's health port (per-peer series and drops; the full page has every instrument)"
metrics=$(ip netns exec "$(ns h1)" timeout 5 bash -c \
  'exec 3<>/dev/tcp/127.0.0.1/8471; printf "GET /metrics HTTP/1.0\r\nHost: lab\r\n\r\n" >&3; cat <&3') \
  || ovl_die "could not read /metrics from h1"
grep -E '^overlay_(peer_|routes |etcd_connected |batches[a-z_]*\{direction="tun_to_udp"|dropped_packets[a-z_]*\{reason="(NoRoute|NotIpv4|UnknownSource)")' <<<"$metrics" | sed 's/^/  /'

echo
echo "## Daemon logs"
for i in $(seq "$hosts"); do
  printf '  h%s: %s log lines, %s warnings or errors\n' "$i" "$(grep -c . "$work/h$i.log")" "$(grep -c ' warn: \| fail: \| crit: ' "$work/h$i.log" || true)"
  # The lines themselves, so a count is never a mystery (the lab's etcd is plain text on purpose, which is one of them).
  grep ' warn: \| fail: \| crit: ' "$work/h$i.log" | sed 's/^/      /' || true
done

if ((keep)); then
  echo
  echo "Lab left running: namespaces $(tr '\n' ' ' <"$OVL_NS_LEDGER"). Press Enter to tear it down."
  read -r _ || true
fi
echo
ovl_log "lab passed: $((hosts * (hosts - 1))) ping pairs ok; cleaning up"
