//! A command request as users send it, and its validated form. Validation
//! happens here, once: a cycle in `wait_for`, an unknown key or action, or
//! bad args is refused with the field at fault, and nothing is stored.

use serde::Deserialize;
use std::collections::HashMap;

use crate::actions::Action;

/// Most jobs one command may hold.
pub const MAX_JOBS: usize = 1_000;
/// Most steps one job may hold.
pub const MAX_STEPS: usize = 1_000;
/// Most locks one job may ask for.
pub const MAX_LOCKS: usize = 1_000;
/// Longest key, lock item, message or description.
pub const MAX_TEXT: usize = 1_024;

/// `POST /api/command` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    pub message: String,
    pub jobs: Vec<JobRequest>,
}

/// One job of a command request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub key: String,
    #[serde(default)]
    pub description: String,
    pub steps: Vec<StepRequest>,
    #[serde(default)]
    pub locks: Vec<LockRequest>,
    #[serde(default)]
    pub wait_for: Vec<String>,
}

/// One step of a job request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    pub action: String,
    #[serde(default)]
    pub args: serde_json::Value,
}

/// A lock a job asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
    pub item: String,
    #[serde(default)]
    pub write: bool,
}

/// A validated command, its jobs in an order where every job comes after
/// the jobs it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommand {
    pub message: String,
    pub jobs: Vec<NewJob>,
}

/// A validated job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub key: String,
    pub description: String,
    pub steps: Vec<Action>,
    /// Lock items with whether each is a write lock, one entry per item.
    pub locks: Vec<(String, bool)>,
    /// Positions in `NewCommand::jobs` of the jobs this one waits for.
    pub wait_for: Vec<usize>,
}

/// A request field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn check_text(field: String, text: &str, required: bool, errors: &mut Vec<FieldError>) {
    if required && text.trim().is_empty() {
        errors.push(error(field, "must not be empty"));
    } else if text.len() > MAX_TEXT {
        errors.push(error(field, format!("must be at most {MAX_TEXT} bytes")));
    } else if text.chars().any(char::is_control) {
        errors.push(error(field, "must not contain control characters"));
    }
}

impl CommandRequest {
    /// Checks every field and orders the jobs by their dependencies.
    pub fn validate(self) -> Result<NewCommand, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_text("message".into(), &self.message, true, &mut errors);
        if self.jobs.is_empty() {
            errors.push(error("jobs", "a command needs at least one job"));
        }
        if self.jobs.len() > MAX_JOBS {
            errors.push(error("jobs", format!("a command may hold at most {MAX_JOBS} jobs")));
        }
        let mut position = HashMap::new();
        for (i, job) in self.jobs.iter().enumerate() {
            check_text(format!("jobs[{i}].key"), &job.key, true, &mut errors);
            if position.insert(job.key.as_str(), i).is_some() {
                errors.push(error(
                    format!("jobs[{i}].key"),
                    format!("duplicate job key {:?}", job.key),
                ));
            }
        }
        let mut jobs = Vec::with_capacity(self.jobs.len());
        for (i, job) in self.jobs.iter().enumerate() {
            jobs.push(validate_job(i, job, &position, &mut errors));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let order = topological_order(&jobs)
            .map_err(|key| vec![error("jobs", format!("wait_for forms a cycle through job {key:?}"))])?;
        let new_position: HashMap<usize, usize> = order.iter().enumerate().map(|(new, old)| (*old, new)).collect();
        let mut slots: Vec<Option<NewJob>> = jobs.into_iter().map(Some).collect();
        let ordered = order
            .iter()
            .filter_map(|old| slots[*old].take())
            .map(|mut job| {
                job.wait_for = job
                    .wait_for
                    .iter()
                    .filter_map(|w| new_position.get(w).copied())
                    .collect();
                job
            })
            .collect();
        Ok(NewCommand {
            message: self.message,
            jobs: ordered,
        })
    }
}

