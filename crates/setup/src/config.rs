//! Typed settings, checked once from [`SettingsArgs`] (flags and
//! environment variables, with localhost defaults). A malformed value fails
//! at start-up naming the variable.

use secrecy::SecretString;
use std::time::Duration;

use wire::topology::Topology;

pub use crate::args::SettingsArgs;

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
    /// Where this process serves `/livez`, `/readyz` and `/metrics` for
    /// probes and Prometheus (`CHROMA_OPS_BIND`, default none: not served).
    pub ops_bind: Option<std::net::SocketAddr>,
    /// Added to `ops_bind`'s port, so numbered instances of one unit
    /// (`chroma-worker@N`) each get their own (`CHROMA_OPS_PORT_OFFSET`,
    /// default 0).
    pub ops_port_offset: u16,
    /// This worker's name (`CHROMA_WORKER_ID`); unset, the worker makes one
    /// of its host name and process id.
    pub worker_id: Option<String>,
    /// Where Chroma runs as root, the user storage plugins run as
    /// (`CHROMA_PLUGIN_USER`); unset, `chroma-plugin` if it exists, else
    /// `nobody`.
    pub plugin_user: Option<String>,
    /// Which log lines are written (`RUST_LOG`, tracing's `EnvFilter`
    /// syntax).
    pub log_filter: String,
    /// Log lines as JSON objects (`CHROMA_LOG_FORMAT=json`) rather than
    /// text.
    pub log_json: bool,
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
    fn from_args(args: &SettingsArgs) -> Result<Self, ConfigError> {
        let digest: u64 = parsed("CHROMA_ALERT_DIGEST_SECS", &args.alert_digest_secs)?;
        if digest > 24 * 3600 {
            return Err(ConfigError {
                name: "CHROMA_ALERT_DIGEST_SECS",
                reason: "must be at most 86400 (a day)".into(),
            });
        }
        Ok(Self {
            digest_window: Duration::from_secs(digest),
            retry_limit: at_least_one("CHROMA_ALERT_RETRY_LIMIT", &args.alert_retry_limit)?,
            retry_base: millis("CHROMA_ALERT_RETRY_BASE_MS", &args.alert_retry_base_ms)?,
            smtp: Smtp::from_args(args)?,
            webhook_hosts: given(&args.alert_webhook_hosts).map(|text| {
                text.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            }),
        })
    }
}

