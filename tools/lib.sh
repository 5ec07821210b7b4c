# Shared by tools/*.sh: package installs, namespace bookkeeping, PID bookkeeping.
# Everything a script creates is recorded by exact name or PID and removed by its cleanup trap.

ovl_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ovl_die() { ovl_log "error: $*"; exit 1; }

# ovl_need_packages WHAT:PACKAGE ... installs the Debian package for every WHAT that is missing; WHAT is a
# command name, or an absolute path to a file the package provides (a header, say).
ovl_need_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if [[ $cmd == /* ]]; then
      [[ -e $cmd ]] || missing+=("$pkg")
    else
      command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd || -x /sbin/$cmd ]] || missing+=("$pkg")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || ovl_die "missing packages (${missing[*]}) and not root: run as root or install them"
  ovl_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || ovl_die "apt-get install ${missing[*]} failed"
  # Debian's etcd-server package may start a system etcd on 127.0.0.1:2379; nothing here uses it.
}

# Cleanup functions run from EXIT traps of `set -e` scripts: every step tolerates failure, so one process that
# already exited cannot stop the rest of the cleanup.

# Namespace ledger: every namespace a script creates is appended here, and removed by exact name at exit.
OVL_NS_LEDGER=${OVL_NS_LEDGER:-}
ovl_ns_add() {
  ip netns add "$1" || return 1
  [[ -n $OVL_NS_LEDGER ]] && echo "$1" >>"$OVL_NS_LEDGER"
  ip -n "$1" link set lo up
}
ovl_ns_cleanup() {
  [[ -n $OVL_NS_LEDGER && -f $OVL_NS_LEDGER ]] || return 0
  local ns
  while read -r ns; do
    [[ -n $ns ]] && { ip netns del "$ns" 2>/dev/null || true; }
  done <"$OVL_NS_LEDGER"
  : >"$OVL_NS_LEDGER"
}

# PID ledger: processes started by a script, killed by PID (TERM, then KILL after 4 s) at exit.
OVL_PID_LEDGER=${OVL_PID_LEDGER:-}
ovl_pid_add() { [[ -n $OVL_PID_LEDGER ]] && echo "$1" >>"$OVL_PID_LEDGER"; }
ovl_pid_cleanup() {
  [[ -n $OVL_PID_LEDGER && -f $OVL_PID_LEDGER ]] || return 0
  local pid live=()
  while read -r pid; do
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid" 2>/dev/null; live+=("$pid"); }
  done <"$OVL_PID_LEDGER"
  local t
  for t in $(seq 40); do
    local any=0
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && any=1; done
    ((any == 0)) && break
    sleep 0.1
  done
  for pid in "${live[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  : >"$OVL_PID_LEDGER"
}

# Testbed on a bridge. ovl_bridge_add NS: a namespace holding bridge br0. ovl_bridge_host BRIDGE_NS HOST_NS N ADDR/LEN:
# a host namespace whose underlay ul0 is a veth to port pN of that bridge, with ADDR/LEN on it.
ovl_bridge_add() {
  ovl_ns_add "$1" || return 1
  ip -n "$1" link add br0 type bridge && ip -n "$1" link set br0 up
}
ovl_bridge_host() {
  local bridge=$1 host=$2 port=p$3 address=$4
  ovl_ns_add "$host" || return 1
  ip -n "$bridge" link add "$port" type veth peer name ul0 &&
    ip -n "$bridge" link set ul0 netns "$host" &&
    ip -n "$bridge" link set "$port" master br0 up &&
    ip -n "$host" addr add "$address" dev ul0 &&
    ip -n "$host" link set ul0 up
}

# ovl_etcd_start NS NAME IP DATA_DIR LOG: a one-member etcd inside namespace NS, clients on http://IP:2379, recorded in
# the PID ledger; returns once it answers a health check, or fails after 15 s.
ovl_etcd_start() {
  local ns=$1 name=$2 ip=$3 data=$4 log=$5 _
  ip netns exec "$ns" etcd --name "$name" --data-dir "$data" \
    --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
    --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
    --initial-cluster "$name=http://$ip:2380" >"$log" 2>&1 &
  ovl_pid_add $!
  for _ in $(seq 75); do
    ip netns exec "$ns" env ETCDCTL_API=3 etcdctl --endpoints "http://$ip:2379" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
