//! The suite's HTTP client: logged in as the admin, retrying while the
//! API or its database restarts, and tallying every status the API
//! answered (the checker fails on any 500).

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long a call keeps retrying refused connections and 503s.
const RETRY_FOR: Duration = Duration::from_secs(120);

/// Every answer, by status, and each 500 in full.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub by_status: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused while the API
    /// restarted, reset, timed out), by kind.
    pub unanswered: BTreeMap<&'static str, u64>,
    /// `METHOD PATH → body` of each 5xx other than 503.
    pub server_errors: Vec<String>,
}

/// A logged-in client of the API.
pub struct Api {
    base: String,
    http: reqwest::Client,
    password: String,
    token: Mutex<String>,
    tally: Mutex<Tally>,
}

impl Api {
    /// Logs in as the admin at `base`.
    pub async fn login(base: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let api = Self {
            base: base.to_owned(),
            http,
            password: password.to_owned(),
            token: Mutex::new(String::new()),
            tally: Mutex::new(Tally::default()),
        };
        api.relogin().await?;
        Ok(api)
    }

    async fn relogin(&self) -> anyhow::Result<()> {
        let body = serde_json::json!({"username": crate::stack::ADMIN, "password": self.password});
        let (status, envelope) = self.send(Method::POST, "/api/session", Some(&body), false).await?;
        anyhow::ensure!(status == StatusCode::OK, "login answered {status}: {envelope}");
        let token = envelope["response"]["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no token in the login answer: {envelope}"))?;
        *self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = token.to_owned();
        Ok(())
    }

    /// What the API answered so far.
    pub fn tally(&self) -> Tally {
        self.tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `GET` that must answer 200; its `response`.
    pub async fn fetch(&self, path: &str) -> anyhow::Result<Value> {
        let (status, envelope) = self.get(path).await?;
        anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
        Ok(envelope["response"].clone())
    }

    /// A request with the session; logs in again once on a 401 (a session
    /// is kept in the database, so it survives restarts, but be safe).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<(StatusCode, Value)> {
        let answer = self.send(method.clone(), path, body, true).await?;
        if answer.0 == StatusCode::UNAUTHORIZED {
            self.relogin().await?;
            return self.send(method, path, body, true).await;
        }
        Ok(answer)
    }

    /// Sends until answered: a refused connection (the API restarting), a
    /// 503 (its database or broker restarting), or any failure of a GET
    /// (no answer, or a 5xx) is retried; a change that got no answer is
    /// returned as an error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorised: bool,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        loop {
            let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
            if authorised {
                let token = self
                    .token
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let retry = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let envelope: Value = response.json().await.unwrap_or(Value::Null);
                    self.record(&method, path, status, &envelope);
                    // A GET that failed on the server is asked again (the
                    // failure is in the tally, and the checker fails on it),
                    // so one bad answer does not end the run.
                    let again = status == StatusCode::SERVICE_UNAVAILABLE
                        || (status.is_server_error() && method == Method::GET);
                    if !again {
                        return Ok((status, envelope));
                    }
                    format!("{status}: {envelope}")
                }
                Err(err) => {
                    let kind = if err.is_connect() {
                        "connection refused"
                    } else if err.is_timeout() {
                        "timed out"
                    } else {
                        "connection lost"
                    };
                    self.count_unanswered(kind);
                    // A refused connection stored nothing; a GET may be
                    // sent again whatever happened to it. A change that
                    // got no answer may have been stored: the caller says.
                    if !err.is_connect() && method != Method::GET {
                        return Err(anyhow::Error::new(err).context(format!("{method} {path} got no answer")));
                    }
                    err.to_string()
                }
            };
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "{method} {path} kept failing for {RETRY_FOR:?}: {retry}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    fn record(&self, method: &Method, path: &str, status: StatusCode, envelope: &Value) {
        let mut tally = self.tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *tally.by_status.entry(status.as_u16()).or_default() += 1;
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tally
                .server_errors
                .push(format!("{method} {path} → {status}: {envelope}"));
        }
    }

    fn count_unanswered(&self, kind: &'static str) {
        let mut tally = self.tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *tally.unanswered.entry(kind).or_default() += 1;
    }
}
