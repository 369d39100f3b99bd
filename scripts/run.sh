#!/usr/bin/env bash
# Runs Chroma on this machine: makes sure PostgreSQL and RabbitMQ run,
# builds the release binaries, applies migrations, then starts the API,
# the scheduler, two workers, the monitor, the storage plugins, the web
# console and a simulated Lustre cluster (lustre-sim:
# mds1, oss1, oss2 over SSH on 127.0.0.1:2200-2202, accepting Chroma's key;
# oss1 and oss2 made HA cluster demo-ha) in the foreground. Ctrl-C stops them all gracefully (workers finish or
# hand back their steps).
#
# Settings come from the environment (see README.md, "Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
# shellcheck source=scripts/demo-auth.sh
source scripts/demo-auth.sh

cargo build --release --bins
scripts/web.sh
export CHROMA_WEB_DIR=${CHROMA_WEB_DIR:-$PWD/web/dist}
bin=target/release
export RUST_LOG=${RUST_LOG:-info}
bind=${CHROMA_BIND:-127.0.0.1:8080}

"$bin/chroma-api" migrate

# Chroma's SSH key (CHROMA_SSH_KEY), and the demo cluster that trusts it.
key=${CHROMA_SSH_KEY:-$HOME/.local/share/chroma/id_ed25519}
export CHROMA_SSH_KEY=$key
if [ ! -f "$key" ]; then
  command -v ssh-keygen >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-client >/dev/null
  mkdir -p "$(dirname "$key")"
  ssh-keygen -q -t ed25519 -N '' -C chroma -f "$key"
fi
sim_dir=${CHROMA_SIM_DIR:-$PWD/target/demo-cluster}
mkdir -p "$sim_dir"
cp "$key.pub" "$sim_dir/authorized_keys"

