//! Typed settings read from the environment, with localhost defaults. A
//! malformed value fails at start-up naming the variable.

use secrecy::SecretString;
use std::time::Duration;

use wire::topology::Topology;

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// Settings shared by every Chroma process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// PostgreSQL URL (may carry a password, so it never prints).
    pub database_url: SecretString,
    /// RabbitMQ URL (may carry a password, so it never prints).
    pub amqp_url: SecretString,
    /// Address the API listens on.
    pub bind: String,
    /// Steps one worker runs at once; also its prefetch.
    pub worker_concurrency: u16,
    /// Prefix of every exchange and queue name.
    pub queue_prefix: String,
    /// Deliveries of one step message before it is dead-lettered.
    pub delivery_limit: u32,
    /// How often a worker heartbeats its running steps and checks for
    /// cancellation.
    pub heartbeat_interval: Duration,
    /// A running step whose heartbeat is older than this is re-queued.
    pub heartbeat_timeout: Duration,
    /// A queued step not started within this is published again.
    pub requeue_after: Duration,
    /// How long a stopping worker lets running steps finish before it
    /// hands them back.
    pub drain_timeout: Duration,
    /// How often the scheduler's recovery sweep runs.
    pub sweep_interval: Duration,
    /// Size of each process's database connection pool.
    pub db_pool_size: u32,
    /// Chroma's SSH private key (ed25519), created if missing.
    pub ssh_key_path: std::path::PathBuf,
    /// `CHROMA_ADMIN_PASSWORD`: on a first start with no user, the API
    /// creates superuser `admin` with it.
    pub admin_password: Option<SecretString>,
    /// How long a login session lasts (`CHROMA_SESSION_HOURS`, default 12).
    pub session_ttl: Duration,
    /// How often the monitor polls every managed server
    /// (`CHROMA_MONITOR_INTERVAL_MS`, default 10 s).
    pub monitor_interval: Duration,
    /// Percent of a target's space or inodes in use above which an alert
    /// is raised (`CHROMA_USAGE_ALERT_PERCENT`, default 90).
    pub usage_alert_percent: f64,
    /// The web console's built files, served at `/` by the API
    /// (`CHROMA_WEB_DIR`, default `web/dist`).
    pub web_dir: std::path::PathBuf,
    /// The storage plugins' manifests, one `*.json` each
    /// (`CHROMA_PLUGIN_DIR`, default `plugins.d`; docs/plugins.md).
    pub plugin_dir: std::path::PathBuf,
    /// Interval of the monitor operation Chroma gives each target's
    /// Pacemaker resource (`CHROMA_PACEMAKER_MONITOR_SECS`, default 20, as
    /// Lustre's resource agent suggests).
    pub pacemaker_monitor_secs: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the real client
    /// (`CHROMA_TRUSTED_PROXIES`, comma-separated addresses, default none):
    /// failed logins are limited per client, so behind a proxy the API
    /// must know which client it relays.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The certificate and key the API serves HTTPS with
    /// (`CHROMA_TLS_CERT`, `CHROMA_TLS_KEY`, both or neither; default
    /// none: plain HTTP, e.g. behind a reverse proxy that serves TLS).
    pub tls: Option<TlsFiles>,
    /// How long each kind of history is kept (`CHROMA_RETAIN_*_DAYS`).
    pub retention: Retention,
    /// Journal lines stored per managed server per second, on average
    /// (`CHROMA_JOURNAL_LINES_PER_SEC`, default 100); more are dropped
    /// and counted.
    pub journal_lines_per_sec: u32,
    /// Journal lines a server may send at once above that rate
    /// (`CHROMA_JOURNAL_BURST`, default 5000).
    pub journal_burst: u32,
    /// How alerts reach the users subscribed to them (`CHROMA_ALERT_*`,
    /// `CHROMA_SMTP_*`).
    pub alert_delivery: AlertDelivery,
}

/// Alert delivery: the digest window, retries, and the SMTP server email
/// goes out through.
#[derive(Debug, Clone)]
pub struct AlertDelivery {
    /// Alerts raised within this of a subscription's first undelivered
    /// one go out as one message (`CHROMA_ALERT_DIGEST_SECS`, default 60).
    pub digest_window: Duration,
    /// Attempts at a message before it is given up
    /// (`CHROMA_ALERT_RETRY_LIMIT`, default 8).
    pub retry_limit: u32,
    /// The wait after a first failed attempt, doubled after each
    /// (`CHROMA_ALERT_RETRY_BASE_MS`, default 30000), at most an hour.
    pub retry_base: Duration,
    /// The SMTP server; without `CHROMA_SMTP_HOST` email is not sent (and
    /// email deliveries fail saying so).
    pub smtp: Option<Smtp>,
    /// The only hosts webhooks may go to (`CHROMA_ALERT_WEBHOOK_HOSTS`,
    /// comma-separated names or addresses; default: any). Any user may
    /// subscribe a webhook, so a site can keep the server from POSTing
    /// anywhere but its own receivers.
    pub webhook_hosts: Option<Vec<String>>,
}

