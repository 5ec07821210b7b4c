# shellcheck shell=bash
# The overlays under test, each brought up on a fresh testbed (lib/testbed.sh) by overlay_up NAME.
#
# overlay_up sets:
#   OV_DST         the address on host 2 that host 1 measures against
#   OV_MTU         the overlay MTU (the DF check sends packets of exactly this size)
#   OV_FORWARDERS  PIDs of the userspace forwarders on both hosts (empty for kernel-only overlays)
#   OV_INFO        one line naming the overlay's version and mode, for the JSON
#   OV_FAILURE     why it did not come up, when it did not
#   OV_METRICS     1 when both hosts serve Prometheus metrics (overlayd), read with ov_metrics HOST
# and leaves configs and logs in RUN_DIR. It returns non-zero, with a reason logged, when the overlay does not
# come up; teardown is the caller's (namespaces and PIDs from the ledgers).

# shellcheck disable=SC2034 # the OV_* results are read by bench.sh and lib/measure.sh
BENCH_OVERLAYS=(underlay vxlan quicktun overlay)

OV_DST='' OV_MTU='' OV_INFO='' OV_FAILURE='' OV_METRICS=0
OV_FORWARDERS=()

# overlayd's health port on each host's underlay address (the namespaces are private, so any port is free).
BENCH_METRICS_PORT=8471

overlay_known() {
  local o
  for o in "${BENCH_OVERLAYS[@]}"; do [[ $o == "$1" ]] && return 0; done
  return 1
}

overlay_up() {
  OV_DST='' OV_MTU='' OV_INFO='' OV_FAILURE='' OV_METRICS=0 OV_FORWARDERS=()
  "overlay_up_$1"
}

# ov_fail REASON: records and logs why the overlay did not come up; always returns 1.
ov_fail() {
  OV_FAILURE=$1
  ovl_log "$1"
  return 1
}

# No overlay: the bare veth pair, the ceiling for everything else.
overlay_up_underlay() {
  OV_DST=$(tb_ul_ip 2) OV_MTU=$BENCH_UL_MTU OV_INFO="veth pair, no encapsulation"
}

# Kernel VXLAN the way flannel's vxlan backend sets it up: VNI 1, UDP 8472, no learning, a fixed MAC per host,
# and for the peer a static FDB entry (its MAC behind its underlay address) plus a permanent neighbour entry.
overlay_up_vxlan() {
  local mtu=$((BENCH_UL_MTU - 50)) i j ns # outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14
  for i in 1 2; do
    ns=${TB_NS[$i]} j=$((3 - i))
    ip -n "$ns" link add vxlan0 type vxlan id 1 local "$(tb_ul_ip "$i")" dev ul0 dstport 8472 nolearning || return 1
    ip -n "$ns" link set vxlan0 address "$(vxlan_mac "$i")" mtu "$mtu" up || return 1
    ip -n "$ns" addr add "10.244.$i.1/16" dev vxlan0 || return 1
    ip netns exec "$ns" bridge fdb replace "$(vxlan_mac "$j")" dev vxlan0 dst "$(tb_ul_ip "$j")" self permanent || return 1
    ip -n "$ns" neigh replace "10.244.$j.1" lladdr "$(vxlan_mac "$j")" dev vxlan0 nud permanent || return 1
  done
  OV_DST=10.244.2.1 OV_MTU=$mtu OV_INFO="kernel vxlan vni 1 dstport 8472 nolearning, static fdb + neighbour"
}

vxlan_mac() { printf '0e:00:0a:f4:%02x:01' "$1"; }

# quicktun with PROTOCOL=raw in TUN mode without packet info: one read() and one send() per packet, the same
# shape as flannel's udp backend, and no header in the datagram either. It is point-to-point, so each host runs
# one process with one device, holding its /32 and a route to the peer's /24.
overlay_up_quicktun() {
  local mtu=$((BENCH_UL_MTU - 28)) port=2998 i j ns # outer IPv4 20 + UDP 8
  for i in 1 2; do
    j=$((3 - i))
    # Debian's build reads its settings as IF_QT_<NAME> (ifupdown style) and the device name from IFACE;
    # the upstream names are set as well so another build behaves the same.
    local settings=(
      PROTOCOL=raw TUN_MODE=1 USE_PI=0
      LOCAL_ADDRESS="$(tb_ul_ip "$i")" LOCAL_PORT="$port"
      REMOTE_ADDRESS="$(tb_ul_ip "$j")" REMOTE_PORT="$port"
    ) env=(INTERFACE=qt0 IFACE=qt0) s
    for s in "${settings[@]}"; do env+=("$s" "IF_QT_$s"); done
    tb_spawn "$i" "$RUN_DIR/quicktun-h$i.log" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" quicktun
    OV_FORWARDERS+=("$TB_LAST_PID")
  done
  for i in 1 2; do
    ns=${TB_NS[$i]} j=$((3 - i))
    tb_wait_link "$i" qt0 || { ov_fail "quicktun on host $i created no qt0 device"; return 1; }
    ip -n "$ns" link set qt0 mtu "$mtu" up || return 1
    ip -n "$ns" addr add "10.244.$i.1/32" dev qt0 || return 1
    ip -n "$ns" route add "10.244.$j.0/24" dev qt0 || return 1
  done
  OV_DST=10.244.2.1 OV_MTU=$mtu
  OV_INFO="quicktun $(dpkg-query -W -f='${Version}' quicktun 2>/dev/null || echo '?') PROTOCOL=raw TUN_MODE=1 USE_PI=0"
}

