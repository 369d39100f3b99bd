//! Users and their tokens: a new password or a disabled user revokes every
//! token the user holds (sessions and API tokens alike), so enabling the
//! user again brings none of them back.

mod support;

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// A user `ops` holding a session token (`session-hash`) and an API token
/// (`api-hash`) that expires in 90 days; the user's id.
async fn user_with_tokens(db: &impl ConnectionTrait) -> anyhow::Result<Uuid> {
    let user = store::users::create(db, "ops", "old-hash", "fsadmin")
        .await?
        .ok_or_else(|| anyhow::anyhow!("ops already exists"))?;
    let in_90_days = Some(Utc::now() + Duration::days(90));
    store::users::add_token(db, user.id, "session-hash", "session", "login", in_90_days).await?;
    store::users::add_token(db, user.id, "api-hash", "api", "cron", in_90_days).await?;
    Ok(user.id)
}

/// Which of the two tokens still authenticate.
async fn live(db: &impl ConnectionTrait) -> anyhow::Result<Vec<&'static str>> {
    let mut found = Vec::new();
    for hash in ["session-hash", "api-hash"] {
        if store::users::by_token(db, hash).await?.is_some() {
            found.push(hash);
        }
    }
    Ok(found)
}

#[tokio::test]
async fn update_with_a_new_password_revokes_every_token() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = user_with_tokens(&t.db).await?;
    assert_eq!(live(&t.db).await?, ["session-hash", "api-hash"]);

    let user = store::users::update(&t.db, id, None, Some("new-hash"), None).await?;
    assert!(user.is_some_and(|u| !u.disabled));
    assert_eq!(live(&t.db).await?, Vec::<&str>::new(), "a token outlived the password");
    assert!(store::users::tokens(&t.db, id).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn update_disabling_a_user_revokes_tokens_that_enabling_does_not_revive() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = user_with_tokens(&t.db).await?;

    store::users::update(&t.db, id, None, None, Some(true)).await?;
    assert_eq!(live(&t.db).await?, Vec::<&str>::new());
    let user = store::users::update(&t.db, id, None, None, Some(false)).await?;
    assert!(user.is_some_and(|u| !u.disabled));
    assert_eq!(
        live(&t.db).await?,
        Vec::<&str>::new(),
        "enabling the user revived a token"
    );
    assert!(store::users::tokens(&t.db, id).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn update_of_the_role_alone_keeps_tokens() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = user_with_tokens(&t.db).await?;

    let user = store::users::update(&t.db, id, Some("readonly"), None, None).await?;
    assert_eq!(user.map(|u| u.role).as_deref(), Some("readonly"));
    assert_eq!(live(&t.db).await?, ["session-hash", "api-hash"]);
    t.drop().await
}

#[tokio::test]
async fn update_leaves_other_users_tokens_alone() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = user_with_tokens(&t.db).await?;
    let other = store::users::create(&t.db, "admin", "hash", "superuser")
        .await?
        .ok_or_else(|| anyhow::anyhow!("admin already exists"))?;
    store::users::add_token(&t.db, other.id, "admin-hash", "api", "admin's", None).await?;

    store::users::update(&t.db, id, None, Some("new-hash"), Some(true)).await?;
    assert!(store::users::by_token(&t.db, "admin-hash").await?.is_some());
    assert!(store::users::update(&t.db, Uuid::now_v7(), None, None, Some(true))
        .await?
        .is_none());
    t.drop().await
}

#[tokio::test]
async fn token_is_live_until_revoked_expired_or_its_user_disabled() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = user_with_tokens(&t.db).await?;
    let token = |hash: &'static str| {
        let db = &t.db;
        async move {
            store::users::by_token(db, hash)
                .await?
                .map(|(_, token_id)| token_id)
                .ok_or_else(|| anyhow::anyhow!("{hash} does not authenticate"))
        }
    };
    let (session, api) = (token("session-hash").await?, token("api-hash").await?);
    assert!(store::users::token_is_live(&t.db, session).await?);
    assert!(store::users::revoke(&t.db, id, session).await?);
    assert!(!store::users::token_is_live(&t.db, session).await?, "a revoked token");
    assert!(store::users::token_is_live(&t.db, api).await?);

    let expired = store::users::add_token(
        &t.db,
        id,
        "old-hash",
        "api",
        "old",
        Some(Utc::now() - Duration::seconds(1)),
    )
    .await?;
    assert!(!store::users::token_is_live(&t.db, expired).await?, "an expired token");
    assert!(
        !store::users::token_is_live(&t.db, Uuid::now_v7()).await?,
        "no such token"
    );

    // Disabling revokes the tokens; a token left unrevoked (as one written
    // before that rule) is dead too while its user is disabled.
    store::sql::execute(&t.db, "UPDATE app_user SET disabled = true WHERE id = $1", [id.into()]).await?;
    assert!(
        !store::users::token_is_live(&t.db, api).await?,
        "a disabled user's token"
    );
    t.drop().await
}
