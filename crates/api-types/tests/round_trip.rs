//! What the API serialises, a client reads back into the same type.

use api_types::commands::JobView;
use api_types::planning::{Planned, PlannedJob};
use uuid::Uuid;

#[test]
fn a_job_shown_without_its_details_reads_back() -> anyhow::Result<()> {
    let job = JobView {
        id: Uuid::now_v7(),
        command: Uuid::now_v7(),
        key: "target/1".into(),
        description: "Mount fs1-OST0000".into(),
        state: "running".into(),
        error: None,
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
        steps: None,
        locks: None,
        wait_for: None,
    };
    let json = serde_json::to_value(&job)?;
    assert!(json.get("steps").is_none(), "{json}");
    let read: JobView = serde_json::from_value(json)?;
    assert_eq!(
        (read.id, read.created_at, read.steps.is_none()),
        (job.id, job.created_at, true)
    );
    Ok(())
}

#[test]
fn a_dry_run_reads_back() -> anyhow::Result<()> {
    let planned = Planned {
        command: None,
        dry_run: true,
        requires_confirmation: true,
        jobs: vec![PlannedJob {
            description: "Unmount fs1-OST0000".into(),
            object: "target/1".into(),
            from: "mounted".into(),
            to: "unmounted".into(),
            wait_for: vec![0],
            confirmation: Some("unmounts a target".into()),
        }],
    };
    let read: Planned = serde_json::from_value(serde_json::to_value(&planned)?)?;
    assert_eq!(serde_json::to_value(&read)?, serde_json::to_value(&planned)?);
    Ok(())
}
