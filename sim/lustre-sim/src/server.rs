//! The SSH side: one russh server per simulated host, public-key
//! authentication against an authorized-keys file, exec requests run by
//! the [`Simulator`], and "host down" faults that drop connections.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use russh::server::{Auth, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet, Sig};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::commands::journalctl::Follow;
use crate::exec::Simulator;
use crate::keys;
use crate::layout::Layout;
use crate::state::{ClusterState, StateStore};

/// How to start a simulated cluster.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Directory holding state, host keys and faults.
    pub state_dir: PathBuf,
    /// Cluster layout for a fresh state directory. With an existing state
    /// it must name the same hosts (or be `None`).
    pub layout: Option<Layout>,
    /// Host *i* listens on `base_port + i`; 0 gives every host a free port.
    pub base_port: u16,
    /// Address to listen on (default 127.0.0.1).
    pub bind: IpAddr,
    /// OpenSSH authorized_keys file, re-read on every login.
    pub authorized_keys: PathBuf,
}

impl SimConfig {
    /// A config with the default layout for `hosts`, listening on 127.0.0.1.
    pub fn new(state_dir: &Path, hosts: &[String], base_port: u16, authorized_keys: &Path) -> SimConfig {
        SimConfig {
            state_dir: state_dir.to_path_buf(),
            layout: Some(Layout::default_for(hosts)),
            base_port,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            authorized_keys: authorized_keys.to_path_buf(),
        }
    }
}

/// Where one simulated host can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEndpoint {
    /// Host name.
    pub name: String,
    /// SSH address.
    pub addr: SocketAddr,
    /// Host-key fingerprint, `SHA256:…`.
    pub fingerprint: String,
}

/// A running cluster; [`ClusterHandle::shutdown`] stops it.
#[derive(Debug)]
pub struct ClusterHandle {
    /// The hosts, in order.
    pub hosts: Vec<HostEndpoint>,
    simulator: Arc<Simulator>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Entry point for starting clusters.
#[derive(Debug)]
pub struct Cluster;

type Sessions = Arc<std::sync::Mutex<HashMap<u64, (String, russh::server::Handle)>>>;

impl Cluster {
    /// Loads or creates the state, binds every host's port and serves until
    /// the handle is shut down.
    pub async fn start(config: SimConfig) -> anyhow::Result<ClusterHandle> {
        let store = StateStore::new(&config.state_dir)?;
        let mut state = initial_state(&store, config.layout.as_ref())?;
        let (stop, stop_rx) = watch::channel(false);
        let sessions: Sessions = Arc::default();
        let mut listeners = Vec::new();
        let mut hosts = Vec::new();
        for (i, host) in state.hosts.iter_mut().enumerate() {
            let key_path = config.state_dir.join("hostkeys").join(format!("{}_ed25519", host.name));
            let key = keys::load_or_create_host_key(&key_path)?;
            let fingerprint = keys::fingerprint(key.public_key());
            let port = if config.base_port == 0 {
                0
            } else {
                u16::try_from(usize::from(config.base_port) + i).context("port out of range")?
            };
            let listener = TcpListener::bind((config.bind, port))
                .await
                .with_context(|| format!("failed to listen on {}:{port} for {}", config.bind, host.name))?;
            let addr = listener.local_addr().context("failed to read the bound address")?;
            host.address = Some(addr.to_string());
            host.fingerprint = Some(fingerprint.clone());
            hosts.push(HostEndpoint {
                name: host.name.clone(),
                addr,
                fingerprint,
            });
            listeners.push((host.name.clone(), listener, key));
        }
        store.save(&state)?;
        let simulator = Arc::new(Simulator::new(store, state));
        let mut tasks = Vec::new();
        for (name, listener, key) in listeners {
            let server_config = Arc::new(russh::server::Config {
                keys: vec![key],
                methods: MethodSet::from(&[MethodKind::PublicKey][..]),
                auth_rejection_time: Duration::from_millis(100),
                auth_rejection_time_initial: Some(Duration::ZERO),
                inactivity_timeout: Some(Duration::from_secs(3600)),
                nodelay: true,
                ..Default::default()
            });
            let host = HostServer {
                name,
                simulator: simulator.clone(),
                authorized_keys: config.authorized_keys.clone(),
                sessions: sessions.clone(),
                config: server_config,
            };
            tasks.push(tokio::spawn(host.accept_loop(listener, stop_rx.clone())));
        }
        tasks.push(tokio::spawn(watch_faults(simulator.clone(), sessions, stop_rx)));
        Ok(ClusterHandle {
            hosts,
            simulator,
            stop,
            tasks,
        })
    }
}

impl ClusterHandle {
    /// The endpoint of a host by name.
    pub fn host(&self, name: &str) -> Option<&HostEndpoint> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// A copy of the current cluster state.
    pub async fn state(&self) -> ClusterState {
        self.simulator.snapshot().await
    }

