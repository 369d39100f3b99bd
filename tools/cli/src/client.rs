//! Talking to the Chroma API: requests with the bearer token, the response
//! envelope unwrapped, and HTTP failures turned into `CliError`s (which
//! carry the exit code).

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use api_types::envelope::ErrorBody;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::error::{CliError, Result};

/// The API version this CLI speaks.
pub const API_VERSION: &str = "1";

/// Every response from the API.
#[derive(Debug, Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    errors: Vec<ErrorBody>,
    #[serde(default)]
    response: Value,
}

/// Reads a `response` into the API's type for it (`api_types`).
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| CliError::Local(format!("unexpected answer from the server: {e}")))
}

/// `GET /api/version`.
#[derive(Debug, Deserialize)]
struct Version {
    api_version: String,
}

/// An HTTP client for one Chroma server. Before its first request it
/// checks that the server speaks our API version.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    version_checked: Arc<OnceCell<()>>,
}

impl Client {
    /// A client for the server at `base` (`http://host:port`), sending
    /// `token` if given.
    pub fn new(base: &str, token: Option<String>) -> Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--url {base:?} must start with http:// or https://"
            )));
        }
        let http = Self::http(Vec::new())?;
        Ok(Self {
            base,
            token,
            http,
            version_checked: Arc::new(OnceCell::new()),
        })
    }

    /// The same client, trusting the certificate authorities in the PEM
    /// file `path` besides the public ones (`--cacert`).
    pub fn trusting(self, path: &std::path::Path) -> Result<Self> {
        let pem = std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("--cacert {}: cannot read it: {e}", path.display())))?;
        let authorities = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| CliError::Usage(format!("--cacert {}: not PEM certificates: {e}", path.display())))?;
        if authorities.is_empty() {
            return Err(CliError::Usage(format!(
                "--cacert {}: holds no certificate",
                path.display()
            )));
        }
        Ok(Self {
            http: Self::http(authorities)?,
            ..self
        })
    }

    fn http(authorities: Vec<reqwest::Certificate>) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("chroma-cli/", env!("CARGO_PKG_VERSION")));
        for authority in authorities {
            builder = builder.add_root_certificate(authority);
        }
        builder
            .build()
            .map_err(|e| CliError::Local(format!("failed to set up HTTP: {e}")))
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send(Method::GET, path, &[], None).await
    }

    /// `GET path?query`.
    pub async fn get_query(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        self.send(Method::GET, path, query, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    /// `POST path[?dry_run=true]` with a JSON body: a request that plans jobs.
    pub async fn post_planned(&self, path: &str, body: &Value, dry_run: bool) -> Result<Value> {
        self.send(Method::POST, path, &dry_run_query(dry_run), Some(body)).await
    }

    /// `PATCH path[?dry_run=true]` with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value, dry_run: bool) -> Result<Value> {
        self.send(Method::PATCH, path, &dry_run_query(dry_run), Some(body))
            .await
    }

    /// `PUT` of a planned change, `?dry_run=true` when asked.
    pub async fn put_planned(&self, path: &str, body: &Value, dry_run: bool) -> Result<Value> {
        self.send(Method::PUT, path, &dry_run_query(dry_run), Some(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(Method::PUT, path, &[], Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Value> {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// `DELETE` that plans a change (`?dry_run=true` when asked).
    pub async fn delete_planned(&self, path: &str, dry_run: bool) -> Result<Value> {
        self.send(Method::DELETE, path, &dry_run_query(dry_run), None).await
    }

    /// Fails unless the server speaks our major API version. A server too
    /// old to answer `/api/version` is let through.
    pub async fn check_version(&self) -> Result<()> {
        self.version_checked
            .get_or_try_init(|| async {
                let answer = self.request(Method::GET, "/api/version", &[], None).await;
                self.judge_version(answer)
            })
            .await
            .map(|_| ())
    }

    fn judge_version(&self, answer: Result<Value>) -> Result<()> {
        match answer {
            Ok(value) => {
                let version: Version = serde_json::from_value(value).map_err(|e| self.garbled(200, &e))?;
                check_major(&version.api_version)
            }
            Err(CliError::Server { status: 404, .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    async fn send(&self, method: Method, path: &str, query: &[(&str, String)], body: Option<&Value>) -> Result<Value> {
        self.check_version().await?;
        self.request(method, path, query, body).await
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        decode(status, &bytes).map_err(|e| match e {
            Decoded::Garbled(reason) => CliError::Unreachable {
                url: self.base.clone(),
                reason,
            },
            Decoded::Error(err) => err,
        })
    }

    fn unreachable(&self, err: &reqwest::Error) -> CliError {
        // reqwest's own message is terse; the innermost cause says what
        // happened ("Connection refused").
        let mut reason = if err.is_timeout() {
            "timed out".to_owned()
        } else {
            err.to_string()
        };
        let mut source = err.source();
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        if reason.contains("certificate") {
            reason.push_str(" (a server with a self-signed or private CA's certificate: give the CA with --cacert)");
        }
        CliError::Unreachable {
            url: self.base.clone(),
            reason,
        }
    }

    fn garbled(&self, status: u16, err: &serde_json::Error) -> CliError {
        CliError::Unreachable {
            url: self.base.clone(),
            reason: format!("HTTP {status} with an unexpected answer ({err}); is this a Chroma server?"),
        }
    }
}

fn dry_run_query(dry_run: bool) -> Vec<(&'static str, String)> {
    if dry_run {
        vec![("dry_run", "true".to_owned())]
    } else {
        Vec::new()
    }
}

/// Why a response is not a success.
#[derive(Debug)]
pub enum Decoded {
    /// Not Chroma's envelope at all (a proxy's error page, another service).
    Garbled(String),
    /// The server refused, in the envelope.
    Error(CliError),
}

/// Unwraps the envelope of an answer with HTTP `status`.
pub fn decode(status: u16, body: &[u8]) -> Result<Value, Decoded> {
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(_) if status == 401 => return Err(Decoded::Error(CliError::Unauthenticated(Vec::new()))),
        Err(e) => {
            return Err(Decoded::Garbled(format!(
                "HTTP {status} with an answer that is not Chroma's JSON envelope ({e}); is this a Chroma server?"
            )))
        }
    };
    if envelope.success && (200..300).contains(&status) {
        return Ok(envelope.response);
    }
    let mut errors = envelope.errors;
    if errors.is_empty() {
        errors.push(ErrorBody {
            code: "unknown".into(),
            message: format!("the server answered HTTP {status} without saying why"),
            field: None,
        });
    }
    let err = match status {
        401 => CliError::Unauthenticated(errors),
        409 if errors.iter().any(|e| e.code == "confirmation_required") => {
            let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n");
            CliError::ConfirmationRequired(message)
        }
        _ => CliError::Server { status, errors },
    };
    Err(Decoded::Error(err))
}

/// Fails unless `reported` (`"1"`, `"1.3"`) has our major version.
pub fn check_major(reported: &str) -> Result<()> {
    let major = reported.split('.').next().unwrap_or_default().trim();
    if major == API_VERSION {
        Ok(())
    } else {
        Err(CliError::VersionMismatch {
            server: reported.to_owned(),
            client: API_VERSION,
        })
    }
}

/// The id of the command a 202 answer started, if any.
pub fn started_command(response: &Value) -> Option<String> {
    response.get("command").and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use serde_json::json;

    fn error_of(status: u16, body: Value) -> CliError {
        match decode(status, body.to_string().as_bytes()) {
            Err(Decoded::Error(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn success_unwraps_the_response() {
        let body = json!({"success": true, "errors": [], "response": {"id": "x"}});
        let value = decode(202, body.to_string().as_bytes()).unwrap();
        assert_eq!(value, json!({"id": "x"}));
    }

    #[test]
    fn refusals_keep_the_server_errors() {
        let body = json!({"success": false, "errors": [{"code": "invalid_field", "message": "bad", "field": "name"}], "response": null});
        match error_of(400, body) {
            CliError::Server { status, errors } => {
                assert_eq!(status, 400);
                assert_eq!(errors[0].field.as_deref(), Some("name"));
                assert_eq!(errors[0].message, "bad");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_picks_the_exit_code() {
        let body = |code: &str| json!({"success": false, "errors": [{"code": code, "message": "m"}]});
        assert_eq!(error_of(401, body("unauthenticated")).exit_code(), 3);
        assert_eq!(error_of(403, body("forbidden")).exit_code(), 1);
        assert_eq!(error_of(404, body("not_found")).exit_code(), 1);
        assert_eq!(error_of(409, body("conflict")).exit_code(), 1);
        assert!(matches!(
            error_of(409, body("confirmation_required")),
            CliError::ConfirmationRequired(m) if m == "m"
        ));
        assert_eq!(error_of(503, body("unavailable")).exit_code(), 3);
    }

    #[test]
    fn a_page_that_is_not_the_envelope_is_garbled() {
        assert!(matches!(
            decode(502, b"<html>Bad gateway</html>"),
            Err(Decoded::Garbled(_))
        ));
        assert!(matches!(decode(200, b"{\"hello\": 1}"), Err(Decoded::Garbled(_))));
        assert!(matches!(
            decode(401, b"nope"),
            Err(Decoded::Error(CliError::Unauthenticated(_)))
        ));
    }

    #[test]
    fn a_refusal_without_errors_still_says_something() {
        match error_of(500, json!({"success": false, "errors": []})) {
            CliError::Server { errors, .. } => assert!(errors[0].message.contains("500")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_our_major_version_is_accepted() {
        assert!(check_major("1").is_ok());
        assert!(check_major("1.4").is_ok());
        assert!(matches!(
            check_major("2"),
            Err(CliError::VersionMismatch { server, .. }) if server == "2"
        ));
        assert!(check_major("").is_err());
    }

    #[test]
    fn a_started_command_is_found() {
        assert_eq!(started_command(&json!({"command": "abc"})).as_deref(), Some("abc"));
        assert_eq!(started_command(&json!({"command": null})), None);
    }

    #[test]
    fn urls_must_be_http() {
        assert!(Client::new("127.0.0.1:8080", None).is_err());
        let client = Client::new("http://127.0.0.1:8080/", None).unwrap();
        assert_eq!(client.url(), "http://127.0.0.1:8080");
    }
}
