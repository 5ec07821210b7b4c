# shellcheck shell=bash
# The measurements, host 1 -> host 2 over the overlay address OV_DST, each DURATION seconds and each under
# `timeout`. Results go into the associative array RESULT, one key per JSON field (the caller empties it per run);
# a test that fails leaves its keys empty (null in the JSON) and the run goes on with the next test.
# Raw tool output stays in RUN_DIR.

# Ports of the one-off servers on host 2: one per test, so a test that hangs cannot block the next.
declare -A RESULT=()

BENCH_PORT_TCP1=5201 BENCH_PORT_TCP4=5202 BENCH_PORT_UDP64=5203 BENCH_PORT_SOCKPERF=11111

BENCH_MEASUREMENTS=(tcp1 tcp4 udp64 latency)

measurement_known() {
  local m
  for m in "${BENCH_MEASUREMENTS[@]}"; do [[ $m == "$1" ]] && return 0; done
  return 1
}

# measure_all: the measurements named in MEASUREMENTS (default: all), in the fixed order above.
measure_all() {
  local wanted=" ${MEASUREMENTS[*]:-${BENCH_MEASUREMENTS[*]}} "
  [[ $wanted == *" tcp1 "* ]] && measure_tcp tcp1 "$BENCH_PORT_TCP1" 1
  [[ $wanted == *" tcp4 "* ]] && measure_tcp tcp4 "$BENCH_PORT_TCP4" 4
  [[ $wanted == *" udp64 "* ]] && measure_udp64
  [[ $wanted == *" latency "* ]] && measure_latency
  return 0
}

# json_value FILTER FILE: the filter's value, or nothing when the file or the value is missing; never fails.
json_value() {
  jq -r "($1) // empty" "$2" 2>/dev/null | head -n 1 || true
}

# iperf3_server PORT NAME: a one-off iperf3 server on host 2, bound to OV_DST; waits until it listens.
iperf3_server() {
  local port=$1 name=$2 _
  tb_spawn 2 "$RUN_DIR/$name-server.log" timeout --foreground -k 2 $((DURATION + 30)) iperf3 -s -1 -B "$OV_DST" -p "$port"
  for _ in $(seq 50); do
    tb_x 2 ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  ovl_log "iperf3 server on port $port did not start"
  return 1
}

# iperf3_client PORT NAME ARGS...: runs the client on host 1, JSON to RUN_DIR/NAME.json.
iperf3_client() {
  local port=$1 name=$2; shift 2
  tb_xt 1 $((DURATION + 20)) iperf3 -c "$OV_DST" -p "$port" -t "$DURATION" -J "$@" \
    >"$RUN_DIR/$name.json" 2>"$RUN_DIR/$name.err" && return 0
  ovl_log "iperf3 $name failed: $(jq -r '.error // empty' "$RUN_DIR/$name.json" 2>/dev/null)$(head -c 300 "$RUN_DIR/$name.err")"
  return 1
}