    /// Stops listening, disconnects every session, waits (at most five
    /// seconds) for the tasks to end and writes what changed since the
    /// last write.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                tracing::warn!("a server task did not stop within 5 s");
            }
        }
        self.simulator.persist().await;
    }
}

/// The state in `store`, or a fresh one from `layout`.
fn initial_state(store: &StateStore, layout: Option<&Layout>) -> anyhow::Result<ClusterState> {
    match (store.load()?, layout) {
        (Some(state), None) => Ok(state),
        (Some(state), Some(layout)) => {
            let have: Vec<&str> = state.hosts.iter().map(|h| h.name.as_str()).collect();
            let want: Vec<&str> = layout.hosts.iter().map(|h| h.name.as_str()).collect();
            if have != want {
                anyhow::bail!(
                    "{} holds a cluster of hosts {have:?}, not {want:?}; use another state directory",
                    store.dir().display()
                );
            }
            // Latencies are configuration: the layout given now wins.
            Ok(ClusterState {
                latencies: layout.latencies.clone().unwrap_or_default(),
                ..state
            })
        }
        (None, Some(layout)) => {
            layout.validate()?;
            Ok(ClusterState::from_layout(layout))
        }
        (None, None) => anyhow::bail!("{} holds no cluster; name its hosts", store.dir().display()),
    }
}

