#!/usr/bin/env bash
# Builds a minimal Debian bookworm root with debootstrap (no container
# registry needed, only a Debian mirror) and imports it into podman as
# localhost/chroma-base:bookworm, the base of every image scripts/images.sh
# builds. The root is cached as target/debian-root/bookworm.tar; a second
# run only re-imports it when podman lacks the image. Installs podman and
# debootstrap with apt-get when they are missing. debootstrap runs in a
# mount namespace of its own (unshare), so the proc and sysfs it mounts go
# with it even if it is killed; mounts an older, killed run left under
# target/ are unmounted first.
#
#   scripts/debian-root.sh            # build (or reuse) and import
#   scripts/debian-root.sh --rebuild  # debootstrap again
#
# It also writes target/podman/containers.conf: podman's runtime here is
# runc (crun fails on this kernel's cgroup setup) and containers need
# explicit nofile/nproc limits no higher than this shell's hard limits.
# Scripts that run podman export CONTAINERS_CONF to that file:
#
#   export CONTAINERS_CONF=$PWD/target/podman/containers.conf
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# CHROMA_BASE_IMAGE (the image name).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${CHROMA_BASE_IMAGE:-localhost/chroma-base:bookworm}
CACHE=target/debian-root
TARBALL=$CACHE/bookworm.tar
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "debian-root: $*" >&2; }
# shellcheck source=scripts/services.sh
source scripts/services.sh --lib

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
fi

# Mounts a killed run left under target/ (e.g. a debootstrap's proc from
# before it ran in a namespace of its own): unmount them, deepest first,
# so that nothing below walks into the host's /proc.
findmnt -rn -o TARGET | { grep -F "$PWD/target/" || true; } | sort -r | while read -r mnt; do
  say "unmounting $mnt (left by a killed run)"
  umount -R "$mnt" 2>/dev/null || umount -R -l "$mnt"
done
for old in "$CACHE"/root.*; do
  if [ -d "$old" ]; then rm -rf --one-file-system "$old"; fi
done

# runc, and ulimits within the hard limits (podman otherwise asks for
# more than this host grants and runc refuses to start the container).
mkdir -p target/podman
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=65536
nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=65536
[ "$nofile" -gt 16384 ] && nofile=16384
[ "$nproc" -gt 16384 ] && nproc=16384
conf=target/podman/containers.conf
printf '%s\n' "# Written by scripts/debian-root.sh for this host." "[containers]" \
  "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" "[engine]" 'runtime = "runc"' \
  >"$conf.$$"
mv "$conf.$$" "$conf"
export CONTAINERS_CONF=$PWD/$conf

if [ "${1:-}" = "--rebuild" ]; then
  rm -f "$TARBALL"
fi
# A tarball made before its root directory was stored 0755.
if [ -s "$TARBALL" ] \
  && [ "$(tar -tvf "$TARBALL" --no-recursion --occurrence=1 ./ 2>/dev/null | cut -c1-10)" != drwxr-xr-x ]; then
  say "$TARBALL stores its root directory with another mode than 0755: building it again"
  rm -f "$TARBALL"
fi

if [ ! -s "$TARBALL" ]; then
  mkdir -p "$CACHE"
  root=$(mktemp -d "$PWD/$CACHE/root.XXXXXX")
  trap 'rm -rf --one-file-system "$root"' EXIT
  say "debootstrap --variant=minbase bookworm from $MIRROR (about a minute)"
  unshare --mount --fork --kill-child -- \
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -20 "$CACHE/debootstrap.log" >&2
    exit 1
  }
  # The image's apt sources, and no package caches in the layer.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$MIRROR" "$MIRROR" >"$root/etc/apt/sources.list"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # apt in a container: no recommends, no docs, unattended.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/90chroma-container"
  # A root's "/" is 0755, not mktemp's 0700.
  chmod 0755 "$root"
  tar -C "$root" --numeric-owner -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
  rm -rf --one-file-system "$root"
  trap - EXIT
  podman image rm -f "$IMAGE" >/dev/null 2>&1 || true
fi

if ! podman image exists "$IMAGE"; then
  say "importing $TARBALL as $IMAGE"
  podman import --quiet --change 'CMD ["/bin/bash"]' "$TARBALL" "$IMAGE" >/dev/null
fi
say "$IMAGE ready"
