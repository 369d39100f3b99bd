//! The audit trail's writer: every change made through the API is written
//! as an `api_change` event before its response leaves. Requests arriving
//! together share one insert and one commit (one fsync), so auditing does
//! not halve the API's throughput; each still waits until its line is
//! durable.

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Lines written per insert at most.
const BATCH: usize = 500;

/// One audit line.
pub struct Line {
    pub user_id: Uuid,
    pub username: String,
    pub message: String,
    pub details: Value,
}

type Request = (Line, oneshot::Sender<Result<(), String>>);

/// Hands lines to the writer task.
#[derive(Clone)]
pub struct Audit {
    sender: mpsc::UnboundedSender<Request>,
}

impl Audit {
    /// Starts the writer (inside the runtime).
    pub fn start(db: sea_orm::DatabaseConnection) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write(db, receiver));
        Self { sender }
    }

    /// Writes `line`; returns once it is committed.
    pub async fn write(&self, line: Line) -> Result<(), String> {
        let (done, written) = oneshot::channel();
        self.sender
            .send((line, done))
            .map_err(|_| "the audit writer stopped".to_owned())?;
        written.await.map_err(|_| "the audit writer stopped".to_owned())?
    }
}

async fn write(db: sea_orm::DatabaseConnection, mut receiver: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        let (lines, waiters): (Vec<Line>, Vec<_>) = batch.drain(..).unzip();
        let result = insert(&db, lines).await.map(drop).map_err(|e| e.to_string());
        for waiter in waiters {
            let _ = waiter.send(result.clone());
        }
    }
}

async fn insert(db: &sea_orm::DatabaseConnection, lines: Vec<Line>) -> Result<u64, sea_orm::DbErr> {
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    let users: Vec<Uuid> = lines.iter().map(|l| l.user_id).collect();
    let names: Vec<String> = lines.iter().map(|l| l.username.clone()).collect();
    let messages: Vec<String> = lines.iter().map(|l| l.message.clone()).collect();
    let details: Vec<String> = lines.iter().map(|l| l.details.to_string()).collect();
    store::sql::execute(
        db,
        "INSERT INTO event (id, kind, user_id, username, message, details)
         SELECT i, 'api_change', u, n, m, d::jsonb
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS t(i, u, n, m, d)",
        [ids.into(), users.into(), names.into(), messages.into(), details.into()],
    )
    .await
}
