//! The Lustre objects' vocabulary: target kinds, the states of hosts, LNet,
//! targets and file systems, and validated names.

use serde::{Deserialize, Serialize};

/// What a target serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Mgt,
    Mdt,
    Ost,
}

/// A target's place in its state graph:
/// `unformatted → formatted → registered → unmounted ⇄ mounted`, and
/// `removed` from any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    Unformatted,
    Formatted,
    Registered,
    Unmounted,
    Mounted,
    Removed,
}

/// A host: `unconfigured → managed → removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostState {
    Unconfigured,
    Managed,
    Removed,
}

/// LNet on a host: `lnet_down ⇄ lnet_up` (unknown until first probed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LnetState {
    LnetUnknown,
    LnetDown,
    LnetUp,
}

/// A file system: `stopped ⇄ available`, `removed`. `unavailable` means
/// some of its targets are mounted and some are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilesystemState {
    Stopped,
    Unavailable,
    Available,
    Removed,
}

macro_rules! text_form {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The state as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?}; expected one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_form!(TargetKind { Mgt => "mgt", Mdt => "mdt", Ost => "ost" });
text_form!(TargetState {
    Unformatted => "unformatted",
    Formatted => "formatted",
    Registered => "registered",
    Unmounted => "unmounted",
    Mounted => "mounted",
    Removed => "removed",
});
text_form!(HostState { Unconfigured => "unconfigured", Managed => "managed", Removed => "removed" });
text_form!(LnetState { LnetUnknown => "lnet_unknown", LnetDown => "lnet_down", LnetUp => "lnet_up" });
text_form!(FilesystemState {
    Stopped => "stopped",
    Unavailable => "unavailable",
    Available => "available",
    Removed => "removed",
});

/// A file-system name as Lustre accepts it: 1–8 letters, digits or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FsName(String);

impl FsName {
    /// Checks a name the way `mkfs.lustre --fsname` does.
    pub fn parse(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > 8 {
            return Err(format!("{name:?} must be 1 to 8 characters long"));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("{name:?} may hold only letters, digits and '_'"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lustre's service name of a target: `MGS`, `fs1-MDT0000`, `fs1-OST000a`.
pub fn target_name(kind: TargetKind, fsname: &str, index: u16) -> String {
    match kind {
        TargetKind::Mgt => "MGS".to_owned(),
        TargetKind::Mdt => format!("{fsname}-MDT{index:04x}"),
        TargetKind::Ost => format!("{fsname}-OST{index:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_lustre() {
        assert!(FsName::parse("fs_01").is_ok());
        assert!(FsName::parse("").is_err());
        assert!(FsName::parse("ninechars").is_err());
        assert!(FsName::parse("a-b").is_err());
        assert!(FsName::parse("a;rm").is_err());
        assert_eq!(target_name(TargetKind::Ost, "fs1", 10), "fs1-OST000a");
        assert_eq!(target_name(TargetKind::Mgt, "fs1", 0), "MGS");
    }

    #[test]
    fn states_read_back_what_they_print() {
        for s in [
            "unformatted",
            "formatted",
            "registered",
            "unmounted",
            "mounted",
            "removed",
        ] {
            assert_eq!(s.parse::<TargetState>().map(TargetState::as_str), Ok(s));
        }
        assert!("up".parse::<LnetState>().is_err());
    }
}
