//! A database of a benchmark run's own: created and migrated on the
//! PostgreSQL server of `DATABASE_URL`, dropped at the end unless kept.

use anyhow::Context as _;
use uuid::Uuid;

/// The run's database and the settings that reach it.
pub struct Scratch {
    pub settings: setup::Settings,
    /// The database's name.
    pub name: String,
    url: String,
}

impl Scratch {
    /// Creates `{prefix}_{random}` and applies every migration.
    pub async fn create(prefix: &str) -> anyhow::Result<Self> {
        let mut settings = setup::Settings::from_env()?;
        let name = format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..8]);
        let base = secrecy::ExposeSecret::expose_secret(&settings.database_url).to_owned();
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        let url = format!("{server}/{name}");
        settings.database_url = url.clone().into();
        api::migrate(&settings)
            .await
            .context("cannot create the bench database")?;
        Ok(Self { settings, name, url })
    }

    /// Drops the database (every connection to it must be closed).
    pub async fn drop(self) -> anyhow::Result<()> {
        Ok(store::connect::drop_database(&self.url).await?)
    }
}
