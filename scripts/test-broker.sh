#!/usr/bin/env bash
# Private, throw-away RabbitMQ node for integration tests.
#
#   scripts/test-broker.sh COMMAND PORT DIR
#
#   start         start node "chromatest<PORT>@localhost" on 127.0.0.1:PORT
#                 with all of its state under DIR; returns once the node
#                 answers an AMQP 0-9-1 protocol header on PORT (timeout
#                 $TEST_BROKER_START_TIMEOUT, default 60s). Idempotent.
#   stop          graceful stop of the whole Erlang VM (SIGTERM: rabbit shuts
#                 down cleanly and flushes its stores); SIGKILL of the process
#                 group if it has not exited after $TEST_BROKER_STOP_TIMEOUT
#                 (default 20s). Returns once the VM is gone and PORT is
#                 closed. No-op if not running.
#   restart       restart the broker keeping DIR's data (durable queues and
#                 persistent messages survive, transient ones do not). Fast
#                 path (~1s): if the VM is up, the rabbit application is
#                 stopped and started again inside it (exactly what
#                 `rabbitmqctl stop_app; rabbitmqctl start_app` do: every
#                 client connection is closed, the listener goes away, queues
#                 are recovered from disk). Falls back to restart-full.
#   restart-full  stop + start of the whole VM (~7s on a busy 2-core box).
#   stop-app      stop only the rabbit application (PORT closed, VM stays up
#                 so that a later `start`/`start-app` takes ~1s).
#   start-app     start the application again (same as `start`).
#   kill          SIGKILL the node (simulated crash), wait until PORT closed.
#   status        print running/stopped; exit 0 iff the node answers AMQP.
#   ctl ARGS...   run rabbitmqctl against the node.
#
# The node is fully independent of the system broker (rabbit@localhost on
# 5672): it reads none of /etc/rabbitmq/*, and has its own node name,
# distribution port (PORT+20000), Erlang cookie (DIR/.erlang.cookie, HOME=DIR)
# and data/log directories (DIR/mnesia, DIR/log). It runs as the invoking user
# (/usr/lib/rabbitmq/bin/rabbitmq-server is called directly, not the
# /usr/sbin wrapper that does `su rabbitmq`), so DIR only has to be writable by
# the caller. Credentials: guest/guest, vhost "/", i.e.
#   amqp://guest:guest@127.0.0.1:PORT/%2f
#
# Use one DIR per PORT. Calls for different PORT/DIR pairs may run
# concurrently; calls on the same DIR are serialised with flock(1).
set -euo pipefail

RMQ_BIN=${RMQ_BIN:-/usr/lib/rabbitmq/bin}
START_TIMEOUT=${TEST_BROKER_START_TIMEOUT:-60}
STOP_TIMEOUT=${TEST_BROKER_STOP_TIMEOUT:-20}

die() { echo "test-broker: error: $*" >&2; exit 1; }
log() { [[ -n "${TEST_BROKER_QUIET:-}" ]] || echo "test-broker: $*" >&2; }

usage() {
  echo "usage: $0 start|stop|restart|restart-full|stop-app|start-app|kill|status PORT DIR" >&2
  echo "       $0 ctl PORT DIR <rabbitmqctl args...>" >&2
  exit 2
}

