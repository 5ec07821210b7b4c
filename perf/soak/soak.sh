#!/usr/bin/env bash
# Soak test: overlayd under steady traffic and route churn for a while, reporting whether its memory stays flat and
# whether every drop is one the counters explain. Not part of CI (it runs for minutes by design).
#
#   perf/soak/soak.sh [-m MINUTES] [--warmup-min W] [--rss-growth-mb N]   (as root; default 10 minutes)
#
# Warm-up and limit default to 1 minute and 20 MB for runs under 30 minutes, 10 minutes and 2 MB from 30 minutes on
# (the JIT reaches optimized code for a method after 30 calls, so paths that run every 10 s settle after about five
# minutes).
# Environment: OVERLAYD_BIN (a published overlayd instead of publishing this checkout), OVERLAYD_ARGS (extra flags
# for both daemons).
#
# Three hosts in network namespaces on a bridge, etcd in host 1, overlayd on hosts 1 and 2; host 3 runs no daemon and
# is the target of hand-written leases that are added and deleted all the time (route churn). Traffic: back-to-back
# bounded iperf3 TCP runs h1 -> h2 plus a steady ping h2 -> h1. Every 10 s it samples both daemons' resident memory
# (VmRSS, split by what holds it: memory.py) and managed heap, and at the end their drop counters from /metrics. It
# passes when resident memory grows by at most the given amount after warm-up (the mean of the last six samples
# against the mean of the first six after warm-up, so that the minute-long swings of the GC and of malloc's free
# lists do not count as growth), no daemon died, no ping was lost, and the only drops are NoRoute (packets to churned
# leases, by design) and SendFailed/TunWriteFailed below 0.1 % of the traffic.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tools/lib.sh"

minutes=10 max_growth_mb= warmup_min=
while (($#)); do
  case $1 in
    -m) minutes=$2; shift 2 ;;
    --rss-growth-mb) max_growth_mb=$2; shift 2 ;;
    --warmup-min) warmup_min=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) ovl_die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $minutes =~ ^[0-9]+$ ]] && ((minutes >= 1 && minutes <= 240)) || ovl_die "-m must be 1..240 minutes"
if ((minutes >= 30)); then : "${warmup_min:=10}" "${max_growth_mb:=2}"; else : "${warmup_min:=1}" "${max_growth_mb:=20}"; fi
[[ $warmup_min =~ ^[0-9]+$ ]] && ((warmup_min < minutes || minutes == 1)) || ovl_die "--warmup-min must be below -m"
[[ $max_growth_mb =~ ^[0-9]+$ ]] || ovl_die "--rss-growth-mb must be a whole number of MB"
[[ $(id -u) == 0 ]] || ovl_die "the soak test creates network namespaces: run it as root"
ovl_need_packages etcd:etcd-server etcdctl:etcd-client ip:iproute2 iperf3:iperf3 ping:iputils-ping python3:python3

work=$(mktemp -d "${TMPDIR:-/tmp}/overlay-soak.XXXXXX")
export OVL_NS_LEDGER=$work/namespaces OVL_PID_LEDGER=$work/pids
: >"$OVL_NS_LEDGER"; : >"$OVL_PID_LEDGER"
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  ovl_pid_cleanup
  ovl_ns_cleanup
  ((rc != 0)) && for f in "$work"/h*.log; do [[ -f $f ]] && { echo "--- ${f##*/}" >&2; tail -n 15 "$f" >&2; }; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tag=ovl-soak-$$
ns() { echo "$tag-$1"; }
if [[ -n ${OVERLAYD_BIN:-} ]]; then
  [[ -x $OVERLAYD_BIN ]] || ovl_die "OVERLAYD_BIN=$OVERLAYD_BIN is not an executable overlayd"
  overlayd=$OVERLAYD_BIN
else
  ovl_log "publishing overlayd (Release)"
  dotnet publish "$repo/src/Overlay.Daemon" -c Release -o "$work/bin" --nologo -v quiet >"$work/publish.log" 2>&1 ||
    { cat "$work/publish.log" >&2; ovl_die "dotnet publish failed"; }
  overlayd=$work/bin/overlayd
fi

