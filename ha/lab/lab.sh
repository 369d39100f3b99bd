#!/bin/bash
# Chroma's HA lab: N Pacemaker/corosync "nodes" on one machine, each in its
# own network, mount, UTS, IPC and PID namespaces, with its own sshd, for
# proving Chroma's High Availability against real Pacemaker. See
# docs/ha-lab.md.
#
#   lab.sh setup DIR N [PUBKEY_FILE]   create the lab in DIR and boot its nodes
#   lab.sh teardown DIR [--purge]      stop everything the lab started (and rm DIR)
#   lab.sh start-node DIR i            boot node i (after crash-node)
#   lab.sh crash-node DIR i            power node i off: SIGKILL its PID 1
#   lab.sh stop-pacemaker DIR i        systemctl stop pacemaker, in node i
#   lab.sh start-pacemaker DIR i       systemctl start pacemaker, in node i
#   lab.sh exec DIR i CMD...           run CMD inside node i (nsenter)
#   lab.sh ssh DIR i [CMD...]          ssh to node i with the lab's own key
#   lab.sh status DIR                  nodes, addresses, PIDs
#
# What the lab does NOT do: write corosync.conf or start the cluster. The
# manager under test does that, over ssh, as on real servers. Each node has
#  * a `systemctl` shim for the units corosync and pacemaker (the real
#    systemd is not PID 1 here), and
#  * /usr/local/sbin wrappers that run lsblk, blkid, udevadm, flock (device
#    locks around blkid and mkfs.lustre), lctl, lnetctl,
#    mount.lustre, modprobe, rmmod, lsmod, lustre_rmmod, modinfo (for the
#    simulated Lustre's modules, whatever kernel the node runs),
#    mkfs.lustre, tunefs.lustre, zpool, zfs and the Lustre uses of mount/umount on the
#    project's simulator (`lustre-sim exec NODE -- CMD`), whose state (in
#    DIR/sim) all nodes share like shared storage,
#  * the project's resource agent as ocf:lustre:Lustre.
#
# The host is changed only by: the bridge and veths, the netns, one address
# (NET.254) on the bridge so the host can reach the nodes, and DIR. Only
# PIDs the lab recorded are ever signalled. Needs root; DIR must be
# root-owned, outside /tmp, with no group/world-writable parent (sshd's
# StrictModes checks the authorized_keys path).
#
# Environment: LUSTRE_SIM (path of the lustre-sim binary; default: the
# workspace's target/debug/lustre-sim), LAB_STOP_TIMEOUT (seconds a daemon
# gets after SIGTERM; default 90).

set -u
set -o pipefail

PROG=$(readlink -f "$0")
STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-90}
# The commands the wrappers always hand to the simulator.
SIM_COMMANDS="lsblk blkid udevadm flock lctl lnetctl mkfs.lustre tunefs.lustre mount.lustre modprobe rmmod lsmod lustre_rmmod zpool zfs"
DEVICE_PATHS="/dev/sdb /dev/sdc /dev/sdd /dev/sde"
DEVICE_SIZE=$((16 * 1024 * 1024 * 1024))

die() {
    echo "lab.sh: $*" >&2
    exit 1
}

log() {
    echo "lab.sh: $*" >&2
}

now_ms() {
    date +%s%3N
}

# ---------------------------------------------------------------- helpers

load_env() {
    DIR=$(readlink -f "$1")
    [ -f "$DIR/lab.env" ] || die "$DIR is not a lab (no lab.env)"
    # shellcheck disable=SC1091
    . "$DIR/lab.env"
}

node_name() { echo "lab$1"; }
node_dir() { echo "$DIR/n$1"; }
node_ip() { echo "$LAB_NET.$1"; }
netns_name() { echo "hlab$LAB_ID-n$1"; }
veth_name() { echo "hlab${LAB_ID}n$1"; }

check_node_index() {
    case $1 in
        '' | *[!0-9]*) die "node index must be a number, not '$1'" ;;
    esac
    [ "$1" -ge 1 ] && [ "$1" -le "$LAB_NODES" ] || die "no node $1 (the lab has $LAB_NODES)"
}

