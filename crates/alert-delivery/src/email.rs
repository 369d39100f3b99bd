//! Email through the configured SMTP server (lettre on tokio and rustls):
//! STARTTLS required by default, or TLS from the start, with the
//! credentials when given.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use setup::config::{Smtp, SmtpTls};
use std::time::Duration;

use crate::SendError;

/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for `smtp`; fails naming the setting it cannot use.
    pub fn new(smtp: &Smtp) -> Result<Self, SendError> {
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| SendError::Config(format!("CHROMA_SMTP_FROM {:?}: {e}", smtp.from)))?;
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(path) = &smtp.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| SendError::Config(format!("CHROMA_SMTP_CA_FILE {}: {e}", path.display())))?;
            let certificate = Certificate::from_pem(&pem)
                .map_err(|e| SendError::Config(format!("CHROMA_SMTP_CA_FILE {}: {e}", path.display())))?;
            params = params.add_root_certificate(certificate);
        }
        let params = params
            .build_rustls()
            .map_err(|e| SendError::Config(format!("TLS for CHROMA_SMTP_HOST {}: {e}", smtp.host)))?;
        let tls = match smtp.tls {
            SmtpTls::Starttls => Tls::Required(params),
            SmtpTls::Tls => Tls::Wrapper(params),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let Some((username, password)) = &smtp.credentials {
            builder = builder.credentials(Credentials::new(username.clone(), password.expose_secret().to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text message to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Email(format!("the address {to:?} is invalid: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| SendError::Email(format!("cannot build the message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| SendError::Email(chain(&e)))?;
        Ok(())
    }
}

/// An error with its causes, one line.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}
