#!/usr/bin/env bash
# The container deployment, run: builds the images without a registry
# (scripts/images.sh, binaries from CHROMA_PROFILE_DIR, default
# target/debug, which `cargo build --bins` made), starts docker-compose.yml
# with deploy/compose.lustre-sim.yml under podman with three workers, and
# checks what an operator would:
#
#  1. every service becomes healthy; RabbitMQ's steps queue has 3 consumers;
#     Chroma's database role is no superuser; only the API has a host port;
#  2. the simulated servers mds1, oss1, oss2 are added through the API
#     (their host keys pinned from lustre-sim's log) and become managed;
#     GET /api/ssh_key shows the key they trust; the console is served and
#     the shipped linux storage plugin runs;
#  3. a file system is created; while one of its steps runs (the servers
#     answer 5 s slower), the worker container running it is killed with
#     SIGKILL (if the step turns out to have finished first, again with
#     the next), and the command still succeeds, the step finished by
#     another worker;
#  4. workers scale to 1 (1 consumer) and back to 3 (3 consumers), and the
#     file system is stopped and started again by the workers;
#  5. `down -v` leaves no container, network or volume of the project.
#
# Compose is docker-compose (Debian's, v1.29) talking to podman's Docker
# API on a socket of its own (podman system service). podman here has no
# systemd to run healthchecks on a timer, so this script runs them
# (`podman healthcheck run`, every 2 s) while the stack is up.
#
# The project name and the image tag carry a hash of this clone's path, so
# runs in two clones never meet. A run killed before its teardown leaves
# its podman service and healthcheck loop to end on their own (the service
# after 120 s idle, the loop when this script's PID is gone) and the next
# run kills them (their PIDs in target/compose-test/*.pid) and takes its
# containers down.
set -euo pipefail
cd "$(dirname "$0")/.."

