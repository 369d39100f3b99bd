//! Every setting of a Chroma process as one clap definition: a flag, the
//! environment variable it falls back to, and its default. Each binary
//! flattens [`SettingsArgs`] into its command line, so `--help` lists every
//! variable with its default; [`crate::Settings`] is what they become once
//! checked.
//!
//! A flag is its variable without `CHROMA_`, in lower case with dashes
//! (`CHROMA_WORKER_CONCURRENCY` is `--worker-concurrency`); a flag given on
//! the command line wins over its variable. A variable set to nothing (or
//! only spaces) counts as unset, so its default applies.
//!
//! Values are kept as text here and checked by `Settings::try_from`, so an
//! error names the variable whichever way the value came.

use clap::{Args, Command, FromArgMatches, Parser};

use crate::telemetry;

/// Every setting, as flags and environment variables.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// PostgreSQL URL; the API creates the database if missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "URL",
        default_value = "postgres://postgres@127.0.0.1:5432/chroma",
        hide_env_values = true,
        help_heading = "Database and broker"
    )]
    pub database_url: String,
    /// RabbitMQ URL.
    #[arg(
        long,
        env = "AMQP_URL",
        value_name = "URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f",
        hide_env_values = true,
        help_heading = "Database and broker"
    )]
    pub amqp_url: String,
    /// Database connections per process.
    #[arg(
        long,
        env = "CHROMA_DB_POOL_SIZE",
        value_name = "N",
        default_value = "10",
        help_heading = "Database and broker"
    )]
    pub db_pool_size: String,
    /// Prefix of every exchange and queue: letters, digits, '-', '_', '.'.
    #[arg(
        long,
        env = "CHROMA_QUEUE_PREFIX",
        value_name = "PREFIX",
        default_value = "chroma",
        help_heading = "Database and broker"
    )]
    pub queue_prefix: String,

    /// Steps a worker runs at once (also its prefetch).
    #[arg(
        long,
        env = "CHROMA_WORKER_CONCURRENCY",
        value_name = "N",
        default_value = "4",
        help_heading = "Engine"
    )]
    pub worker_concurrency: String,
    /// Deliveries of a step message before it is dead-lettered.
    #[arg(
        long,
        env = "CHROMA_DELIVERY_LIMIT",
        value_name = "N",
        default_value = "5",
        help_heading = "Engine"
    )]
    pub delivery_limit: String,
    /// How often a worker heartbeats its running steps and checks for cancellation.
    #[arg(
        long,
        env = "CHROMA_HEARTBEAT_MS",
        value_name = "MS",
        default_value = "1000",
        help_heading = "Engine"
    )]
    pub heartbeat_ms: String,
    /// A running step silent this long may be taken over (at least three heartbeats).
    #[arg(
        long,
        env = "CHROMA_HEARTBEAT_TIMEOUT_MS",
        value_name = "MS",
        default_value = "10000",
        help_heading = "Engine"
    )]
    pub heartbeat_timeout_ms: String,
    /// A queued step not started this long is published again.
    #[arg(
        long,
        env = "CHROMA_REQUEUE_AFTER_MS",
        value_name = "MS",
        default_value = "60000",
        help_heading = "Engine"
    )]
    pub requeue_after_ms: String,
    /// How often the scheduler's recovery sweep runs.
    #[arg(
        long,
        env = "CHROMA_SWEEP_MS",
        value_name = "MS",
        default_value = "2000",
        help_heading = "Engine"
    )]
    pub sweep_ms: String,
    /// How long a stopping worker lets running steps finish before it hands them back.
    #[arg(
        long,
        env = "CHROMA_WORKER_DRAIN_MS",
        value_name = "MS",
        default_value = "8000",
        help_heading = "Engine"
    )]
    pub worker_drain_ms: String,
    /// This worker's name in steps and logs [default: host name, process id and a random suffix].
    #[arg(long, env = "CHROMA_WORKER_ID", value_name = "NAME", help_heading = "Engine")]
    pub worker_id: Option<String>,
    /// Chroma's SSH private key (ed25519), created if missing [default: ~/.local/share/chroma/id_ed25519].
    #[arg(long, env = "CHROMA_SSH_KEY", value_name = "PATH", help_heading = "Engine")]
    pub ssh_key: Option<String>,

    /// Address the API listens on.
    #[arg(
        long,
        env = "CHROMA_BIND",
        value_name = "ADDRESS:PORT",
        default_value = "127.0.0.1:8080",
        help_heading = "API"
    )]
    pub bind: String,
    /// On a first start with no user, the API creates superuser `admin` with this password.
    #[arg(
        long,
        env = "CHROMA_ADMIN_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        help_heading = "API"
    )]
    pub admin_password: Option<String>,
    /// How long a login session lasts, 1 to 8784.
    #[arg(
        long,
        env = "CHROMA_SESSION_HOURS",
        value_name = "HOURS",
        default_value = "12",
        help_heading = "API"
    )]
    pub session_hours: String,
    /// Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For names the client.
    #[arg(long, env = "CHROMA_TRUSTED_PROXIES", value_name = "ADDRESSES", help_heading = "API")]
    pub trusted_proxies: Option<String>,
    /// PEM certificate (then any intermediates) the API serves HTTPS with; with --tls-key.
    #[arg(long, env = "CHROMA_TLS_CERT", value_name = "PATH", help_heading = "API")]
    pub tls_cert: Option<String>,
    /// The certificate's PEM private key; with --tls-cert.
    #[arg(long, env = "CHROMA_TLS_KEY", value_name = "PATH", help_heading = "API")]
    pub tls_key: Option<String>,
    /// The built web console the API serves at `/`.
    #[arg(
        long,
        env = "CHROMA_WEB_DIR",
        value_name = "PATH",
        default_value = "web/dist",
        help_heading = "API"
    )]
    pub web_dir: String,

    /// How often the monitor polls every managed server.
    #[arg(
        long,
        env = "CHROMA_MONITOR_INTERVAL_MS",
        value_name = "MS",
        default_value = "10000",
        help_heading = "Monitor"
    )]
    pub monitor_interval_ms: String,
    /// Percent of a target's space or inodes in use that raises an alert, 1 to 100.
    #[arg(
        long,
        env = "CHROMA_USAGE_ALERT_PERCENT",
        value_name = "PERCENT",
        default_value = "90",
        help_heading = "Monitor"
    )]
    pub usage_alert_percent: String,
    /// Interval of the monitor operation of each target's Pacemaker resource, 1 to 3600.
    #[arg(
        long,
        env = "CHROMA_PACEMAKER_MONITOR_SECS",
        value_name = "SECS",
        default_value = "20",
        help_heading = "Monitor"
    )]
    pub pacemaker_monitor_secs: String,
    /// Journal lines stored per managed server per second, on average; more are dropped.
    #[arg(
        long,
        env = "CHROMA_JOURNAL_LINES_PER_SEC",
        value_name = "N",
        default_value = "100",
        help_heading = "Monitor"
    )]
    pub journal_lines_per_sec: String,
    /// Journal lines a server may send at once above that rate.
    #[arg(
        long,
        env = "CHROMA_JOURNAL_BURST",
        value_name = "N",
        default_value = "5000",
        help_heading = "Monitor"
    )]
    pub journal_burst: String,
    /// Storage plugin manifests, one `*.json` each.
    #[arg(
        long,
        env = "CHROMA_PLUGIN_DIR",
        value_name = "PATH",
        default_value = "plugins.d",
        help_heading = "Monitor"
    )]
    pub plugin_dir: String,
    /// Where Chroma runs as root, the user storage plugins run as [default: chroma-plugin if it exists, else nobody].
    #[arg(long, env = "CHROMA_PLUGIN_USER", value_name = "USER", help_heading = "Monitor")]
    pub plugin_user: Option<String>,

    /// Days API tokens and sessions are kept after they expired or were revoked.
    #[arg(
        long,
        env = "CHROMA_RETAIN_TOKENS_DAYS",
        value_name = "DAYS",
        default_value = "30",
        help_heading = "Retention"
    )]
    pub retain_tokens_days: String,
    /// Days events are kept.
    #[arg(
        long,
        env = "CHROMA_RETAIN_EVENTS_DAYS",
        value_name = "DAYS",
        default_value = "90",
        help_heading = "Retention"
    )]
    pub retain_events_days: String,
    /// Days alerts are kept after they cleared.
    #[arg(
        long,
        env = "CHROMA_RETAIN_ALERTS_DAYS",
        value_name = "DAYS",
        default_value = "90",
        help_heading = "Retention"
    )]
    pub retain_alerts_days: String,
    /// Days commands, with their jobs and steps, are kept after they finished.
    #[arg(
        long,
        env = "CHROMA_RETAIN_COMMANDS_DAYS",
        value_name = "DAYS",
        default_value = "90",
        help_heading = "Retention"
    )]
    pub retain_commands_days: String,
    /// Days storage resources are kept after their plugin stopped reporting them.
    #[arg(
        long,
        env = "CHROMA_RETAIN_STORAGE_DAYS",
        value_name = "DAYS",
        default_value = "30",
        help_heading = "Retention"
    )]
    pub retain_storage_days: String,
    /// Days server log lines are kept.
    #[arg(
        long,
        env = "CHROMA_RETAIN_LOGS_DAYS",
        value_name = "DAYS",
        default_value = "30",
        help_heading = "Retention"
    )]
    pub retain_logs_days: String,

    /// Alerts raised within this of a subscription's first undelivered one go out as one message.
    #[arg(
        long,
        env = "CHROMA_ALERT_DIGEST_SECS",
        value_name = "SECS",
        default_value = "60",
        help_heading = "Alert delivery"
    )]
    pub alert_digest_secs: String,
    /// Attempts at an alert message before it is marked failed.
    #[arg(
        long,
        env = "CHROMA_ALERT_RETRY_LIMIT",
        value_name = "N",
        default_value = "8",
        help_heading = "Alert delivery"
    )]
    pub alert_retry_limit: String,
    /// Wait after a first failed attempt, doubled after each (at most an hour).
    #[arg(
        long,
        env = "CHROMA_ALERT_RETRY_BASE_MS",
        value_name = "MS",
        default_value = "30000",
        help_heading = "Alert delivery"
    )]
    pub alert_retry_base_ms: String,
    /// The only hosts (comma-separated) alert webhooks may go to [default: any].
    #[arg(
        long,
        env = "CHROMA_ALERT_WEBHOOK_HOSTS",
        value_name = "HOSTS",
        help_heading = "Alert delivery"
    )]
    pub alert_webhook_hosts: Option<String>,

    /// SMTP server alert email goes through; without it email is not sent.
    #[arg(long, env = "CHROMA_SMTP_HOST", value_name = "HOST", help_heading = "SMTP")]
    pub smtp_host: Option<String>,
    /// Its port [default: 587; 465 with tls, 25 with none].
    #[arg(long, env = "CHROMA_SMTP_PORT", value_name = "PORT", help_heading = "SMTP")]
    pub smtp_port: Option<String>,
    /// starttls (required), tls (from the first byte) or none (a relay on the same machine only).
    #[arg(
        long,
        env = "CHROMA_SMTP_TLS",
        value_name = "MODE",
        default_value = "starttls",
        help_heading = "SMTP"
    )]
    pub smtp_tls: String,
    /// SMTP user name; with --smtp-password.
    #[arg(long, env = "CHROMA_SMTP_USERNAME", value_name = "NAME", help_heading = "SMTP")]
    pub smtp_username: Option<String>,
    /// SMTP password; with --smtp-username.
    #[arg(
        long,
        env = "CHROMA_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        help_heading = "SMTP"
    )]
    pub smtp_password: Option<String>,
    /// The sender, name@domain or Name <name@domain>; required with a host.
    #[arg(long, env = "CHROMA_SMTP_FROM", value_name = "ADDRESS", help_heading = "SMTP")]
    pub smtp_from: Option<String>,
    /// PEM certificate authorities to trust for the SMTP server besides the usual roots.
    #[arg(long, env = "CHROMA_SMTP_CA_FILE", value_name = "PATH", help_heading = "SMTP")]
    pub smtp_ca_file: Option<String>,

    /// Where this process serves /livez, /readyz and /metrics [default: not served].
    #[arg(
        long,
        env = "CHROMA_OPS_BIND",
        value_name = "ADDRESS:PORT",
        help_heading = "Operations"
    )]
    pub ops_bind: Option<String>,
    /// Added to --ops-bind's port, so numbered instances of one unit each get their own.
    #[arg(
        long,
        env = "CHROMA_OPS_PORT_OFFSET",
        value_name = "N",
        default_value = "0",
        help_heading = "Operations"
    )]
    pub ops_port_offset: String,

    /// Which log lines are written (tracing's EnvFilter syntax).
    #[arg(long, env = "RUST_LOG", value_name = "FILTER", default_value = telemetry::DEFAULT_FILTER, help_heading = "Logging")]
    pub rust_log: String,
    /// text, or json for one JSON object a line.
    #[arg(
        long,
        env = "CHROMA_LOG_FORMAT",
        value_name = "FORMAT",
        default_value = "text",
        help_heading = "Logging"
    )]
    pub log_format: String,
}