# The demo's superuser: admin, with a password generated once and kept
# beside the demo cluster (or CHROMA_ADMIN_PASSWORD if set). It is created
# on the API's first start and printed below. Only the API gets it, in its
# environment; it is never a process argument (scripts/demo-auth.sh).
if [ -z "${CHROMA_ADMIN_PASSWORD:-}" ]; then
  [ -s "$sim_dir/admin-password" ] || (umask 077; head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$sim_dir/admin-password")
  CHROMA_ADMIN_PASSWORD=$(cat "$sim_dir/admin-password")
fi
export -n CHROMA_ADMIN_PASSWORD

# Storage plugins (docs/plugins.md): the Linux block devices of the
# managed servers, and a simulated RAID array whose LUNs are the demo
# cluster's devices. Workers read the same manifests to run plugin actions.
plugin_dir=${CHROMA_PLUGIN_DIR:-$sim_dir/plugins.d}
export CHROMA_PLUGIN_DIR=$plugin_dir
mkdir -p "$plugin_dir"
# linux.json is the packages' manifest (packaging/etc/plugins.d) with the
# plugin's path in this tree.
sed "s|\"/usr/bin/chroma-plugin-linux\"|\"$PWD/$bin/chroma-plugin-linux\"|" \
  packaging/etc/plugins.d/linux.json > "$plugin_dir/linux.json"
# Run as root, Chroma runs plugins as an unprivileged user
# (CHROMA_PLUGIN_USER, docs/plugins.md): the array's state lives in a
# directory that user may write.
raid_dir=$sim_dir/sim-raid
mkdir -p "$raid_dir"
if [ "$(id -u)" = 0 ]; then
  plugin_user=${CHROMA_PLUGIN_USER:-$(id -u chroma-plugin >/dev/null 2>&1 && echo chroma-plugin || echo nobody)}
  chown -R "$plugin_user:" "$raid_dir"
fi
cat > "$plugin_dir/sim-raid.json" <<JSON
{"name": "sim-raid", "command": ["$PWD/$bin/chroma-plugin-sim-raid", "--state", "$raid_dir/sim-raid.state"], "detect_interval_seconds": 30, "monitor_interval_seconds": 10}
JSON

pids=()
stop() {
  trap - INT TERM EXIT
  echo "run: stopping Chroma" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# mds1 has no Pacemaker (its targets are mounted directly); oss1 and oss2
# have Pacemaker and corosync installed, not yet configured.
"$bin/lustre-sim" --state-dir "$sim_dir" --hosts mds1,oss1,oss2 --no-pacemaker mds1 \
  --base-port "${CHROMA_SIM_BASE_PORT:-2200}" \
  --authorized-keys "$sim_dir/authorized_keys" > "$sim_dir/hosts.txt" & pids+=($!)
CHROMA_ADMIN_PASSWORD=$CHROMA_ADMIN_PASSWORD "$bin/chroma-api" & pids+=($!)
"$bin/chroma-scheduler" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-1 "$bin/chroma-worker" & pids+=($!)
CHROMA_WORKER_ID=${HOSTNAME:-local}-worker-2 "$bin/chroma-worker" & pids+=($!)
"$bin/chroma-monitor" & pids+=($!)
"$bin/chroma-plugins" & pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://$bind/api/health" >/dev/null 2>&1 && [ "$(wc -l < "$sim_dir/hosts.txt")" -ge 3 ]; then break; fi
  sleep 0.2
done
# Log in as the demo's superuser; the token authorises the calls below,
# read by curl from a file so that no process argument shows it.
auth_header=$sim_dir/auth-header
demo_login "$bind" "$auth_header" \
  || echo "run: cannot log in as admin (was the database created with another CHROMA_ADMIN_PASSWORD?)" >&2
token=$(sed -n 's/^authorization: Bearer //p' "$auth_header" 2>/dev/null || true)
auth=(-H @"$auth_header")
# Add the demo cluster's hosts (already added ones answer 409).
while read -r name address fingerprint; do
  port=${address##*:}
  curl -s -o /dev/null -X POST "http://$bind/api/host" "${auth[@]}" -H 'content-type: application/json' \
    -d "{\"address\": \"127.0.0.1\", \"port\": $port, \"fingerprint\": \"$fingerprint\"}" || true
done < "$sim_dir/hosts.txt"

# The OSS pair as HA cluster demo-ha, fenced by the simulator's fence
# agent (skipped if it exists): Pacemaker keeps the pair's OSTs.
demo_ha_cluster() {
  curl -fsS "${auth[@]}" "http://$bind/api/host" | python3 -c '
import json, sys
hosts = {h["nodename"]: h["id"] for h in json.load(sys.stdin)["response"]["objects"]}
pair = [hosts[n] for n in ("oss1", "oss2") if n in hosts]
if len(pair) < 2:
    sys.exit("demo hosts oss1 and oss2 not found")
print(json.dumps({"name": "demo-ha", "host_ids": pair,
                  "fencing": {"devices": [{"host_id": h, "agent": "fence_lustre_sim"} for h in pair]}}))
' > "$sim_dir/demo-ha.json" || return
  answer=$(curl -s -X POST "http://$bind/api/ha_cluster" "${auth[@]}" -H 'content-type: application/json' \
    -d @"$sim_dir/demo-ha.json" || true)
  command=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["command"])' 2>/dev/null || true)
  [ -n "$command" ] || return 0
  for _ in $(seq 1 300); do
    state=$(curl -fsS "${auth[@]}" "http://$bind/api/command/$command" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["state"])' 2>/dev/null || echo unknown)
    case $state in succeeded) return 0 ;; failed|cancelled) echo "run: setting up HA cluster demo-ha $state" >&2; return 0 ;; esac
    sleep 0.2
  done
}

