//! References to the objects jobs lock and alerts are about. They are
//! stored as text (`job_lock.item`, `alert.item`: `host/ID`, `target/ID`,
//! `storage_plugin/NAME`) and are built and parsed here only, so a lock on
//! a server in the planner and the same lock looked up by the monitor are
//! the same value.

use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// An object a job locks or an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// A server: its registration, probe and pre-flight checks.
    Host(Uuid),
    /// A server's LNet, locked apart from the server so targets can read it
    /// while the server's other work goes on.
    Lnet(Uuid),
    Target(Uuid),
    Filesystem(Uuid),
    HaCluster(Uuid),
    StorageResource(Uuid),
    /// A storage plugin, by its manifest name.
    StoragePlugin(String),
    /// A job (the item of its `job_failed` and `step_dead_lettered` alerts).
    Job(Uuid),
    /// A command (the item of its outcome event).
    Command(Uuid),
    /// An OST pool of a file system; stored as `ost_pool/ID`.
    OstPool(Uuid),
    /// A Lustre client mount on a host; stored as `client_mount/ID`.
    ClientMount(Uuid),
    /// A user's, group's or project's quota on a file system; stored as
    /// `quota/ID`.
    Quota(Uuid),
    /// An HSM copytool on a client host; stored as `copytool/ID`.
    Copytool(Uuid),
    /// A host's `/etc/fstab`, written whole by client mount jobs (one at
    /// a time, or one loses the other's line); stored as `fstab/HOST_ID`.
    Fstab(Uuid),
    /// File system detection, one at a time (two would record the same
    /// objects); stored as `detect`.
    Detection,
}

impl Item {
    /// The object kind, as it prefixes the stored text.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Host(_) => "host",
            Item::Lnet(_) => "lnet",
            Item::Target(_) => "target",
            Item::Filesystem(_) => "filesystem",
            Item::HaCluster(_) => "ha_cluster",
            Item::StorageResource(_) => "storage_resource",
            Item::StoragePlugin(_) => "storage_plugin",
            Item::Job(_) => "job",
            Item::Command(_) => "command",
            Item::OstPool(_) => "ost_pool",
            Item::ClientMount(_) => "client_mount",
            Item::Copytool(_) => "copytool",
            Item::Quota(_) => "quota",
            Item::Fstab(_) => "fstab",
            Item::Detection => "detect",
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Host(id)
            | Item::Lnet(id)
            | Item::Target(id)
            | Item::Filesystem(id)
            | Item::HaCluster(id)
            | Item::StorageResource(id)
            | Item::Job(id)
            | Item::Command(id)
            | Item::OstPool(id)
            | Item::ClientMount(id)
            | Item::Quota(id)
            | Item::Copytool(id)
            | Item::Fstab(id) => write!(f, "{}/{id}", self.kind()),
            Item::StoragePlugin(name) => write!(f, "storage_plugin/{name}"),
            Item::Detection => f.write_str(self.kind()),
        }
    }
}

impl From<Item> for String {
    fn from(item: Item) -> String {
        item.to_string()
    }
}

impl FromStr for Item {
    type Err = String;

    fn from_str(text: &str) -> Result<Item, String> {
        if text == Item::Detection.kind() {
            return Ok(Item::Detection);
        }
        let (kind, rest) = text.split_once('/').ok_or_else(|| format!("{text:?} is not KIND/ID"))?;
        if kind == "storage_plugin" {
            return if rest.is_empty() {
                Err(format!("{text:?} names no plugin"))
            } else {
                Ok(Item::StoragePlugin(rest.to_owned()))
            };
        }
        let id: Uuid = rest.parse().map_err(|e| format!("{text:?}: {e}"))?;
        Ok(match kind {
            "host" => Item::Host(id),
            "lnet" => Item::Lnet(id),
            "target" => Item::Target(id),
            "filesystem" => Item::Filesystem(id),
            "ha_cluster" => Item::HaCluster(id),
            "storage_resource" => Item::StorageResource(id),
            "job" => Item::Job(id),
            "command" => Item::Command(id),
            "ost_pool" => Item::OstPool(id),
            "client_mount" => Item::ClientMount(id),
            "copytool" => Item::Copytool(id),
            "quota" => Item::Quota(id),
            "fstab" => Item::Fstab(id),
            other => return Err(format!("{other:?} is not a kind of object")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let id = Uuid::now_v7();
        for item in [
            Item::Host(id),
            Item::Lnet(id),
            Item::Target(id),
            Item::Filesystem(id),
            Item::HaCluster(id),
            Item::StorageResource(id),
            Item::StoragePlugin("sim-raid".into()),
            Item::Job(id),
            Item::Command(id),
            Item::OstPool(id),
            Item::ClientMount(id),
            Item::Quota(id),
            Item::Copytool(id),
            Item::Fstab(id),
        ] {
            let text = item.to_string();
            assert!(text.starts_with(&format!("{}/", item.kind())), "{text}");
            assert_eq!(text.parse::<Item>(), Ok(item));
        }
        assert_eq!(Item::Detection.to_string(), "detect");
        assert_eq!("detect".parse::<Item>(), Ok(Item::Detection));
        assert_eq!(Item::Target(id).to_string(), format!("target/{id}"));
    }

    #[test]
    fn nonsense_is_refused() {
        assert!("target".parse::<Item>().is_err());
        assert!("target/12".parse::<Item>().is_err());
        assert!(format!("volume/{}", Uuid::nil()).parse::<Item>().is_err());
        assert!("storage_plugin/".parse::<Item>().is_err());
    }
}
