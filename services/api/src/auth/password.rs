//! Password hashing with argon2id (PHC strings) and the rules a password
//! must meet.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 256;

/// Checks a new password; the error says what is wrong.
pub fn check(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters"));
    }
    Ok(())
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Password verifications this process has run.
static VERIFICATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many password verifications this process has run (each one an
/// argon2 run, whether the user exists or not).
pub fn verifications() -> u64 {
    VERIFICATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// A hash of a random password, with the parameters of every stored hash,
/// made once: a login as a name no user has is verified against it, so it
/// takes as long as a wrong password for a real user and the time of the
/// answer does not tell which names exist.
static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let random: [u8; 16] = rand::random();
    let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
    hash(&password).unwrap_or_default()
});

/// Makes the dummy hash now (at start-up), so the first login as an
/// unknown name does not take the extra time of making it.
pub async fn prepare_dummy() {
    let _ = tokio::task::spawn_blocking(|| DUMMY.len()).await;
}

/// The enabled user among `found` (the user of the name given, with their
/// stored hash) whose password `password` is; one argon2 verification
/// whether or not there is such a user, or it is disabled.
pub async fn check_login(
    found: Option<(store::users::User, String)>,
    password: String,
) -> Result<Option<store::users::User>, crate::error::ApiError> {
    match found {
        Some((user, stored)) => {
            let right = verify_blocking(password, stored).await?;
            Ok((right && !user.disabled).then_some(user))
        }
        None => {
            let dummy = GATE.run(|| DUMMY.clone()).await?;
            verify_blocking(password, dummy).await?;
            Ok(None)
        }
    }
}

/// Argon2 runs (hashes and verifications) at once: each holds 19 MiB.
fn parallel_runs() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(4)
}

/// How long a password check waits for its turn before it answers 429.
pub const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Bounds the argon2 runs in flight; the rest wait their turn briefly.
pub struct Gate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl Gate {
    /// At most `permits` runs at once; a run waits at most `wait`.
    pub fn new(permits: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
            wait,
        }
    }

    /// Runs `work` on a blocking thread when a permit is free, or answers
    /// 429 after the wait. The permit goes with the work, so a request
    /// dropped meanwhile does not free it early.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::error::ApiError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| crate::error::ApiError::TooManyRequests {
                message: "too many password checks at once; try again".into(),
                retry_after_secs: 1,
            })?
            .map_err(|e| crate::error::ApiError::Internal(e.into()))?;
        actix_web::web::block(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.into()))
    }
}

/// The process's gate: memory is the process's.
static GATE: std::sync::LazyLock<Gate> = std::sync::LazyLock::new(|| Gate::new(parallel_runs(), TURN_WAIT));

/// Hashes on a blocking thread, in turn: argon2 takes tens of milliseconds.
pub async fn hash_blocking(password: String) -> Result<String, crate::error::ApiError> {
    GATE.run(move || hash(&password))
        .await?
        .map_err(|e| crate::error::ApiError::Internal(anyhow::anyhow!(e)))
}

/// Verifies on a blocking thread, in turn.
pub async fn verify_blocking(password: String, stored: String) -> Result<bool, crate::error::ApiError> {
    GATE.run(move || verify(&password, &stored)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse battery").unwrap_or_default();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterz", &stored));
        assert!(!verify("anything", "not a hash"));
        assert!(check("short").is_err());
        assert!(check("long enough!").is_ok());
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let real = hash("correct horse battery").unwrap_or_default();
        let params = |phc: &str| phc.rsplitn(3, '$').nth(2).map(str::to_owned);
        assert!(params(&real).is_some());
        assert_eq!(params(&DUMMY), params(&real));
    }

    #[tokio::test]
    async fn a_run_waits_its_turn_then_is_refused() {
        let gate = Gate::new(1, std::time::Duration::from_millis(200));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let held = {
            let gate = Gate {
                permits: gate.permits.clone(),
                wait: gate.wait,
            };
            tokio::spawn(async move {
                gate.run(move || {
                    let _ = started_tx.send(());
                    let _ = release_rx.recv();
                })
                .await
            })
        };
        let _ = tokio::task::spawn_blocking(move || started_rx.recv()).await;
        let refused = gate.run(|| ()).await;
        assert!(
            matches!(refused, Err(crate::error::ApiError::TooManyRequests { .. })),
            "{refused:?}"
        );
        let _ = release_tx.send(());
        assert!(held.await.is_ok_and(|r| r.is_ok()));
        assert!(gate.run(|| ()).await.is_ok());
    }
}
