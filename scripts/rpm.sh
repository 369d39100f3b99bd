#!/usr/bin/env bash
# Builds Chroma's RPM packages for EL sites (chroma-server, chroma-cli)
# with rpmbuild from packaging/rpm/chroma.spec: the same files, units and
# conffile promises as scripts/deb.sh's Debian packages. Like it, it
# packages binaries already built and builds nothing itself:
#
#   cargo build --release --locked --bins && scripts/web.sh
#   scripts/rpm.sh                   # packages target/release
#   scripts/rpm.sh --profile debug   # target/debug: for tests only
#
# The binaries are built on this Debian bookworm machine and need glibc
# 2.34, so the packages install on EL 9 and later, not EL 8. Installs rpm
# (which holds rpmbuild) with apt-get if missing. Prints the paths of the
# packages, one a line (target/rpm/<profile>/).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2:?--profile needs release or debug}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "rpm: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $profile in
  release|debug) ;;
  *) echo "rpm: --profile is release or debug, not $profile" >&2; exit 2 ;;
esac
say() { echo "rpm: $*" >&2; }
fail() { say "$*"; exit 1; }
# shellcheck source=scripts/services.sh
source scripts/services.sh --lib

# The packages' binaries (packaging/binaries), passed on to the spec.
package_bins() { awk -v p="$1" '!/^#/ && NF && $2 == p { print $1 }' packaging/binaries | paste -sd' '; }
server_bins=$(package_bins chroma-server)
cli_bins=$(package_bins chroma-cli)
for b in $server_bins $cli_bins; do
  [ -x "target/$profile/$b" ] || fail "target/$profile/$b is missing: build it first"
done
[ -f web/dist/index.html ] || fail "web/dist is missing: build the console first (scripts/web.sh)"
command -v rpmbuild >/dev/null || apt_install --no-install-recommends rpm

version=$(awk '/^\[workspace\.package\]/ { s = 1; next } /^\[/ { s = 0 }
  s && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
[ -n "$version" ] || fail "no version in [workspace.package] of Cargo.toml"
top=$PWD/target/rpm/$profile
rm -rf "$top"
mkdir -p "$top"
# xz payloads, which every EL rpm reads; a debug build packs fast.
payload=w6.xzdio
[ "$profile" = debug ] && payload=w1.gzdio
rpmbuild -bb --quiet \
  --define "_topdir $top/build" \
  --define "_rpmdir $top" \
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  --define "_binary_payload $payload" \
  --define "chroma_version $version" \
  --define "chroma_bin $PWD/target/$profile" \
  --define "chroma_repo $PWD" \
  --define "chroma_server_bins $server_bins" \
  --define "chroma_cli_bins $cli_bins" \
  --target x86_64-linux \
  packaging/rpm/chroma.spec >"$top/rpmbuild.log" 2>&1 || { tail -20 "$top/rpmbuild.log" >&2; fail "rpmbuild"; }
rm -rf "$top/build"
for rpm in "$top"/*.rpm; do
  say "built $rpm ($(du -h "$rpm" | cut -f1), $profile binaries)"
  echo "$rpm"
done
