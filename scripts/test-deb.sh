#!/usr/bin/env bash
# Tests the Debian packages the way a site installs them: builds
# chroma-server and chroma-cli with scripts/deb.sh --profile debug (the
# debug binaries `cargo build --workspace --bins` left in target/debug;
# CI never builds a release), installs them with dpkg into a clean Debian
# bookworm root (scripts/debian-root.sh's debootstrap, unpacked afresh),
# and in there:
#
#   - checks the installed files, the system user chroma, the state
#     directory /var/lib/chroma and the conffiles;
#   - changes /etc/chroma/chroma.env (a fresh database owned by a fresh
#     role that is no superuser, a RabbitMQ vhost of its own, a free
#     port), installs the package again and checks the
#     change is kept;
#   - starts each service as its unit would: the unit's ExecStart from the
#     installed path, as its User=, with its Environment= and
#     EnvironmentFile= values, against this machine's PostgreSQL and
#     RabbitMQ (a chroot shares the host's network): chroma-api must answer
#     /api/health and serve the console, two chroma-worker@ instances must
#     consume the steps queue, the plugin host must run the Linux plugin,
#     and every service must stay up, then stop on SIGTERM;
#   - removes and purges the package.
#
# It builds the RPM packages too (scripts/rpm.sh --profile debug) and
# installs them with rpm --root into another clean root (--nodeps: no EL
# here), checking the files, the user, the modes, that a changed
# chroma.env survives a reinstall and is kept as .rpmsave on erase.
#
# Then it installs the same packages in a Debian container that boots
# systemd (podman, privileged, the host's network; the image, chroma-base
# plus systemd, is built once per Debian root and kept) and lets systemd
# run them:
# installing starts nothing; `systemctl enable --now chroma.target
# chroma-worker@1 chroma-worker@2` must bring every unit up, sandbox and
# all, without a restart, answering /api/health with two workers consuming
# and the linux plugin running; installing again must restart them all;
# `dpkg -r` must stop them all, `dpkg -P` leave none of them enabled.
#
# It also checks that packaging/etc/chroma.env names every variable the
# services read, and runs lintian on the packages and
# `systemd-analyze verify` on the units.
#
# Everything runs in a private mount and PID namespace (unshare), so the
# chroot's /proc and /dev mounts and every process started go with it; the
# databases and their role (no superuser, as packaging/etc/chroma.env
# tells a site to make), the vhost, the containers and the root are
# removed at the end, and what a killed run left (its PID, in every name,
# no longer running) at the start of the next. Needs root.
# KEEP=1 keeps the root and the logs (target/deb-test/RUN).
set -euo pipefail
cd "$(dirname "$0")/.."

