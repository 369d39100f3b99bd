//! A TCP proxy that can freeze: it stops forwarding in both directions
//! but keeps every socket open, so a client's calls hang the way they do
//! behind a stalled network or a wedged database server (no error, no
//! answer). Plain tokio; one task per direction of each connection.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// A proxy to one upstream address, on a free loopback port.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    frozen: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// A proxy in front of the PostgreSQL server of `database_url`, and
    /// that URL changed to go through it.
    pub async fn for_database(database_url: &str) -> anyhow::Result<(Self, reqwest::Url)> {
        let mut url = reqwest::Url::parse(database_url)?;
        let upstream = tokio::net::lookup_host((
            url.host_str().unwrap_or("127.0.0.1").to_owned(),
            url.port().unwrap_or(5432),
        ))
        .await?
        .next()
        .ok_or_else(|| anyhow::anyhow!("cannot resolve the database server"))?;
        let proxy = Self::start(upstream).await?;
        url.set_host(Some("127.0.0.1"))?;
        url.set_port(Some(proxy.addr.port()))
            .map_err(|()| anyhow::anyhow!("cannot set the port"))?;
        Ok((proxy, url))
    }

    /// Starts forwarding connections to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (frozen, watching) = watch::channel(false);
        let task = tokio::spawn(async move {
            // Dropped with the accept task: every connection ends with it.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let watching = watching.clone();
                connections.spawn(async move {
                    wait_thawed(&mut watching.clone()).await;
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, watching.clone()),
                        pump(server_read, client_write, watching),
                    );
                });
            }
        });
        Ok(Self { addr, frozen, task })
    }

    /// Stops forwarding; sockets stay open and bytes wait.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Forwards again, the waiting bytes first.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn wait_thawed(frozen: &mut watch::Receiver<bool>) {
    // An error means the proxy is gone: stop waiting.
    let _ = frozen.wait_for(|frozen| !*frozen).await;
}

/// Copies `from` to `to`, holding each chunk while frozen.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        wait_thawed(&mut frozen).await;
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        wait_thawed(&mut frozen).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
