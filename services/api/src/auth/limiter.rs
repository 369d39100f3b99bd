//! Login attempts are limited per user name and client: after
//! `MAX_FAILURES` failed logins as one name from one client address within
//! `WINDOW`, that client's further attempts as that name answer 429 until
//! the window passes, while other clients still log in as it. A client
//! also has `MAX_CLIENT_FAILURES` across all names, so it cannot try a
//! password on every name. Kept in memory, per API process.
//!
//! An attempt is counted as a failure when it starts (`Limiter::reserve`),
//! so concurrent guesses cannot all pass the check before the first one is
//! recorded; a correct password forgives it.
//!
//! Behind a reverse proxy every client has the proxy's address; the real
//! one is read from `X-Forwarded-For` when the direct peer is one of the
//! configured trusted proxies (`client_address`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

/// Failed logins allowed per user name and client within the window.
pub const MAX_FAILURES: usize = 5;
/// Failed logins allowed per client, whatever the names, within the window.
pub const MAX_CLIENT_FAILURES: usize = 4 * MAX_FAILURES;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(300);

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// One user name from one client.
    Name { name: String, client: IpAddr },
    /// One client, any name.
    Client(IpAddr),
}

impl Key {
    fn limit(&self) -> usize {
        match self {
            Key::Name { .. } => MAX_FAILURES,
            Key::Client(_) => MAX_CLIENT_FAILURES,
        }
    }
}

/// A login attempt counted as a failure until it is forgiven.
#[must_use = "an attempt is a failure unless it is forgiven or released"]
#[derive(Debug)]
pub struct Attempt {
    name: Key,
    client: Key,
    at: Instant,
}

/// Failed-login times by key.
#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<Key, Vec<Instant>>>,
}

impl Limiter {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<Key, Vec<Instant>>) -> T) -> T {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, times| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            !times.is_empty()
        });
        f(&mut map)
    }

    /// Starts a login as `name` from `client`, counted as a failure from
    /// now on; or how long until the client may try again if it is
    /// blocked.
    pub fn reserve(&self, name: &str, client: IpAddr) -> Result<Attempt, Duration> {
        let attempt = Attempt {
            name: Key::Name {
                name: name.to_owned(),
                client,
            },
            client: Key::Client(client),
            at: Instant::now(),
        };
        self.with(|map| {
            let wait = [&attempt.name, &attempt.client]
                .into_iter()
                .filter_map(|key| {
                    let times = map.get(key)?;
                    // Sorted oldest first: the client may try again when
                    // all but `limit - 1` of them have expired.
                    let expiring = times.len().checked_sub(key.limit())?;
                    times.get(expiring).map(|t| WINDOW.saturating_sub(t.elapsed()))
                })
                .max();
            if let Some(wait) = wait {
                return Err(wait);
            }
            for key in [&attempt.name, &attempt.client] {
                map.entry(key.clone()).or_default().push(attempt.at);
            }
            Ok(attempt)
        })
    }

    /// The password was right: forgets the name's failures from this
    /// client, and this attempt against the client (its failures on other
    /// names stand).
    pub fn succeeded(&self, attempt: Attempt) {
        self.with(|map| {
            map.remove(&attempt.name);
            uncount(map, &attempt.client, attempt.at);
        });
    }

    /// The attempt ended without a verdict on the password (the database
    /// failed, or too many checks were running): it does not count.
    pub fn release(&self, attempt: Attempt) {
        self.with(|map| {
            uncount(map, &attempt.name, attempt.at);
            uncount(map, &attempt.client, attempt.at);
        });
    }
}

fn uncount(map: &mut HashMap<Key, Vec<Instant>>, key: &Key, at: Instant) {
    if let Some(times) = map.get_mut(key) {
        if let Some(i) = times.iter().position(|t| *t == at) {
            times.remove(i);
        }
        if times.is_empty() {
            map.remove(key);
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
    fn blocks_a_name_from_one_client_and_forgives_a_success() {
        let limiter = Limiter::default();
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        for _ in 0..MAX_FAILURES {
            let _failed = limiter.reserve("admin", a);
        }
        assert!(limiter.reserve("admin", a).is_err_and(|d| d <= WINDOW));
        assert!(limiter.reserve("other", a).is_ok());
        let elsewhere = limiter.reserve("admin", b);
        assert!(elsewhere.is_ok());
        if let Ok(attempt) = elsewhere {
            limiter.succeeded(attempt);
        }
        assert!(
            limiter.reserve("admin", a).is_err(),
            "another client's success forgave a"
        );
    }

    #[test]
    fn a_success_or_a_release_takes_the_reservation_back() {
        let limiter = Limiter::default();
        let a = ip("192.0.2.1");
        for _ in 0..MAX_FAILURES - 1 {
            let _failed = limiter.reserve("admin", a);
        }
        if let Ok(attempt) = limiter.reserve("admin", a) {
            limiter.succeeded(attempt);
        }
        for _ in 0..MAX_FAILURES - 1 {
            let _failed = limiter.reserve("admin", a);
        }
        if let Ok(attempt) = limiter.reserve("admin", a) {
            limiter.release(attempt);
        }
        assert!(limiter.reserve("admin", a).is_ok());
        assert!(limiter.reserve("admin", a).is_err());
    }

    #[test]
    fn a_client_has_a_limit_across_names() {
        let limiter = Limiter::default();
        let a = ip("192.0.2.1");
        for i in 0..MAX_CLIENT_FAILURES {
            assert!(limiter.reserve(&format!("user{i}"), a).is_ok());
        }
        assert!(limiter.reserve("fresh", a).is_err());
        assert!(limiter.reserve("fresh", ip("192.0.2.2")).is_ok());
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