[[ $# -ge 3 ]] || usage
CMD=$1 PORT=$2 DIR_ARG=$3
shift 3
[[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT >= 1024 && PORT <= 45535 )) \
  || die "PORT must be an integer in 1024..45535 (dist port is PORT+20000), got '$PORT'"
[[ "$PORT" != 5672 ]] || die "port 5672 belongs to the system broker"
[[ -x "$RMQ_BIN/rabbitmq-server" ]] \
  || die "$RMQ_BIN/rabbitmq-server not found (apt-get install rabbitmq-server, or set RMQ_BIN)"
command -v setsid >/dev/null && command -v flock >/dev/null \
  || die "setsid and flock (util-linux) are required"

mkdir -p "$DIR_ARG"
DIR=$(cd "$DIR_ARG" && pwd -P)
NODE="chromatest${PORT}@localhost"
DIST_PORT=$((PORT + 20000))
PID_FILE="$DIR/rabbitmq.pid"          # beam.smp pid, written by rabbit itself
LAUNCHER_PID_FILE="$DIR/launcher.pid" # session/process-group leader we spawn
APP_STOPPED="$DIR/app-stopped"        # marker: VM up, rabbit app stopped
LOG_DIR="$DIR/log"
ERL_CALL=$(command -v erl_call || ls /usr/lib/erlang/lib/erl_interface-*/bin/erl_call 2>/dev/null | head -1 || true)

# ---------------------------------------------------------------- helpers ---

# TCP connect to 127.0.0.1:$1 succeeds?
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Node speaks AMQP on PORT: send the 0-9-1 protocol header and expect the
# first byte of a method frame (Connection.Start) back.
amqp_ready() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$PORT"' || exit 1
    printf "AMQP\x00\x00\x09\x01" >&3
    IFS= read -r -d "" -N 1 -t 2 b <&3 || exit 1
    [[ "$b" == $'"'"'\x01'"'"' ]]
  ' 2>/dev/null
}

# Live (non-zombie) process? Zombies are not reaped promptly here because
# our launcher is re-parented to init.
alive() {
  local st
  [[ -n "${1:-}" ]] && read -r st 2>/dev/null < "/proc/$1/stat" || return 1
  st=${st##*) }
  [[ "${st%% *}" != Z ]]
}

# Is $1 a live process of this node (guards against pid reuse)?
ours() {
  local pid=${1:-}
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null \
    | grep -qxF "RABBITMQ_NODENAME=$NODE"
}

read_pid() { [[ -f "$1" ]] && tr -dc '0-9' < "$1" || true; }

launcher_pid() {
  local l
  l=$(read_pid "$LAUNCHER_PID_FILE")
  ours "$l" && echo "$l"
}

beam_pid() {
  local p l
  p=$(read_pid "$PID_FILE")
  if ours "$p"; then echo "$p"; return 0; fi
  # pid file not written yet (early boot): look in our process group
  l=$(read_pid "$LAUNCHER_PID_FILE")
  [[ "$l" =~ ^[0-9]+$ ]] || return 1
  for p in $(pgrep -g "$l" beam.smp 2>/dev/null || true); do
    if ours "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

running() { beam_pid >/dev/null || launcher_pid >/dev/null; }

# Run Mod Fun [Args] inside the node via the distribution port (no epmd,
# no CLI VM: takes milliseconds). Prints the result term.
node_call() {
  [[ -n "$ERL_CALL" ]] || return 1
  HOME="$DIR" timeout $((START_TIMEOUT + 5)) \
    "$ERL_CALL" -address "127.0.0.1:$DIST_PORT" -timeout "$START_TIMEOUT" -a "$*" 2>&1
}

setup_env() {
  mkdir -p "$LOG_DIR" "$DIR/mnesia" "$DIR/conf.d"
  : > "$DIR/rabbitmq-env.conf"
  echo '[].' > "$DIR/enabled_plugins"
  cat > "$DIR/rabbitmq.conf" <<EOF
# generated by scripts/test-broker.sh -- private test node $NODE
listeners.tcp.1 = 127.0.0.1:$PORT
loopback_users = none
log.console = false
log.file.level = info
# do not block publishers on (tmpfs / nearly full) disks
disk_free_limit.absolute = 1
EOF
  echo "$PORT" > "$DIR/port"

  # Drop anything inherited that would redirect or reconfigure the node.
  unset ERL_FLAGS ERL_AFLAGS ERL_ZFLAGS ERL_LIBS RABBITMQ_ALLOW_INPUT \
        NOTIFY_SOCKET RABBITMQ_ENV_LOADED RABBITMQ_SCRIPTS_DIR \
        RABBITMQ_USE_LONGNAME RABBITMQ_NODE_IP_ADDRESS RABBITMQ_MNESIA_DIR \
        RABBITMQ_LOGS RABBITMQ_SERVER_START_ARGS RABBITMQ_CTL_ERL_ARGS \
        RABBITMQ_SERVER_ERL_ARGS RABBITMQ_QUORUM_DIR RABBITMQ_STREAM_DIR \
        RABBITMQ_GENERATED_CONFIG_DIR RABBITMQ_SCHEMA_DIR 2>/dev/null || true
  export HOME="$DIR"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_CRASH_DUMP="$LOG_DIR/erl_crash.dump"
  export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf"
  export RABBITMQ_CONFIG_FILES="$DIR/conf.d"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
  export RABBITMQ_NODENAME="$NODE"
  export RABBITMQ_NODE_PORT="$PORT"
  export RABBITMQ_DIST_PORT="$DIST_PORT"
  export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
  export RABBITMQ_LOG_BASE="$LOG_DIR"
  export RABBITMQ_PID_FILE="$PID_FILE"
  export RABBITMQ_FEATURE_FLAGS_FILE="$DIR/mnesia/$NODE-feature_flags"
  export RABBITMQ_PLUGINS_EXPAND_DIR="$DIR/mnesia/$NODE-plugins-expand"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

wait_gone() { # pid... ; returns 1 if one is still alive after $STOP_TIMEOUT
  local deadline=$((SECONDS + STOP_TIMEOUT)) p a
  while :; do
    a=
    for p in "$@"; do alive "$p" && a=1; done
    [[ -z "$a" ]] && return 0
    (( SECONDS < deadline )) || return 1
    sleep 0.05
  done
}

wait_port_closed() {
  local deadline=$((SECONDS + 15))
  while port_open "$PORT"; do
    (( SECONDS < deadline )) \
      || die "127.0.0.1:$PORT still accepting connections after $NODE stopped (another process on it?)"
    sleep 0.05
  done
}

# rabbit's boot state: stopped | booting | core_started | ready | stopping
boot_state() { node_call rabbit_boot_state get; }

# Fully up: AMQP answers on PORT *and* the boot has completed (the listener
# opens a little before postlaunch finishes; stopping the app in that window
# makes a following rabbit:start() a silent no-op).
fully_ready() {
  amqp_ready || return 1
  [[ -z "$ERL_CALL" ]] || [[ "$(boot_state)" == ready ]]
}

# Wait until fully ready; fail early (with log tail) if the VM died.
wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until fully_ready; do
    if ! running; then
      tail_logs
      rm -f "$LAUNCHER_PID_FILE" "$PID_FILE"
      die "$NODE exited during boot (logs in $LOG_DIR)"
    fi
    if (( SECONDS >= deadline )); then
      tail_logs
      do_stop KILL || true
      die "$NODE did not accept AMQP connections on 127.0.0.1:$PORT within ${START_TIMEOUT}s (logs in $LOG_DIR)"
    fi
    sleep 0.05
  done
}

tail_logs() {
  local f
  for f in "$LOG_DIR/startup.log" "$LOG_DIR/$NODE.log"; do
    [[ -s "$f" ]] || continue
    echo "---- tail of $f ----" >&2
    tail -n 25 "$f" >&2 || true
  done
}

# ------------------------------------------------------------- commands -----

do_stop() { # $1 = TERM (graceful) | KILL
  local sig=$1 beam launcher
  beam=$(beam_pid || true)
  launcher=$(launcher_pid || true)
  rm -f "$APP_STOPPED"
  if [[ -z "$beam" && -z "$launcher" ]]; then
    rm -f "$PID_FILE" "$LAUNCHER_PID_FILE"
    port_open "$PORT" \
      && die "$NODE is not running from $DIR, but something else listens on 127.0.0.1:$PORT"
    log "$NODE not running"
    return 0
  fi
  if [[ "$sig" == KILL ]]; then
    [[ -n "$launcher" ]] && kill -KILL -- "-$launcher" 2>/dev/null || true
    [[ -n "$beam" ]] && kill -KILL "$beam" 2>/dev/null || true
  elif [[ -n "$beam" ]]; then
    # rabbit's SIGTERM handler performs a clean rabbit:stop_and_halt().
    kill -TERM "$beam" 2>/dev/null || true
  else
    kill -TERM -- "-$launcher" 2>/dev/null || true
  fi
  # shellcheck disable=SC2086
  if ! wait_gone $beam $launcher; then
    log "$NODE did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
    [[ -n "$launcher" ]] && kill -KILL -- "-$launcher" 2>/dev/null || true
    [[ -n "$beam" ]] && kill -KILL "$beam" 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone $beam $launcher || die "could not kill $NODE (pids: $beam $launcher)"
  fi
  # leftover helpers of the group (erl_child_setup, inet_gethost)
  [[ -n "$launcher" ]] && kill -KILL -- "-$launcher" 2>/dev/null || true
  rm -f "$PID_FILE" "$LAUNCHER_PID_FILE"
  wait_port_closed
  log "$NODE stopped"
}

do_start() {
  if running; then
    if [[ -f "$APP_STOPPED" ]]; then
      do_start_app
      return
    fi
    wait_ready
    log "$NODE already running on 127.0.0.1:$PORT"
    return 0
  fi
  rm -f "$PID_FILE" "$LAUNCHER_PID_FILE" "$APP_STOPPED"
  port_open "$PORT" && die "127.0.0.1:$PORT is already in use by another process"
  port_open "$DIST_PORT" && die "distribution port 127.0.0.1:$DIST_PORT (PORT+20000) is already in use"

  setup_env
  # New session => own process group, immune to the caller's terminal and
  # signals; stop/kill take down beam.smp and its helpers via the group.
  # fd 9 (the DIR lock) must not leak into the long-lived node.
  ( exec 9>&-; cd "$DIR" && exec setsid "$RMQ_BIN/rabbitmq-server" \
      </dev/null >>"$LOG_DIR/startup.log" 2>&1 ) &
  echo "$!" > "$LAUNCHER_PID_FILE"
  wait_ready
  log "$NODE up on 127.0.0.1:$PORT (pid $(beam_pid || echo '?'), data $DIR)"
}

do_stop_app() {
  running || die "$NODE is not running"
  [[ -n "$ERL_CALL" ]] || die "erl_call (erlang-base/erl_interface) not found"
  if [[ -f "$APP_STOPPED" ]]; then log "$NODE: application already stopped"; return 0; fi
  wait_ready
  local out
  out=$(node_call rabbit stop) || die "could not reach $NODE to stop the app: $out"
  [[ "$out" == ok ]] || die "rabbit:stop() on $NODE returned: $out"
  : > "$APP_STOPPED"
  wait_port_closed
  log "$NODE: rabbit application stopped (VM still up)"
}

do_start_app() {
  running || { do_start; return; }
  local out
  local tries=0
  while :; do
    out=$(node_call rabbit start) || die "could not reach $NODE to start the app: $out"
    [[ "$out" == ok ]] || die "rabbit:start() on $NODE returned: $out"
    # rabbit:start() returns ok without doing anything while a previous
    # boot/stop is still winding down; try again in that case.
    [[ "$(boot_state)" == stopped ]] || break
    (( ++tries < 50 )) || die "rabbit:start() on $NODE keeps returning ok without starting"
    sleep 0.1
  done
  rm -f "$APP_STOPPED"
  wait_ready
  log "$NODE: rabbit application started on 127.0.0.1:$PORT"
}

do_restart() {
  if [[ -n "$ERL_CALL" ]] && running; then
    if [[ -f "$APP_STOPPED" ]]; then do_start_app; return; fi
    wait_ready
    local out
    if out=$(node_call rabbit stop) && [[ "$out" == ok ]]; then
      : > "$APP_STOPPED"
      wait_port_closed
      do_start_app
      return
    fi
    log "in-VM restart failed ($out); doing a full restart"
  fi
  do_stop TERM
  do_start
}

do_ctl() {
  setup_env
  exec "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"
}

if [[ "$CMD" == status ]]; then  # read-only, no lock needed
  if amqp_ready; then echo running; exit 0; else echo stopped; exit 1; fi
fi

# Serialise operations on the same DIR.
exec 9>"$DIR/.lock"
flock -w $((START_TIMEOUT + STOP_TIMEOUT + 30)) 9 || die "timed out waiting for the lock $DIR/.lock"

if [[ -f "$DIR/port" ]]; then
  other=$(tr -dc '0-9' < "$DIR/port")
  if [[ -n "$other" && "$other" != "$PORT" ]] && port_open "$((other + 20000))"; then
    die "$DIR is in use by the node on port $other; use one DIR per PORT"
  fi
fi

case "$CMD" in
  start)        do_start ;;
  stop)         do_stop TERM ;;
  kill)         do_stop KILL ;;
  restart)      do_restart ;;
  restart-full) do_stop TERM; do_start ;;
  stop-app)     do_stop_app ;;
  start-app)    do_start_app ;;
  ctl)          do_ctl "$@" ;;
  *)            usage ;;
esac