/// `P` from the command line and the environment. On `--help`,
/// `--version` or a usage error, prints clap's answer and exits (0 for
/// help and version), before anything else happens.
pub fn parse<P: Parser>() -> P {
    let matches = blank_variables_unset(P::command()).get_matches();
    P::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// `cmd` with every variable that is set to blank treated as unset (clap
/// would take the empty text as the value).
pub fn blank_variables_unset(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        let blank = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.to_string_lossy().trim().is_empty());
        if blank {
            arg.env(None::<&str>)
        } else {
            arg
        }
    })
}

/// Settings alone, as a command with no other argument.
#[derive(Debug, Parser)]
#[command(name = "chroma", version)]
pub struct SettingsOnly {
    #[command(flatten)]
    pub settings: SettingsArgs,
}

impl SettingsArgs {
    /// The settings from the environment alone.
    pub fn from_env() -> Result<Self, clap::Error> {
        let matches = blank_variables_unset(<SettingsOnly as clap::CommandFactory>::command())
            .try_get_matches_from(["chroma"])?;
        SettingsOnly::from_arg_matches(&matches).map(|only| only.settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use clap::CommandFactory as _;

    #[test]
    fn each_flag_is_its_variable_in_lower_case() {
        for arg in SettingsOnly::command().get_arguments() {
            let Some(env) = arg.get_env() else { continue };
            let env = env.to_string_lossy();
            let flag = env.trim_start_matches("CHROMA_").to_lowercase().replace('_', "-");
            assert_eq!(arg.get_long(), Some(flag.as_str()), "the flag of {env}");
        }
    }

    #[test]
    fn help_never_prints_a_secret() {
        let secrets = [
            "DATABASE_URL",
            "AMQP_URL",
            "CHROMA_ADMIN_PASSWORD",
            "CHROMA_SMTP_PASSWORD",
        ];
        for arg in SettingsOnly::command().get_arguments() {
            let env = arg
                .get_env()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            if secrets.contains(&env.as_str()) {
                assert!(arg.is_hide_env_values_set(), "{env} would print its value in --help");
            }
        }
    }

    #[test]
    fn a_bad_flag_value_names_the_variable() {
        let args = SettingsOnly::try_parse_from(["chroma", "--worker-concurrency", "0"]).map(|only| only.settings);
        let error = args.map(|args| Settings::try_from(args).err().map(|e| e.to_string()));
        assert_eq!(
            error.ok().flatten().as_deref(),
            Some("environment variable CHROMA_WORKER_CONCURRENCY is invalid: must be at least 1")
        );
    }

    #[test]
    fn a_flag_sets_its_setting() -> Result<(), Box<dyn std::error::Error>> {
        let only = SettingsOnly::try_parse_from(["chroma", "--ops-bind", "127.0.0.1:9100", "--log-format", "json"])?;
        let settings = Settings::try_from(only.settings)?;
        assert_eq!(settings.ops_bind, Some("127.0.0.1:9100".parse()?));
        assert!(settings.log_json);
        Ok(())
    }
}
