# shellcheck shell=bash
# Results: one JSON object per run, the results file that holds them, and the Markdown table of medians.
#
# The results file is
#   { "meta": { when, machine, tool versions, settings },
#     "runs": [ { "round", "overlay", "status": "ok" | "failed", "failure", "mtu", ..., "lat_p99_us" }, ... ] }
# with every missing measurement as null. The table is computed from that file alone, so `bench.sh --table FILE`
# reprints it later and several files can be compared.

# report_run_json KEY=VALUE...: one flat JSON object; numbers become numbers, "" and "-" become null.
report_run_json() {
  # jq 1.6 drops the value of `tonumber?` inside `|=`, hence a plain pipe per entry.
  printf '%s\n' "$@" | jq -Rnc '
    def typed: if . == "" or . == "-" then null else (tonumber? // .) end;
    [inputs | index("=") as $at | {key: .[:$at], value: (.[$at + 1:] | typed)}] | from_entries'
}

# report_write FILE META_JSON RUNS_JSONL: writes the results file (atomically, so an interrupted run leaves
# the previous complete version in place).
report_write() {
  local file=$1 meta=$2 runs=$3
  jq -n --argjson meta "$meta" --slurpfile runs "$runs" '{meta: $meta, runs: $runs}' >"$file.tmp" && mv "$file.tmp" "$file"
}

# report_table FILE: the Markdown tables of medians and of ratios to vxlan and quicktun, on stdout.
report_table() {
  jq -r '
    def median: map(select(type == "number")) | sort
      | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
    def cell: if . == null then "-" else tostring end;
    ["tcp1_gbps", "tcp1_retransmits", "tcp4_gbps", "tcp4_retransmits", "udp64_rx_pps", "udp64_loss_pct",
     "udp64_sockdrop_pps", "lat_p50_us", "lat_p99_us", "cpu_s_per_gb"] as $metrics
    | ["steal_pct", "tcp1_h1_per_tun_read", "tcp1_h1_per_gso_send", "tcp1_h2_per_gro_receive", "tcp1_h2_per_tun_write",
       "tcp1_h2_gro_in_place_pct"] as $extra
    | ["tcp1_gbps", "tcp4_gbps", "udp64_rx_pps", "lat_p50_us", "lat_p99_us", "cpu_s_per_gb"] as $compared
    | .runs as $runs
    | ((.meta.settings.overlays // []) + ($runs | map(.overlay)) | reduce .[] as $o ([]; if index([$o]) then . else . + [$o] end)) as $order
    | [ $order[] as $o
        | ($runs | map(select(.overlay == $o))) as $all
        | ($all | map(select(.status == "ok"))) as $ok
        | select(($all | length) > 0)
        | { overlay: $o, ok: ($ok | length), failed: (($all | length) - ($ok | length)),
            mtu: ($ok | map(.mtu) | median),
            ping_latency: ($ok | any(.lat_method == "ping")),
            m: (reduce ($metrics + $extra)[] as $k ({}; .[$k] = ($ok | map(.[$k]) | median))) } ] as $rows
    | ($rows | map({key: .overlay, value: .m}) | from_entries) as $by
    | $rows[]
    | . as $row
    | ["row", .overlay, .ok, .failed, .mtu, (if .ping_latency then "ping" else "sockperf" end)]
      + [$metrics[] as $k | $row.m[$k]]
      + [$compared[] as $k | ratio($row.m[$k]; $by.vxlan[$k]?)]
      + [$compared[] as $k | ratio($row.m[$k]; $by.quicktun[$k]?)]
      + [$extra[] as $k | $row.m[$k]]
    | map(cell) | @tsv' "$1" | awk -F'\t' '
    function num(v, p) { return v == "-" ? "-" : sprintf("%." p "f", v) }
    function x(v) { return v == "-" ? "-" : sprintf("%.2fx", v) }
    {
      n++; overlay[n] = $2
      runs = $3; if ($4 > 0) runs = runs " (+" $4 " failed)"
      p50 = num($14, 1); p99 = num($15, 1)
      if ($6 == "ping") { p50 = p50 " (ping)"; p99 = p99 " (ping)" }
      row[n] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", $2, runs, num($5, 0),
        num($7, 3), num($8, 0), num($9, 3), num($10, 0), ($11 == "-" ? "-" : num($11 / 1000, 1)), num($12, 1),
        ($13 == "-" ? "-" : num($13 / 1000, 1)), p50, p99, num($16, 2), num($29, 1))
      if ($29 != "-" && $29 + 0 > maxsteal) maxsteal = $29 + 0
      if ($30 $31 $32 $33 $34 != "-----")
        off[++m] = sprintf("| %s | %s | %s | %s | %s | %s |", $2, num($30, 1), num($31, 1), num($32, 1), num($33, 1), num($34, 0))
      # CPU per GB has no vxlan ratio: kernel-only rows have no forwarder process to account.
      rat[n] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", $2,
        x($17), x($18), x($19), x($20), x($21), x($23), x($24), x($25), x($26), x($27), x($28))
    }
    END {
      print "| overlay | runs | MTU | TCP x1 Gbit/s | TCP x1 retr | TCP x4 Gbit/s | TCP x4 retr | UDP 64B rx kpps | UDP 64B loss % | UDP 64B rcvbuf drops kpps | RTT p50 us | RTT p99 us | fwd CPU-s per GB | CPU steal % |"
      print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= n; i++) print row[i]
      print ""
      print "Ratios of medians to vxlan and to quicktun. Throughput and pps: higher is better; RTT and CPU-s per GB: lower is better."
      print ""
      print "| overlay | TCP x1 / vxlan | TCP x4 / vxlan | 64B pps / vxlan | p50 / vxlan | p99 / vxlan | TCP x1 / quicktun | TCP x4 / quicktun | 64B pps / quicktun | p50 / quicktun | p99 / quicktun | CPU/GB / quicktun |"
      print "|---|---|---|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= n; i++) print rat[i]
      if (m > 0) {
        print ""
        print "Offloads during TCP x1: plain packets per TUN read, per UDP GSO send, per UDP GRO receive and per TUN write, and the GRO receives that needed no copy out."
        print ""
        print "| overlay | per TUN read (h1) | per GSO send (h1) | per GRO receive (h2) | per TUN write (h2) | GRO in place % (h2) |"
        print "|---|---|---|---|---|---|"
        for (i = 1; i <= m; i++) print off[i]
      }
      if (maxsteal >= 5) {
        print ""
        printf "Warning: the hypervisor took up to %.0f%% of the CPU time (steal) during these runs. Absolute numbers are low, and the ratios move too, since steal does not slow every path alike: compare runs with similar steal.\n", maxsteal
      }
    }'
}