# A demo file system on the demo hosts, once they are managed: MGT and MDT
# on mds1, four OSTs on the oss1/oss2 failover pair (skipped if it exists).
demo_filesystem() {
  command -v python3 >/dev/null || { echo "python3 not found: no demo file system" >&2; return; }
  for _ in $(seq 1 150); do
    managed=$(curl -fsS "${auth[@]}" "http://$bind/api/host?state=managed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["meta"]["total_count"])' 2>/dev/null || echo 0)
    [ "$managed" -ge 3 ] && break
    sleep 0.2
  done
  curl -fsS "${auth[@]}" "http://$bind/api/volume" | python3 -c '
import json, sys
volumes = json.load(sys.stdin)["response"]["objects"]
own = [v for v in volumes if [n["host"] for n in v["nodes"]] == ["mds1"]]
shared = [v for v in volumes if sorted(n["host"] for n in v["nodes"]) == ["oss1", "oss2"]]
if len(own) < 2 or len(shared) < 4:
    sys.exit("demo volumes not found")
by_name = {n["host"]: n["host_id"] for v in shared for n in v["nodes"]}
osts = []
for i, v in enumerate(shared[:4]):
    primary, failover = ("oss1", "oss2") if i % 2 == 0 else ("oss2", "oss1")
    osts.append({"volume_id": v["id"], "primary_host_id": by_name[primary], "failover_host_ids": [by_name[failover]], "reformat": True})
# reformat: the simulated devices may hold an earlier demo (a fresh database
# over an old demo cluster); a real site would never pass it blindly.
print(json.dumps({"name": "demo", "mgt": {"volume_id": own[0]["id"], "reformat": True},
                  "mdts": [{"volume_id": own[1]["id"], "reformat": True}], "osts": osts}))
' > "$sim_dir/demo-filesystem.json" || return
  curl -s -o /dev/null -X POST "http://$bind/api/filesystem" "${auth[@]}" -H 'content-type: application/json' \
    -d @"$sim_dir/demo-filesystem.json" || true
}
wait_managed() {
  for _ in $(seq 1 150); do
    managed=$(curl -fsS "${auth[@]}" "http://$bind/api/host?state=managed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["meta"]["total_count"])' 2>/dev/null || echo 0)
    [ "$managed" -ge 3 ] && return 0
    sleep 0.2
  done
}
if command -v python3 >/dev/null; then
  wait_managed
  demo_ha_cluster
fi
demo_filesystem

cat >&2 <<MSG

Chroma is running: open the console at http://$bind/
  API on http://$bind/api (health: http://$bind/api/health)
Demo login: user admin, password $CHROMA_ADMIN_PASSWORD
  (the API needs a login: POST /api/session, then send the token as a Bearer token)
Simulated Lustre servers (name, SSH address, host key), state in $sim_dir:
$(cat "$sim_dir/hosts.txt")
  e.g. ssh -i $key -p 2200 -o StrictHostKeyChecking=no root@127.0.0.1 lctl dl
oss1 and oss2 are Pacemaker cluster demo-ha (mds1 has no Pacemaker); see it with
  $bin/lustre-sim --state-dir $sim_dir show     # "pacemaker": resources, constraints, fencing
  ssh -i $key -p 2201 -o StrictHostKeyChecking=no root@127.0.0.1 crm_mon -1 --output-as=xml
  $bin/lustre-sim --state-dir $sim_dir fault oss1 failover demo-OST0000   # Pacemaker fails it over
Storage plugins in $plugin_dir (the console's Storage page); fail a disk of the simulated array:
  $bin/chroma-plugin-sim-raid --state $raid_dir/sim-raid.state fault disk 7 fail   # then: ... disk 7 ok
Try:
  TOKEN=$token
  curl -s -H "authorization: Bearer \$TOKEN" http://$bind/api/filesystem   # the demo file system, created for you
  curl -s -H "authorization: Bearer \$TOKEN" http://$bind/api/target       # its MGT, MDT and four OSTs
  curl -s -H "authorization: Bearer \$TOKEN" http://$bind/api/host         # the demo hosts, with their pinned keys
  curl -s -H "authorization: Bearer \$TOKEN" http://$bind/api/command      # what Chroma did
  target/release/chroma --url http://$bind login --username admin            # the CLI
Ctrl-C stops everything.

MSG
# Stop everything as soon as any component exits.
wait -n "${pids[@]}"
