//! HTTPS and the browser's protections: the API serves TLS itself with a
//! certificate and key (`CHROMA_TLS_CERT`, `CHROMA_TLS_KEY`) and then marks
//! the session cookie `Secure` and sends Strict-Transport-Security; behind
//! a trusted reverse proxy it does so when the proxy says the client came
//! over HTTPS, and never on anyone else's word. Every response, console
//! page or API answer, carries the Content-Security-Policy and the other
//! security headers. A certificate or key it cannot use stops the start
//! with a message naming the variable.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use integration_tests::processes::binary_dir;
use integration_tests::{client_builder, TestEnv, ADMIN_PASSWORD};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::json;
use setup::config::TlsFiles;

/// A directory of its own for a test's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("chroma-tls-{name}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn write(&self, name: &str, contents: &str) -> anyhow::Result<PathBuf> {
        let path = self.0.join(name);
        std::fs::write(&path, contents)?;
        Ok(path)
    }

    /// A new self-signed certificate for `127.0.0.1` and `localhost`:
    /// (certificate, key) PEM files named after `stem`.
    fn self_signed(&self, stem: &str) -> anyhow::Result<TlsFiles> {
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        Ok(TlsFiles {
            cert: self.write(&format!("{stem}.crt"), &made.cert.pem())?,
            key: self.write(&format!("{stem}.key"), &made.signing_key.serialize_pem())?,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `chroma_session` cookie a response sets.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.starts_with("chroma_session="))
        .map(str::to_owned)
}

/// Whether a `Set-Cookie` value carries the attribute `name`.
fn has_attribute(cookie: &str, name: &str) -> bool {
    cookie.split(';').skip(1).any(|a| a.trim().eq_ignore_ascii_case(name))
}

/// Logs in as admin with `client` at `base`, with `headers` → the
/// response's headers.
async fn log_in(client: &reqwest::Client, base: &str, headers: &[(&str, &str)]) -> anyhow::Result<HeaderMap> {
    let mut request = client
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "login answered {}",
        response.status()
    );
    Ok(response.headers().clone())
}

