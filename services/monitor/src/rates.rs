//! Counters become per-second rates: each reading is compared with the
//! previous reading of the same counter. The first reading, and one that
//! went down (the target was remounted, the server rebooted), give no rate.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The last value of every counter seen.
#[derive(Debug, Default)]
pub struct Rates {
    last: HashMap<String, (DateTime<Utc>, f64)>,
}

impl Rates {
    /// Remembers `value` of counter `key` at `at`; returns its rate per
    /// second since the previous reading, if there is a usable one.
    pub fn rate(&mut self, key: String, at: DateTime<Utc>, value: f64) -> Option<f64> {
        self.rate_over(key, at, value).map(|(rate, _)| rate)
    }

    /// Like [`Rates::rate`], with the seconds the rate is over.
    pub fn rate_over(&mut self, key: String, at: DateTime<Utc>, value: f64) -> Option<(f64, f64)> {
        let previous = self.last.insert(key, (at, value))?;
        let seconds = (at - previous.0).num_milliseconds() as f64 / 1000.0;
        let delta = value - previous.1;
        (seconds > 0.0 && delta >= 0.0).then(|| (delta / seconds, seconds))
    }

    /// The change of counter `key` since its previous reading (not per
    /// second), for shares such as CPU time.
    pub fn delta(&mut self, key: String, at: DateTime<Utc>, value: f64) -> Option<f64> {
        let previous = self.last.insert(key, (at, value))?;
        let delta = value - previous.1;
        (delta >= 0.0).then_some(delta)
    }

    /// Forgets counters not read since `before` (objects gone).
    pub fn forget_older_than(&mut self, before: DateTime<Utc>) {
        self.last.retain(|_, (at, _)| *at >= before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_need_two_readings_and_skip_resets() {
        let mut rates = Rates::default();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let t1 = t0 + chrono::Duration::seconds(10);
        let t2 = t1 + chrono::Duration::seconds(10);
        assert_eq!(rates.rate("a".into(), t0, 100.0), None);
        assert_eq!(rates.rate("a".into(), t1, 600.0), Some(50.0));
        assert_eq!(rates.rate("a".into(), t2, 5.0), None);
        assert_eq!(rates.delta("b".into(), t0, 7.0), None);
        assert_eq!(rates.delta("b".into(), t1, 9.0), Some(2.0));
        rates.forget_older_than(t2);
        assert_eq!(rates.rate("b".into(), t2, 10.0), None);
    }
}
