# shellcheck shell=bash
# The two-host testbed: one namespace per host, joined by one veth pair named ul0 on both sides
# (198.18.0.1/24 and 198.18.0.2/24, MTU 1500). Sourced by bench.sh after tools/lib.sh.
#
# Every namespace goes into lib.sh's namespace ledger and every background process into its PID ledger,
# so the caller's cleanup removes them by exact name and PID. Nothing here runs in the root namespace:
# links are created inside host 1's namespace and the peer end is moved straight into host 2's.

BENCH_UL_MTU=1500

# Set by tb_create: the namespace of each host, indexed 1 and 2.
declare -a TB_NS=()

tb_ul_ip() { echo "198.18.0.$1"; }

# tb_create TAG: builds a fresh testbed whose namespaces are TAG-h1 and TAG-h2.
tb_create() {
  local tag=$1 i
  TB_NS=([1]="$tag-h1" [2]="$tag-h2")
  for i in 1 2; do
    ovl_ns_add "${TB_NS[$i]}" || { ovl_log "cannot create namespace ${TB_NS[$i]}"; return 1; }
  done
  ip -n "${TB_NS[1]}" link add ul0 type veth peer name ul0 netns "${TB_NS[2]}" || return 1
  for i in 1 2; do
    ip -n "${TB_NS[$i]}" link set ul0 mtu "$BENCH_UL_MTU" up || return 1
    ip -n "${TB_NS[$i]}" addr add "$(tb_ul_ip "$i")/24" dev ul0 || return 1
  done
}

# tb_x HOST CMD...: runs CMD inside host HOST's namespace.
tb_x() {
  local host=$1; shift
  ip netns exec "${TB_NS[$host]}" "$@"
}

# tb_xt HOST SECONDS CMD...: runs CMD inside host HOST's namespace for at most SECONDS (KILL 2 s later if it
# ignores TERM). --foreground keeps CMD in the caller's process group, so stopping that group stops CMD too.
tb_xt() {
  local host=$1 seconds=$2; shift 2
  ip netns exec "${TB_NS[$host]}" timeout --foreground -k 2 "$seconds" "$@"
}

# tb_spawn HOST LOG CMD...: starts CMD in the background inside host HOST's namespace, output to LOG, and
# records its PID in the ledger. The PID is left in TB_LAST_PID. `ip netns exec` and `env` exec() in turn, so
# the recorded PID ends up being CMD itself, which is what CPU accounting reads.
TB_LAST_PID=
tb_spawn() {
  local host=$1 log=$2; shift 2
  ip netns exec "${TB_NS[$host]}" "$@" </dev/null >"$log" 2>&1 &
  TB_LAST_PID=$!
  ovl_pid_add "$TB_LAST_PID"
}

# tb_wait_link HOST DEV [TENTHS]: waits until DEV exists in host HOST (default up to 10 s).
tb_wait_link() {
  local host=$1 dev=$2 tries=${3:-100} _
  for _ in $(seq "$tries"); do
    ip -n "${TB_NS[$host]}" link show dev "$dev" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# tb_wait_reachable HOST DST [SECONDS]: waits until one ping from HOST to DST is answered. Overlays whose
# routes arrive through a control plane need a moment after their devices exist.
tb_wait_reachable() {
  local host=$1 dst=$2 seconds=${3:-20} deadline
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    tb_x "$host" ping -c 1 -W 1 -q "$dst" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# tb_snmp HOST SECTION FIELD: one counter of /proc/net/snmp as seen inside host HOST's namespace.
tb_snmp() {
  tb_x "$1" cat /proc/net/snmp | awk -v sec="$2:" -v key="$3" '
    $1 == sec && !names { for (k = 2; k <= NF; k++) col[$k] = k; names = 1; next }
    $1 == sec && names  { print $(col[key]); exit }'
}

# tb_check_mtu DST MTU: sends DF pings of exactly MTU bytes from host 1 to DST. Prints "ok" when they cross
# and neither host fragmented or reassembled anything (inner or outer packets), otherwise the reason.
tb_check_mtu() {
  local dst=$1 mtu=$2 frag0 reasm0 received
  frag0=$(tb_snmp 1 Ip FragCreates); reasm0=$(tb_snmp 2 Ip ReasmReqds)
  received=$(tb_xt 1 10 ping -q -c 3 -i 0.2 -W 2 -M 'do' -s $((mtu - 28)) "$dst" 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p') || true
  if [[ -z $received || $received == 0 ]]; then
    echo "df-ping-$mtu-lost"
    return 0
  fi
  local frag=$(($(tb_snmp 1 Ip FragCreates) - frag0)) reasm=$(($(tb_snmp 2 Ip ReasmReqds) - reasm0))
  if ((frag > 0 || reasm > 0)); then echo "fragmented-$frag-$reasm"; else echo ok; fi
}

# tb_cpu_ticks PID...: utime+stime of every thread of the given processes, in clock ticks.
tb_cpu_ticks() {
  local total=0 pid stat fields
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # The command name (field 2) may hold spaces; the fields after its closing parenthesis start at state.
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

# tb_machine_busy_ticks: busy ticks of the whole machine (all CPUs), to show how loaded a run was.
tb_machine_busy_ticks() {
  awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# tb_machine_steal_ticks: "TOTAL STEAL" ticks of the whole machine: the time the hypervisor gave the CPUs to other
# guests, beside all the time there was. On a shared VM a run with much steal is slower for everyone in it, and
# not evenly: a forwarder whose threads hand packets to each other loses more than a path that stays in one call.
tb_machine_steal_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9; exit }' /proc/stat
}
