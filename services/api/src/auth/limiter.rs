//! Login attempts are limited per user name and client: after
//! `MAX_FAILURES` failed logins as one name from one client address within
//! `WINDOW`, that client's further attempts as that name answer 429 until
//! the window passes, while other clients still log in as it. A client
//! also has `MAX_CLIENT_FAILURES` across all names, so it cannot try a
//! password on every name. The failures are counted in PostgreSQL
//! (`store::login_failures`), so every API replica behind a load balancer
//! sees the same counts.
//!
//! An attempt is counted as a failure when it starts (`Limiter::reserve`),
//! so concurrent guesses cannot all pass the check before the first one is
//! recorded; a correct password forgives it.
//!
//! Behind a reverse proxy every client has the proxy's address; the real
//! one is read from `X-Forwarded-For` when the direct peer is one of the
//! configured trusted proxies (`client_address`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use actix_web::HttpRequest;
use sea_orm::{DatabaseConnection, DbErr};
use store::login_failures::{self, Counted};

/// Failed logins allowed per user name and client within the window.
pub const MAX_FAILURES: usize = 5;
/// Failed logins allowed per client, whatever the names, within the window.
pub const MAX_CLIENT_FAILURES: usize = 4 * MAX_FAILURES;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(300);

/// The key of one user name from one client.
fn name_key(name: &str, client: IpAddr) -> String {
    format!("name/{client}/{name}")
}

/// The key of one client, any name.
fn client_key(client: IpAddr) -> String {
    format!("client/{client}")
}

/// A login attempt counted as a failure until it is forgiven.
#[must_use = "an attempt is a failure unless it is forgiven or released"]
#[derive(Debug)]
pub struct Attempt {
    name: String,
    /// The rows counted: against the name, then against the client.
    rows: Vec<i64>,
}

/// Counts failed logins in the database.
pub struct Limiter {
    db: DatabaseConnection,
}

impl Limiter {
    /// Counts in `db`.
    pub fn new(db: DatabaseConnection) -> Limiter {
        Limiter { db }
    }

    /// Starts a login as `name` from `client`, counted as a failure from
    /// now on; or how long until the client may try again if it is
    /// blocked.
    pub async fn reserve(&self, name: &str, client: IpAddr) -> Result<Result<Attempt, Duration>, DbErr> {
        let name = name_key(name, client);
        let keys = [
            Counted {
                key: name.clone(),
                limit: MAX_FAILURES,
            },
            Counted {
                key: client_key(client),
                limit: MAX_CLIENT_FAILURES,
            },
        ];
        let reserved = login_failures::reserve(&self.db, &client_key(client), &keys, WINDOW).await?;
        Ok(reserved.map(|rows| Attempt { name, rows }))
    }

    /// The password was right: forgets the name's failures from this
    /// client, and this attempt against the client (its failures on other
    /// names stand).
    pub async fn succeeded(&self, attempt: Attempt) {
        let done = async {
            login_failures::clear(&self.db, &attempt.name).await?;
            login_failures::forget(&self.db, &attempt.rows).await
        };
        if let Err(e) = done.await {
            tracing::warn!("cannot forgive a successful login's attempt: {e}");
        }
    }

    /// The attempt ended without a verdict on the password (the database
    /// failed, or too many checks were running): it does not count.
    pub async fn release(&self, attempt: Attempt) {
        if let Err(e) = login_failures::forget(&self.db, &attempt.rows).await {
            tracing::warn!("cannot take back a login attempt: {e}");
        }
    }
}

/// The address a request comes from: its direct peer, unless that is one
/// of the `trusted` proxies; then the nearest `X-Forwarded-For` address
/// that is not a trusted proxy. Proxies append the address they saw, so
/// the entries a client wrote itself (on the left) are never reached
/// before the one a trusted proxy added.
pub fn client_address(req: &HttpRequest, trusted: &[IpAddr]) -> IpAddr {
    let mut client = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip().to_canonical());
    if !trusted.contains(&client) {
        return client;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .collect();
    for entry in forwarded.into_iter().rev() {
        // An entry a trusted proxy did not write correctly leaves the last
        // address known for sure.
        let Some(hop) = parse_hop(entry) else {
            return client;
        };
        client = hop;
        if !trusted.contains(&hop) {
            break;
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn forwarded_for_is_read_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let request = |peer: &str, forwarded: &str| {
            TestRequest::default()
                .peer_addr(SocketAddr::new(ip(peer), 40_000))
                .insert_header(("x-forwarded-for", forwarded))
                .to_http_request()
        };
        let direct = request("192.0.2.9", "203.0.113.1");
        assert_eq!(client_address(&direct, &[proxy]), ip("192.0.2.9"));
        assert_eq!(client_address(&direct, &[]), ip("192.0.2.9"));
        let proxied = request("10.0.0.1", "198.51.100.1, 203.0.113.1");
        assert_eq!(client_address(&proxied, &[proxy]), ip("203.0.113.1"));
        assert_eq!(client_address(&proxied, &[]), ip("10.0.0.1"));
        let chained = request("10.0.0.1", "203.0.113.1, 10.0.0.2");
        assert_eq!(client_address(&chained, &[proxy, ip("10.0.0.2")]), ip("203.0.113.1"));
        let garbled = request("10.0.0.1", "203.0.113.1, nonsense");
        assert_eq!(client_address(&garbled, &[proxy]), proxy);
        let ported = request("10.0.0.1", "[2001:db8::1]:443");
        assert_eq!(client_address(&ported, &[proxy]), ip("2001:db8::1"));
    }
}
