#!/usr/bin/env bash
# Builds Chroma's container images with podman on a machine without
# registry access: every image starts from localhost/chroma-base:bookworm
# (scripts/debian-root.sh, debootstrap) and takes its binaries from a local
# cargo build instead of the Dockerfile's builder stage.
#
#   scripts/images.sh                        # binaries from target/release
#   scripts/images.sh --profile target/debug # e.g. what `cargo build --bins` made
#
# Images (TAG: --tag, default latest; scripts/test-compose.sh tags its
# own per clone, so two clones' runs never replace each other's images):
#   localhost/chroma:TAG             Dockerfile target runtime: the services and the console (web/dist)
#   localhost/chroma-lustre-sim:TAG  Dockerfile target lustre-sim: the simulated cluster
#   localhost/chroma-postgres:TAG    deploy/postgres: PostgreSQL 15 from Debian's packages
#   localhost/chroma-rabbitmq:TAG    deploy/rabbitmq: RabbitMQ from Debian's packages
#
# The binaries are those packaging/binaries lists for the two images.
# The binaries must exist already (cargo build --release --bins, or the
# profile given); web/dist is built with scripts/web.sh when missing.
# Debug binaries are copied without their debug info (strip --strip-debug).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=target/release
tag=latest
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2%/}; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    *) echo "usage: scripts/images.sh [--profile DIR] [--tag TAG]" >&2; exit 2 ;;
  esac
done
say() { echo "images: $*" >&2; }
# shellcheck source=scripts/services.sh
source scripts/services.sh --lib

scripts/debian-root.sh
export CONTAINERS_CONF=$PWD/target/podman/containers.conf
base=localhost/chroma-base:bookworm

mapfile -t bins < <(awk '!/^#/ && NF && $3 != "-" { print $1 }' packaging/binaries)
for bin in "${bins[@]}"; do
  [ -x "$profile/$bin" ] || { say "$profile/$bin not found: build it first (cargo build --bins)"; exit 1; }
done
[ -f web/dist/index.html ] || scripts/web.sh
command -v strip >/dev/null || apt_install binutils

# The build context: the binaries and the console as an image (BINARIES
# and CONSOLE of the Dockerfile), and deploy/ and packaging/etc/plugins.d
# for the files the stages copy.
ctx=target/images/context-$tag
rm -rf "$ctx"
mkdir -p "$ctx/out" "$ctx/web"
for bin in "${bins[@]}"; do
  strip --strip-debug -o "$ctx/out/$bin" "$profile/$bin"
done
cp -r web/dist "$ctx/web/dist"
cp -r deploy "$ctx/deploy"
mkdir -p "$ctx/packaging/etc"
cp -r packaging/etc/plugins.d "$ctx/packaging/etc/plugins.d"
printf 'FROM scratch\nCOPY out/ /out/\nCOPY web/dist/ /web/dist/\n' >"$ctx/Containerfile.binaries"

replaced=()
build() {
  local name=$1 old new
  shift
  old=$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
  podman build --quiet --layers --format docker -t "$name" "$@" >/dev/null
  new=$(podman image inspect --format '{{.Id}}' "$name")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then replaced+=("$old"); fi
}
say "localhost/chroma-binaries:$tag (from $profile)"
build "localhost/chroma-binaries:$tag" -f "$ctx/Containerfile.binaries" "$ctx"
for target in runtime lustre-sim; do
  name=localhost/chroma:$tag
  [ "$target" = lustre-sim ] && name=localhost/chroma-lustre-sim:$tag
  say "$name (Dockerfile target $target)"
  build "$name" -f Dockerfile --target "$target" \
    --build-arg BASE_IMAGE="$base" \
    --build-arg BINARIES="localhost/chroma-binaries:$tag" \
    --build-arg CONSOLE="localhost/chroma-binaries:$tag" "$ctx"
done
say "localhost/chroma-postgres:$tag"
build "localhost/chroma-postgres:$tag" --build-arg BASE_IMAGE="$base" deploy/postgres
say "localhost/chroma-rabbitmq:$tag"
build "localhost/chroma-rabbitmq:$tag" --build-arg BASE_IMAGE="$base" deploy/rabbitmq
# The intermediate image, and the images these builds replaced (their
# layers stay as the build cache).
podman image rm "localhost/chroma-binaries:$tag" >/dev/null
for id in "${replaced[@]}"; do
  podman image rm "$id" >/dev/null 2>&1 || true
done
rm -rf "$ctx"
say "built"