/// How email is sent.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// `CHROMA_SMTP_HOST`: the server's name (also the name its TLS
    /// certificate must carry).
    pub host: String,
    /// `CHROMA_SMTP_PORT`, default 587 (465 with `tls`, 25 with `none`).
    pub port: u16,
    /// `CHROMA_SMTP_USERNAME` and `CHROMA_SMTP_PASSWORD`: both or neither.
    pub credentials: Option<(String, SecretString)>,
    /// `CHROMA_SMTP_FROM`: the sender, `name@domain` or `Name <name@domain>`.
    pub from: String,
    /// `CHROMA_SMTP_TLS`: `starttls` (default), `tls` or `none`.
    pub tls: SmtpTls,
    /// `CHROMA_SMTP_CA_FILE`: a PEM file of certificate authorities to
    /// trust besides the usual roots (a site's own CA).
    pub ca_file: Option<std::path::PathBuf>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, required.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No TLS at all: only for a relay on the same machine.
    None,
}

impl AlertDelivery {
    fn from_env() -> Result<Self, ConfigError> {
        let digest: u64 = parsed("CHROMA_ALERT_DIGEST_SECS", 60)?;
        if digest > 24 * 3600 {
            return Err(ConfigError {
                name: "CHROMA_ALERT_DIGEST_SECS",
                reason: "must be at most 86400 (a day)".into(),
            });
        }
        Ok(Self {
            digest_window: Duration::from_secs(digest),
            retry_limit: at_least_one("CHROMA_ALERT_RETRY_LIMIT", 8)?,
            retry_base: millis("CHROMA_ALERT_RETRY_BASE_MS", 30_000)?,
            smtp: Smtp::from_env()?,
            webhook_hosts: var("CHROMA_ALERT_WEBHOOK_HOSTS").map(|text| {
                text.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            }),
        })
    }
}

impl Smtp {
    fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(host) = var("CHROMA_SMTP_HOST") else {
            return Ok(None);
        };
        let tls = match var("CHROMA_SMTP_TLS").as_deref().map(str::trim) {
            None | Some("starttls") => SmtpTls::Starttls,
            Some("tls") => SmtpTls::Tls,
            Some("none") => SmtpTls::None,
            Some(other) => {
                return Err(ConfigError {
                    name: "CHROMA_SMTP_TLS",
                    reason: format!("{other:?}: give starttls, tls or none"),
                })
            }
        };
        let default_port = match tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        };
        let credentials = match (var("CHROMA_SMTP_USERNAME"), var("CHROMA_SMTP_PASSWORD")) {
            (None, None) => None,
            (Some(user), Some(password)) => Some((user, SecretString::from(password))),
            (Some(_), None) => {
                return Err(ConfigError {
                    name: "CHROMA_SMTP_PASSWORD",
                    reason: "is not set, but CHROMA_SMTP_USERNAME is: set both or neither".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    name: "CHROMA_SMTP_USERNAME",
                    reason: "is not set, but CHROMA_SMTP_PASSWORD is: set both or neither".into(),
                })
            }
        };
        let from = var("CHROMA_SMTP_FROM").ok_or(ConfigError {
            name: "CHROMA_SMTP_FROM",
            reason: "is not set, but CHROMA_SMTP_HOST is: email needs a sender address".into(),
        })?;
        if !from.contains('@') || from.chars().any(char::is_control) {
            return Err(ConfigError {
                name: "CHROMA_SMTP_FROM",
                reason: format!("{from:?} is not an address (name@domain or Name <name@domain>)"),
            });
        }
        Ok(Some(Self {
            host: host.trim().to_owned(),
            port: parsed("CHROMA_SMTP_PORT", default_port)?,
            credentials,
            from,
            tls,
            ca_file: var("CHROMA_SMTP_CA_FILE").map(Into::into),
        }))
    }
}