ovl_bridge_add "$(ns br)"
for i in 1 2 3; do
  ovl_bridge_host "$(ns br)" "$(ns h$i)" "$i" "198.18.0.$i/24"
  # IPv6 off: the kernel's own IPv6 chatter on flannel0 would show up as NotIpv4 drops and blur the report.
  ip netns exec "$(ns h$i)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

ep=http://198.18.0.1:2379
ovl_etcd_start "$(ns h1)" soak 198.18.0.1 "$work/etcd" "$work/etcd.log" || ovl_die "etcd did not become healthy (see $work/etcd.log)"
etcdctl_() { ip netns exec "$(ns h1)" env ETCDCTL_API=3 etcdctl --endpoints "$ep" "$@"; }
# SubnetMax keeps the daemons below 10.244.100.0, so the churned leases (10.244.200-219) never collide with them.
etcdctl_ put /coreos.com/network/config '{"Network":"10.244.0.0/16","SubnetMax":"10.244.99.0","Backend":{"Type":"udp"}}' >/dev/null

declare -A pid tun
for i in 1 2; do
  # OVERLAYD_ARGS is split on spaces on purpose: it holds extra flags, e.g. "-v=1".
  # shellcheck disable=SC2086
  ip netns exec "$(ns h$i)" "$overlayd" -etcd-endpoints="$ep" -iface=ul0 -subnet-file="$work/h$i.env" \
    -admin-socket="$work/h$i.sock" -healthz-ip=127.0.0.1 -healthz-port=8471 ${OVERLAYD_ARGS:-} >"$work/h$i.log" 2>&1 &
  pid[$i]=$!
  ovl_pid_add "${pid[$i]}"
done
for i in 1 2; do
  for _ in $(seq 100); do [[ -s $work/h$i.env ]] && break; sleep 0.1; done
  [[ -s $work/h$i.env ]] || ovl_die "overlayd on host $i did not start"
  s=$(sed -n 's/^FLANNEL_SUBNET=//p' "$work/h$i.env"); tun[$i]=${s%.*}.0
done
for _ in $(seq 50); do ip netns exec "$(ns h1)" ping -c1 -W1 "${tun[2]}" >/dev/null 2>&1 && break; sleep 0.2; done

end=$((SECONDS + minutes * 60))
ovl_log "soaking for $minutes min: iperf3 h1 -> h2, ping h2 -> h1, lease churn towards host 3"
ip netns exec "$(ns h2)" ping -i 0.2 -w $((minutes * 60)) "${tun[1]}" >"$work/ping.log" 2>&1 &
ovl_pid_add $!
(
  while ((SECONDS < end - 15)); do
    ip netns exec "$(ns h2)" timeout 30 iperf3 -s -1 -B "${tun[2]}" >/dev/null 2>&1 &
    srv=$!
    sleep 0.5
    ip netns exec "$(ns h1)" timeout 25 iperf3 -c "${tun[2]}" -t 10 >/dev/null 2>&1 || true
    kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true
  done
) &
ovl_pid_add $!
(
  n=0
  while ((SECONDS < end - 5)); do
    k=$((200 + n % 20))
    etcdctl_ put "/coreos.com/network/subnets/10.244.$k.0-24" '{"PublicIP":"198.18.0.3","PublicIPv6":null}' >/dev/null 2>&1 || true
    ip netns exec "$(ns h1)" bash -c "echo churn > /dev/udp/10.244.$(( 200 + (n + 7) % 20 )).1/9" 2>/dev/null || true
    ((n % 3 == 0)) && etcdctl_ del "/coreos.com/network/subnets/10.244.$(( 200 + (n + 10) % 20 )).0-24" >/dev/null 2>&1 || true
    n=$((n + 1))
    sleep 0.5
  done
) &
ovl_pid_add $!

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
metrics() {
  ip netns exec "$(ns h$1)" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8471
    printf "GET /metrics HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n" >&3; timeout 5 cat <&3' || true
}
# The managed heap as the runtime reports it (prometheus-net's dotnet_total_memory_bytes), beside resident memory split
# by what holds it (memory.py: mapped files, JIT code, malloc arenas, other anonymous memory such as the GC's), so a
# growth can be told apart.
heap_kb() { metrics "$1" | awk '/^dotnet_total_memory_bytes/ { printf "%d", $2 / 1024 }'; }
samples=$work/samples.tsv
printf '%6s | %8s %7s %7s %7s %7s %7s | %8s %7s %7s %7s %7s %7s\n' "time" \
  "h1 RSS" "file" "code" "arena" "other" "heap" "h2 RSS" "file" "code" "arena" "other" "heap" | tee "$samples"
