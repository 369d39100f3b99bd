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
    let changes: Vec<store::events::ApiChange> = lines
        .into_iter()
        .map(|l| store::events::ApiChange {
            user_id: l.user_id,
            username: l.username,
            message: l.message,
            details: l.details,
        })
        .collect();
    store::events::record_api_changes(db, &changes).await
}