impl Smtp {
    fn from_args(args: &SettingsArgs) -> Result<Option<Self>, ConfigError> {
        let Some(host) = given(&args.smtp_host) else {
            return Ok(None);
        };
        let tls = match args.smtp_tls.trim() {
            "starttls" => SmtpTls::Starttls,
            "tls" => SmtpTls::Tls,
            "none" => SmtpTls::None,
            other => {
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
        let credentials = match (given(&args.smtp_username), given(&args.smtp_password)) {
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
        let from = given(&args.smtp_from).ok_or(ConfigError {
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
            port: match given(&args.smtp_port) {
                Some(text) => parsed("CHROMA_SMTP_PORT", &text)?,
                None => default_port,
            },
            credentials,
            from,
            tls,
            ca_file: given(&args.smtp_ca_file).map(Into::into),
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
    fn from_args(args: &SettingsArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            tokens: days("CHROMA_RETAIN_TOKENS_DAYS", &args.retain_tokens_days)?,
            events: days("CHROMA_RETAIN_EVENTS_DAYS", &args.retain_events_days)?,
            alerts: days("CHROMA_RETAIN_ALERTS_DAYS", &args.retain_alerts_days)?,
            commands: days("CHROMA_RETAIN_COMMANDS_DAYS", &args.retain_commands_days)?,
            storage: days("CHROMA_RETAIN_STORAGE_DAYS", &args.retain_storage_days)?,
            logs: days("CHROMA_RETAIN_LOGS_DAYS", &args.retain_logs_days)?,
        })
    }
}

fn days(name: &'static str, text: &str) -> Result<Duration, ConfigError> {
    let days: u64 = parsed(name, text)?;
    if !(1..=36_500).contains(&days) {
        return Err(ConfigError {
            name,
            reason: "must be between 1 and 36500 days".into(),
        });
    }
    Ok(Duration::from_secs(days * 24 * 3600))
}

fn at_least_one<T>(name: &'static str, text: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialEq + From<u8>,
    T::Err: std::fmt::Display,
{
    let n: T = parsed(name, text)?;
    if n == T::from(0) {
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

/// The text of a setting without a default, `None` when blank.
fn given(text: &Option<String>) -> Option<String> {
    text.clone().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, text: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e: T::Err| ConfigError {
        name,
        reason: format!("{text:?}: {e}"),
    })
}

fn millis(name: &'static str, text: &str) -> Result<Duration, ConfigError> {
    let ms: u64 = parsed(name, text)?;
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
fn tls_files(args: &SettingsArgs) -> Result<Option<TlsFiles>, ConfigError> {
    let missing = |name, other| ConfigError {
        name,
        reason: format!(
            "is not set, but {other} is: HTTPS needs both the certificate and its private key \
             (PEM files); set both or neither"
        ),
    };
    match (given(&args.tls_cert), given(&args.tls_key)) {
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
    /// Reads every setting from the environment alone (a variable set to
    /// blank counts as unset).
    pub fn from_env() -> Result<Self, ConfigError> {
        let args = SettingsArgs::from_env().map_err(|e| ConfigError {
            name: "the environment",
            reason: e.to_string(),
        })?;
        Self::try_from(args)
    }

    /// The broker object names of this installation.
    pub fn topology(&self) -> Topology {
        Topology::new(&self.queue_prefix)
    }
}

impl TryFrom<SettingsArgs> for Settings {
    type Error = ConfigError;

    /// Checks every setting, naming the variable of the first bad one.
    fn try_from(args: SettingsArgs) -> Result<Self, ConfigError> {
        let queue_prefix = args.queue_prefix.clone();
        if !queue_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError {
                name: "CHROMA_QUEUE_PREFIX",
                reason: "only letters, digits, '-', '_' and '.' are allowed".into(),
            });
        }
        let heartbeat_interval = millis("CHROMA_HEARTBEAT_MS", &args.heartbeat_ms)?;
        let heartbeat_timeout = millis("CHROMA_HEARTBEAT_TIMEOUT_MS", &args.heartbeat_timeout_ms)?;
        if heartbeat_timeout < heartbeat_interval * 3 {
            return Err(ConfigError {
                name: "CHROMA_HEARTBEAT_TIMEOUT_MS",
                reason: format!(
                    "must be at least three heartbeat intervals (CHROMA_HEARTBEAT_MS = {} ms)",
                    heartbeat_interval.as_millis()
                ),
            });
        }
        Ok(Self {
            database_url: args.database_url.clone().into(),
            amqp_url: args.amqp_url.clone().into(),
            bind: args.bind.clone(),
            worker_concurrency: at_least_one("CHROMA_WORKER_CONCURRENCY", &args.worker_concurrency)?,
            queue_prefix,
            delivery_limit: at_least_one("CHROMA_DELIVERY_LIMIT", &args.delivery_limit)?,
            heartbeat_interval,
            heartbeat_timeout,
            requeue_after: millis("CHROMA_REQUEUE_AFTER_MS", &args.requeue_after_ms)?,
            drain_timeout: millis("CHROMA_WORKER_DRAIN_MS", &args.worker_drain_ms)?,
            sweep_interval: millis("CHROMA_SWEEP_MS", &args.sweep_ms)?,
            db_pool_size: at_least_one("CHROMA_DB_POOL_SIZE", &args.db_pool_size)?,
            ssh_key_path: match given(&args.ssh_key) {
                Some(path) => path.into(),
                None => default_ssh_key_path(),
            },
            admin_password: given(&args.admin_password).map(SecretString::from),
            session_ttl: {
                let hours: u64 = parsed("CHROMA_SESSION_HOURS", &args.session_hours)?;
                if hours == 0 || hours > 24 * 366 {
                    return Err(ConfigError {
                        name: "CHROMA_SESSION_HOURS",
                        reason: "must be between 1 and 8784".into(),
                    });
                }
                Duration::from_secs(hours * 3600)
            },
            monitor_interval: millis("CHROMA_MONITOR_INTERVAL_MS", &args.monitor_interval_ms)?,
            usage_alert_percent: {
                let percent: f64 = parsed("CHROMA_USAGE_ALERT_PERCENT", &args.usage_alert_percent)?;
                if !(1.0..=100.0).contains(&percent) {
                    return Err(ConfigError {
                        name: "CHROMA_USAGE_ALERT_PERCENT",
                        reason: "must be between 1 and 100".into(),
                    });
                }
                percent
            },
            web_dir: args.web_dir.clone().into(),
            plugin_dir: args.plugin_dir.clone().into(),
            pacemaker_monitor_secs: {
                let secs: u32 = parsed("CHROMA_PACEMAKER_MONITOR_SECS", &args.pacemaker_monitor_secs)?;
                if !(1..=3600).contains(&secs) {
                    return Err(ConfigError {
                        name: "CHROMA_PACEMAKER_MONITOR_SECS",
                        reason: "must be between 1 and 3600".into(),
                    });
                }
                secs
            },
            trusted_proxies: match given(&args.trusted_proxies) {
                Some(text) => addresses("CHROMA_TRUSTED_PROXIES", &text)?,
                None => Vec::new(),
            },
            tls: tls_files(&args)?,
            retention: Retention::from_args(&args)?,
            journal_lines_per_sec: at_least_one("CHROMA_JOURNAL_LINES_PER_SEC", &args.journal_lines_per_sec)?,
            journal_burst: at_least_one("CHROMA_JOURNAL_BURST", &args.journal_burst)?,
            alert_delivery: AlertDelivery::from_args(&args)?,
            ops_bind: match given(&args.ops_bind) {
                Some(text) => Some(text.trim().parse().map_err(|e| ConfigError {
                    name: "CHROMA_OPS_BIND",
                    reason: format!("{text:?}: {e} (give ADDRESS:PORT)"),
                })?),
                None => None,
            },
            ops_port_offset: parsed("CHROMA_OPS_PORT_OFFSET", &args.ops_port_offset)?,
            worker_id: given(&args.worker_id).map(|id| id.trim().to_owned()),
            plugin_user: given(&args.plugin_user).map(|user| user.trim().to_owned()),
            log_filter: args.rust_log.clone(),
            log_json: match args.log_format.trim() {
                "text" => false,
                "json" => true,
                other => {
                    return Err(ConfigError {
                        name: "CHROMA_LOG_FORMAT",
                        reason: format!("{other:?}: give text or json"),
                    })
                }
            },
        })
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