clone=$(printf %s "$PWD" | sha1sum | cut -c1-8)
project=chromaci-$clone
dir=$PWD/target/compose-test
profile=${CHROMA_PROFILE_DIR:-target/debug}
started=$SECONDS
say() { echo "test-compose: [$((SECONDS - started))s] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# shellcheck source=scripts/services.sh
source scripts/services.sh --lib
command -v docker-compose >/dev/null || apt_install docker-compose
command -v curl >/dev/null || apt_install curl

mkdir -p "$dir"
# What a killed run left running: its podman service and healthcheck loop.
for pidfile in "$dir"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && grep -qaE 'podman|test-compose' "/proc/$pid/cmdline" 2>/dev/null; then
    say "stopping $(basename "$pidfile" .pid) ($pid), left by a killed run"
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done

scripts/images.sh --profile "$profile" --tag "$clone"
export CONTAINERS_CONF=$PWD/target/podman/containers.conf
say "images built"

rm -f "$dir/podman.sock"
# Fresh passwords for this run (compose reads them from the env file).
(
  umask 077
  for var in POSTGRES_PASSWORD CHROMA_DB_PASSWORD RABBITMQ_PASSWORD CHROMA_ADMIN_PASSWORD; do
    echo "$var=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  done >"$dir/env"
)
admin_password=$(sed -n 's/^CHROMA_ADMIN_PASSWORD=//p' "$dir/env")

export DOCKER_HOST=unix://$dir/podman.sock
export COMPOSE_PROJECT_NAME=$project
export CHROMA_IMAGE=localhost/chroma:$clone LUSTRE_SIM_IMAGE=localhost/chroma-lustre-sim:$clone
export POSTGRES_IMAGE=localhost/chroma-postgres:$clone RABBITMQ_IMAGE=localhost/chroma-rabbitmq:$clone
export CHROMA_HTTP_PUBLISH=127.0.0.1::8080
# Every compose call has a deadline (COMPOSE_TIMEOUT seconds, 120 unless set).
compose() {
  timeout "${COMPOSE_TIMEOUT:-120}" docker-compose --env-file "$dir/env" \
    -f docker-compose.yml -f deploy/compose.lustre-sim.yml "$@"
}

pids=()
teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$status" != 0 ]; then
    say "logs of the failed run in $dir/logs.txt"
    compose logs --no-color --timestamps >"$dir/logs.txt" 2>&1 || true
    podman ps -a --filter "label=com.docker.compose.project=$project" \
      --format '{{.Names}} {{.Status}}' >&2 || true
  fi
  say "tearing down"
  compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true
  [ ${#pids[@]} -eq 0 ] || { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
  rm -f "$dir/podman.sock" "$dir/auth-header" "$dir/env" "$dir"/*.pid
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# It ends after 120 s without a client, should this script be killed; the
# healthcheck loop below is one every 2 s while the script lives.
podman system service --time=120 "$DOCKER_HOST" >"$dir/podman-service.log" 2>&1 &
pids+=($!)
echo $! >"$dir/podman-service.pid"
for _ in $(seq 1 100); do [ -S "$dir/podman.sock" ] && break; sleep 0.1; done
[ -S "$dir/podman.sock" ] || fail "podman system service did not start ($dir/podman-service.log)"
# A run killed before its teardown left these behind.
compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true

# The healthcheck timer podman would have under systemd, for as long as
# this script runs.
(
  while kill -0 $$ 2>/dev/null; do
    for id in $(podman ps -q --filter "label=com.docker.compose.project=$project" 2>/dev/null); do
      timeout 30 podman healthcheck run "$id" >/dev/null 2>&1 || true
    done
    curl -fsS --max-time 10 --unix-socket "$dir/podman.sock" -o /dev/null http://d/_ping 2>/dev/null || true
    sleep 2
  done
) &
pids+=($!)
echo $! >"$dir/healthcheck.pid"

# ---- 1. up, healthy, three consumers -------------------------------------
say "docker-compose up --scale worker=3"
COMPOSE_TIMEOUT=300 compose up -d --no-build --scale worker=3 >"$dir/up.log" 2>&1 \
  || { cat "$dir/up.log" >&2; fail "compose up"; }

services=(postgres rabbitmq api scheduler monitor plugins worker lustre-sim)
healthy() {
  local ids id state
  for service in "${services[@]}"; do
    ids=$(compose ps -q "$service")
    [ -n "$ids" ] || return 1
    for id in $ids; do
      state=$(podman inspect --format '{{.State.Health.Status}}' "$id" 2>/dev/null || echo none)
      [ "$state" = healthy ] || return 1
    done
  done
}
for _ in $(seq 1 90); do healthy && break; sleep 2; done
healthy || fail "not every service became healthy"
[ "$(podman inspect --format '{{.State.ExitCode}}' "$(compose ps -q migrate)")" = 0 ] || fail "migrate did not exit 0"
say "every service healthy"
# Chroma logs in as role chroma, which is no superuser and owns its tables.
super=$(compose exec -T postgres psql -U postgres -d chroma -tAc \
  "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'chroma')
   FROM pg_roles r WHERE r.rolname = 'chroma'" | tr -d '\r')
[ "$super" = "f|f|f|0" ] || fail "role chroma: superuser, createrole, createdb, tables it does not own = $super"
# Only the API is published on the host (not RabbitMQ, its management
# plugin or PostgreSQL).
published=$(podman ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}} {{.Ports}}' \
  | awk 'NF > 1 { print $1 }')
[ "$published" = "${project}_api_1" ] || fail "containers publishing ports: $published"

steps_consumers() {
  compose exec -T rabbitmq timeout 30 rabbitmqctl -q list_queues name consumers 2>/dev/null \
    | awk '$1 == "chroma.steps" { print $2 }'
}
wait_consumers() {
  local want=$1 have=
  for _ in $(seq 1 60); do
    have=$(steps_consumers)
    [ "$have" = "$want" ] && return 0
    sleep 1
  done
  fail "chroma.steps has ${have:-no} consumers, expected $want"
}
wait_consumers 3
say "chroma.steps has 3 consumers"

# ---- 2. the API: log in, add the simulated servers -----------------------
port=$(compose port api 8080 | sed 's/.*://')
api=http://127.0.0.1:$port
(
  umask 077
  printf '{"username": "admin", "password": "%s"}' "$admin_password" \
    | curl -fsS --max-time 10 -X POST "$api/api/session" -H 'content-type: application/json' --data-binary @- \
    | python3 -c 'import json,sys; print("authorization: Bearer " + json.load(sys.stdin)["response"]["token"])' \
      >"$dir/auth-header"
) || fail "cannot log in as admin"
get() { curl -fsS --max-time 10 -H @"$dir/auth-header" "$api$1"; }
post() { curl -fsS --max-time 10 -H @"$dir/auth-header" -H 'content-type: application/json' -X POST "$api$1" -d "$2"; }
patch() { curl -fsS --max-time 10 -H @"$dir/auth-header" -H 'content-type: application/json' -X PATCH "$api$1" -d "$2"; }
field() { python3 -c "import json,sys; r=json.load(sys.stdin)['response']; print($1)"; }

# lustre-sim prints "NAME ADDRESS FINGERPRINT" per server once it listens.
while read -r name address fingerprint; do
  port_of=${address##*:}
  post /api/host "{\"address\": \"lustre-sim\", \"port\": $port_of, \"fingerprint\": \"$fingerprint\"}" >/dev/null \
    || fail "adding $name"
done < <(compose logs --no-color --no-log-prefix lustre-sim 2>/dev/null | grep -E '^(mds1|oss1|oss2) ' | sort -u)
for _ in $(seq 1 120); do
  managed=$(get '/api/host?state=managed' | field 'r["meta"]["total_count"]' 2>/dev/null || echo 0)
  [ "$managed" = 3 ] && break
  sleep 1
done
[ "$managed" = 3 ] || fail "$managed of 3 servers managed"
say "mds1, oss1, oss2 managed"
# The key the API shows operators is the one the servers trust (the
# chroma-ssh volume, which lustre-sim reads its authorized key from).
shown=$(get /api/ssh_key | field 'r["public_key"].split()[1]')
trusted=$(compose exec -T lustre-sim cat /var/lib/chroma/id_ed25519.pub | awk '{ print $2 }')
if [ -z "$shown" ] || [ "$shown" != "$trusted" ]; then fail "GET /api/ssh_key shows another key than the servers trust"; fi
# The image's console and its shipped linux plugin.
curl -fsS --max-time 10 "$api/" | grep -qi '<html' || fail "the console is not served at /"
for _ in $(seq 1 60); do
  plugin=$(get /api/storage_plugin | field '",".join(p["name"] + ":" + p["state"] for p in r["objects"])' 2>/dev/null || true)
  [[ $plugin == *linux:running* ]] && break
  sleep 1
done
[[ $plugin == *linux:running* ]] || fail "storage plugins: ${plugin:-none}, expected linux running"
say "the API shows the servers' key; console served; plugin linux running"

# ---- 3. a file system, a worker killed under one of its steps ------------
# Every server command now takes 5 s more, so a step runs long enough to be
# caught running.
for host in mds1 oss1 oss2; do
  compose exec -T lustre-sim lustre-sim --state-dir /var/lib/lustre-sim fault "$host" slow 5000 >/dev/null
done
body=$(get /api/volume | python3 -c '
import json, sys
volumes = json.load(sys.stdin)["response"]["objects"]
on = lambda host: [v for v in volumes if [n["host"] for n in v["nodes"]] == [host]]
mds, oss1, oss2 = on("mds1"), on("oss1"), on("oss2")
assert len(mds) >= 2 and oss1 and oss2, "volumes not found"
ost = lambda v: {"volume_id": v["id"], "primary_host_id": v["nodes"][0]["host_id"]}
print(json.dumps({"name": "ctest", "mgt": {"volume_id": mds[0]["id"]},
                  "mdts": [{"volume_id": mds[1]["id"]}], "osts": [ost(oss1[0]), ost(oss2[0])]}))')
command=$(post /api/filesystem "$body" | field 'r["command"]') || fail "creating file system ctest"
say "file system ctest: command $command"

# The command's steps: "ID STATE WORKER" a line.
steps() {
  local job
  for job in $(get "/api/command/$command" | field '"\n".join(j["id"] for j in r["jobs"])'); do
    get "/api/job/$job" | field '"\n".join(s["id"] + " " + s["state"] + " " + (s["worker"] or "-") for s in (r.get("steps") or []))'
  done 2>/dev/null
}
# Kill the worker container running a step. Should that step turn out to
# have finished before the kill landed, the kill proved nothing: try again
# with the next step that runs.
victim='' step='' worker='' tried=' '
for _ in $(seq 1 300); do
  victim=''
  while read -r id state on; do
    if [ "$state" != running ] || [ "$on" = - ] || [[ $tried == *" $id "* ]]; then continue; fi
    for ctr in $(compose ps -q worker); do
      if [[ $on == "$(podman inspect --format '{{.Config.Hostname}}' "$ctr")-"* ]]; then
        victim=$ctr step=$id worker=$on
      fi
    done
    [ -z "$victim" ] || break
  done < <(steps)
  if [ -n "$victim" ]; then
    podman kill --signal KILL "$victim" >/dev/null
    tried+="$step "
    state=$(steps | awk -v id="$step" '$1 == id { print $2 }')
    if [ "$state" != succeeded ] && [ "$state" != failed ]; then break; fi
    say "step $step had already finished ($state) when its worker was killed; trying the next"
    victim=''
  fi
  sleep 0.1
done
[ -n "$victim" ] || fail "no running step of command $command caught on a live worker"
say "killed worker container ${victim:0:12} ($worker) while it ran step $step"
# The servers answer at full speed again for the rest of the command.
for host in mds1 oss1 oss2; do
  compose exec -T lustre-sim lustre-sim --state-dir /var/lib/lustre-sim fault "$host" up >/dev/null
done

for _ in $(seq 1 240); do
  state=$(get "/api/command/$command" | field 'r["state"]')
  case $state in succeeded | failed | cancelled) break ;; esac
  sleep 1
done
[ "$state" = succeeded ] || fail "command $command $state"
step_worker=$(for job in $(get "/api/command/$command" | field '"\n".join(j["id"] for j in r["jobs"])'); do
  get "/api/job/$job" | field "\"\n\".join((s['worker'] or '') for s in (r.get('steps') or []) if s['id'] == '$step')"
done | grep . | head -1)
if [ -z "$step_worker" ] || [ "$step_worker" = "$worker" ]; then
  fail "step $step finished by ${step_worker:-nobody}, not by another worker"
fi
fs_state=$(get /api/filesystem | field '[f["state"] for f in r["objects"] if f["name"] == "ctest"][0]')
say "command succeeded (step $step finished by $step_worker); file system ctest $fs_state"

# ---- 4. scale to 1 and back ---------------------------------------------
compose up -d --no-build --no-recreate --scale worker=1 worker >/dev/null 2>&1 \
  || fail "scaling workers to 1"
[ "$(compose ps -q worker | wc -l)" = 1 ] || fail "$(compose ps -q worker | wc -l) worker containers after scaling to 1"
wait_consumers 1
say "scaled to 1 worker: chroma.steps has 1 consumer"
compose up -d --no-build --no-recreate --scale worker=3 worker >/dev/null 2>&1 || fail "scaling workers to 3"
[ "$(compose ps -q worker | wc -l)" = 3 ] || fail "$(compose ps -q worker | wc -l) worker containers after scaling to 3"
wait_consumers 3
say "scaled back to 3 workers: chroma.steps has 3 consumers"
fs_id=$(get /api/filesystem | field '[f["id"] for f in r["objects"] if f["name"] == "ctest"][0]')
change_fs() {
  local want=$1 id
  id=$(patch "/api/filesystem/$fs_id" "{\"state\": \"$want\", \"confirm\": true}" | field 'r["command"]') \
    || fail "file system ctest to $want"
  for _ in $(seq 1 120); do
    state=$(get "/api/command/$id" | field 'r["state"]')
    case $state in succeeded | failed | cancelled) break ;; esac
    sleep 0.5
  done
  [ "$state" = succeeded ] || fail "file system ctest to $want: command $id $state"
}
change_fs stopped
change_fs available
say "file system ctest stopped and started by the scaled workers"

# ---- 5. nothing left behind ---------------------------------------------
compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || fail "compose down"
left=$(
  podman ps -a -q --filter "label=com.docker.compose.project=$project"
  podman volume ls -q --filter "label=com.docker.compose.project=$project"
  podman network ls -q --filter "name=^${project}_"
)
[ -z "$left" ] || fail "left behind after down: $left"
say "down: no container, volume or network of project $project left"
say "passed in $((SECONDS - started))s"