# measure_tcp NAME PORT STREAMS: receiver throughput and sender retransmits. The single-stream run also
# accounts the forwarders' CPU time (all threads, both hosts) and divides it by the gigabytes it moved.
measure_tcp() {
  local name=$1 port=$2 streams=$3 cpu0 cpu1 busy0 busy1 clk
  ovl_log "  $name: iperf3 TCP, $streams stream(s), ${DURATION}s"
  iperf3_server "$port" "$name" || return 0
  clk=$(getconf CLK_TCK)
  local metrics1_before='' metrics2_before=''
  if [[ $name == tcp1 ]] && ((OV_METRICS)); then metrics1_before=$(ov_metrics 1) metrics2_before=$(ov_metrics 2); fi
  cpu0=$(tb_cpu_ticks "${OV_FORWARDERS[@]}") busy0=$(tb_machine_busy_ticks)
  iperf3_client "$port" "$name" -P "$streams" || return 0
  cpu1=$(tb_cpu_ticks "${OV_FORWARDERS[@]}") busy1=$(tb_machine_busy_ticks)
  [[ -n $metrics1_before ]] && offload_use "$metrics1_before" "$(ov_metrics 1)" "$metrics2_before" "$(ov_metrics 2)"
  local json=$RUN_DIR/$name.json
  RESULT[${name}_gbps]=$(json_value '.end.sum_received.bits_per_second / 1e9' "$json")
  RESULT[${name}_retransmits]=$(json_value '.end.sum_sent.retransmits' "$json")
  RESULT[${name}_bytes]=$(json_value '.end.sum_received.bytes' "$json")
  [[ $name == tcp1 ]] || return 0
  RESULT[tcp1_machine_cpu_s]=$(awk -v d=$((busy1 - busy0)) -v k="$clk" 'BEGIN { printf "%.2f", d / k }')
  if ((${#OV_FORWARDERS[@]} > 0)); then
    RESULT[tcp1_forwarder_cpu_s]=$(awk -v d=$((cpu1 - cpu0)) -v k="$clk" 'BEGIN { printf "%.2f", d / k }')
    RESULT[cpu_s_per_gb]=$(awk -v d=$((cpu1 - cpu0)) -v k="$clk" -v b="${RESULT[tcp1_bytes]}" \
      'BEGIN { if (b > 0) printf "%.3f", (d / k) / (b / 1e9) }')
  fi
}

# metric TEXT NAME: the value of the unlabelled series NAME (the exporter may add _total) in Prometheus TEXT, or 0.
metric() {
  awk -v name="$2" '$1 == name || $1 == name "_total" { printf "%.0f", $2; found = 1; exit } END { if (!found) print 0 }' <<<"$1"
}

# per_unit BEFORE AFTER UNITS_BEFORE UNITS_AFTER [SCALE]: SCALE x (AFTER - BEFORE) / (UNITS_AFTER - UNITS_BEFORE),
# 1 decimal; nothing when no units were counted.
per_unit() {
  awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v k="${5:-1}" 'BEGIN { if (d - c > 0) printf "%.1f", k * (b - a) / (d - c) }'
}

# offload_use H1_BEFORE H1_AFTER H2_BEFORE H2_AFTER: how much each offload merged during the single stream, from
# overlayd's metrics: plain packets per TSO superpacket read on host 1, per UDP GSO send from host 1, per UDP GRO
# receive on host 2, per superpacket written on host 2, and the share of those GRO receives that landed in the
# forwarding batch with no copy. Near 1 means the offload did not engage and each packet cost its own system call.
offload_use() {
  local h1a=$1 h1b=$2 h2a=$3 h2b=$4
  RESULT[tcp1_h1_per_tun_read]=$(per_unit "$(metric "$h1a" overlay_tun_superpacket_packets_read)" \
    "$(metric "$h1b" overlay_tun_superpacket_packets_read)" "$(metric "$h1a" overlay_tun_superpackets_read)" \
    "$(metric "$h1b" overlay_tun_superpackets_read)")
  RESULT[tcp1_h1_per_gso_send]=$(per_unit "$(metric "$h1a" overlay_udp_gso_segments)" "$(metric "$h1b" overlay_udp_gso_segments)" \
    "$(metric "$h1a" overlay_udp_gso_runs)" "$(metric "$h1b" overlay_udp_gso_runs)")
  RESULT[tcp1_h2_per_gro_receive]=$(per_unit "$(metric "$h2a" overlay_udp_gro_segments)" "$(metric "$h2b" overlay_udp_gro_segments)" \
    "$(metric "$h2a" overlay_udp_gro_messages)" "$(metric "$h2b" overlay_udp_gro_messages)")
  RESULT[tcp1_h2_per_tun_write]=$(per_unit "$(metric "$h2a" overlay_tun_superpacket_packets_written)" \
    "$(metric "$h2b" overlay_tun_superpacket_packets_written)" "$(metric "$h2a" overlay_tun_superpackets_written)" \
    "$(metric "$h2b" overlay_tun_superpackets_written)")
  RESULT[tcp1_h2_gro_in_place_pct]=$(per_unit "$(metric "$h2a" overlay_udp_gro_messages_in_place)" \
    "$(metric "$h2b" overlay_udp_gro_messages_in_place)" "$(metric "$h2a" overlay_udp_gro_messages)" \
    "$(metric "$h2b" overlay_udp_gro_messages)" 100)
}

# measure_udp64: iperf3 UDP with 64-byte datagrams at unlimited rate; packets/s that reached host 2, the rate
# the sender offered, the loss, and how much of it host 2's own UDP sockets dropped for a full receive buffer.
# A high socket-drop rate means the packets crossed the overlay and the receiving iperf3 could not keep up: on a
# small machine the sender, the forwarders and the receiver share the CPUs, and the receiver's share sets the rate.
measure_udp64() {
  ovl_log "  udp64: iperf3 UDP, 64-byte datagrams, -b 0, ${DURATION}s"
  iperf3_server "$BENCH_PORT_UDP64" udp64 || return 0
  local drops0 drops1
  drops0=$(tb_snmp 2 Udp RcvbufErrors)
  iperf3_client "$BENCH_PORT_UDP64" udp64 -u -l 64 -b 0 || return 0
  drops1=$(tb_snmp 2 Udp RcvbufErrors)
  local json=$RUN_DIR/udp64.json
  local seconds
  seconds=$(json_value '(.end.sum_received // .end.sum).seconds' "$json")
  [[ -n $drops0 && -n $drops1 && -n $seconds ]] &&
    RESULT[udp64_sockdrop_pps]=$(awk -v d=$((drops1 - drops0)) -v s="$seconds" 'BEGIN { if (s > 0) printf "%.0f", d / s }')
  # iperf3 3.12 reports the receiver's view in sum_received; older builds only in sum.
  RESULT[udp64_rx_pps]=$(json_value '(.end.sum_received // .end.sum) |
    if .seconds > 0 then (.packets - .lost_packets) / .seconds else null end' "$json")
  RESULT[udp64_tx_pps]=$(json_value '(.end.sum_sent // .end.sum) | if .seconds > 0 then .packets / .seconds else null end' "$json")
  RESULT[udp64_loss_pct]=$(json_value '(.end.sum_received // .end.sum).lost_percent' "$json")
}

# measure_latency: sockperf ping-pong with 64-byte UDP messages, full round trip, p50 and p99 in microseconds.
# Ping-pong stalls on the first lost message, so a run that dropped any (or a sockperf that failed) is
# replaced by ping's own round trips, sorted here into the same percentiles.
measure_latency() {
  ovl_log "  latency: sockperf ping-pong, 64-byte messages, ${DURATION}s"
  local out=$RUN_DIR/sockperf.out
  tb_spawn 2 "$RUN_DIR/sockperf-server.log" timeout --foreground -k 2 $((DURATION + 30)) sockperf sr -i "$OV_DST" -p "$BENCH_PORT_SOCKPERF"
  sleep 0.5
  if tb_xt 1 $((DURATION + 20)) sockperf pp -i "$OV_DST" -p "$BENCH_PORT_SOCKPERF" -m 64 -t "$DURATION" --full-rtt \
    >"$out" 2>&1 && ! grep -Eq 'dropped messages = [1-9]' "$out"; then
    RESULT[lat_p50_us]=$(awk '/percentile 50.000 =/ { print $NF; exit }' "$out")
    RESULT[lat_p99_us]=$(awk '/percentile 99.000 =/ { print $NF; exit }' "$out")
    [[ -n ${RESULT[lat_p50_us]} && -n ${RESULT[lat_p99_us]} ]] && { RESULT[lat_method]=sockperf; return 0; }
  fi
  kill "$TB_LAST_PID" 2>/dev/null || true
  ovl_log "  latency: sockperf gave no clean result, using ping"
  local count=$((DURATION * 50))
  tb_xt 1 $((DURATION + 20)) ping -c "$count" -i 0.02 -W 1 -s 56 "$OV_DST" >"$RUN_DIR/ping.out" 2>&1 || true
  local percentiles
  percentiles=$(sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$RUN_DIR/ping.out" | sort -g | awk '
    { rtt[NR] = $1 * 1000 }
    END { if (NR > 0) printf "%.3f %.3f", rtt[int((NR - 1) * 0.50) + 1], rtt[int((NR - 1) * 0.99) + 1] }')
  [[ -n $percentiles ]] || return 0
  RESULT[lat_p50_us]=${percentiles% *} RESULT[lat_p99_us]=${percentiles#* }
  RESULT[lat_method]=ping
}
