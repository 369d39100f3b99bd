//! Login attempts are limited: after `MAX_FAILURES` failed logins for one
//! user name or from one address within `WINDOW`, further attempts answer
//! 429 until the window passes. Kept in memory, per API process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins allowed per key and window.
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(300);

/// Failed-login counts by key (`user:NAME`, `ip:ADDRESS`).
#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Vec<Instant>>) -> T) -> T {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, times| {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            !times.is_empty()
        });
        f(&mut map)
    }

    /// How long until `keys` may try again, if any is blocked now.
    pub fn blocked(&self, keys: &[String]) -> Option<Duration> {
        self.with(|map| {
            keys.iter()
                .filter_map(|k| map.get(k).filter(|t| t.len() >= MAX_FAILURES))
                .filter_map(|times| times.first().map(|first| WINDOW.saturating_sub(first.elapsed())))
                .max()
        })
    }

    /// Counts a failed login against `keys`.
    pub fn failed(&self, keys: &[String]) {
        self.with(|map| {
            for k in keys {
                map.entry(k.clone()).or_default().push(Instant::now());
            }
        });
    }

    /// Forgets the failures of `keys` after a successful login.
    pub fn succeeded(&self, keys: &[String]) {
        self.with(|map| {
            for k in keys {
                map.remove(k);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_repeated_failures_and_forgives_a_success() {
        let limiter = Limiter::default();
        let keys = vec!["user:admin".to_owned()];
        for _ in 0..MAX_FAILURES {
            assert!(limiter.blocked(&keys).is_none());
            limiter.failed(&keys);
        }
        assert!(limiter.blocked(&keys).is_some_and(|d| d <= WINDOW));
        assert!(limiter.blocked(&["user:other".to_owned()]).is_none());
        limiter.succeeded(&keys);
        assert!(limiter.blocked(&keys).is_none());
    }
}