# Seconds since the test started (the inner parts inherit the start).
export TEST_DEB_T0=${TEST_DEB_T0:-$(date +%s)}
say() { echo "test-deb: [$(($(date +%s) - TEST_DEB_T0)) s] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# ------------------------------------------------------------------ inner
# Runs as PID 1 of a new PID namespace with a private mount namespace.
# The outer part passes DB_URL, VHOST, PORT, VERSION and PACKAGED_BINS in
# the environment.
# shellcheck disable=SC2016,SC2153 # dpkg-query formats; those variables
if [ "${1:-}" = --inner ]; then
  root=$2 logs=$3
  mount --make-rprivate /
  mount -t proc proc /proc # ps and kill see this namespace only
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  c() { chroot "$root" "$@"; }
  check() { # check DESCRIPTION COMMAND...: fails the test unless COMMAND succeeds
    local what=$1; shift
    "$@" || fail "$what"
  }

  # --------------------------------------------------------- install
  say "dpkg -i chroma-server chroma-cli into a clean bookworm root"
  c dpkg -i /tmp/debs/chroma-server.deb /tmp/debs/chroma-cli.deb </dev/null >"$logs/dpkg-install.log" 2>&1 \
    || { tail -20 "$logs/dpkg-install.log" >&2; fail "dpkg -i"; }
  for pkg in chroma-server chroma-cli; do
    status=$(c dpkg-query -W -f='${Status} ${Version}' "$pkg")
    check "$pkg is installed: $status" test "$status" = "install ok installed $VERSION"
  done
  for unit in chroma.target chroma-api.service chroma-scheduler.service chroma-worker@.service \
    chroma-monitor.service chroma-plugins.service; do
    check "unit $unit installed" test -f "$root/lib/systemd/system/$unit"
  done
  for b in $PACKAGED_BINS; do
    check "/usr/bin/$b installed" test -x "$root/usr/bin/$b"
  done
  check "the console in /usr/share/chroma/web" test -f "$root/usr/share/chroma/web/index.html"
  check "chroma --version names the package's version" \
    test "$(c /usr/bin/chroma --version)" = "chroma $VERSION"
  IFS=: read -r _ _ uid gid _ home shell < <(c getent passwd chroma) || fail "no user chroma"
  check "chroma is a system user (uid $uid)" test "$uid" -lt 1000
  check "chroma's home is /var/lib/chroma ($home)" test "$home" = /var/lib/chroma
  check "chroma has no login shell ($shell)" test "$shell" = /usr/sbin/nologin
  check "group chroma" test "$(c getent group chroma | cut -d: -f3)" = "$gid"
  check "/var/lib/chroma is chroma's, 0700" \
    test "$(stat -c '%u:%g %a' "$root/var/lib/chroma")" = "$uid:$gid 700"
  check "/etc/chroma/chroma.env is root's, 0600" \
    test "$(stat -c '%u:%g %a' "$root/etc/chroma/chroma.env")" = "0:0 600"
  conffiles=$(c dpkg-query -W -f='${Conffiles}' chroma-server)
  for f in /etc/chroma/chroma.env /etc/chroma/plugins.d/linux.json; do
    check "$f is a conffile" grep -q "^ $f " <<<"$conffiles"
  done

  # ------------------------------------------ configure, then reinstall
  env_file=$root/etc/chroma/chroma.env
  sed -i -e "s|^DATABASE_URL=.*|DATABASE_URL=$DB_URL|" \
    -e "s|^AMQP_URL=.*|AMQP_URL=amqp://guest:guest@127.0.0.1:5672/$VHOST|" "$env_file"
  printf '\n# Set by scripts/test-deb.sh\nCHROMA_BIND=127.0.0.1:%s\nCHROMA_ADMIN_PASSWORD=%s\n' \
    "$PORT" "deb-test-$RANDOM$RANDOM" >>"$env_file"
  before=$(sha256sum <"$env_file")
  say "dpkg -i again: the changed /etc/chroma/chroma.env must stay"
  c dpkg -i /tmp/debs/chroma-server.deb </dev/null >"$logs/dpkg-reinstall.log" 2>&1 \
    || { tail -20 "$logs/dpkg-reinstall.log" >&2; fail "dpkg -i (again)"; }
  check "reinstalling kept the changed chroma.env" test "$(sha256sum <"$env_file")" = "$before"
  check "reinstalling left no chroma.env.dpkg-* beside it" \
    test -z "$(find "$root/etc/chroma" -name '*.dpkg-*')"
  check "reinstalling kept chroma.env root's, 0600" \
    test "$(stat -c '%u:%g %a' "$env_file")" = "0:0 600"
  check "still one user chroma" test "$(c getent passwd | grep -c '^chroma:')" = 1

  # ------------------------------------------- start the installed units
  # unit_value UNIT KEY: the values of KEY= in the installed unit, one a line.
  unit_value() { sed -n "s/^$2=//p" "$root/lib/systemd/system/$1"; }
  pids=() names=()
  # start UNIT [INSTANCE]: what systemd would run for the unit, in the root.
  start() {
    local unit=$1 instance=${2:-} name exec user envs=() line file
    name=${unit/@/@$instance}
    user=$(unit_value "$unit" User)
    check "$unit runs as chroma" test "$user" = chroma
    exec=$(unit_value "$unit" ExecStart)
    check "$unit: ExecStart $exec is installed" test -x "$root${exec%% *}"
    # What systemd gives every service, then Environment=, then the
    # EnvironmentFile= lines, which take precedence.
    envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME="$home" USER=chroma LOGNAME=chroma
      SHELL=/usr/sbin/nologin)
    while read -r line; do
      [ -n "$line" ] || continue
      line=${line//%i/$instance}
      envs+=("${line//%H/$(hostname)}")
    done < <(unit_value "$unit" Environment)
    file=$(unit_value "$unit" EnvironmentFile)
    check "$unit reads /etc/chroma/chroma.env" test "$file" = /etc/chroma/chroma.env
    # As systemd does, the file is read as root (it is root's, 0600), into
    # the environment, never onto a command line; then the service runs as
    # its User=.
    # shellcheck disable=SC2086 # ExecStart is a command line
    chroot "$root" env -i "${envs[@]}" sh -c \
      'set -a; . /etc/chroma/chroma.env; set +a; u=$1 g=$2; shift 2; exec setpriv --reuid="$u" --regid="$g" --init-groups "$@"' \
      sh "$uid" "$gid" $exec >"$logs/$name.log" 2>&1 &
    pids+=($!) names+=("$name")
  }
  alive() { # alive: every started service still runs
    local i
    for i in "${!pids[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        wait "${pids[$i]}" && rc=0 || rc=$?
        tail -20 "$logs/${names[$i]}.log" >&2
        fail "${names[$i]} exited (status $rc); its log: $logs/${names[$i]}.log"
      fi
    done
  }

  say "starting chroma-api as chroma-api.service would"
  start chroma-api.service
  url=http://127.0.0.1:$PORT
  deadline=$((SECONDS + 180))
  until curl -fsS --max-time 10 -o "$logs/health.json" "$url/api/health" 2>/dev/null; do
    alive
    [ $SECONDS -lt $deadline ] || fail "chroma-api did not answer $url/api/health within 180 s"
    sleep 0.5
  done
  check "/api/health says the database and the broker answer" \
    grep -q '"database":true,"broker":true' <(tr -d ' \n' <"$logs/health.json")
  check "chroma-api serves the console from /usr/share/chroma/web" \
    cmp -s <(curl -fsS --max-time 10 "$url/") "$root/usr/share/chroma/web/index.html"

  say "starting chroma-scheduler, chroma-worker@1, chroma-worker@2, chroma-monitor, chroma-plugins"
  start chroma-scheduler.service
  start chroma-worker@.service 1
  start chroma-worker@.service 2
  start chroma-monitor.service
  start chroma-plugins.service
  deadline=$((SECONDS + 120))
  consumers=0
  until [ "$consumers" -ge 2 ] && pgrep -f '^/usr/bin/chroma-plugin-linux' >/dev/null; do
    alive
    [ $SECONDS -lt $deadline ] \
      || fail "within 120 s: $consumers of 2 workers consume chroma.steps; chroma-plugin-linux $(pgrep -f '^/usr/bin/chroma-plugin-linux' >/dev/null && echo runs || echo does not run)"
    sleep 1
    consumers=$(timeout 30 rabbitmqctl -q list_consumers -p "$VHOST" queue_name 2>/dev/null | grep -cx 'chroma\.steps' || true)
  done
  say "two workers consume chroma.steps, the plugin host runs chroma-plugin-linux; watching for 10 s"
  sleep 10
  alive
  check "the workers made Chroma's SSH key in /var/lib/chroma, chroma's, 0600" \
    test "$(stat -c '%u %a' "$root/var/lib/chroma/id_ed25519")" = "$uid 600"
  check "chroma-api still answers /api/health" curl -fsS --max-time 10 -o /dev/null "$url/api/health"

  say "stopping every service with SIGTERM, as systemd does"
  kill -TERM "${pids[@]}"
  for i in "${!pids[@]}"; do
    # The worker unit's TimeoutStopSec is 60 s, the others 30 s.
    for _ in $(seq 600); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
    kill -0 "${pids[$i]}" 2>/dev/null && fail "${names[$i]} still runs 60 s after SIGTERM"
    wait "${pids[$i]}" && rc=0 || rc=$?
    [ "$rc" = 0 ] || { tail -5 "$logs/${names[$i]}.log" >&2; fail "${names[$i]} exited with status $rc on SIGTERM"; }
  done

  # -------------------------------------------------- remove and purge
  say "dpkg --remove, then --purge"
  c dpkg --remove chroma-server chroma-cli >"$logs/dpkg-remove.log" 2>&1 \
    || { tail -20 "$logs/dpkg-remove.log" >&2; fail "dpkg --remove"; }
  check "removing kept the conffiles" test -f "$env_file"
  check "removing took the binaries" test ! -e "$root/usr/bin/chroma-api"
  c dpkg --purge chroma-server chroma-cli >"$logs/dpkg-purge.log" 2>&1 \
    || { tail -20 "$logs/dpkg-purge.log" >&2; fail "dpkg --purge"; }
  check "purging took /etc/chroma" test ! -e "$root/etc/chroma"
  check "purging kept /var/lib/chroma (the SSH key the servers trust)" test -f "$root/var/lib/chroma/id_ed25519"
  exit 0
fi

# -------------------------------------------------------------- inner rpm
# The RPM packages (scripts/rpm.sh) in another clean root, with rpm --root:
# Debian's rpm has none of EL's dependencies, so --nodeps; its scriptlets
# run chrooted there. Installation, user, modes and %config(noreplace).
if [ "${1:-}" = --inner-rpm ]; then
  root=$2 logs=$3
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  r() { rpm --root "$root" --dbpath /var/lib/rpm "$@"; }
  check() {
    local what=$1; shift
    "$@" || fail "rpm: $what"
  }
  say "rpm: rpm -i chroma-server chroma-cli into a clean root"
  r --initdb
  r -i --nodeps "$root/tmp-rpms/chroma-server.rpm" "$root/tmp-rpms/chroma-cli.rpm" >"$logs/rpm-install.log" 2>&1 \
    || { tail -20 "$logs/rpm-install.log" >&2; fail "rpm -i"; }
  for b in $PACKAGED_BINS; do
    check "/usr/bin/$b installed" test -x "$root/usr/bin/$b"
  done
  for unit in chroma.target chroma-api.service chroma-scheduler.service chroma-worker@.service \
    chroma-monitor.service chroma-plugins.service; do
    check "unit $unit installed" test -f "$root/usr/lib/systemd/system/$unit"
  done
  check "the console in /usr/share/chroma/web" test -f "$root/usr/share/chroma/web/index.html"
  IFS=: read -r _ _ uid gid _ home _ < <(chroot "$root" getent passwd chroma) || fail "rpm: no user chroma"
  check "chroma is a system user (uid $uid)" test "$uid" -lt 1000
  check "chroma's home is /var/lib/chroma" test "$home" = /var/lib/chroma
  check "/var/lib/chroma is chroma's, 0700" test "$(stat -c '%u:%g %a' "$root/var/lib/chroma")" = "$uid:$gid 700"
  env_file=$root/etc/chroma/chroma.env
  check "/etc/chroma/chroma.env is root's, 0600" test "$(stat -c '%u:%g %a' "$env_file")" = "0:0 600"
  check "chroma.env is %config(noreplace)" \
    grep -qx '/etc/chroma/chroma.env' <(r -qc chroma-server)
  echo "CHROMA_BIND=127.0.0.1:1" >>"$env_file"
  before=$(sha256sum <"$env_file")
  r -U --replacepkgs --nodeps "$root/tmp-rpms/chroma-server.rpm" >"$logs/rpm-reinstall.log" 2>&1 \
    || { tail -20 "$logs/rpm-reinstall.log" >&2; fail "rpm -U --replacepkgs"; }
  check "reinstalling kept the changed chroma.env" test "$(sha256sum <"$env_file")" = "$before"
  r -e chroma-server chroma-cli >"$logs/rpm-erase.log" 2>&1 || { tail -20 "$logs/rpm-erase.log" >&2; fail "rpm -e"; }
  check "erasing took the binaries" test ! -e "$root/usr/bin/chroma-api"
  check "erasing kept the changed chroma.env as chroma.env.rpmsave" test -f "$env_file.rpmsave"
  exit 0
fi

# ------------------------------------------------------------------ outer
[ "$(id -u)" = 0 ] || fail "needs root (chroot, mount namespaces)"
started=$SECONDS
# shellcheck source=scripts/services.sh
source scripts/services.sh

# Every name this run makes carries RUN = SECONDS-PID: the databases and
# the role chroma_deb_test_RUN*, the vhost and the containers
# chroma-deb-test-*RUN, the directory target/deb-test/RUN.
run=$(date +%s)-$$
work=$PWD/target/deb-test/$run
db=chroma_deb_test_${run//-/_}
role=$db
vhost=chroma-deb-test-$run
logs=$work/logs
db_password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres "$@"; }

# sweep: what runs killed before their cleanup left behind, found by the
# PID in its name no longer running (this run's PID is alive).
gone() { # gone RUN: RUN's PID part is no longer a process
  local pid=${1##*[-_]}
  [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null
}
sweep() {
  local name
  while read -r name; do
    if [ -z "$name" ] || ! gone "$name"; then continue; fi
    say "removing container $name, left by a killed run"
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  done < <(podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E '^chroma-deb-test-(build-)?[0-9]+-[0-9]+$' || true)
  while read -r name; do
    gone "${name%_systemd}" || continue
    say "dropping database $name, left by a killed run"
    psql_admin -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
  done < <(psql_admin -tAc "SELECT datname FROM pg_database WHERE datname ~ '^chroma_deb_test_[0-9]+_[0-9]+(_systemd)?$'" 2>/dev/null || true)
  while read -r name; do
    gone "$name" || continue
    say "dropping role $name, left by a killed run"
    psql_admin -c "DROP ROLE IF EXISTS \"$name\"" >/dev/null 2>&1 || true
  done < <(psql_admin -tAc "SELECT rolname FROM pg_roles WHERE rolname ~ '^chroma_deb_test_[0-9]+_[0-9]+$'" 2>/dev/null || true)
  while read -r name; do
    gone "$name" || continue
    say "deleting vhost $name, left by a killed run"
    timeout 30 rabbitmqctl -q delete_vhost "$name" >/dev/null 2>&1 || true
  done < <(timeout 30 rabbitmqctl -q list_vhosts name 2>/dev/null | grep -E '^chroma-deb-test-[0-9]+-[0-9]+$' || true)
  for name in "$PWD"/target/deb-test/*; do
    if [ ! -d "$name" ] || ! gone "$(basename "$name")"; then continue; fi
    # Its mounts lived in a namespace that ended with it.
    if findmnt -rn -o TARGET | grep -qF "$name/"; then
      say "something is still mounted under $name; not removing it"
    else
      say "removing $name, left by a killed run"
      rm -rf --one-file-system "$name"
    fi
  done
}

inner=
ctr=
cleanup() {
  local rc=$?
  [ -z "$inner" ] || kill -KILL "$inner" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "$ctr" ]; then
    [ "${KEEP:-0}" = 1 ] && podman exec "$ctr" journalctl --no-pager -u 'chroma*' >"$logs/systemd-journal.log" 2>&1
    podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || say "could not remove container $ctr"
  fi
  podman rm -f -t 0 "chroma-deb-test-build-$run" >/dev/null 2>&1 || true
  for d in "$db" "${db}_systemd"; do
    psql_admin -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || say "could not drop database $d"
  done
  psql_admin -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 || say "could not drop role $role"
  timeout 30 rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
  if [ "${KEEP:-0}" = 1 ]; then
    say "kept $work"
  elif [ -d "$work" ]; then
    # The mounts lived in the namespace that just ended; refuse to remove
    # anything if one is still there.
    if findmnt -rn -o TARGET | grep -qF "$work/"; then
      say "something is still mounted under $work; not removing it"
    else
      rm -rf --one-file-system "$work"
      rmdir "$PWD/target/deb-test" 2>/dev/null || true
    fi
  fi
  if [ $rc = 0 ]; then
    say "passed in $((SECONDS - started)) s"
  else
    say "failed after $((SECONDS - started)) s"
  fi
}
trap cleanup EXIT
sweep

# The Debian root (cached), the chroma-base image and the podman settings
# of this host (runc, ulimits).
scripts/debian-root.sh >/dev/null
export CONTAINERS_CONF=$PWD/target/podman/containers.conf
tarball=target/debian-root/bookworm.tar
# The packages' binaries (packaging/binaries), for the inner parts.
PACKAGED_BINS=$(awk '!/^#/ && NF && $2 != "-" { print $1 }' packaging/binaries | paste -sd' ')
export PACKAGED_BINS

say "/etc/chroma/chroma.env names every variable the services read"
mapfile -t vars < <(grep -rhoE '"(CHROMA_[A-Z0-9_]+|DATABASE_URL|AMQP_URL)"' \
  crates/setup/src crates/ssh/src services/*/src plugins/linux/src | tr -d '"' | sort -u)
for v in "${vars[@]}"; do
  grep -qw -- "$v" packaging/etc/chroma.env || fail "packaging/etc/chroma.env does not document $v"
done

say "scripts/deb.sh --profile debug"
mapfile -t debs < <(scripts/deb.sh --profile debug --lint)
[ ${#debs[@]} = 2 ] || fail "scripts/deb.sh built ${#debs[@]} packages, not 2"

if command -v systemd-analyze >/dev/null; then
  say "systemd-analyze verify"
  # The binaries are checked where they are installed, in the root below.
  out=$(systemd-analyze verify --man=no packaging/systemd/*.service packaging/systemd/chroma.target 2>&1 || true)
  out=$(grep -v 'Command /usr/bin/chroma-[a-z-]* is not executable' <<<"$out" || true)
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
  for unit in packaging/systemd/*.service; do
    systemd-analyze security --offline=true "$unit" 2>/dev/null | tail -1 | sed 's/^→ /test-deb: /' >&2 || true
  done
fi

mkdir -p "$work/root" "$logs"
tar -C "$work/root" --numeric-owner -xf "$tarball"
mkdir -p "$work/root/tmp/debs"
cp "${debs[0]}" "$work/root/tmp/debs/chroma-server.deb"
cp "${debs[1]}" "$work/root/tmp/debs/chroma-cli.deb"

# Chroma's database role for this run: no superuser, owning the run's two
# databases, as packaging/etc/chroma.env tells a site to make it. The
# password goes to psql on its standard input, not its command line.
psql_admin <<SQL
CREATE ROLE "$role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$db_password';
CREATE DATABASE "$db" OWNER "$role";
CREATE DATABASE "${db}_systemd" OWNER "$role";
SQL
timeout 30 rabbitmqctl -q add_vhost "$vhost" >/dev/null
timeout 30 rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
version=$(dpkg-deb -f "${debs[0]}" Version)

say "scripts/rpm.sh --profile debug"
mapfile -t rpms < <(scripts/rpm.sh --profile debug)
[ ${#rpms[@]} = 2 ] || fail "scripts/rpm.sh built ${#rpms[@]} packages, not 2"
mkdir -p "$work/rpm-root"
tar -C "$work/rpm-root" --numeric-owner -xf "$tarball"
mkdir -p "$work/rpm-root/tmp-rpms"
cp "$(printf '%s\n' "${rpms[@]}" | grep /chroma-server-)" "$work/rpm-root/tmp-rpms/chroma-server.rpm"
cp "$(printf '%s\n' "${rpms[@]}" | grep /chroma-cli-)" "$work/rpm-root/tmp-rpms/chroma-cli.rpm"
unshare --mount --pid --fork --kill-child -- "$0" --inner-rpm "$work/rpm-root" "$logs" &
inner=$!
wait $inner
inner=

DB_URL=postgres://$role:$db_password@127.0.0.1:5432/$db VHOST=$vhost PORT=$port VERSION=$version \
  unshare --mount --pid --fork --kill-child -- "$0" --inner "$work/root" "$logs" &
inner=$!
wait $inner
inner=

# ----------------------------------------------------------- under systemd
# The same packages in a Debian container that boots systemd (podman,
# privileged, the host's network): here the units themselves start the
# services, sandbox and all.
command -v podman >/dev/null || fail "podman is missing (scripts/debian-root.sh installs it)"
# chroma-base plus systemd, tagged with the Debian root's checksum, so a
# new root makes a new image; older ones are removed.
sum=$(sha256sum "$tarball" | cut -c1-12)
image=localhost/chroma-deb-test-systemd:$sum
if ! podman image exists "$image"; then
  say "building $image: chroma-base and systemd (once per Debian root; it is kept)"
  podman run --network host --name "chroma-deb-test-build-$run" localhost/chroma-base:bookworm sh -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus >/dev/null && rm -rf /var/lib/apt/lists/*' \
    >"$logs/systemd-image.log" 2>&1 || { tail -20 "$logs/systemd-image.log" >&2; fail "building $image"; }
  podman commit -q "chroma-deb-test-build-$run" "$image" >/dev/null
  podman rm "chroma-deb-test-build-$run" >/dev/null
  podman images --format '{{.Repository}}:{{.Tag}}' localhost/chroma-deb-test-systemd \
    | grep -vxF "$image" | xargs -r podman image rm >/dev/null 2>&1 || true
fi
ctr=chroma-deb-test-$run
podman run -d --network host --privileged --systemd=always --name "$ctr" "$image" /sbin/init >/dev/null
in_ctr() { timeout 120 podman exec "$ctr" "$@"; }
deadline=$((SECONDS + 60))
until state=$(in_ctr systemctl is-system-running 2>/dev/null) || [ "$state" = degraded ]; do
  [ $SECONDS -lt $deadline ] || fail "systemd in $ctr did not come up within 60 s (state ${state:-none})"
  sleep 0.5
done

say "under systemd: dpkg -i, set chroma.env, systemctl enable --now chroma.target chroma-worker@1 chroma-worker@2"
podman cp "${debs[0]}" "$ctr:/tmp/chroma-server.deb"
podman cp "${debs[1]}" "$ctr:/tmp/chroma-cli.deb"
in_ctr dpkg -i /tmp/chroma-server.deb /tmp/chroma-cli.deb >"$logs/systemd-dpkg.log" 2>&1 \
  || { tail -20 "$logs/systemd-dpkg.log" >&2; fail "dpkg -i under systemd"; }
check_ctr() { # check_ctr DESCRIPTION COMMAND...: in the container
  local what=$1; shift
  in_ctr "$@" || fail "under systemd: $what"
}
check_ctr "installing enabled or started nothing" \
  sh -c '! systemctl is-active --quiet chroma-api chroma-scheduler chroma-monitor chroma-plugins'
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The settings go in through standard input: the password stays off every
# command line.
printf '%s\n' "DATABASE_URL=postgres://$role:$db_password@127.0.0.1:5432/${db}_systemd" \
  "AMQP_URL=amqp://guest:guest@127.0.0.1:5672/$vhost" "CHROMA_BIND=127.0.0.1:$port" \
  | podman exec -i "$ctr" sh -c 'grep -v -e "^DATABASE_URL=" -e "^AMQP_URL=" /etc/chroma/chroma.env >/etc/chroma/chroma.env.new
    cat >>/etc/chroma/chroma.env.new && cat /etc/chroma/chroma.env.new >/etc/chroma/chroma.env && rm /etc/chroma/chroma.env.new'
in_ctr systemctl enable --quiet --now chroma.target chroma-worker@1 chroma-worker@2
units=(chroma-api chroma-scheduler chroma-monitor chroma-plugins chroma-worker@1 chroma-worker@2)
deadline=$((SECONDS + 180))
until curl -fsS --max-time 10 -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    in_ctr journalctl --no-pager -u chroma-api | tail -20 >&2
    fail "under systemd: chroma-api did not answer /api/health within 180 s"
  fi
  sleep 0.5
done
deadline=$((SECONDS + 120))
until [ "$(timeout 30 rabbitmqctl -q list_consumers -p "$vhost" queue_name 2>/dev/null | grep -cx 'chroma\.steps')" -ge 2 ] \
  && in_ctr journalctl --no-pager -u chroma-plugins | grep -q 'plugin running.*linux'; do
  [ $SECONDS -lt $deadline ] \
    || fail "under systemd: within 120 s, not two workers consuming chroma.steps and the linux plugin running"
  sleep 1
done
say "under systemd: every unit is up, the workers consume, the linux plugin runs; watching for 10 s"
sleep 10
for u in "${units[@]}"; do
  st="$(in_ctr systemctl show -p ActiveState --value "$u"), $(in_ctr systemctl show -p NRestarts --value "$u") restarts"
  if [ "$st" != "active, 0 restarts" ]; then
    in_ctr journalctl --no-pager -u "$u" | tail -20 >&2
    fail "under systemd: $u is not active without restarts ($st)"
  fi
done
[ "$(in_ctr stat -c '%U %a' /var/lib/chroma/id_ed25519)" = "chroma 600" ] \
  || fail "under systemd: the SSH key in /var/lib/chroma is not chroma's, 0600"

say "under systemd: dpkg -i again restarts the running services, dpkg -r stops them, dpkg -P forgets them"
before=$(in_ctr systemctl show -p MainPID --value "${units[@]}")
in_ctr dpkg -i /tmp/chroma-server.deb >"$logs/systemd-dpkg-upgrade.log" 2>&1 \
  || { tail -20 "$logs/systemd-dpkg-upgrade.log" >&2; fail "dpkg -i (again) under systemd"; }
after=$(in_ctr systemctl show -p MainPID --value "${units[@]}")
[ -z "$(comm -12 <(sort <<<"$before") <(sort <<<"$after"))" ] \
  || fail "under systemd: reinstalling did not restart every service (main PIDs before: $before; after: $after)"
check_ctr "every service runs again after the reinstall" systemctl is-active --quiet "${units[@]}"
in_ctr dpkg -r chroma-server >"$logs/systemd-dpkg-remove.log" 2>&1 \
  || { tail -20 "$logs/systemd-dpkg-remove.log" >&2; fail "dpkg -r under systemd"; }
for u in chroma.target "${units[@]}"; do
  check_ctr "removing stopped $u" sh -c "! systemctl is-active --quiet $u"
done
check_ctr "removing kept the units enabled (until a purge)" \
  sh -c 'ls /etc/systemd/system/*.wants/chroma* >/dev/null 2>&1'
in_ctr dpkg -P chroma-server >"$logs/systemd-dpkg-purge.log" 2>&1 \
  || { tail -20 "$logs/systemd-dpkg-purge.log" >&2; fail "dpkg -P under systemd"; }
left=$(in_ctr sh -c 'ls -d /etc/systemd/system/*.wants/chroma* 2>/dev/null' || true)
[ -z "$left" ] || fail "under systemd: purging left the units' enablement: $left"
check_ctr "purging took /etc/chroma" test ! -e /etc/chroma
