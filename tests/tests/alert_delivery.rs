//! Alerts reach people: a user subscribes by email and by webhook, two
//! jobs fail, and their `job_failed` alerts arrive as ONE email on a real
//! SMTP server (aiosmtpd, STARTTLS with a certificate made here, AUTH
//! required) and ONE signed webhook POST on a receiver in this test; a
//! receiver that fails is retried with backoff and the delivery shows its
//! attempts and error.
//!
//! The CLI does the same: subscribe, list, send a test, show deliveries.
//!
//! The SMTP server runs from the test virtualenv scripts/test.sh makes
//! (`target/venv`, or `CHROMA_TEST_PYTHON`).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context as _;
use hmac::{Hmac, Mac};
use integration_tests::cli::run_chroma;
use integration_tests::{command, job, login, wait_for, TestEnv, ADMIN_PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use setup::config::{AlertDelivery, Smtp, SmtpTls};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncBufReadExt as _;

const LONG: Duration = Duration::from_secs(60);
const SECRET: &str = "a-webhook-secret-of-some-length";
const SMTP_USER: &str = "chroma";
const SMTP_PASSWORD: &str = "smtp-password";
/// The digest window: both jobs fail well within it.
const WINDOW: Duration = Duration::from_secs(5);

/// An SMTP server that refuses mail before STARTTLS and AUTH, and writes
/// each message it accepts to `{mailbox}/NNNN.json`.
const SMTP_SERVER: &str = r#"
import asyncio, json, os, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

cert, key, mailbox, user, password = sys.argv[1:6]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)

def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok, handled=False)

class Mailbox:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(mailbox) if f.endswith(".json")])
        path = os.path.join(mailbox, "%04d.json" % n)
        with open(path + ".tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "data": envelope.content.decode("utf-8", "replace"),
                       "tls": session.ssl is not None, "authenticated": bool(session.authenticated)}, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Mailbox(), hostname="localhost", tls_context=context, require_starttls=True,
                     authenticator=authenticate, auth_required=True, auth_require_tls=True),
        "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

/// The test virtualenv's Python.
fn python() -> PathBuf {
    std::env::var_os("CHROMA_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/bin/python3"))
}

/// Starts the SMTP server with a new self-signed certificate for
/// `localhost`; returns it, its port and the certificate's path.
async fn smtp_server(dir: &Path) -> anyhow::Result<(tokio::process::Child, u16, PathBuf)> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let (cert, key) = (dir.join("smtp.crt"), dir.join("smtp.key"));
    std::fs::write(&cert, made.cert.pem())?;
    std::fs::write(&key, made.signing_key.serialize_pem())?;
    let mailbox = dir.join("mailbox");
    std::fs::create_dir_all(&mailbox)?;
    let script = dir.join("smtp_server.py");
    std::fs::write(&script, SMTP_SERVER)?;
    let python = python();
    let mut child = tokio::process::Command::new(&python)
        .arg(&script)
        .args([&cert, &key, &mailbox])
        .args([SMTP_USER, SMTP_PASSWORD])
        .stdout(std::process::Stdio::piped())
        // aiosmtpd warns of its own deprecations on each AUTH.
        .env("PYTHONWARNINGS", "ignore::DeprecationWarning")
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!(
                "cannot run {} (scripts/test.sh installs aiosmtpd there)",
                python.display()
            )
        })?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut first = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        tokio::io::BufReader::new(stdout).read_line(&mut first),
    )
    .await
    .context("the SMTP server did not start in 30 s")??;
    let port = first
        .trim()
        .parse()
        .with_context(|| format!("the SMTP server printed {first:?}, not its port (is aiosmtpd installed?)"))?;
    Ok((child, port, cert))
}

/// The messages in the mailbox, oldest first.
fn mailbox(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("mailbox"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| Ok(serde_json::from_slice(&std::fs::read(p)?)?))
        .collect()
}

/// One request the webhook receiver took, with whether its signature
/// verified and how old its timestamp was.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    signed: bool,
    age_secs: i64,
    body: Value,
}

#[derive(Default)]
struct Receiver {
    received: Mutex<Vec<Received>>,
}

