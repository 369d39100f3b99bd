#!/usr/bin/env bash
# Builds Chroma's Debian packages with Debian's own dpkg-deb, from a tree
# staged under target/deb/<profile>/stage:
#
#   chroma-server  chroma-api, chroma-scheduler, chroma-worker,
#                  chroma-monitor, chroma-plugins and chroma-plugin-linux in
#                  /usr/bin; the systemd units of packaging/systemd in
#                  /lib/systemd/system; the web console (web/dist) in
#                  /usr/share/chroma/web; the conffiles
#                  /etc/chroma/chroma.env (mode 0600) and
#                  /etc/chroma/plugins.d/linux.json; packaging/debian's
#                  maintainer scripts (user chroma, /var/lib/chroma).
#   chroma-cli     the `chroma` command.
#
# It packages binaries already built and builds nothing itself:
#
#   cargo build --release --locked --bins && scripts/web.sh
#   scripts/deb.sh                   # packages target/release: a release
#
#   cargo build --workspace --bins && scripts/web.sh
#   scripts/deb.sh --profile debug   # packages target/debug: what CI's
#                                    # scripts/test-deb.sh installs; never
#                                    # ship it (unoptimised code)
#
# Options:
#   --profile release|debug  which target/ directory to package (release)
#   --out DIR                where the .deb files go (target/deb/<profile>)
#   --lint                   run lintian on the packages (installed with
#                            apt-get if missing); errors fail the build
#
# Binaries are stripped of debug information as dh_strip would. The
# version is the workspace's ([workspace.package] in Cargo.toml); the
# maintainer is $DEBFULLNAME <$DEBEMAIL> if set. Prints the paths of the
# packages it built, one a line.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
out=
lint=no
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2:?--profile needs release or debug}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --lint) lint=yes; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "deb: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $profile in
  release|debug) ;;
  *) echo "deb: --profile is release or debug, not $profile" >&2; exit 2 ;;
esac

say() { echo "deb: $*" >&2; }
fail() { say "$*"; exit 1; }
# shellcheck source=scripts/services.sh
source scripts/services.sh --lib

command -v dpkg-deb >/dev/null || fail "dpkg-deb not found (Debian's dpkg package)"

bin=target/$profile
# package_bins PACKAGE: the binaries packaging/binaries puts in PACKAGE.
package_bins() { awk -v p="$1" '!/^#/ && NF && $2 == p { print $1 }' packaging/binaries; }
mapfile -t server_bins < <(package_bins chroma-server)
mapfile -t cli_bins < <(package_bins chroma-cli)
for b in "${server_bins[@]}" "${cli_bins[@]}"; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing: build it first ($([ "$profile" = release ] \
    && echo 'cargo build --release --locked --bins' || echo 'cargo build --workspace --bins'))"
done
[ -f web/dist/index.html ] || fail "web/dist is missing: build the console first (scripts/web.sh)"