# overlayd exactly as a flannel user runs it: etcd inside host 1 on its underlay address, the network config
# written with etcdctl, one daemon per host with flanneld's flags. Each host's subnet file is written first
# with 10.244.i.1/24 because the daemon, like flanneld, asks etcd for the subnet it finds there; that keeps the
# addresses predictable. Host 1 then measures against host 2's flannel0 address, 10.244.2.0.
overlay_up_overlay() {
  local ul1 endpoint i ns
  ul1=$(tb_ul_ip 1)
  endpoint=http://$ul1:2379
  tb_spawn 1 "$RUN_DIR/etcd.log" etcd --name bench --data-dir "$RUN_DIR/etcd" \
    --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
    --listen-peer-urls "http://$ul1:2380" --initial-advertise-peer-urls "http://$ul1:2380" \
    --initial-cluster "bench=http://$ul1:2380"
  local healthy=0 deadline=$((SECONDS + 15)) _
  while ((SECONDS < deadline)); do
    tb_x 1 env ETCDCTL_API=3 etcdctl --endpoints "$endpoint" --dial-timeout=1s --command-timeout=1s endpoint health \
      >/dev/null 2>&1 && { healthy=1; break; }
    sleep 0.2
  done
  ((healthy)) || { ov_fail "etcd did not become healthy within 15 s"; return 1; }
  tb_x 1 env ETCDCTL_API=3 etcdctl --endpoints "$endpoint" --command-timeout=5s \
    put /coreos.com/network/config '{"Network":"10.244.0.0/16","Backend":{"Type":"udp"}}' >/dev/null ||
    { ov_fail "could not write the network config into etcd"; return 1; }

  local mtu=$((BENCH_UL_MTU - 28))
  for i in 1 2; do
    printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.%s.1/24\nFLANNEL_MTU=%s\nFLANNEL_IPMASQ=false\n' \
      "$i" "$mtu" >"$RUN_DIR/subnet-h$i.env"
    # OVERLAYD_ARGS (both hosts) and OVERLAYD_ARGS_H1/_H2 (one host) are split on spaces on purpose: they hold
    # extra flags.
    local host_args_var=OVERLAYD_ARGS_H$i
    # shellcheck disable=SC2086
    tb_spawn "$i" "$RUN_DIR/overlayd-h$i.log" "${OVERLAYD_CMD[@]}" -etcd-endpoints="$endpoint" -iface=ul0 \
      -subnet-file="$RUN_DIR/subnet-h$i.env" -admin-socket="$RUN_DIR/admin-h$i.sock" \
      -healthz-ip="$(tb_ul_ip "$i")" -healthz-port="$BENCH_METRICS_PORT" ${OVERLAYD_ARGS:-} ${!host_args_var:-}
    OV_FORWARDERS+=("$TB_LAST_PID")
  done
  for i in 1 2; do
    ns=${TB_NS[$i]}
    local ready=0
    for _ in $(seq 150); do
      ip -n "$ns" -4 addr show dev flannel0 2>/dev/null | grep -q "inet 10.244.$i.0/" && { ready=1; break; }
      kill -0 "${OV_FORWARDERS[$((i - 1))]}" 2>/dev/null || break
      sleep 0.1
    done
    if ((!ready)); then
      kill -0 "${OV_FORWARDERS[$((i - 1))]}" 2>/dev/null || { ov_fail "overlayd on host $i exited during startup"; return 1; }
      local have
      have=$(ip -n "$ns" -4 -o addr show dev flannel0 2>/dev/null | awk '{ print $4 }' | tr '\n' ' ')
      ov_fail "overlayd on host $i did not put 10.244.$i.0 on flannel0 within 15 s (flannel0: ${have:-none})"
      return 1
    fi
    grep -q "^FLANNEL_SUBNET=10.244.$i.1/24$" "$RUN_DIR/subnet-h$i.env" || {
      ov_fail "overlayd on host $i did not keep subnet 10.244.$i.0/24 ($(grep FLANNEL_SUBNET "$RUN_DIR/subnet-h$i.env"))"
      return 1
    }
  done
  OV_DST=10.244.2.0 OV_METRICS=1
  OV_MTU=$(ip -n "${TB_NS[1]}" -o link show dev flannel0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
  OV_INFO="overlayd $("${OVERLAYD_CMD[@]}" -version 2>/dev/null | head -n 1)${OVERLAYD_ARGS:+ $OVERLAYD_ARGS}"
}

# ov_metrics HOST: overlayd's Prometheus text on host HOST, with bash's /dev/tcp (no HTTP client needed); empty
# when the daemon does not answer within 5 s.
ov_metrics() {
  tb_xt "$1" 5 bash -c "exec 3<>/dev/tcp/$(tb_ul_ip "$1")/$BENCH_METRICS_PORT &&
    printf 'GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n' >&3 && cat <&3" 2>/dev/null || true
}