fn validate_job(i: usize, job: &JobRequest, position: &HashMap<&str, usize>, errors: &mut Vec<FieldError>) -> NewJob {
    check_text(format!("jobs[{i}].description"), &job.description, false, errors);
    if job.steps.is_empty() {
        errors.push(error(format!("jobs[{i}].steps"), "a job needs at least one step"));
    }
    if job.steps.len() > MAX_STEPS {
        errors.push(error(
            format!("jobs[{i}].steps"),
            format!("a job may hold at most {MAX_STEPS} steps"),
        ));
    }
    let steps = job
        .steps
        .iter()
        .enumerate()
        .filter_map(|(s, step)| {
            let field = format!("jobs[{i}].steps[{s}]");
            let action = Action::parse(&step.action, &step.args)
                .map_err(|e| errors.push(error(field.clone(), e.to_string())))
                .ok()?;
            if !action.is_diagnostic() {
                errors.push(error(
                    format!("{field}.action"),
                    format!(
                        "{} changes Lustre objects and is planned by Chroma with its locks and checks; \
                         use /api/host, /api/filesystem or /api/target instead",
                        action.name()
                    ),
                ));
                return None;
            }
            Some(action)
        })
        .collect();
    if job.locks.len() > MAX_LOCKS {
        errors.push(error(
            format!("jobs[{i}].locks"),
            format!("a job may hold at most {MAX_LOCKS} locks"),
        ));
    }
    let mut locks: Vec<(String, bool)> = Vec::new();
    let mut lock_position: HashMap<&str, usize> = HashMap::new();
    for (l, lock) in job.locks.iter().enumerate().take(MAX_LOCKS) {
        let field = format!("jobs[{i}].locks[{l}].item");
        check_text(field.clone(), &lock.item, true, errors);
        if !lock.item.contains('/') || lock.item.starts_with('/') || lock.item.ends_with('/') {
            errors.push(error(
                field,
                format!("lock item {:?} must look like \"kind/name\"", lock.item),
            ));
        }
        // Two locks on one item in one job merge; write wins.
        match lock_position.get(lock.item.as_str()) {
            Some(&at) => locks[at].1 |= lock.write,
            None => {
                lock_position.insert(&lock.item, locks.len());
                locks.push((lock.item.clone(), lock.write));
            }
        }
    }
    let mut wait_for = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if job.wait_for.len() > MAX_JOBS {
        errors.push(error(
            format!("jobs[{i}].wait_for"),
            format!("a job may wait for at most {MAX_JOBS} jobs"),
        ));
    }
    for (w, key) in job.wait_for.iter().enumerate().take(MAX_JOBS) {
        let field = format!("jobs[{i}].wait_for[{w}]");
        match position.get(key.as_str()) {
            None => errors.push(error(field, format!("no job in this command has key {key:?}"))),
            Some(&p) if p == i => errors.push(error(field, "a job cannot wait for itself")),
            Some(&p) if seen.insert(p) => wait_for.push(p),
            Some(_) => {}
        }
    }
    NewJob {
        key: job.key.clone(),
        description: job.description.clone(),
        steps,
        locks,
        wait_for,
    }
}

/// Kahn's algorithm; stable (keeps request order where it can). On a cycle,
/// returns the key of a job on it.
fn topological_order(jobs: &[NewJob]) -> Result<Vec<usize>, String> {
    let mut remaining: Vec<usize> = jobs.iter().map(|j| j.wait_for.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); jobs.len()];
    for (i, job) in jobs.iter().enumerate() {
        for &w in &job.wait_for {
            dependents[w].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..jobs.len()).filter(|i| remaining[*i] == 0).collect();
    let mut order = Vec::with_capacity(jobs.len());
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &d in &dependents[next] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                ready.insert(d);
            }
        }
    }
    match (0..jobs.len()).find(|i| remaining[*i] > 0) {
        Some(stuck) => Err(jobs[stuck].key.clone()),
        None => Ok(order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> CommandRequest {
        match serde_json::from_value(value) {
            Ok(r) => r,
            Err(e) => panic!("bad test request: {e}"),
        }
    }

    #[test]
    fn orders_jobs_after_what_they_wait_for() {
        let cmd = request(json!({"message": "m", "jobs": [
            {"key": "b", "steps": [{"action": "noop"}], "wait_for": ["a"]},
            {"key": "a", "steps": [{"action": "noop"}]}
        ]}))
        .validate();
        let cmd = cmd.map_err(|e| format!("{e:?}"));
        assert_eq!(cmd.as_ref().map(|c| c.jobs[0].key.as_str()), Ok("a"));
        assert_eq!(cmd.map(|c| c.jobs[1].wait_for.clone()), Ok(vec![0]));
    }

    #[test]
    fn refuses_cycles_unknown_keys_and_bad_actions() {
        let cycle = request(json!({"message": "m", "jobs": [
            {"key": "a", "steps": [{"action": "noop"}], "wait_for": ["b"]},
            {"key": "b", "steps": [{"action": "noop"}], "wait_for": ["a"]}
        ]}))
        .validate();
        assert!(matches!(cycle, Err(e) if e[0].message.contains("cycle")));
        let unknown = request(json!({"message": "m", "jobs": [
            {"key": "a", "steps": [{"action": "noop"}], "wait_for": ["zz"]}
        ]}))
        .validate();
        assert!(matches!(unknown, Err(e) if e[0].field == "jobs[0].wait_for[0]"));
        let action = request(json!({"message": "m", "jobs": [
            {"key": "a", "steps": [{"action": "rm -rf"}]}
        ]}))
        .validate();
        assert!(matches!(action, Err(e) if e[0].field == "jobs[0].steps[0]"));
    }
}
