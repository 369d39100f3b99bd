//! Users, their tokens and the audit trail. Passwords are hashed by the
//! caller (argon2); tokens are stored as their SHA-256 only.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::sql::{execute, query};

pub use api_types::users::{Token, User};

fn user_of(r: &sea_orm::QueryResult) -> Result<User, DbErr> {
    Ok(User {
        id: r.try_get("", "id")?,
        username: r.try_get("", "username")?,
        role: r.try_get("", "role")?,
        disabled: r.try_get("", "disabled")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// Creates a user; `Ok(None)` when the name is taken.
pub async fn create(
    db: &impl ConnectionTrait,
    username: &str,
    password_hash: &str,
    role: &str,
) -> Result<Option<User>, DbErr> {
    let rows = query(
        db,
        "INSERT INTO app_user (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO NOTHING
         RETURNING id, username, role, disabled, created_at",
        [
            Uuid::now_v7().into(),
            username.to_owned().into(),
            password_hash.to_owned().into(),
            role.to_owned().into(),
        ],
    )
    .await?;
    rows.first().map(user_of).transpose()
}

/// Whether any user exists.
pub async fn any(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(!query(db, "SELECT 1 FROM app_user LIMIT 1", []).await?.is_empty())
}

/// A user and their password hash, by name.
pub async fn with_password(db: &impl ConnectionTrait, username: &str) -> Result<Option<(User, String)>, DbErr> {
    let rows = query(
        db,
        "SELECT id, username, role, disabled, created_at, password_hash FROM app_user WHERE username = $1",
        [username.to_owned().into()],
    )
    .await?;
    rows.first()
        .map(|r| Ok((user_of(r)?, r.try_get("", "password_hash")?)))
        .transpose()
}

/// Every user, by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<User>, DbErr> {
    let rows = query(
        db,
        "SELECT id, username, role, disabled, created_at FROM app_user ORDER BY username",
        [],
    )
    .await?;
    rows.iter().map(user_of).collect()
}

/// Changes a user's role, password hash or disabled flag (each when
/// given); returns the user, or `None` if there is none.
///
/// A new password or disabling the user revokes every token they hold,
/// sessions and API tokens alike, in the same statement: a token is no
/// stronger than the password it was made under, and enabling the user
/// again must not bring old tokens back.
pub async fn update(
    db: &impl ConnectionTrait,
    id: Uuid,
    role: Option<&str>,
    password_hash: Option<&str>,
    disabled: Option<bool>,
) -> Result<Option<User>, DbErr> {
    let rows = query(
        db,
        "WITH changed AS (
             UPDATE app_user SET role = COALESCE($2, role), password_hash = COALESCE($3, password_hash),
                    disabled = COALESCE($4, disabled)
             WHERE id = $1 RETURNING id, username, role, disabled, created_at
         ), revoked AS (
             UPDATE api_token SET revoked_at = now()
             WHERE user_id = (SELECT id FROM changed) AND revoked_at IS NULL
               AND ($3::text IS NOT NULL OR $4::boolean IS TRUE)
         )
         SELECT id, username, role, disabled, created_at FROM changed",
        [
            id.into(),
            role.map(str::to_owned).into(),
            password_hash.map(str::to_owned).into(),
            disabled.into(),
        ],
    )
    .await?;
    rows.first().map(user_of).transpose()
}

/// Stores a token by its hash.
pub async fn add_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    token_hash: &str,
    kind: &str,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    execute(
        db,
        "INSERT INTO api_token (id, user_id, token_hash, kind, name, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            id.into(),
            user_id.into(),
            token_hash.to_owned().into(),
            kind.to_owned().into(),
            name.to_owned().into(),
            expires_at.into(),
        ],
    )
    .await?;
    Ok(id)
}

/// The enabled user holding a live token with this hash, and the token's
/// id. Marks the token used at most once a minute: every request of a
/// client carries the same token, and updating its row each time would
/// serialise them on the row lock.
pub async fn by_token(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<(User, Uuid)>, DbErr> {
    let rows = query(
        db,
        "SELECT u.id, u.username, u.role, u.disabled, u.created_at, t.id AS token_id,
                t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale
         FROM api_token t JOIN app_user u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled",
        [token_hash.to_owned().into()],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let token_id: Uuid = row.try_get("", "token_id")?;
    if row.try_get::<bool>("", "stale")? {
        // SKIP LOCKED: when another request is marking it, that is enough.
        execute(
            db,
            "UPDATE api_token SET last_used_at = now()
             WHERE id = (SELECT id FROM api_token WHERE id = $1 FOR UPDATE SKIP LOCKED)",
            [token_id.into()],
        )
        .await?;
    }
    Ok(Some((user_of(row)?, token_id)))
}

/// A user's live tokens, newest first.
pub async fn tokens(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Token>, DbErr> {
    let rows = query(
        db,
        "SELECT id, kind, name, created_at, expires_at, last_used_at FROM api_token
         WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         ORDER BY created_at DESC",
        [user_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Token {
                id: r.try_get("", "id")?,
                kind: r.try_get("", "kind")?,
                name: r.try_get("", "name")?,
                created_at: r.try_get("", "created_at")?,
                expires_at: r.try_get("", "expires_at")?,
                last_used_at: r.try_get("", "last_used_at")?,
            })
        })
        .collect()
}

/// Revokes one of a user's tokens; false if they hold no such live token.
pub async fn revoke(db: &impl ConnectionTrait, user_id: Uuid, token_id: Uuid) -> Result<bool, DbErr> {
    let changed = execute(
        db,
        "UPDATE api_token SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        [token_id.into(), user_id.into()],
    )
    .await?;
    Ok(changed > 0)
}

/// Whether token `token_id` still authenticates: not revoked, not expired,
/// and its user not disabled (what [`by_token`] requires). A live stream
/// asks this again and again, so it does not mark the token used.
pub async fn token_is_live(db: &impl ConnectionTrait, token_id: Uuid) -> Result<bool, DbErr> {
    let rows = query(
        db,
        "SELECT 1 FROM api_token t JOIN app_user u ON u.id = t.user_id
         WHERE t.id = $1 AND t.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled",
        [token_id.into()],
    )
    .await?;
    Ok(!rows.is_empty())
}