# The node's PID 1 as the host sees it, when it runs (empty otherwise).
# Only the PID the lab recorded counts, and only while it still is the
# lab's node init (a PID reused by anything else is ignored).
node_init_pid() {
    local f pid
    f="$(node_dir "$1")/init.pid"
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if [ -d "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- " _node $DIR $1 "; then
        echo "$pid"
    fi
}

recorded_pid_alive() {
    # $1: pid file, $2: expected comm
    local pid
    [ -f "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] &&
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# Waits until process $1 runs program $2 (a just-forked child shows its
# parent's name until it execs, for longer on a loaded machine); fails when
# it exits first or after $3 seconds.
exec_seen() {
    local deadline=$(($(date +%s) + $3))
    until [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; do
        if [ ! -d "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] ||
            [ "$(date +%s)" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.05
    done
}

wait_gone() {
    # $1: pid, $2: seconds
    local deadline=$(($(date +%s) + $2))
    while [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
    return 0
}

# ------------------------------------------------------------------ setup

check_dir() {
    local d=$1
    case $d in
        /tmp | /tmp/* | /var/tmp | /var/tmp/* | /dev/shm/*) die "DIR must not be under /tmp (sshd StrictModes): $d" ;;
    esac
    local p=$d
    while :; do
        if [ -e "$p" ]; then
            [ "$(stat -c %u "$p")" = 0 ] || die "$p must be owned by root (sshd StrictModes)"
            case $(stat -c %A "$p") in
                ?????w???? | ????????w?) die "$p must not be group- or world-writable (sshd StrictModes)" ;;
            esac
        fi
        [ "$p" = / ] && break
        p=$(dirname "$p")
    done
}

check_prerequisites() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    local missing="" c
    for c in ip unshare nsenter setsid corosync corosync-cfgtool pacemakerd crm_mon cibadmin crm_attribute \
        /usr/sbin/sshd ssh ssh-keygen timeout; do
        command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
    done
    [ -z "$missing" ] || die "missing commands:$missing (apt-get install pacemaker corosync pacemaker-cli-utils openssh-server)"
    [ -x /usr/lib/ocf/resource.d/heartbeat/ZFS ] || die "the ocf:heartbeat:ZFS agent is missing (apt-get install resource-agents)"
    id hacluster >/dev/null 2>&1 || die "user hacluster is missing (install pacemaker)"
    [ -x "$LUSTRE_SIM" ] || die "lustre-sim is not built at $LUSTRE_SIM (cargo build -p lustre-sim, or set LUSTRE_SIM)"
}

# Picks NET = 10.213.X (X free on this host) and claims it by creating the
# bridge, which fails if another lab got there first.
claim_network() {
    local x used
    for x in $(seq 1 250); do
        used=$(
            ip -o addr show | grep -F " 10.213.$x."
            ip -o route show match "10.213.$x.0/24" | grep -v '^default'
        )
        [ -z "$used" ] || continue
        ip link show "hlab${x}br" >/dev/null 2>&1 && continue
        ip netns list | grep -q "^hlab$x-" && continue
        if ip link add "hlab${x}br" type bridge 2>/dev/null; then
            LAB_ID=$x
            LAB_NET=10.213.$x
            LAB_BRIDGE=hlab${x}br
            return 0
        fi
    done
    die "no free 10.213.X.0/24 network"
}

write_layout() {
    local i d first=1 devices
    {
        echo '{"hosts": ['
        for i in $(seq 1 "$LAB_NODES"); do
            [ $first = 1 ] || echo ','
            first=0
            devices=""
            d=0
            for path in $DEVICE_PATHS; do
                [ -z "$devices" ] || devices="$devices, "
                devices="$devices{\"path\": \"$path\", \"size\": $DEVICE_SIZE, \"serial\": \"LABDISK$(printf %02d $d)\"}"
                d=$((d + 1))
            done
            # no_pacemaker: lustre-sim's own Pacemaker model stays out of
            # the way; the nodes run the real one.
            printf '  {"name": "%s", "nid": "%s@tcp", "no_pacemaker": true, "devices": [%s]}' \
                "$(node_name "$i")" "$(node_ip "$i")" "$devices"
        done
        echo
        echo ']}'
    } >"$DIR/sim-layout.json"
}

# The wrapper a node's /usr/local/sbin holds for one simulated command.
write_sim_wrapper() {
    local file=$1 name=$2 cmd=$3
    cat >"$file" <<EOF
#!/bin/sh
# Generated by ha/lab/lab.sh: $cmd on lustre-sim's host $name.
RUST_LOG=\${LUSTRE_SIM_LOG:-warn} exec '$LUSTRE_SIM' --state-dir '$DIR/sim' --config '$DIR/sim-layout.json' exec '$name' -- '$cmd' "\$@"
EOF
    chmod 755 "$file"
}

write_node_bin() {
    local i=$1 name nd sbin c
    name=$(node_name "$i")
    nd=$(node_dir "$i")
    sbin="$nd/sbin"
    mkdir -p "$sbin"
    for c in $SIM_COMMANDS; do
        write_sim_wrapper "$sbin/$c" "$name" "$c"
    done
    # modinfo: the simulated Lustre is built for the kernel the node runs,
    # so `-k RELEASE` (the node's real `uname -r`) is left out.
    cat >"$sbin/modinfo" <<EOF
#!/bin/sh
# Generated by ha/lab/lab.sh: modinfo of lustre-sim's modules on $name.
args=""
while [ \$# -gt 0 ]; do
    case \$1 in
        -k) shift 2 ;;
        -k*) shift ;;
        *) args="\$args \$1"; shift ;;
    esac
done
RUST_LOG=\${LUSTRE_SIM_LOG:-warn} exec '$LUSTRE_SIM' --state-dir '$DIR/sim' --config '$DIR/sim-layout.json' exec '$name' -- modinfo \$args
EOF
    chmod 755 "$sbin/modinfo"
    for c in mount umount; do
        cat >"$sbin/$c" <<EOF
#!/bin/sh
# Generated by ha/lab/lab.sh: Lustre mounts go to lustre-sim, the rest to $c.
exec '$DIR/lab.sh' _$c '$DIR' $i "\$@"
EOF
        chmod 755 "$sbin/$c"
    done
    # readlink: the simulated devices' /dev/disk links resolve in
    # lustre-sim; every other path in the node's real file system.
    cat >"$sbin/readlink" <<EOF
#!/bin/sh
# Generated by ha/lab/lab.sh: /dev/disk/ links to lustre-sim, the rest to readlink.
for a in "\$@"; do
    case \$a in
        /dev/disk/*) RUST_LOG=\${LUSTRE_SIM_LOG:-warn} exec '$LUSTRE_SIM' --state-dir '$DIR/sim' --config '$DIR/sim-layout.json' exec '$name' -- readlink "\$@" ;;
    esac
done
exec /usr/bin/readlink "\$@"
EOF
    chmod 755 "$sbin/readlink"
    cat >"$sbin/systemctl" <<EOF
#!/bin/sh
# Generated by ha/lab/lab.sh: systemctl for corosync and pacemaker.
exec '$DIR/lab.sh' _systemctl '$DIR' $i "\$@"
EOF
    chmod 755 "$sbin/systemctl"
}

write_node() {
    local i=$1 nd name ip
    nd=$(node_dir "$i")
    name=$(node_name "$i")
    ip=$(node_ip "$i")
    mkdir -p "$nd"/{etc-corosync,var-lib-corosync,log-corosync,var-lib-heartbeat/cores,ssh,mnt,enabled,log}
    mkdir -p "$nd"/var-lib-pacemaker/{cib,pengine,blackbox,cores} "$nd"/log-pacemaker/bundles
    chmod 700 "$nd/etc-corosync"
    # A seeded CIB: dc-deadtime 5 s instead of 20 s for the first election.
    install -m 600 "$DIR/seed-cib.xml" "$nd/var-lib-pacemaker/cib/cib.xml"
    chown -R hacluster:haclient "$nd/var-lib-pacemaker" "$nd/log-pacemaker"
    chmod 750 "$nd"/var-lib-pacemaker/*
    chmod 770 "$nd/log-pacemaker"
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$nd/ssh/ssh_host_ed25519_key"
    cat >"$nd/sshd_config" <<EOF
Port 22
ListenAddress $ip
HostKey $nd/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
    write_node_bin "$i"
}

write_ssh_client() {
    local i name ip
    : >"$DIR/known_hosts"
    : >"$DIR/ssh_config"
    for i in $(seq 1 "$LAB_NODES"); do
        name=$(node_name "$i")
        ip=$(node_ip "$i")
        echo "$name,$ip $(cut -d' ' -f1-2 "$(node_dir "$i")/ssh/ssh_host_ed25519_key.pub")" >>"$DIR/known_hosts"
        printf 'Host %s\n    HostName %s\n' "$name" "$ip" >>"$DIR/ssh_config"
    done
    cat >>"$DIR/ssh_config" <<EOF
Host *
    User root
    IdentityFile $DIR/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $DIR/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
    LogLevel ERROR
EOF
}

write_ocf() {
    local p
    mkdir -p "$DIR/ocf/resource.d/lustre"
    install -m 755 "$(dirname "$PROG")/../ocf/Lustre" "$DIR/ocf/resource.d/lustre/Lustre"
    # Mount points for the host's providers, bound in the nodes only.
    for p in /usr/lib/ocf/resource.d/*; do
        [ -d "$p" ] && [ "$(basename "$p")" != lustre ] && mkdir -p "$DIR/ocf/resource.d/$(basename "$p")"
    done
}

cmd_setup() {
    [ $# -ge 2 ] || die "usage: lab.sh setup DIR N [PUBKEY_FILE]"
    local dir=$1 n=$2 pubkey=${3:-} t0 i
    t0=$(now_ms)
    case $n in '' | *[!0-9]*) die "N must be a number" ;; esac
    [ "$n" -ge 2 ] && [ "$n" -le 9 ] || die "N must be 2..9"
    LUSTRE_SIM=$(readlink -f "${LUSTRE_SIM:-$(dirname "$PROG")/../../target/debug/lustre-sim}")
    check_prerequisites
    [ -z "$pubkey" ] || [ -r "$pubkey" ] || die "cannot read the public key file $pubkey"
    mkdir -p "$dir"
    DIR=$(readlink -f "$dir")
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
    chmod 755 "$DIR"
    check_dir "$DIR"
    LAB_NODES=$n
    claim_network
    # From here on, a failure undoes what was made.
    cat >"$DIR/lab.env" <<EOF
LAB_ID=$LAB_ID
LAB_NET=$LAB_NET
LAB_NODES=$LAB_NODES
LUSTRE_SIM='$LUSTRE_SIM'
LAB_BRIDGE=hlab${LAB_ID}br
EOF
    trap 'log "setup failed; tearing down"; cmd_teardown "$DIR" >/dev/null 2>&1' EXIT
    install -m 755 "$PROG" "$DIR/lab.sh"
    # --- network ---
    ip addr add "$LAB_NET.254/24" dev "hlab${LAB_ID}br" || die "cannot address the bridge"
    ip link set "hlab${LAB_ID}br" up
    for i in $(seq 1 "$n"); do
        ip netns add "$(netns_name "$i")" || die "cannot create netns $(netns_name "$i")"
        ip link add "$(veth_name "$i")" type veth peer name eth0 netns "$(netns_name "$i")" || die "cannot create veth"
        ip link set "$(veth_name "$i")" master "hlab${LAB_ID}br" up
        ip -n "$(netns_name "$i")" addr add "$(node_ip "$i")/24" dev eth0
        ip -n "$(netns_name "$i")" link set eth0 up
        ip -n "$(netns_name "$i")" link set lo up
    done
    # --- files ---
    {
        echo "127.0.0.1 localhost"
        echo "::1 localhost ip6-localhost ip6-loopback"
        # A fully qualified name first, as on real servers: `hostname -f`
        # (lab1.lab) then differs from `hostname` (lab1).
        for i in $(seq 1 "$n"); do echo "$(node_ip "$i") $(node_name "$i").lab $(node_name "$i")"; done
    } >"$DIR/hosts"
    chmod 644 "$DIR/hosts"
    ssh-keygen -q -t ed25519 -N '' -C "ha-lab@$(hostname)" -f "$DIR/id_ed25519"
    cat "$DIR/id_ed25519.pub" >"$DIR/authorized_keys"
    [ -z "$pubkey" ] || cat "$pubkey" >>"$DIR/authorized_keys"
    chmod 600 "$DIR/authorized_keys"
    cibadmin --empty >"$DIR/seed-cib.xml" || die "cibadmin --empty failed"
    CIB_file="$DIR/seed-cib.xml" crm_attribute --type crm_config --name dc-deadtime --update 5s ||
        die "cannot seed dc-deadtime"
    mkdir -p "$DIR/sim"
    write_layout
    write_ocf
    for i in $(seq 1 "$n"); do write_node "$i"; done
    write_ssh_client
    log "network $LAB_NET.0/24 (bridge hlab${LAB_ID}br, host $LAB_NET.254)"
    for i in $(seq 1 "$n"); do start_node "$i"; done
    for i in $(seq 1 "$n"); do wait_sshd "$i"; done
    trap - EXIT
    log "setup took $(($(now_ms) - t0)) ms"
    cmd_status_print
}

# ------------------------------------------------------------- node start

start_node() {
    local i=$1 nd ns upid ipid deadline
    nd=$(node_dir "$i")
    ns=$(netns_name "$i")
    [ -z "$(node_init_pid "$i")" ] || die "node $i is already running"
    rm -f "$nd/init.pid" "$nd/unshare.pid"
    # In a script, `&` does not make a process group leader, so setsid does
    # not fork: $! is ip, which execs unshare, whose forked child is the
    # node's PID 1.
    setsid ip netns exec "$ns" unshare --mount --uts --ipc --pid --fork --mount-proc \
        --propagation private --kill-child=KILL \
        /bin/bash "$DIR/lab.sh" _node "$DIR" "$i" >>"$nd/log/init.log" 2>&1 </dev/null &
    upid=$!
    echo "$upid" >"$nd/unshare.pid"
    deadline=$(($(date +%s) + 10))
    ipid=""
    while [ -z "$ipid" ]; do
        ipid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | awk '{print $1}')
        [ -d "/proc/$upid" ] || die "node $i did not start (see $nd/log/init.log)"
        [ "$(date +%s)" -lt "$deadline" ] || die "node $i: no PID 1 after 10 s"
        [ -n "$ipid" ] || sleep 0.05
    done
    echo "$ipid" >"$nd/init.pid"
}

wait_sshd() {
    local i=$1 ip deadline
    ip=$(node_ip "$i")
    deadline=$(($(date +%s) + 20))
    until timeout 1 bash -c "exec 3<>/dev/tcp/$ip/22" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || die "node $i: sshd did not answer on $ip:22 within 20 s (see $(node_dir "$i")/log)"
        [ -n "$(node_init_pid "$i")" ] || die "node $i died (see $(node_dir "$i")/log/init.log)"
        sleep 0.1
    done
}

cmd_start_node() {
    load_env "$1"
    check_node_index "$2"
    local t0
    t0=$(now_ms)
    start_node "$2"
    wait_sshd "$2"
    log "node $2 booted in $(($(now_ms) - t0)) ms"
}

# The node's PID 1: private mounts, hostname, sshd, then the units that are
# enabled (as systemd would at boot); a SIGTERM shuts it down gracefully.
node_init() {
    local i=$1 nd name p
    nd=$(node_dir "$i")
    name=$(node_name "$i")
    export PATH=$STD_PATH
    NODE=$i
    hostname "$name"
    /usr/bin/mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
    mkdir -p /run/sshd /run/lock /run/crm /run/resource-agents /run/lab
    chmod 1755 /run/resource-agents
    chmod 1777 /run/lock
    chown hacluster:haclient /run/crm
    chmod 750 /run/crm
    /usr/bin/mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
    /usr/bin/mount --bind "$nd/etc-corosync" /etc/corosync
    /usr/bin/mount --bind "$nd/var-lib-corosync" /var/lib/corosync
    /usr/bin/mount --bind "$nd/var-lib-pacemaker" /var/lib/pacemaker
    /usr/bin/mount --bind "$nd/log-pacemaker" /var/log/pacemaker
    [ -d /var/log/corosync ] && /usr/bin/mount --bind "$nd/log-corosync" /var/log/corosync
    [ -d /var/lib/heartbeat ] && /usr/bin/mount --bind "$nd/var-lib-heartbeat" /var/lib/heartbeat
    /usr/bin/mount --bind "$DIR/hosts" /etc/hosts
    /usr/bin/mount --bind "$nd/mnt" /mnt
    # The machine's root ~/.bashrc must not run in a node's shells: bash
    # reads it for every command sshd runs, and one here ran `pyenv
    # rehash`, which waits up to 60 s on a lock. A node's is empty.
    [ -f /root/.bashrc ] && /usr/bin/mount --bind /dev/null /root/.bashrc
    /usr/bin/mount --bind "$nd/sbin" /usr/local/sbin
    [ -e /usr/bin/systemctl ] && /usr/bin/mount --bind "$nd/sbin/systemctl" /usr/bin/systemctl
    # The host's OCF providers plus lustre, without touching the host's tree.
    for p in /usr/lib/ocf/resource.d/*; do
        [ -d "$DIR/ocf/resource.d/$(basename "$p")" ] && [ "$(basename "$p")" != lustre ] &&
            /usr/bin/mount --bind "$p" "$DIR/ocf/resource.d/$(basename "$p")"
    done
    /usr/bin/mount --rbind "$DIR/ocf/resource.d" /usr/lib/ocf/resource.d
    /usr/sbin/sshd -D -f "$nd/sshd_config" -E "$nd/log/sshd.log" &
    echo $! >/run/lab/sshd.pid
    echo "$(date '+%F %T') $name booted"
    for p in corosync pacemaker; do
        if [ -e "$nd/enabled/$p" ]; then
            systemctl_start "$p" || echo "$(date '+%F %T') $p did not start at boot"
        fi
    done
    trap node_shutdown TERM
    while :; do
        sleep 3600 &
        wait $!
    done
}

node_shutdown() {
    echo "$(date '+%F %T') shutting down"
    systemctl_stop pacemaker
    systemctl_stop corosync
    if [ -f /run/lab/sshd.pid ]; then
        kill -TERM "$(cat /run/lab/sshd.pid)" 2>/dev/null
    fi
    echo "$(date '+%F %T') down"
    exit 0
}

# -------------------------------------------------------- systemctl shim
# Runs inside a node (/run is the node's own). A unit is active while the
# PID it started runs.

unit_of() {
    case ${1%.service} in
        corosync) echo corosync ;;
        pacemaker) echo pacemaker ;;
        *) return 1 ;;
    esac
}

unit_daemon() {
    case $1 in
        corosync) echo corosync ;;
        pacemaker) echo pacemakerd ;;
    esac
}

unit_active() {
    recorded_pid_alive "/run/lab/$1.pid" "$(unit_daemon "$1")"
}

systemctl_start() {
    local unit=$1 nd pid deadline
    nd=$(node_dir "$NODE")
    unit_active "$unit" && return 0
    case $unit in
        corosync)
            if [ ! -f /etc/corosync/corosync.conf ]; then
                echo "$(date '+%F %T') corosync: /etc/corosync/corosync.conf is missing" >>"$nd/log/corosync.log"
                echo "Job for corosync.service failed because the control process exited with error code." >&2
                echo "See \"systemctl status corosync.service\" and \"journalctl -xeu corosync.service\" for details." >&2
                return 1
            fi
            setsid corosync -f >>"$nd/log/corosync.log" 2>&1 </dev/null &
            pid=$!
            echo "$pid" >/run/lab/corosync.pid
            exec_seen "$pid" corosync 30 || true
            # Type=notify in the real unit: ready once the CFG service answers.
            deadline=$(($(date +%s) + 30))
            until corosync-cfgtool -s >/dev/null 2>&1; do
                if ! unit_active corosync || [ "$(date +%s)" -ge "$deadline" ]; then
                    echo "Job for corosync.service failed because the control process exited with error code." >&2
                    echo "See \"systemctl status corosync.service\" and \"journalctl -xeu corosync.service\" for details." >&2
                    return 1
                fi
                sleep 0.1
            done
            ;;
        pacemaker)
            # pacemaker.service Requires= and After= corosync.service.
            if ! unit_active corosync && ! systemctl_start corosync 2>/dev/null; then
                echo "A dependency job for pacemaker.service failed. See 'journalctl -xe' for details." >&2
                return 1
            fi
            PCMK_logfacility=none PCMK_logfile=/var/log/pacemaker/pacemaker.log \
                setsid pacemakerd >>"$nd/log/pacemakerd.log" 2>&1 </dev/null &
            pid=$!
            echo "$pid" >/run/lab/pacemaker.pid
            exec_seen "$pid" pacemakerd 30 || true
            sleep 0.2
            if ! unit_active pacemaker; then
                echo "Job for pacemaker.service failed because the control process exited with error code." >&2
                return 1
            fi
            ;;
    esac
    return 0
}

systemctl_stop() {
    local unit=$1 pid children c
    case $unit in
        # Stopping corosync stops what Requires it first, as systemd does.
        corosync) systemctl_stop pacemaker ;;
    esac
    unit_active "$unit" || {
        rm -f "/run/lab/$unit.pid"
        return 0
    }
    pid=$(cat "/run/lab/$unit.pid")
    children=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
    kill -TERM "$pid" 2>/dev/null
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        echo "$unit did not stop within $STOP_TIMEOUT s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null
        wait_gone "$pid" 5
    fi
    # pacemakerd's subdaemons are its children: none may outlive the unit
    # (systemd's KillMode=control-group would see to it).
    for c in $children; do
        [ -d "/proc/$c" ] && kill -KILL "$c" 2>/dev/null
    done
    rm -f "/run/lab/$unit.pid"
    return 0
}

cmd_systemctl() {
    load_env "$1"
    NODE=$2
    shift 2
    local verb="" now=0 quiet=0 units=() a rc=0 u nd
    nd=$(node_dir "$NODE")
    for a in "$@"; do
        case $a in
            --now) now=1 ;;
            -q | --quiet) quiet=1 ;;
            --no-pager | --no-block | --system | --no-ask-password | -l | --full) ;;
            -*) echo "systemctl (ha-lab shim): unsupported option $a" >&2; exit 1 ;;
            *) if [ -z "$verb" ]; then verb=$a; else units+=("$a"); fi ;;
        esac
    done
    case $verb in
        daemon-reload | reset-failed) exit 0 ;;
        "") echo "systemctl (ha-lab shim): too few arguments" >&2; exit 1 ;;
    esac
    [ ${#units[@]} -gt 0 ] || { echo "Too few arguments." >&2; exit 1; }
    for a in "${units[@]}"; do
        if ! u=$(unit_of "$a"); then
            case $verb in
                is-active) [ $quiet = 1 ] || echo inactive; rc=3; continue ;;
                is-enabled)
                    echo "Failed to get unit file state for ${a%.service}.service: No such file or directory" >&2
                    rc=1; continue ;;
                *) echo "Failed to $verb ${a%.service}.service: Unit ${a%.service}.service not found." >&2; exit 5 ;;
            esac
        fi
        case $verb in
            start) systemctl_start "$u" || rc=1 ;;
            stop) systemctl_stop "$u" ;;
            restart) systemctl_stop "$u"; systemctl_start "$u" || rc=1 ;;
            try-restart | condrestart) if unit_active "$u"; then systemctl_stop "$u"; systemctl_start "$u" || rc=1; fi ;;
            enable)
                touch "$nd/enabled/$u"
                [ $quiet = 1 ] || echo "Created symlink /etc/systemd/system/multi-user.target.wants/$u.service → /lib/systemd/system/$u.service." >&2
                [ $now = 0 ] || systemctl_start "$u" || rc=1
                ;;
            disable)
                rm -f "$nd/enabled/$u"
                [ $now = 0 ] || systemctl_stop "$u"
                ;;
            is-active)
                if unit_active "$u"; then [ $quiet = 1 ] || echo active; else [ $quiet = 1 ] || echo inactive; rc=3; fi
                ;;
            is-enabled)
                if [ -e "$nd/enabled/$u" ]; then [ $quiet = 1 ] || echo enabled; else [ $quiet = 1 ] || echo disabled; rc=1; fi
                ;;
            status)
                if unit_active "$u"; then
                    printf '● %s.service\n     Active: active (running)\n   Main PID: %s (%s)\n' "$u" \
                        "$(cat "/run/lab/$u.pid")" "$(unit_daemon "$u")"
                else
                    printf '○ %s.service\n     Active: inactive (dead)\n' "$u"
                    rc=3
                fi
                ;;
            *) echo "systemctl (ha-lab shim): unsupported verb $verb" >&2; exit 1 ;;
        esac
    done
    exit $rc
}

# ------------------------------------------------------ mount and umount

sim() {
    RUST_LOG=${LUSTRE_SIM_LOG:-warn} "$LUSTRE_SIM" --state-dir "$DIR/sim" --config "$DIR/sim-layout.json" \
        exec "$(node_name "$NODE")" -- "$@"
}

cmd_mount() {
    load_env "$1"
    NODE=$2
    shift 2
    local a prev="" lustre=0 positional=0
    for a in "$@"; do
        case $prev in
            -t | --types) case $a in lustre | lustre_tgt) lustre=1 ;; esac ;;
        esac
        case $a in
            -tlustre | -tlustre_tgt | --types=lustre | --types=lustre_tgt) lustre=1 ;;
            -*) ;;
            *) case $prev in -t | --types | -o | --options | -O | --test-opts) ;; *) positional=$((positional + 1)) ;; esac ;;
        esac
        prev=$a
    done
    if [ $lustre = 1 ]; then
        exec_sim mount "$@"
    fi
    if [ $# -eq 0 ]; then
        # Everything mounted: the node's real mounts, then its Lustre ones.
        /usr/bin/mount || exit $?
        sim mount -t lustre
        exit 0
    fi
    exec /usr/bin/mount "$@"
}

exec_sim() {
    RUST_LOG=${LUSTRE_SIM_LOG:-warn} exec "$LUSTRE_SIM" --state-dir "$DIR/sim" --config "$DIR/sim-layout.json" \
        exec "$(node_name "$NODE")" -- "$@"
}

cmd_umount() {
    load_env "$1"
    NODE=$2
    shift 2
    local a what="" listing
    for a in "$@"; do
        case $a in -*) ;; *) what=${a%/}; [ -n "$what" ] || what=/ ;; esac
    done
    if [ -n "$what" ] && listing=$(sim mount -t lustre 2>/dev/null); then
        if printf '%s\n' "$listing" | awk -v w="$what" '$2 == "on" && ($1 == w || $3 == w) { found = 1 } END { exit !found }'; then
            exec_sim umount "$@"
        fi
    fi
    exec /usr/bin/umount "$@"
}

# ------------------------------------------------------- crash and exec

cmd_crash_node() {
    load_env "$1"
    check_node_index "$2"
    local i=$2 ipid upid nd mp
    nd=$(node_dir "$i")
    ipid=$(node_init_pid "$i")
    [ -n "$ipid" ] || die "node $i is not running"
    kill -KILL "$ipid"
    wait_gone "$ipid" 10 || die "node $i's PID 1 ($ipid) survived SIGKILL"
    upid=$(cat "$nd/unshare.pid" 2>/dev/null)
    [ -n "$upid" ] && wait_gone "$upid" 10
    rm -f "$nd/init.pid" "$nd/unshare.pid"
    # The power cut also ends the node's Lustre mounts (the simulator keeps
    # mounts across its own restarts, so say so).
    NODE=$i
    for mp in $(sim mount -t lustre 2>/dev/null | awk '$2 == "on" { print $3 }'); do
        sim umount -f "$mp" >/dev/null 2>&1 || log "could not drop $mp of node $i from the simulator"
    done
    log "node $i crashed"
}

cmd_exec() {
    load_env "$1"
    check_node_index "$2"
    local ipid
    ipid=$(node_init_pid "$2")
    [ -n "$ipid" ] || die "node $2 is not running"
    shift 2
    [ $# -gt 0 ] || die "usage: lab.sh exec DIR i CMD..."
    exec nsenter -t "$ipid" -m -u -i -n -p -- env -i PATH="$STD_PATH" HOME=/root LANG=C.UTF-8 "$@"
}

cmd_ssh() {
    load_env "$1"
    check_node_index "$2"
    local name
    name=$(node_name "$2")
    shift 2
    exec ssh -F "$DIR/ssh_config" "$name" "$@"
}

cmd_status_print() {
    local i ipid
    echo "dir $DIR"
    echo "network $LAB_NET.0/24 bridge $LAB_BRIDGE host $LAB_NET.254"
    echo "sim $DIR/sim layout $DIR/sim-layout.json"
    for i in $(seq 1 "$LAB_NODES"); do
        ipid=$(node_init_pid "$i")
        echo "node $i $(node_name "$i") $(node_ip "$i") $(ssh-keygen -lf "$(node_dir "$i")/ssh/ssh_host_ed25519_key.pub" | awk '{print $2}') ${ipid:-down}"
    done
}

cmd_status() {
    load_env "$1"
    cmd_status_print
}

# --------------------------------------------------------------- teardown

stop_node() {
    # Graceful: SIGTERM to PID 1 (which stops pacemaker, corosync, sshd),
    # SIGKILL after the timeout. Only recorded PIDs are signalled.
    local i=$1 ipid upid nd
    nd=$(node_dir "$i")
    ipid=$(node_init_pid "$i")
    if [ -n "$ipid" ]; then
        kill -TERM "$ipid" 2>/dev/null
        if ! wait_gone "$ipid" $((STOP_TIMEOUT + 30)); then
            log "node $i did not shut down; killing it"
            kill -KILL "$ipid" 2>/dev/null
            wait_gone "$ipid" 10
        fi
    fi
    upid=$(cat "$nd/unshare.pid" 2>/dev/null)
    if [ -n "$upid" ] && [ -d "/proc/$upid" ] && [ "$(cat "/proc/$upid/comm" 2>/dev/null)" = unshare ]; then
        wait_gone "$upid" 10 || kill -KILL "$upid" 2>/dev/null
    fi
    rm -f "$nd/init.pid" "$nd/unshare.pid"
}

cmd_teardown() {
    local dir=$1 purge=${2:-} i t0 pids=()
    t0=$(now_ms)
    load_env "$dir"
    # Nodes shut down in parallel (each waits for its own daemons).
    for i in $(seq 1 "$LAB_NODES"); do
        stop_node "$i" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
    for i in $(seq 1 "$LAB_NODES"); do
        ip netns del "$(netns_name "$i")" 2>/dev/null
        ip link del "$(veth_name "$i")" 2>/dev/null
    done
    ip link del "$LAB_BRIDGE" 2>/dev/null
    log "teardown took $(($(now_ms) - t0)) ms"
    if [ "$purge" = --purge ]; then
        rm -rf "$DIR"
    fi
    return 0
}

# ------------------------------------------------------------------- main

[ $# -ge 1 ] || die "usage: lab.sh setup|teardown|start-node|crash-node|stop-pacemaker|start-pacemaker|exec|ssh|status DIR ..."
verb=$1
shift
case $verb in
    setup) cmd_setup "$@" ;;
    teardown)
        [ $# -ge 1 ] || die "usage: lab.sh teardown DIR [--purge]"
        cmd_teardown "$@"
        ;;
    start-node) [ $# -eq 2 ] || die "usage: lab.sh start-node DIR i"; cmd_start_node "$@" ;;
    crash-node) [ $# -eq 2 ] || die "usage: lab.sh crash-node DIR i"; cmd_crash_node "$@" ;;
    stop-pacemaker)
        [ $# -eq 2 ] || die "usage: lab.sh stop-pacemaker DIR i"
        cmd_exec "$1" "$2" systemctl stop pacemaker
        ;;
    start-pacemaker)
        [ $# -eq 2 ] || die "usage: lab.sh start-pacemaker DIR i"
        cmd_exec "$1" "$2" systemctl start pacemaker
        ;;
    exec) [ $# -ge 3 ] || die "usage: lab.sh exec DIR i CMD..."; cmd_exec "$@" ;;
    ssh) [ $# -ge 2 ] || die "usage: lab.sh ssh DIR i [CMD...]"; cmd_ssh "$@" ;;
    status) [ $# -eq 1 ] || die "usage: lab.sh status DIR"; cmd_status "$@" ;;
    # Internal: run inside the nodes.
    _node) load_env "$1"; node_init "$2" ;;
    _systemctl) cmd_systemctl "$@" ;;
    _mount) cmd_mount "$@" ;;
    _umount) cmd_umount "$@" ;;
    *) die "unknown command $verb" ;;
esac