: >"$work/after.tsv"
while ((SECONDS < end)); do
  sleep 10
  for i in 1 2; do kill -0 "${pid[$i]}" 2>/dev/null || ovl_die "overlayd on host $i died"; done
  r1=$(rss "${pid[1]}") r2=$(rss "${pid[2]}")
  elapsed=$((minutes * 60 - (end - SECONDS)))
  read -r _ f1 c1 a1 o1 < <(python3 "$here/memory.py" "${pid[1]}")
  read -r _ f2 c2 a2 o2 < <(python3 "$here/memory.py" "${pid[2]}")
  printf '%5ss | %8s %7s %7s %7s %7s %7s | %8s %7s %7s %7s %7s %7s\n' "$elapsed" \
    "$r1" "$f1" "$c1" "$a1" "$o1" "$(heap_kb 1)" "$r2" "$f2" "$c2" "$a2" "$o2" "$(heap_kb 2)" | tee -a "$samples"
  # Warm-up: JIT tiering, pools, socket buffers. Samples after it go to after.tsv.
  if ((elapsed >= warmup_min * 60 || minutes == 1)); then printf '%s %s %s\n' "$elapsed" "$r1" "$r2" >>"$work/after.tsv"; fi
done
for _ in $(seq 50); do grep -q 'packets transmitted' "$work/ping.log" && break; sleep 0.2; done
wait_ping=$(grep -E 'packets transmitted' "$work/ping.log" || true)

fail=0
echo
echo "## Drops by reason"
for i in 1 2; do
  m=$(metrics "$i")
  sent=$(awk '/^overlay_udp_sent_packets/ { print $2 }' <<<"$m" | head -1)
  echo "host $i (sent ${sent:-?} packets):"
  [[ -n $m ]] || { echo "  no answer from /metrics"; fail=1; continue; }
  grep -E '^overlay_dropped_packets' <<<"$m" | sed 's/^/  /' || true
  while read -r reason count; do
    [[ -z $reason ]] && continue
    case $reason in
      NoRoute) ;;
      SendFailed|TunWriteFailed) awk -v c="$count" -v s="${sent:-0}" 'BEGIN { exit !(s > 0 && c > s / 1000) }' && { echo "  unexplained: $reason $count"; fail=1; } ;;
      *) ((count > 0)) && { echo "  unexplained: $reason $count"; fail=1; } ;;
    esac
  done < <({ grep -E '^overlay_dropped_packets' <<<"$m" || true; } | sed -E 's/.*reason="([A-Za-z]+)".* ([0-9.e+]+)$/\1 \2/' | awk '{ printf "%s %d\n", $1, $2 }')
done

echo
echo "## Memory (VmRSS, kB) after ${warmup_min} min of warm-up: mean of the first six samples, of the last six, maximum"
for i in 1 2; do
  read -r first last top < <(awk -v c=$((i + 1)) '{ v[NR] = $c; if ($c > top) top = $c }
    END { n = NR < 6 ? NR : 6; for (k = 1; k <= n; k++) { f += v[k]; l += v[NR - n + k] }
          printf "%d %d %d\n", f / n, l / n, top }' "$work/after.tsv")
  growth_kb=$((last - first))
  echo "host $i: $first -> $last (growth $growth_kb kB; limit $((max_growth_mb * 1024)) kB), maximum $top"
  ((growth_kb <= max_growth_mb * 1024)) || fail=1
done
echo
echo "## Ping h2 -> h1 during the soak"
echo "${wait_ping:-(still running)}"
grep -q ' 0% packet loss' "$work/ping.log" || fail=1
((fail == 0)) || ovl_die "soak failed: see above"
ovl_log "soak passed"