version=$(awk '/^\[workspace\.package\]/ { s = 1; next } /^\[/ { s = 0 }
  s && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
[ -n "$version" ] || fail "no version in [workspace.package] of Cargo.toml"
arch=$(dpkg --print-architecture)
maintainer="${DEBFULLNAME:-Chroma maintainers} <${DEBEMAIL:-chroma-maintainers@example.org}>"
out=${out:-target/deb/$profile}
stage=target/deb/$profile/stage
# The packaged files carry the commit's time, so the same tree packs the
# same way twice.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
compression=(-Zxz)
# A debug build is for the test only: pack it fast.
[ "$profile" = debug ] && compression=(-Zgzip -z1)

rm -rf "$stage"
mkdir -p "$stage" "$out"

# install_bin SRC DEST: copy an executable, stripped as dh_strip does.
install_bin() {
  install -D -m 0755 "$1" "$2"
  if command -v strip >/dev/null; then
    strip --remove-section=.comment --remove-section=.note --strip-unneeded "$2"
  fi
}

# doc PKG: the copyright and changelog Debian policy asks of every package.
doc() {
  local dir=$stage/$1/usr/share/doc/$1 year
  year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
  mkdir -p "$dir"
  cat >"$dir/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: chroma
Comment: Chroma, a manager for Lustre file systems, built from its Cargo
 workspace; the Rust crates it links are listed in the workspace's
 Cargo.lock, each under its own licence.

Files: *
Copyright: $year Chroma contributors
License: MIT

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of this software and associated documentation files (the "Software"),
 to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense,
 and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included
 in all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
 OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
 NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
 USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  {
    echo "chroma ($version) unstable; urgency=medium"
    echo
    echo "  * Built from the Chroma workspace at commit $commit ($profile profile)."
    echo
    echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n >"$dir/changelog.gz"
}

# control PKG DEPENDS-EXTRA DESCRIPTION...: DEBIAN/control and md5sums.
control() {
  local pkg=$1 extra=$2; shift 2
  local root=$stage/$pkg shlibs
  # dpkg-shlibdeps (dpkg-dev) reads the libraries' symbols files; without
  # it, what every Rust binary here links: glibc 2.34 and libgcc.
  shlibs="libc6 (>= 2.34), libgcc-s1 (>= 4.2)"
  if command -v dpkg-shlibdeps >/dev/null; then
    local files=()
    mapfile -t files < <(cd "$root" && find usr/bin -type f)
    shlibs=$(cd "$root" && mkdir -p debian && touch debian/control \
      && dpkg-shlibdeps -O "${files[@]/#/-e}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
    rm -rf "$root/debian"
  fi
  mkdir -p "$root/DEBIAN"
  {
    echo "Package: $pkg"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    echo "Depends: $shlibs${extra:+, $extra}"
    echo "Section: admin"
    echo "Priority: optional"
    printf 'Description: %s\n' "$1"; shift
    printf ' %s\n' "$@"
  } >"$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort \
    | xargs -d '\n' md5sum) >"$root/DEBIAN/md5sums"
}

# ----------------------------------------------------------- chroma-server
root=$stage/chroma-server
for b in "${server_bins[@]}"; do
  install_bin "$bin/$b" "$root/usr/bin/$b"
done
install -d "$root/lib/systemd/system"
install -m 0644 packaging/systemd/*.service packaging/systemd/*.target "$root/lib/systemd/system/"
mkdir -p "$root/usr/share/chroma"
cp -R web/dist "$root/usr/share/chroma/web"
find "$root/usr/share/chroma/web" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
# Readable by root only: it may hold passwords, and systemd reads it as
# root for the services (packaging/etc/chroma.env says more).
install -D -m 0600 packaging/etc/chroma.env "$root/etc/chroma/chroma.env"
install -D -m 0644 packaging/etc/plugins.d/linux.json "$root/etc/chroma/plugins.d/linux.json"
install -D -m 0644 packaging/debian/chroma-server.lintian-overrides \
  "$root/usr/share/lintian/overrides/chroma-server"
doc chroma-server
control chroma-server "passwd, init-system-helpers (>= 1.54~)" \
  "Lustre file system manager: API, job engine, monitor and web console" \
  "Chroma manages Lustre file systems: it discovers servers and their" \
  "storage, formats and starts targets, creates file systems, watches" \
  "failover, collects statistics and raises alerts, with a web console." \
  "." \
  "This package holds the services (chroma-api, chroma-scheduler," \
  "chroma-worker, chroma-monitor, chroma-plugins), their systemd units" \
  "and chroma.target, the console and the Linux storage plugin. They need" \
  "PostgreSQL and RabbitMQ, on this machine or elsewhere: set them in" \
  "/etc/chroma/chroma.env, then" \
  "systemctl enable --now chroma.target chroma-worker@1.service"
install -m 0644 packaging/debian/conffiles-chroma-server "$root/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"

# -------------------------------------------------------------- chroma-cli
root=$stage/chroma-cli
for b in "${cli_bins[@]}"; do
  install_bin "$bin/$b" "$root/usr/bin/$b"
done
install -D -m 0644 packaging/debian/chroma-cli.lintian-overrides "$root/usr/share/lintian/overrides/chroma-cli"
doc chroma-cli
control chroma-cli "" \
  "command-line client of the Chroma Lustre manager" \
  "chroma drives a Chroma server over its REST API: servers, file systems," \
  "targets, parameters, jobs and alerts, as the web console does."

debs=()
for pkg in chroma-server chroma-cli; do
  deb=$out/${pkg}_${version}_$arch.deb
  # Group-writable or setgid directories from a umask would end up in the
  # package; dpkg-deb takes the staged modes as they are.
  find "$stage/$pkg" -type d -exec chmod 0755 {} +
  dpkg-deb --root-owner-group "${compression[@]}" --build "$stage/$pkg" "$deb" >/dev/null
  debs+=("$deb")
  say "built $deb ($(du -h "$deb" | cut -f1), $profile binaries)"
done

if [ "$lint" = yes ]; then
  command -v lintian >/dev/null || apt_install lintian
  say "lintian"
  # (Its "running with root privileges is not recommended" says nothing
  # about the packages.)
  lintian --fail-on error "${debs[@]}" 2>&1 | grep -v 'running with root privileges' >&2 || true
  [ "${PIPESTATUS[0]}" = 0 ] || fail "lintian found errors"
fi
printf '%s\n' "${debs[@]}"