/// `/ok` answers 204; `/flaky` answers 503 to its first two requests.
async fn receive(req: HttpRequest, body: web::Bytes, receiver: web::Data<Receiver>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp = header("x-chroma-timestamp");
    let signed = match Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()) {
        Ok(mut mac) => {
            mac.update(format!("{timestamp}.").as_bytes());
            mac.update(&body);
            let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
            header("x-chroma-signature") == format!("sha256={hex}")
        }
        Err(_) => false,
    };
    let age_secs = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap_or(0);
    let path = req.path().to_owned();
    let mut received = receiver
        .received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let earlier = received.iter().filter(|r| r.path == path).count();
    received.push(Received {
        path: path.clone(),
        signed,
        age_secs,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if path == "/flaky" && earlier < 2 {
        return HttpResponse::ServiceUnavailable().body("receiver is busy");
    }
    HttpResponse::NoContent().finish()
}

/// Starts the webhook receiver on a free port; returns its base URL.
fn webhook_receiver(receiver: web::Data<Receiver>) -> anyhow::Result<(String, actix_web::dev::ServerHandle)> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(receiver.clone())
            .default_service(web::post().to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let port = server.addrs().first().map(|a| a.port()).context("no address")?;
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((format!("http://127.0.0.1:{port}"), handle))
}

/// A failing job; its `job_failed` alert says `message`.
fn failing(message: &str) -> Value {
    command(
        message,
        &[job(
            "a",
            json!([{"action": "fail", "args": {"message": message}}]),
            json!([]),
            &[],
        )],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raised_alerts_reach_the_mailbox_and_the_webhook_in_one_digest() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("chroma-alert-delivery-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let (mut smtp, port, cert) = smtp_server(&dir).await?;
    let receiver = web::Data::new(Receiver::default());
    let (hook, hook_server) = webhook_receiver(receiver.clone())?;
    let mut env = TestEnv::start_with("alert_delivery", |s| {
        s.alert_delivery = AlertDelivery {
            digest_window: WINDOW,
            retry_limit: 4,
            retry_base: Duration::from_millis(300),
            smtp: Some(Smtp {
                host: "localhost".into(),
                port,
                credentials: Some((SMTP_USER.into(), SMTP_PASSWORD.to_owned().into())),
                from: "Chroma <chroma@example.com>".into(),
                tls: SmtpTls::Starttls,
                ca_file: Some(cert.clone()),
            }),
            webhook_hosts: Some(vec!["127.0.0.1".into()]),
        };
    })
    .await?;
    env.scheduler().await?;
    env.worker(2).await?;
    env.monitor(Duration::from_secs(1)).await?;

    // A read-only user subscribes to failed jobs by email, and to every
    // alert of at least warning by webhook.
    let user = json!({"username": "ops", "password": "a long password", "role": "readonly"});
    assert_eq!(env.post("/api/user", &user).await?.0, StatusCode::CREATED);
    let ops = login(&env.base, "ops", "a long password").await?;
    let as_ops = |method: Method, path: String, body: Option<Value>| {
        let ops = ops.clone();
        let env = &env;
        async move { env.call(method, &path, Some(&ops), body.as_ref()).await }
    };
    let email =
        json!({"channel": "email", "email": "ops@example.com", "kinds": ["job_failed"], "min_severity": "error"});
    let (status, created) = as_ops(Method::POST, "/api/alert_subscription".into(), Some(email)).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let email_id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    let webhook = json!({"channel": "webhook", "webhook_url": format!("{hook}/ok"), "webhook_secret": SECRET});
    let (status, created) = as_ops(Method::POST, "/api/alert_subscription".into(), Some(webhook)).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created["response"].get("webhook_secret").is_none(),
        "the secret shows: {created}"
    );
    // Webhooks go only to the hosts the site allows.
    let elsewhere =
        json!({"channel": "webhook", "webhook_url": "https://hooks.example.com/x", "webhook_secret": SECRET});
    let (status, refused) = as_ops(Method::POST, "/api/alert_subscription".into(), Some(elsewhere)).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "webhook_url", "{refused}");
    // The superuser's webhook fails twice before it answers.
    let flaky = json!({"channel": "webhook", "webhook_url": format!("{hook}/flaky"), "webhook_secret": SECRET});
    let (status, created) = env.post("/api/alert_subscription", &flaky).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let flaky_id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    // Another user's subscription is not there for ops.
    let (status, _) = as_ops(
        Method::PATCH,
        format!("/api/alert_subscription/{flaky_id}"),
        Some(json!({"enabled": false})),
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The test message goes out at once, over STARTTLS with AUTH.
    let (status, tested) = as_ops(Method::POST, format!("/api/alert_subscription/{email_id}/test"), None).await?;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["response"]["status"], "sent", "{tested}");
    let mail = mailbox(&dir)?;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0]["to"], json!(["ops@example.com"]));
    assert_eq!(
        (mail[0]["tls"].as_bool(), mail[0]["authenticated"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(
        mail[0]["data"]
            .as_str()
            .is_some_and(|d| d.contains("Subject: [Chroma] Test message")),
        "{mail:?}"
    );

    // Two jobs fail within the digest window.
    let (disk, fan) = (failing("disk on fire"), failing("fan on fire"));
    let (first, second) = tokio::join!(env.submit(&disk), env.submit(&fan));
    env.finished(&first?, LONG).await?;
    env.finished(&second?, LONG).await?;
    let mail = wait_for(LONG, "the digest email", || async {
        let mail = mailbox(&dir)?;
        Ok((mail.len() >= 2).then_some(mail))
    })
    .await?;
    let digest = mail[1]["data"].as_str().unwrap_or_default();
    assert!(digest.contains("Subject: [Chroma] 2 alerts"), "{digest}");
    assert!(
        digest.contains("disk on fire") && digest.contains("fan on fire"),
        "{digest}"
    );
    let hooks = wait_for(LONG, "the digest webhook", || async {
        let received = receiver
            .received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let ok: Vec<Received> = received.iter().filter(|r| r.path == "/ok").cloned().collect();
        Ok((!ok.is_empty()).then_some(ok))
    })
    .await?;
    let alerts = hooks[0].body["alerts"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = alerts.iter().filter_map(|a| a["kind"].as_str()).collect();
    assert_eq!(kinds, ["job_failed", "job_failed"], "{:?}", hooks[0]);
    assert!(hooks[0].signed, "the signature does not verify: {:?}", hooks[0]);
    assert!((0..60).contains(&hooks[0].age_secs), "{:?}", hooks[0]);
    assert_eq!(hooks[0].body["user"], "ops");

    // The failing receiver was retried until it answered; the delivery
    // shows the attempts and the last error.
    let flaky = wait_for(LONG, "the retried webhook to be sent", || async {
        let (_, page) = env
            .get(&format!("/api/alert_delivery?subscription_id={flaky_id}"))
            .await?;
        let sent = page["response"]["objects"]
            .as_array()
            .and_then(|o| o.iter().find(|d| d["status"] == "sent").cloned());
        Ok(sent)
    })
    .await?;
    assert_eq!(flaky["attempts"], 3, "{flaky}");
    assert_eq!(flaky["alert_count"], 2, "{flaky}");
    let error = flaky["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("503") && error.contains("receiver is busy"), "{flaky}");

    // Nothing more arrives after the window: one message per digest.
    tokio::time::sleep(WINDOW + Duration::from_secs(2)).await;
    assert_eq!(mailbox(&dir)?.len(), 2);
    let received = receiver.received.lock().map(|r| r.len()).unwrap_or_default();
    assert_eq!(received, 1 + 3, "one /ok and three /flaky requests");
    // Ops sees their own deliveries only: the test, the email digest and
    // the webhook digest.
    let (status, page) = as_ops(Method::GET, "/api/alert_delivery?limit=10".into(), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["response"]["meta"]["total_count"], 3, "{page}");
    let all_sent = page["response"]["objects"]
        .as_array()
        .is_some_and(|o| o.iter().all(|d| d["status"] == "sent" && d["username"] == "ops"));
    assert!(all_sent, "{page}");

    hook_server.stop(true).await;
    smtp.kill().await?;
    let _ = std::fs::remove_dir_all(&dir);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_subscribes_sends_a_test_and_shows_deliveries() -> anyhow::Result<()> {
    let receiver = web::Data::new(Receiver::default());
    let (hook, hook_server) = webhook_receiver(receiver.clone())?;
    let env = TestEnv::start("alert_delivery_cli").await?;
    let dir = env
        .settings
        .ssh_key_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("chroma-cli.json");
    let login = ["login", "--username", "admin", "--password-stdin"];
    let (code, _, err) = run_chroma(&env, &config, &login, &format!("{ADMIN_PASSWORD}\n")).await?;
    anyhow::ensure!(code == 0, "login: {err}");
    let chroma = |args: Vec<String>| {
        let config = config.clone();
        let env = &env;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_chroma(env, &config, &args, "").await
        }
    };
    let words = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<String>>();

    let url = format!("{hook}/ok");
    let (code, out, err) = chroma(words(&format!(
        "--json alert subscribe --webhook {url} --webhook-secret {SECRET} --kind job_failed,lnet_down --min-severity error"
    )))
    .await?;
    assert_eq!(code, 0, "{out}\n{err}");
    let created: Value = serde_json::from_str(&out)?;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(created["kinds"], json!(["job_failed", "lnet_down"]), "{out}");

    let (code, out, err) = chroma(words("alert subscriptions")).await?;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&id) && out.contains(&url) && out.contains("error"),
        "{out}"
    );

    let (code, out, err) = chroma(words(&format!("alert test {id}"))).await?;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("sent"), "{out}");
    let received = receiver.received.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].signed && received[0].body["test"] == json!(true),
        "{received:?}"
    );

    let (code, out, err) = chroma(words("alert deliveries")).await?;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("webhook") && out.contains("test") && out.contains("sent"),
        "{out}"
    );

    // A subscription that cannot deliver says why, and the test fails.
    let (code, out, err) = chroma(words("--json alert subscribe --email ops@example.com")).await?;
    assert_eq!(code, 0, "{out}\n{err}");
    let email: Value = serde_json::from_str(&out)?;
    let email_id = email["id"].as_str().unwrap_or_default().to_owned();
    let (code, _, err) = chroma(words(&format!("alert test {email_id}"))).await?;
    assert_ne!(code, 0);
    assert!(err.contains("CHROMA_SMTP_HOST"), "{err}");

    let (code, _, err) = chroma(words(&format!("alert unsubscribe {id}"))).await?;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = chroma(words("alert subscriptions")).await?;
    assert!(!out.contains(&id) && out.contains(&email_id), "{out}");

    hook_server.stop(true).await;
    env.stop().await
}