/// How long Chroma keeps each kind of history before the scheduler
/// deletes it (docs/data.md, "Retention"), in days, from 1 to 36500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// API tokens and sessions after they expired or were revoked
    /// (`CHROMA_RETAIN_TOKENS_DAYS`, default 30).
    pub tokens: Duration,
    /// Events (`CHROMA_RETAIN_EVENTS_DAYS`, default 90).
    pub events: Duration,
    /// Alerts after they cleared (`CHROMA_RETAIN_ALERTS_DAYS`, default 90).
    pub alerts: Duration,
    /// Commands, with their jobs and steps, after they finished
    /// (`CHROMA_RETAIN_COMMANDS_DAYS`, default 90).
    pub commands: Duration,
    /// Storage resources after their plugin stopped reporting them, with
    /// their statistics series (`CHROMA_RETAIN_STORAGE_DAYS`, default 30).
    pub storage: Duration,
    /// Server log lines after Chroma received them
    /// (`CHROMA_RETAIN_LOGS_DAYS`, default 30).
    pub logs: Duration,
}

impl Retention {
    fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            tokens: days("CHROMA_RETAIN_TOKENS_DAYS", 30)?,
            events: days("CHROMA_RETAIN_EVENTS_DAYS", 90)?,
            alerts: days("CHROMA_RETAIN_ALERTS_DAYS", 90)?,
            commands: days("CHROMA_RETAIN_COMMANDS_DAYS", 90)?,
            storage: days("CHROMA_RETAIN_STORAGE_DAYS", 30)?,
            logs: days("CHROMA_RETAIN_LOGS_DAYS", 30)?,
        })
    }
}

fn days(name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    let days: u64 = parsed(name, default)?;
    if !(1..=36_500).contains(&days) {
        return Err(ConfigError {
            name,
            reason: "must be between 1 and 36500 days".into(),
        });
    }
    Ok(Duration::from_secs(days * 24 * 3600))
}

fn at_least_one(name: &'static str, default: u32) -> Result<u32, ConfigError> {
    let n: u32 = parsed(name, default)?;
    if n == 0 {
        return Err(ConfigError {
            name,
            reason: "must be at least 1".into(),
        });
    }
    Ok(n)
}

/// PEM files the API serves HTTPS with; the API reads and checks them at
/// start, naming the variable of a file it cannot use.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// `CHROMA_TLS_CERT`: the server's certificate, then any intermediates.
    pub cert: std::path::PathBuf,
    /// `CHROMA_TLS_KEY`: the certificate's private key.
    pub key: std::path::PathBuf,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: format!("{text:?}: {e}"),
        }),
    }
}

fn millis(name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    let ms: u64 = parsed(name, default)?;
    if ms == 0 {
        return Err(ConfigError {
            name,
            reason: "must be greater than 0".into(),
        });
    }
    Ok(Duration::from_millis(ms))
}

/// Single IP addresses separated by commas (`CHROMA_TRUSTED_PROXIES`).
fn addresses(name: &'static str, text: &str) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            item.parse().map_err(|e| ConfigError {
                name,
                reason: format!("{item:?}: {e} (give single IP addresses separated by commas)"),
            })
        })
        .collect()
}

/// `CHROMA_TLS_CERT` and `CHROMA_TLS_KEY`: both or neither.
fn tls_files() -> Result<Option<TlsFiles>, ConfigError> {
    let missing = |name, other| ConfigError {
        name,
        reason: format!(
            "is not set, but {other} is: HTTPS needs both the certificate and its private key \
             (PEM files); set both or neither"
        ),
    };
    match (var("CHROMA_TLS_CERT"), var("CHROMA_TLS_KEY")) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        })),
        (Some(_), None) => Err(missing("CHROMA_TLS_KEY", "CHROMA_TLS_CERT")),
        (None, Some(_)) => Err(missing("CHROMA_TLS_CERT", "CHROMA_TLS_KEY")),
    }
}

/// `$HOME/.local/share/chroma/id_ed25519`, or beside the working directory
/// without a home.
fn default_ssh_key_path() -> std::path::PathBuf {
    let base = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from);
    base.unwrap_or_else(|| ".".into())
        .join(".local/share/chroma/id_ed25519")
}