/// Reads the state directory of a (running or stopped) simulator as JSON:
/// hosts, devices with labels and format counts, mounts, each MGS's
/// configuration llogs by the serial of its device, faults, ZFS pools.
pub fn show(state_dir: &Path) -> anyhow::Result<serde_json::Value> {
    let state = StateStore::new(state_dir)?
        .load()?
        .with_context(|| format!("{} holds no cluster", state_dir.display()))?;
    let faults = crate::faults::Faults::load(state_dir)?;
    let devices: Vec<serde_json::Value> = state
        .devices
        .values()
        .map(|d| {
            serde_json::json!({
                "serial": d.serial,
                "size": d.size,
                "paths": d.paths,
                "label": d.target.as_ref().map(|t| t.label()),
                "fsname": d.target.as_ref().map(|t| t.fsname.clone()),
                "target": d.target,
                "format_count": d.format_count,
                "mounted_on": state.mount_of(&d.serial).map(|m| m.host.clone()),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "hosts": state.hosts,
        "devices": devices,
        "mounts": state.mounts,
        "llogs": state.mgs_llogs,
        "faults": faults.hosts,
        "pacemaker": crate::pacemaker::show::clusters(&state, &faults),
        "zpools": state.zpools,
    }))
}

/// One host's SSH server.
#[derive(Clone)]
struct HostServer {
    name: String,
    simulator: Arc<Simulator>,
    authorized_keys: PathBuf,
    sessions: Sessions,
    config: Arc<russh::server::Config>,
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(0);

impl HostServer {
    async fn accept_loop(self, listener: TcpListener, mut stop: watch::Receiver<bool>) {
        loop {
            let accepted = tokio::select! {
                _ = stop.changed() => break,
                accepted = listener.accept() => accepted,
            };
            let (socket, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(host = %self.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if self.simulator.faults().host(&self.name).down {
                tracing::info!(host = %self.name, %peer, "host is down; dropping connection");
                drop(socket);
                continue;
            }
            let _ = socket.set_nodelay(true);
            tokio::spawn(self.clone().serve(socket, stop.clone()));
        }
    }

    async fn serve(self, socket: tokio::net::TcpStream, mut stop: watch::Receiver<bool>) {
        let handler = SessionHandler {
            host: self.name.clone(),
            simulator: self.simulator.clone(),
            authorized_keys: self.authorized_keys.clone(),
            closing: HashMap::new(),
            waiting_stdin: HashMap::new(),
            signals: HashMap::new(),
        };
        let session = match russh::server::run_stream(self.config.clone(), socket, handler).await {
            Ok(session) => session,
            Err(e) => {
                tracing::debug!(host = %self.name, error = %e, "session setup failed");
                return;
            }
        };
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        let handle = session.handle();
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(id, (self.name.clone(), handle.clone()));
        }
        tokio::select! {
            _ = stop.changed() => {
                let _ = handle.disconnect(Disconnect::ByApplication, "shutting down".into(), String::new()).await;
            }
            result = session => {
                if let Err(e) = result {
                    tracing::debug!(host = %self.name, error = %e, "session ended with an error");
                }
            }
        }
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&id);
        }
    }
}

/// Polls the fault file and disconnects the sessions of hosts that are down.
async fn watch_faults(simulator: Arc<Simulator>, sessions: Sessions, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        simulator.apply_faults().await;
        let faults = simulator.faults();
        let doomed: Vec<russh::server::Handle> = match sessions.lock() {
            Ok(mut sessions) => {
                let ids: Vec<u64> = sessions
                    .iter()
                    .filter(|(_, (host, _))| faults.host(host).down)
                    .map(|(id, _)| *id)
                    .collect();
                ids.iter()
                    .filter_map(|id| sessions.remove(id))
                    .map(|(_, handle)| handle)
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        for handle in doomed {
            let _ = handle
                .disconnect(Disconnect::ConnectionLost, "host down".into(), String::new())
                .await;
        }
    }
}

/// Per-connection SSH handler.
struct SessionHandler {
    host: String,
    simulator: Arc<Simulator>,
    authorized_keys: PathBuf,
    /// Tells a channel's running `journalctl -f` that the client closed
    /// it (dropped with the session, which tells it too).
    closing: HashMap<ChannelId, oneshot::Sender<()>>,
    /// Exec requests that read stdin (`install … /dev/stdin PATH`): the
    /// line and the channel data so far; they run at the channel's EOF.
    waiting_stdin: HashMap<ChannelId, (String, Vec<u8>)>,
    /// Kills a channel's running command on a `signal` request.
    signals: HashMap<ChannelId, oneshot::Sender<Sig>>,
}

impl russh::server::Handler for SessionHandler {
    type Error = russh::Error;

    async fn auth_publickey_offered(&mut self, _user: &str, offer: PublicKeyOffer<'_>) -> Result<Auth, Self::Error> {
        Ok(if keys::is_authorized(&self.authorized_keys, offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(&mut self, user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        let ok = keys::is_authorized(&self.authorized_keys, key.public_key);
        tracing::debug!(host = %self.host, user, ok, "public-key login");
        Ok(if ok { Auth::Accept } else { Auth::reject() })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        if let Some(closing) = self.closing.remove(&channel) {
            let _ = closing.send(());
        }
        self.waiting_stdin.remove(&channel);
        // Like sshd, closing the channel does not stop its command.
        self.signals.remove(&channel);
        Ok(())
    }

    /// The `signal` request (RFC 4254 §6.9), answered the way OpenSSH's
    /// `session_signal_req` does for sessions it may signal: the command's
    /// process group gets the signal. A command still in its slow-fault
    /// delay dies before its effect; the channel then reports the signal
    /// (`exit-signal`) and closes. Under the `unkillable` fault the
    /// request is ignored and the command runs on; a signal after the
    /// fault is lifted kills it.
    async fn signal(&mut self, channel: ChannelId, signal: Sig, _session: &mut Session) -> Result<(), Self::Error> {
        tracing::debug!(host = %self.host, ?signal, "signal request");
        if self.simulator.faults().host(&self.host).unkillable {
            tracing::info!(host = %self.host, ?signal, "unkillable fault: ignoring the signal request");
            return Ok(());
        }
        self.waiting_stdin.remove(&channel);
        if let Some(kill) = self.signals.remove(&channel) {
            let _ = kill.send(signal);
        }
        if let Some(closing) = self.closing.remove(&channel) {
            let _ = closing.send(());
        }
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], _session: &mut Session) -> Result<(), Self::Error> {
        if let Some((_, buffer)) = self.waiting_stdin.get_mut(&channel) {
            buffer.extend_from_slice(data);
        }
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        if let Some((line, buffer)) = self.waiting_stdin.remove(&channel) {
            let stdin = String::from_utf8_lossy(&buffer).into_owned();
            let handle = session.handle();
            let simulator = self.simulator.clone();
            let host = self.host.clone();
            let (kill, killed) = oneshot::channel();
            self.signals.insert(channel, kill);
            tokio::spawn(async move {
                let run = simulator.run_line_with_stdin(&host, &line, Some(&stdin));
                run_killable(&handle, channel, run, killed).await;
            });
        }
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _px_w: u32,
        _px_h: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.simulator.faults().host(&self.host).down {
            return Err(russh::Error::Disconnect);
        }
        session.channel_success(channel)?;
        let line = String::from_utf8_lossy(data).into_owned();
        if crate::exec::reads_stdin(&line) {
            self.waiting_stdin.insert(channel, (line, Vec::new()));
            return Ok(());
        }
        let handle = session.handle();
        let simulator = self.simulator.clone();
        let host = self.host.clone();
        let (closing, closed) = oneshot::channel();
        self.closing.insert(channel, closing);
        let (kill, killed) = oneshot::channel();
        self.signals.insert(channel, kill);
        tokio::spawn(async move {
            // Subscribed first, so no change after the start goes unseen.
            let changes = simulator.subscribe();
            if let Some((out, follow)) = simulator.start_follow(&host, &line).await {
                let stream = Stream {
                    handle: &handle,
                    channel,
                    changes,
                    closed,
                };
                follow_journal(&simulator, &host, stream, out, follow).await;
                return;
            }
            let run = simulator.run_exec(&host, &line, None);
            let Some((out, holders)) = killable(&handle, channel, run, killed).await else {
                return;
            };
            if holders.is_empty() {
                reply(&handle, channel, out).await;
                return;
            }
            let stream = Stream {
                handle: &handle,
                channel,
                changes,
                closed,
            };
            hold_channel(&simulator, &host, stream, out, &holders).await;
        });
        Ok(())
    }
}

/// Runs a command until it ends, then replies; a signal first kills it:
/// what it had not done yet (the whole of it during a slow fault's delay)
/// never happens, and the channel reports the signal, as sshd does for a
/// killed process.
async fn run_killable(
    handle: &russh::server::Handle,
    channel: ChannelId,
    run: impl std::future::Future<Output = crate::commands::Output>,
    mut killed: oneshot::Receiver<Sig>,
) {
    tokio::select! {
        out = run => reply(handle, channel, out).await,
        Ok(signal) = &mut killed => {
            let _ = handle
                .exit_signal_request(channel, signal, false, String::new(), String::new())
                .await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        }
    }
}

/// Like [`run_killable`], for a command whose reply the caller sends:
/// its result, or `None` once a signal killed it (the channel then
/// reported the signal and closed).
async fn killable<T>(
    handle: &russh::server::Handle,
    channel: ChannelId,
    run: impl std::future::Future<Output = T>,
    mut killed: oneshot::Receiver<Sig>,
) -> Option<T> {
    tokio::select! {
        out = run => Some(out),
        Ok(signal) = &mut killed => {
            let _ = handle
                .exit_signal_request(channel, signal, false, String::new(), String::new())
                .await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
            None
        }
    }
}

/// A command that left daemons holding its channel (`daemon(1, 1)` keeps
/// the channel's stdout and stderr; see [`crate::hsm::Stdio`]): like
/// OpenSSH's sshd, its output and exit status are sent, but EOF and close
/// only once no holder runs any more. A client that gives up and closes
/// the channel leaves the holders with a broken pipe.
async fn hold_channel(
    simulator: &Simulator,
    host: &str,
    stream: Stream<'_>,
    out: crate::commands::Output,
    holders: &[u32],
) {
    let Stream {
        handle,
        channel,
        mut changes,
        mut closed,
    } = stream;
    tracing::info!(host, ?holders, "a daemon holds the exec channel open");
    if !out.stdout.is_empty() && handle.data(channel, out.stdout.into_bytes()).await.is_err() {
        return simulator.channel_closed(host, holders).await;
    }
    if !out.stderr.is_empty() && handle.extended_data(channel, 1, out.stderr.into_bytes()).await.is_err() {
        return simulator.channel_closed(host, holders).await;
    }
    let _ = handle.exit_status_request(channel, out.code).await;
    while simulator.any_running(host, holders).await {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() {
                return simulator.channel_closed(host, holders).await;
            },
            _ = &mut closed => return simulator.channel_closed(host, holders).await,
        }
    }
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// Sends a command's output, exit status, EOF and close on its channel.
async fn reply(handle: &russh::server::Handle, channel: ChannelId, out: crate::commands::Output) {
    if !out.stdout.is_empty() && handle.data(channel, out.stdout.into_bytes()).await.is_err() {
        return;
    }
    if !out.stderr.is_empty() && handle.extended_data(channel, 1, out.stderr.into_bytes()).await.is_err() {
        return;
    }
    let _ = handle.exit_status_request(channel, out.code).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// The channel a followed journal streams to.
struct Stream<'a> {
    handle: &'a russh::server::Handle,
    channel: ChannelId,
    changes: watch::Receiver<u64>,
    closed: oneshot::Receiver<()>,
}

/// Runs a `journalctl -f` on an exec channel: its first output, then each
/// new batch of entries as the state changes, until the client closes the
/// channel or the session ends. Like a followed journalctl that is killed,
/// it ends without an exit status.
async fn follow_journal(
    simulator: &Simulator,
    host: &str,
    stream: Stream<'_>,
    out: crate::commands::Output,
    follow: Option<Follow>,
) {
    let Stream {
        handle,
        channel,
        mut changes,
        mut closed,
    } = stream;
    if !out.stdout.is_empty() && handle.data(channel, out.stdout.into_bytes()).await.is_err() {
        return;
    }
    if !out.stderr.is_empty() && handle.extended_data(channel, 1, out.stderr.into_bytes()).await.is_err() {
        return;
    }
    let Some(mut follow) = follow else {
        let _ = handle.exit_status_request(channel, out.code).await;
        let _ = handle.eof(channel).await;
        let _ = handle.close(channel).await;
        return;
    };
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            _ = &mut closed => break,
        }
        let more = simulator.follow_more(host, &mut follow).await;
        if !more.is_empty() && handle.data(channel, more.into_bytes()).await.is_err() {
            break;
        }
    }
    let _ = handle.close(channel).await;
}