/// The headers every response must carry, over HTTP or HTTPS.
fn assert_security_headers(headers: &HeaderMap, what: &str) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let policy = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{what}: CSP {policy:?} lacks {directive}");
    }
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(header("referrer-policy"), "same-origin", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_session_cookie_is_secure_and_hsts_is_sent() -> anyhow::Result<()> {
    let scratch = Scratch::new("direct")?;
    let files = scratch.self_signed("server")?;
    // The harness logs in over HTTPS, trusting the certificate.
    let env = TestEnv::start_with("tlsdirect", |settings| settings.tls = Some(files)).await?;
    assert!(env.base.starts_with("https://"), "{}", env.base);
    let (status, whoami) = env.get("/api/session").await?;
    assert_eq!(status, StatusCode::OK, "{whoami}");

    let client = client_builder(&env.settings)?.build()?;
    let headers = log_in(&client, &env.base, &[]).await?;
    let cookie = session_cookie(&headers).unwrap_or_default();
    for attribute in ["Secure", "HttpOnly"] {
        assert!(has_attribute(&cookie, attribute), "cookie {cookie:?} lacks {attribute}");
    }
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    assert_security_headers(&headers, "login over HTTPS");

    // The console's way: a change made with the cookie from its own
    // https:// origin.
    let session = cookie.split(';').next().unwrap_or_default();
    let created = client
        .post(format!("{}/api/token", env.base))
        .header("cookie", session)
        .header("origin", &env.base)
        .json(&json!({"name": "over-https"}))
        .send()
        .await?;
    assert_eq!(created.status(), StatusCode::CREATED, "{}", created.text().await?);

    // The console's page too, and an answer refused by the login check.
    for path in ["/", "/api/host"] {
        let response = client.get(format!("{}{path}", env.base)).send().await?;
        assert!(
            response.headers().contains_key("strict-transport-security"),
            "GET {path} over HTTPS has no HSTS"
        );
        assert_security_headers(response.headers(), &format!("GET {path} over HTTPS"));
    }

    // The port speaks TLS only.
    let plain = env.base.replacen("https://", "http://", 1);
    let answered = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .get(format!("{plain}/api/version"))
        .send()
        .await;
    assert!(
        answered.is_err(),
        "plain HTTP was answered on the TLS port: {answered:?}"
    );
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_only_its_word_makes_the_cookie_secure() -> anyhow::Result<()> {
    // The proxy connects from 127.0.0.2; anyone else from 127.0.0.1.
    let proxy: IpAddr = [127, 0, 0, 2].into();
    let env = TestEnv::start_with("tlsproxy", |settings| settings.trusted_proxies = vec![proxy]).await?;
    let through_proxy = reqwest::Client::builder().local_address(proxy).build()?;
    let direct = reqwest::Client::new();
    let https = [("x-forwarded-proto", "https"), ("x-forwarded-for", "203.0.113.7")];

    let headers = log_in(&through_proxy, &env.base, &https).await?;
    let cookie = session_cookie(&headers).unwrap_or_default();
    assert!(has_attribute(&cookie, "Secure"), "the proxy said https: {cookie:?}");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");

    for (who, client, sent) in [
        (
            "the proxy relaying plain HTTP",
            &through_proxy,
            &[("x-forwarded-proto", "http")][..],
        ),
        ("a client claiming https itself", &direct, &https[..]),
        ("plain HTTP", &direct, &[][..]),
    ] {
        let headers = log_in(client, &env.base, sent).await?;
        let cookie = session_cookie(&headers).unwrap_or_default();
        assert!(!cookie.is_empty(), "{who}: no session cookie");
        assert!(!has_attribute(&cookie, "Secure"), "{who}: {cookie:?}");
        assert!(!headers.contains_key("strict-transport-security"), "{who}: HSTS sent");
    }
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    anyhow::ensure!(
        root.join("web/dist/index.html").is_file(),
        "the console is not built: run scripts/web.sh (scripts/test.sh does)"
    );
    let env = TestEnv::start("secheaders").await?;
    let anonymous = reqwest::Client::new();
    let page = anonymous.get(format!("{}/", env.base)).send().await?;
    let page_headers = page.headers().clone();
    let html = page.text().await?;
    assert_security_headers(&page_headers, "the console's page");
    assert!(
        !page_headers.contains_key("strict-transport-security"),
        "HSTS over plain HTTP"
    );
    // nosniff: the console's script must be served as JavaScript to run.
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    anyhow::ensure!(
        script.starts_with("/assets/"),
        "no script in the console's page: {html}"
    );
    let asset = anonymous.get(format!("{}{script}", env.base)).send().await?;
    assert_eq!(asset.status(), StatusCode::OK, "GET {script}");
    let kind = asset.headers()["content-type"].to_str()?.to_owned();
    assert!(kind.contains("javascript"), "{script} is served as {kind}");
    assert_security_headers(asset.headers(), script);

    for (what, request, expected) in [
        (
            "a console page",
            anonymous.get(format!("{}/configure/servers", env.base)),
            StatusCode::OK,
        ),
        (
            "an API answer",
            env.http.get(format!("{}/api/host", env.base)),
            StatusCode::OK,
        ),
        (
            "a refused request",
            anonymous.get(format!("{}/api/host", env.base)),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a malformed body",
            anonymous.post(format!("{}/api/session", env.base)).body("{"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an unknown route",
            env.http.get(format!("{}/api/no-such-thing", env.base)),
            StatusCode::NOT_FOUND,
        ),
        (
            "the metrics",
            env.http.get(format!("{}/metrics", env.base)),
            StatusCode::OK,
        ),
    ] {
        let response = request.send().await?;
        assert_eq!(response.status(), expected, "{what}");
        assert_security_headers(response.headers(), what);
    }
    env.stop().await
}

/// Starts the real `chroma-api` with `tls` settings and nothing it could
/// reach; → its exit success and what it printed.
async fn start_api(env: &[(&str, &Path)]) -> anyhow::Result<(bool, String)> {
    let binary = binary_dir()?.join("chroma-api");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        binary.display()
    );
    let mut command = tokio::process::Command::new(binary);
    command
        .env_clear()
        // Nothing listens there: a start that got past the TLS check
        // would fail on the database instead.
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/chroma_tls_never")
        .env("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f")
        .env("CHROMA_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .map_err(|_| anyhow::anyhow!("chroma-api did not stop within 60 s"))??;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), printed))
}

const CERT: &str = "CHROMA_TLS_CERT";
const KEY: &str = "CHROMA_TLS_KEY";

/// A start with a certificate or key that cannot be used.
struct Case<'a> {
    what: &'a str,
    cert: Option<&'a Path>,
    key: Option<&'a Path>,
    /// The variable the error must name (and its file, if set).
    blamed: &'a str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_or_key_it_cannot_use_stops_the_start_naming_the_variable() -> anyhow::Result<()> {
    let scratch = Scratch::new("bad")?;
    let good = scratch.self_signed("good")?;
    let other = scratch.self_signed("other")?;
    let garbage = scratch.write(
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    )?;
    let text = scratch.write("text.pem", "just some text\n")?;
    let missing = scratch.0.join("missing.pem");
    let case = |what, cert, key, blamed| Case {
        what,
        cert,
        key,
        blamed,
    };
    let cases = [
        case("a certificate without a key", Some(&good.cert), None, KEY),
        case("a key without a certificate", None, Some(&good.key), CERT),
        case(
            "a certificate file that is not there",
            Some(&missing),
            Some(&good.key),
            CERT,
        ),
        case("a certificate that is not PEM", Some(&garbage), Some(&good.key), CERT),
        case("a key file without a key", Some(&good.cert), Some(&text), KEY),
        case(
            "a certificate given as the key",
            Some(&good.cert),
            Some(&good.cert),
            KEY,
        ),
        case("another certificate's key", Some(&good.cert), Some(&other.key), KEY),
    ];
    for Case {
        what,
        cert,
        key,
        blamed,
    } in cases
    {
        let env: Vec<(&str, &Path)> = [(CERT, cert), (KEY, key)]
            .into_iter()
            .filter_map(|(name, path)| Some((name, path?)))
            .collect();
        let (started, printed) = start_api(&env).await?;
        assert!(!started, "{what}: chroma-api exited successfully: {printed}");
        assert!(
            printed.contains(&format!("environment variable {blamed} is invalid")),
            "{what}: the error does not name {blamed}: {printed}"
        );
        // The file at fault, when there is one.
        let file = if blamed == CERT { cert } else { key };
        if let Some(file) = file {
            let file = file.display().to_string();
            assert!(
                printed.contains(&file),
                "{what}: the error does not name {file}: {printed}"
            );
        }
    }
    Ok(())
}

/// Runs the `chroma` CLI with `args` and a config file of its own →
/// (exit code, stdout, stderr).
async fn chroma(config: &Path, args: &[&str]) -> anyhow::Result<(Option<i32>, String, String)> {
    let output = tokio::process::Command::new(binary_dir()?.join("chroma"))
        .args(args)
        .env("CHROMA_CONFIG", config)
        .env_remove("CHROMA_URL")
        .env_remove("CHROMA_TOKEN")
        .env_remove("CHROMA_CACERT")
        .stdin(Stdio::null())
        .output()
        .await?;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_trusts_a_self_signed_certificate_it_is_given_and_no_other() -> anyhow::Result<()> {
    let scratch = Scratch::new("cli")?;
    let files = scratch.self_signed("server")?;
    let cert = files.cert.clone();
    let env = TestEnv::start_with("tlscli", |settings| settings.tls = Some(files)).await?;
    let config = scratch.0.join("cli.json");
    let base = ["--url", env.base.as_str(), "--token", env.token.as_str()];

    let (code, stdout, stderr) = chroma(&config, &[&base[..], &["whoami"]].concat()).await?;
    assert_ne!(code, Some(0), "a self-signed certificate was trusted unasked: {stdout}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");

    let cacert = cert.to_string_lossy().into_owned();
    let (code, stdout, stderr) = chroma(&config, &[&base[..], &["--cacert", &cacert, "whoami"]].concat()).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("admin"), "{stdout}");

    let other = scratch.self_signed("other")?.cert.to_string_lossy().into_owned();
    let (code, _, stderr) = chroma(&config, &[&base[..], &["--cacert", &other, "whoami"]].concat()).await?;
    assert_ne!(code, Some(0), "another certificate's CA was accepted");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");

    let key = env
        .settings
        .tls
        .as_ref()
        .map(|t| t.key.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (code, _, stderr) = chroma(&config, &[&base[..], &["--cacert", &key, "whoami"]].concat()).await?;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--cacert") && stderr.contains("no certificate"),
        "{stderr}"
    );
    env.stop().await
}