impl Settings {
    /// Reads every setting from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let queue_prefix = var("CHROMA_QUEUE_PREFIX").unwrap_or_else(|| "chroma".into());
        if !queue_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError {
                name: "CHROMA_QUEUE_PREFIX",
                reason: "only letters, digits, '-', '_' and '.' are allowed".into(),
            });
        }
        let worker_concurrency: u16 = parsed("CHROMA_WORKER_CONCURRENCY", 4)?;
        if worker_concurrency == 0 {
            return Err(ConfigError {
                name: "CHROMA_WORKER_CONCURRENCY",
                reason: "must be at least 1".into(),
            });
        }
        let delivery_limit: u32 = parsed("CHROMA_DELIVERY_LIMIT", 5)?;
        if delivery_limit == 0 {
            return Err(ConfigError {
                name: "CHROMA_DELIVERY_LIMIT",
                reason: "must be at least 1".into(),
            });
        }
        let heartbeat_interval = millis("CHROMA_HEARTBEAT_MS", 1_000)?;
        let heartbeat_timeout = millis("CHROMA_HEARTBEAT_TIMEOUT_MS", 10_000)?;
        if heartbeat_timeout < heartbeat_interval * 3 {
            return Err(ConfigError {
                name: "CHROMA_HEARTBEAT_TIMEOUT_MS",
                reason: format!(
                    "must be at least three heartbeat intervals (CHROMA_HEARTBEAT_MS = {} ms)",
                    heartbeat_interval.as_millis()
                ),
            });
        }
        let db_pool_size: u32 = parsed("CHROMA_DB_POOL_SIZE", 10)?;
        if db_pool_size == 0 {
            return Err(ConfigError {
                name: "CHROMA_DB_POOL_SIZE",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/chroma".into())
                .into(),
            amqp_url: var("AMQP_URL")
                .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
                .into(),
            bind: var("CHROMA_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            worker_concurrency,
            queue_prefix,
            delivery_limit,
            heartbeat_interval,
            heartbeat_timeout,
            requeue_after: millis("CHROMA_REQUEUE_AFTER_MS", 60_000)?,
            drain_timeout: millis("CHROMA_WORKER_DRAIN_MS", 8_000)?,
            sweep_interval: millis("CHROMA_SWEEP_MS", 2_000)?,
            db_pool_size,
            ssh_key_path: match var("CHROMA_SSH_KEY") {
                Some(path) => path.into(),
                None => default_ssh_key_path(),
            },
            admin_password: var("CHROMA_ADMIN_PASSWORD").map(SecretString::from),
            session_ttl: {
                let hours: u64 = parsed("CHROMA_SESSION_HOURS", 12)?;
                if hours == 0 || hours > 24 * 366 {
                    return Err(ConfigError {
                        name: "CHROMA_SESSION_HOURS",
                        reason: "must be between 1 and 8784".into(),
                    });
                }
                Duration::from_secs(hours * 3600)
            },
            monitor_interval: millis("CHROMA_MONITOR_INTERVAL_MS", 10_000)?,
            usage_alert_percent: {
                let percent: f64 = parsed("CHROMA_USAGE_ALERT_PERCENT", 90.0)?;
                if !(1.0..=100.0).contains(&percent) {
                    return Err(ConfigError {
                        name: "CHROMA_USAGE_ALERT_PERCENT",
                        reason: "must be between 1 and 100".into(),
                    });
                }
                percent
            },
            web_dir: var("CHROMA_WEB_DIR").unwrap_or_else(|| "web/dist".into()).into(),
            plugin_dir: var("CHROMA_PLUGIN_DIR").unwrap_or_else(|| "plugins.d".into()).into(),
            pacemaker_monitor_secs: {
                let secs: u32 = parsed("CHROMA_PACEMAKER_MONITOR_SECS", 20)?;
                if !(1..=3600).contains(&secs) {
                    return Err(ConfigError {
                        name: "CHROMA_PACEMAKER_MONITOR_SECS",
                        reason: "must be between 1 and 3600".into(),
                    });
                }
                secs
            },
            trusted_proxies: match var("CHROMA_TRUSTED_PROXIES") {
                Some(text) => addresses("CHROMA_TRUSTED_PROXIES", &text)?,
                None => Vec::new(),
            },
            tls: tls_files()?,
            retention: Retention::from_env()?,
            journal_lines_per_sec: at_least_one("CHROMA_JOURNAL_LINES_PER_SEC", 100)?,
            journal_burst: at_least_one("CHROMA_JOURNAL_BURST", 5000)?,
            alert_delivery: AlertDelivery::from_env()?,
        })
    }

    /// The broker object names of this installation.
    pub fn topology(&self) -> Topology {
        Topology::new(&self.queue_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_single_addresses() {
        let parsed = addresses("CHROMA_TRUSTED_PROXIES", " 10.0.0.1, ::1 ").unwrap_or_default();
        assert_eq!(parsed.len(), 2);
        for bad in ["10.0.0.0/8", "10.0.0.1,", "proxy.example.com"] {
            let err = addresses("CHROMA_TRUSTED_PROXIES", bad).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("CHROMA_TRUSTED_PROXIES")),
                "{bad}: {err:?}"
            );
        }
    }
}
