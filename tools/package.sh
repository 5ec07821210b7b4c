#!/usr/bin/env bash
# Builds the Debian package: overlayd and overlayctl as executables that need no .NET runtime on the host, the
# systemd unit, /etc/default/overlayd with every FLANNELD_* variable, and flannel's CNI conflist as a sample.
#
#   tools/package.sh [--arch amd64|arm64] [--keep-bin DIR] OUTDIR      -> OUTDIR/overlay_<version>_<arch>.deb
#
# The build machine's own architecture (amd64 here) is Native AOT. Another architecture (arm64 on an amd64 machine)
# is a trimmed self-contained single file instead: Native AOT would need that architecture's cross linker and
# sysroot, the single file only the SDK. --keep-bin DIR also copies the two executables there. Needs the .NET 10
# SDK, gcc (Native AOT's linker) and dpkg-deb; the only network use is the NuGet restore.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib.sh"

arch=amd64 keep_bin= out=
while (($#)); do
  case $1 in
    --arch) arch=$2; shift 2 ;;
    --keep-bin) keep_bin=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) ovl_die "unknown argument $1 (see --help)" ;;
    *) [[ -z $out ]] || ovl_die "one OUTDIR only (see --help)"; out=$1; shift ;;
  esac
done
[[ -n $out ]] || ovl_die "usage: tools/package.sh [--arch amd64|arm64] OUTDIR"
case $arch in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *) ovl_die "--arch must be amd64 or arm64, not '$arch'" ;;
esac
ovl_need_packages dpkg-deb:dpkg
command -v dotnet >/dev/null || ovl_die "the .NET 10 SDK (dotnet) is required"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Native AOT links with the C toolchain of the target; building for another architecture needs its cross linker.
host_arch=$(dpkg --print-architecture)
if [[ $arch == "$host_arch" ]]; then
  build=(-p:PublishAot=true)
  kind="Native AOT"
  # Native AOT links with clang when there is one, else gcc; libc6-dev for crt1.o and libc's link stubs.
  ovl_need_packages gcc:gcc objcopy:binutils /usr/include/stdio.h:libc6-dev
  # TLS to etcd loads libssl at run time; everything else is inside the binary.
  depends="libc6 (>= 2.34), libssl3 | libssl3t64"
else
  # No cross linker: the same code, trimmed, with the runtime inside one file. The trimming analysis is the one
  # Native AOT runs, so it stays warning-free; the runtime's JIT compiles the hot loops on the target at start.
  build=(-p:PublishAot=false -p:SelfContained=true -p:PublishSingleFile=true -p:PublishTrimmed=true
    -p:EnableCompressionInSingleFile=false -p:IncludeNativeLibrariesForSelfExtract=true)
  kind="self-contained single file (trimmed; no $arch cross linker for Native AOT)"
  # The runtime's native parts inside the single file link libstdc++ and libgcc_s.
  depends="libc6 (>= 2.34), libgcc-s1, libstdc++6, libssl3 | libssl3t64"
fi

version=$(dotnet msbuild "$repo/src/Overlay.Daemon" -getProperty:Version -nologo)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || ovl_die "could not read the daemon's Version from its project (got '$version')"
work=$(mktemp -d /tmp/overlay-package.XXXXXX)
trap 'rm -rf "$work"' EXIT

ovl_log "publishing overlayd and overlayctl $version for $rid: $kind"
for project in Overlay.Daemon Overlay.Ctl; do
  # Warnings are errors in this repository, so an AOT or trimming warning fails the package build.
  dotnet publish "$repo/src/$project" -c Release -r "$rid" "${build[@]}" -o "$work/publish/$project" \
    --nologo -v quiet -clp:ErrorsOnly >"$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; ovl_die "dotnet publish of $project for $rid failed"; }
done

root=$work/root
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/default" \
  "$root/usr/share/doc/overlay/examples"
install -m 0755 "$work/publish/Overlay.Daemon/overlayd" "$root/usr/bin/overlayd"
install -m 0755 "$work/publish/Overlay.Ctl/overlayctl" "$root/usr/bin/overlayctl"
install -m 0644 "$repo/deploy/systemd/overlayd.service" "$root/lib/systemd/system/overlayd.service"
install -m 0644 "$repo/deploy/systemd/overlayd.default" "$root/etc/default/overlayd"
install -m 0644 "$repo/deploy/cni/10-flannel.conflist" "$root/usr/share/doc/overlay/examples/10-flannel.conflist"
install -m 0644 "$repo/deploy/debian/README.Debian" "$root/usr/share/doc/overlay/README.Debian"
for script in postinst prerm postrm; do
  install -m 0755 "$repo/deploy/debian/$script" "$root/DEBIAN/$script"
done
echo /etc/default/overlayd >"$root/DEBIAN/conffiles"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kb/" -e "s/@DEPENDS@/$depends/" \
  "$repo/deploy/debian/control.in" >"$root/DEBIAN/control"

deb=$out/overlay_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
if [[ -n $keep_bin ]]; then
  mkdir -p "$keep_bin"
  install -m 0755 "$root/usr/bin/overlayd" "$root/usr/bin/overlayctl" "$keep_bin/"
fi
ovl_log "built $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
