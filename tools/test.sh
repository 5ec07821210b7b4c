#!/usr/bin/env bash
# Runs the whole test suite: unit tests, tests against a real etcd, and (as root) TUN and namespace tests.
#
#   tools/test.sh [extra dotnet test arguments]
#
# Installs the Debian packages the tests use when they are missing. With OVERLAY_REQUIRE_PRIVILEGED=1 (CI),
# tests that need root fail instead of being skipped. Builds the Debian package once (tools/package.sh, a Native AOT
# compile of overlayd and overlayctl) for the tests that check it and run its binaries, unless OVERLAY_PACKAGE
# already names a .deb. Prints "N passed, N failed, N skipped" last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib.sh"

ovl_need_packages etcd:etcd-server etcdctl:etcd-client ip:iproute2 ping:iputils-ping iperf3:iperf3 gcc:gcc tshark:tshark iptables:iptables nft:nftables \
  /usr/include/stdio.h:libc6-dev /usr/include/linux/if_tun.h:linux-libc-dev dpkg-deb:dpkg systemd-analyze:systemd unshare:util-linux
command -v dotnet >/dev/null || ovl_die "the .NET 10 SDK (dotnet) is required"

work=$(mktemp -d /tmp/overlay-test.XXXXXX)
# Tests record every namespace they create here; whatever a crashed test left behind is removed by exact name.
export OVERLAY_NETNS_LEDGER=$work/namespaces OVL_NS_LEDGER=$work/namespaces
: >"$OVERLAY_NETNS_LEDGER"
cleanup() {
  local rc=$?
  set +e
  ovl_ns_cleanup
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$repo"
dotnet build Overlay.sln -c Release --nologo -v quiet -clp:ErrorsOnly
if [[ -z ${OVERLAY_PACKAGE:-} ]]; then
  ovl_log "building the Debian package for the package tests"
  started=$SECONDS
  OVERLAY_PACKAGE=$("$here/package.sh" "$work/package" 2>"$work/package.log") || { cat "$work/package.log" >&2; ovl_die "tools/package.sh failed"; }
  export OVERLAY_PACKAGE
  ovl_log "built $(basename "$OVERLAY_PACKAGE") in $((SECONDS - started)) s"
fi
set +e
# One test project at a time: the namespace tests time pings and etcd outages, and the machine may have only 2 cores.
dotnet test Overlay.sln -c Release --no-build --nologo -v quiet -m:1 \
  --logger "console;verbosity=minimal" --results-directory "$work/results" "$@" 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}
set -e

# dotnet test prints one summary per test project; add them up into one closing line.
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  failed  += $(i + 1) + 0
      if ($i == "Passed:")  passed  += $(i + 1) + 0
      if ($i == "Skipped:") skipped += $(i + 1) + 0
    }
    projects++
  }
  END {
    if (projects == 0) { print "no test summary found"; exit }
    printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
  }' "$work/test.log"
exit "$rc"
