//! The persistent parameters (`lctl conf_param`) Chroma knows, and the
//! checks a stored parameter passes before anything runs: the MGS records
//! whatever it is given (`sys.timeout=abc` becomes a 1 s timeout), and the
//! targets and clients only complain later, in their logs, at every mount.
//!
//! Keys are the `conf_param` arguments without the file system name:
//! `sys.timeout` and `llite.max_cached_mb` apply to the whole file system,
//! `fs1-MDT0000.lov.stripesize` and `fs1-OST0000.osc.max_dirty_mb` to one
//! target. Where each class may go follows `mgs_write_log_param` (Lustre
//! 2.15): `sys.` and `llite.` are file-system-wide; `osc.` needs an OST and
//! `mdc.` an MDT (the MGS names the client device after the target, and
//! refuses them without one); `lov.` needs an MDT (without one the MGS
//! ignores it); `ost.` needs an OST; `mdt.` is one MDT, or every MDT when
//! given file-system-wide. Ranges and defaults come from the Lustre
//! Operations Manual and each parameter's store function.

use serde::Serialize;

use crate::domain::TargetKind;
use Scope::{Filesystem, Mdt, MdtOrAllMdts, Ost};
use Side::{Client, Server};

/// `osp.FS-OSTxxxx-osc-MDTxxxx.max_create_count` of an OST the MDTs create
/// objects on freely: Lustre 2.15's `OST_MAX_PRECREATE` (20000, in
/// `lustre/include/uapi/linux/lustre/lustre_idl.h`), which
/// `osp_init_precreate` in `lustre/osp/osp_precreate.c` sets on every new
/// OSP device. Undraining an OST sets it back; draining sets 0.
pub const DEFAULT_MAX_CREATE_COUNT: u32 = 20_000;

/// Where a parameter may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole file system only: `sys.timeout`.
    Filesystem,
    /// One MDT only: `fs1-MDT0000.lov.stripesize`.
    Mdt,
    /// One OST only: `fs1-OST0000.osc.max_dirty_mb`.
    Ost,
    /// One MDT, or every MDT when given file-system-wide: `mdt.identity_upcall`.
    MdtOrAllMdts,
}

/// Who sees the live value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Servers hold it: [`get_param_path`] says where `lctl get_param` shows it.
    Server,
    /// Only clients hold it; servers cannot read it.
    Client,
}

/// The unit a size is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SizeUnit {
    Bytes,
    Mib,
}

/// Free text with a shape Lustre checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// `NONE` (any case, stored as `NONE`) or an absolute path.
    UpcallPath,
    /// `disable`, `procname_uid`, `nodelocal`, `session` or the name of
    /// the environment variable holding the job id.
    JobidVar,
}

/// What values a parameter takes. Only plain forms every Lustre release
/// reads the same are accepted: decimal integers (no `0x`, which the MGS
/// would read as hex for `sys.` but a store function as garbage), booleans
/// as `0` or `1` (not `yes`/`on`, which some releases refuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ValueKind {
    /// A decimal integer; stored without leading zeros.
    Integer { min: i64, max: i64 },
    /// `0` or `1`.
    Bool,
    /// A whole number of `unit`s, or a number with a binary suffix `K`, `M`,
    /// `G` or `T` (either case); stored as the plain number of `unit`s,
    /// which every release reads. Bounds are in `unit`s.
    Size {
        unit: SizeUnit,
        min: u64,
        max: u64,
        multiple_of: u64,
    },
    /// One of `values`, exactly.
    Enum { values: &'static [&'static str] },
    /// Printable text without spaces.
    Text { max_len: usize, format: TextFormat },
}

/// A parameter Chroma knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamSpec {
    /// Class and name, as in a key without its target: `sys.timeout`.
    pub name: &'static str,
    pub kind: ValueKind,
    pub unit: Option<&'static str>,
    /// Lustre's own value when unset, when it is fixed.
    pub default: Option<&'static str>,
    pub applies_to: Scope,
    pub side: Side,
    pub description: &'static str,
}

/// The MDT or OST a key names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamTarget {
    /// `fs1-OST000a`.
    pub name: String,
    pub kind: TargetKind,
    pub index: u16,
}

/// A known key, split into its target and parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// `None` for a file-system-wide key.
    pub target: Option<ParamTarget>,
    pub spec: &'static ParamSpec,
}

/// A key and value fit to store and pass to `lctl conf_param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub key: String,
    /// The value as it should be stored (`1G` → `1024` for a MiB size).
    pub value: String,
    pub target: Option<ParamTarget>,
    /// `None` for an unknown parameter passed with `force`.
    pub spec: Option<&'static ParamSpec>,
}

/// Why a parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("{key:?} is not a parameter key: {reason}")]
    BadKey { key: String, reason: String },
    #[error("{key} names {target:?}, not an MDT or OST name like {fsname}-OST000a (4 lowercase hex digits)")]
    BadTarget {
        key: String,
        target: String,
        fsname: String,
    },
    #[error("{key} names {target}, which is not a target of file system {fsname}")]
    ForeignTarget {
        key: String,
        target: String,
        fsname: String,
    },
    #[error("{key}: {reason}")]
    WrongTarget { key: String, reason: String },
    #[error("{key} is not a parameter Chroma knows; set force to store it unchecked")]
    Unknown { key: String },
    #[error("{key} must be {expected}: got {value:?}")]
    BadValue {
        key: String,
        value: String,
        expected: String,
    },
}

impl ParamError {
    /// A stable snake_case code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            ParamError::BadKey { .. } => "invalid_param_key",
            ParamError::BadTarget { .. } => "invalid_target_name",
            ParamError::ForeignTarget { .. } => "foreign_target",
            ParamError::WrongTarget { .. } => "wrong_target",
            ParamError::Unknown { .. } => "unknown_param",
            ParamError::BadValue { .. } => "invalid_param_value",
        }
    }
}

const U32_MAX: i64 = u32::MAX as i64;
const I32_MAX: i64 = i32::MAX as i64;
/// Sizes bounded only by the node's RAM: 1 PiB, in MiB.
const RAM_MIB: u64 = 1 << 30;
/// `LOV_MAX_STRIPE_COUNT`.
const MAX_STRIPES: i64 = 2000;
/// `LOV_MIN_STRIPE_SIZE`.
const STRIPE_UNIT: u64 = 64 << 10;

const fn int(min: i64, max: i64) -> ValueKind {
    ValueKind::Integer { min, max }
}

const fn mib(min: u64, max: u64) -> ValueKind {
    ValueKind::Size {
        unit: SizeUnit::Mib,
        min,
        max,
        multiple_of: 1,
    }
}

static PARAMS: [ParamSpec; 28] = [
    ParamSpec {
        name: "sys.timeout",
        kind: int(1, U32_MAX),
        unit: Some("seconds"),
        default: Some("100"),
        applies_to: Filesystem,
        side: Server,
        description: "How long a client waits for a server to complete an RPC when adaptive timeouts are off; \
                      servers wait half of it for clients.",
    },
    ParamSpec {
        name: "sys.ldlm_timeout",
        kind: int(1, U32_MAX),
        unit: Some("seconds"),
        default: Some("20"),
        applies_to: Filesystem,
        side: Server,
        description: "How long a server waits for a client to answer a lock cancellation request (20 on OSTs, \
                      6 on MDTs by default); cut to a third of sys.timeout when not below it.",
    },
    ParamSpec {
        name: "sys.at_min",
        kind: int(0, 3600),
        unit: Some("seconds"),
        default: Some("0"),
        applies_to: Filesystem,
        side: Server,
        description: "Lower limit of the adaptive timeout estimate (0 up to Lustre 2.15, 5 in later releases); \
                      at most sys.at_max.",
    },
    ParamSpec {
        name: "sys.at_max",
        kind: int(0, 3600),
        unit: Some("seconds"),
        default: Some("600"),
        applies_to: Filesystem,
        side: Server,
        description: "Upper limit of the adaptive timeout estimate; 0 turns adaptive timeouts off in favour of \
                      sys.timeout.",
    },
    ParamSpec {
        name: "sys.at_history",
        kind: int(4, 3600),
        unit: Some("seconds"),
        default: Some("600"),
        applies_to: Filesystem,
        side: Server,
        description: "How far back adaptive timeouts remember the slowest RPC of each service.",
    },
    ParamSpec {
        name: "sys.at_early_margin",
        kind: int(1, 3600),
        unit: Some("seconds"),
        default: Some("5"),
        applies_to: Filesystem,
        side: Server,
        description: "How long before a queued request's deadline a server sends an early reply asking for \
                      more time.",
    },
    ParamSpec {
        name: "sys.at_extra",
        kind: int(5, 3600),
        unit: Some("seconds"),
        default: Some("30"),
        applies_to: Filesystem,
        side: Server,
        description: "How much more time each early reply asks for; at most sys.at_max.",
    },
    ParamSpec {
        name: "sys.jobid_var",
        kind: ValueKind::Text {
            max_len: 20,
            format: TextFormat::JobidVar,
        },
        unit: None,
        default: Some("disable"),
        applies_to: Filesystem,
        side: Server,
        description: "Where clients take the job id of job statistics from: disable, procname_uid, nodelocal \
                      (the node's jobid_name), session (Lustre 2.13 and later) or an environment variable such \
                      as SLURM_JOB_ID.",
    },
    ParamSpec {
        name: "llite.max_cached_mb",
        kind: mib(16, RAM_MIB),
        unit: Some("MiB"),
        default: None,
        applies_to: Filesystem,
        side: Client,
        description: "Most data a client caches (default half of its RAM); at most its RAM.",
    },
    ParamSpec {
        name: "llite.max_read_ahead_mb",
        kind: mib(0, RAM_MIB),
        unit: Some("MiB"),
        default: None,
        applies_to: Filesystem,
        side: Client,
        description: "Most data a client reads ahead over all files; 0 turns read-ahead off; at most half of \
                      its RAM (the default depends on the release and the RAM).",
    },
    ParamSpec {
        name: "llite.max_read_ahead_per_file_mb",
        kind: mib(0, RAM_MIB),
        unit: Some("MiB"),
        default: None,
        applies_to: Filesystem,
        side: Client,
        description: "Most data a client reads ahead for one file; at most llite.max_read_ahead_mb.",
    },
    ParamSpec {
        name: "llite.max_read_ahead_whole_mb",
        kind: mib(0, RAM_MIB),
        unit: Some("MiB"),
        default: None,
        applies_to: Filesystem,
        side: Client,
        description: "Files up to this size are read whole on their second read (default 2 MiB or one RPC, \
                      whichever is larger); at most llite.max_read_ahead_per_file_mb.",
    },
    ParamSpec {
        name: "llite.statahead_max",
        kind: int(0, 8192),
        unit: Some("files"),
        default: Some("32"),
        applies_to: Filesystem,
        side: Client,
        description: "Most file attributes the statahead thread prefetches while a directory is listed; 0 \
                      turns statahead off.",
    },
    ParamSpec {
        name: "llite.checksum_pages",
        kind: ValueKind::Bool,
        unit: None,
        default: Some("1"),
        applies_to: Filesystem,
        side: Client,
        description: "Whether clients checksum bulk data sent to and read from OSTs (checksums in newer \
                      releases, which keep checksum_pages as its alias).",
    },
    ParamSpec {
        name: "osc.max_dirty_mb",
        kind: mib(1, 2047),
        unit: Some("MiB"),
        default: None,
        applies_to: Ost,
        side: Client,
        description: "Most dirty data a client holds for this OST before writes wait; below 2048 MiB and at \
                      most a quarter of the client's RAM.",
    },
    ParamSpec {
        name: "osc.max_rpcs_in_flight",
        kind: int(1, 256),
        unit: Some("RPCs"),
        default: Some("8"),
        applies_to: Ost,
        side: Client,
        description: "Most RPCs a client has in flight to this OST at once.",
    },
    ParamSpec {
        name: "osc.max_pages_per_rpc",
        kind: int(1, 4096),
        unit: Some("pages"),
        default: None,
        applies_to: Ost,
        side: Client,
        description: "Most pages in one bulk RPC to this OST (4096 pages of 4 KiB is 16 MiB; the default is \
                      4 MiB); at most the OST's brw_size.",
    },
    ParamSpec {
        name: "osc.checksums",
        kind: ValueKind::Bool,
        unit: None,
        default: Some("1"),
        applies_to: Ost,
        side: Client,
        description: "Whether clients checksum bulk data exchanged with this OST.",
    },
    ParamSpec {
        name: "osc.active",
        kind: ValueKind::Bool,
        unit: None,
        default: Some("1"),
        applies_to: Ost,
        side: Client,
        description: "0 takes this OST out of service for clients and MDTs (no new objects, I/O to it fails); \
                      1 returns it.",
    },
    ParamSpec {
        name: "mdc.max_rpcs_in_flight",
        kind: int(2, 512),
        unit: Some("RPCs"),
        default: Some("8"),
        applies_to: Mdt,
        side: Client,
        description: "Most metadata RPCs a client has in flight to this MDT at once; above the client's \
                      max_mod_rpcs_in_flight.",
    },
    ParamSpec {
        name: "lov.stripesize",
        kind: ValueKind::Size {
            unit: SizeUnit::Bytes,
            min: STRIPE_UNIT,
            max: (4 << 30) - STRIPE_UNIT,
            multiple_of: STRIPE_UNIT,
        },
        unit: Some("bytes"),
        default: Some("1048576"),
        applies_to: Mdt,
        side: Server,
        description: "Default stripe size of new files; a multiple of 64 KiB below 4 GiB.",
    },
    ParamSpec {
        name: "lov.stripecount",
        kind: int(-1, MAX_STRIPES),
        unit: Some("OSTs"),
        default: Some("1"),
        applies_to: Mdt,
        side: Server,
        description: "Default number of OSTs a new file is striped over; -1 for all of them.",
    },
    ParamSpec {
        name: "lov.stripeoffset",
        kind: int(-1, MAX_STRIPES),
        unit: None,
        default: Some("-1"),
        applies_to: Mdt,
        side: Server,
        description: "Index of the OST new files start on; -1 lets the MDS balance them (anything else can \
                      badly unbalance the OSTs).",
    },
    ParamSpec {
        name: "mdt.identity_upcall",
        kind: ValueKind::Text {
            max_len: 1023,
            format: TextFormat::UpcallPath,
        },
        unit: None,
        default: Some("/usr/sbin/l_getidentity"),
        applies_to: MdtOrAllMdts,
        side: Server,
        description: "Program the MDS runs to look up a user's supplementary groups, or NONE to use only \
                      those the client sends.",
    },
    ParamSpec {
        name: "mdt.identity_expire",
        kind: int(0, I32_MAX),
        unit: Some("seconds"),
        default: Some("1200"),
        applies_to: MdtOrAllMdts,
        side: Server,
        description: "How long the MDS caches a user's identity.",
    },
    ParamSpec {
        name: "mdt.identity_acquire_expire",
        kind: int(0, I32_MAX),
        unit: Some("seconds"),
        default: Some("30"),
        applies_to: MdtOrAllMdts,
        side: Server,
        description: "How long the MDS waits for the identity upcall before going on without it.",
    },
    ParamSpec {
        name: "mdt.hsm_control",
        kind: ValueKind::Enum {
            values: &["enabled", "disabled", "shutdown"],
        },
        unit: None,
        default: Some("disabled"),
        applies_to: MdtOrAllMdts,
        side: Server,
        description: "State of the MDT's HSM coordinator (get_param shows stopped after shutdown); purge, a \
                      one-off action, is refused since the MDT would repeat it at every mount.",
    },
    ParamSpec {
        name: "ost.sync_journal",
        kind: ValueKind::Bool,
        unit: None,
        default: Some("0"),
        applies_to: Ost,
        side: Server,
        description: "1 commits the journal at every bulk write; 0 commits asynchronously, clients keeping \
                      the data to replay it if the OSS fails.",
    },
];

/// Every parameter Chroma knows, for listing.
pub fn known() -> &'static [ParamSpec] {
    &PARAMS
}

fn find(name: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.name == name)
}

/// Where `mgs_write_log_param` lets a class of parameters go, for the
/// classes in the table.
fn class_scope(class: &str) -> Option<Scope> {
    match class {
        "sys" | "llite" => Some(Filesystem),
        "osc" | "ost" => Some(Ost),
        "mdc" | "lov" => Some(Mdt),
        "mdt" => Some(MdtOrAllMdts),
        _ => None,
    }
}

/// A key split into its optional target and the rest (`class.name…`).
struct Parsed<'k> {
    target: Option<ParamTarget>,
    name: &'k str,
    class: &'k str,
}

fn bad_key(key: &str, reason: impl Into<String>) -> ParamError {
    ParamError::BadKey {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn parse_key<'k>(fsname: &str, key: &'k str) -> Result<Parsed<'k>, ParamError> {
    if key.is_empty() || key.len() > 256 {
        return Err(bad_key(key, "it must be 1 to 256 characters"));
    }
    if key.contains('=') {
        return Err(bad_key(key, "'=' belongs between key and value; give the value apart"));
    }
    let segment = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !key.split('.').all(segment) {
        return Err(bad_key(
            key,
            "it must be names of letters, digits, '_' or '-' joined by '.'",
        ));
    }
    let (first, rest) = key.split_once('.').unwrap_or((key, ""));
    if first == fsname && class_scope(first).is_none() {
        return Err(bad_key(key, format!("keys leave out the file system name ({rest})")));
    }
    let (target, name) = if first.contains('-') {
        (Some(parse_target(fsname, key, first)?), rest)
    } else {
        (None, key)
    };
    match name.split_once('.') {
        Some((class, _)) => Ok(Parsed { target, name, class }),
        None => Err(bad_key(key, "it needs a class and a name, like llite.max_cached_mb")),
    }
}

fn parse_target(fsname: &str, key: &str, name: &str) -> Result<ParamTarget, ParamError> {
    let (fs, service) = name.split_once('-').unwrap_or((name, ""));
    if fs != fsname {
        return Err(ParamError::ForeignTarget {
            key: key.to_owned(),
            target: name.to_owned(),
            fsname: fsname.to_owned(),
        });
    }
    let kind = match service.get(..3) {
        Some("MDT") => Some(TargetKind::Mdt),
        Some("OST") => Some(TargetKind::Ost),
        _ => None,
    };
    let hex = service
        .get(3..)
        .filter(|h| h.len() == 4 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    match (kind, hex.and_then(|h| u16::from_str_radix(h, 16).ok())) {
        (Some(kind), Some(index)) => Ok(ParamTarget {
            name: name.to_owned(),
            kind,
            index,
        }),
        _ => Err(ParamError::BadTarget {
            key: key.to_owned(),
            target: name.to_owned(),
            fsname: fsname.to_owned(),
        }),
    }
}

/// Refuses a key whose target (or lack of one) does not fit `scope`.
fn check_scope(
    fsname: &str,
    key: &str,
    name: &str,
    scope: Scope,
    target: Option<&ParamTarget>,
) -> Result<(), ParamError> {
    let reason = match (scope, target) {
        (Filesystem, Some(t)) => format!(
            "{name} applies to the whole file system, not to {}: give it as {name}",
            t.name
        ),
        (Mdt, None) => format!("{name} is set on one MDT: give it as {fsname}-MDT0000.{name}"),
        (Ost, None) => format!("{name} is set on one OST: give it as {fsname}-OST0000.{name}"),
        (Mdt | MdtOrAllMdts, Some(t)) if t.kind != TargetKind::Mdt => {
            format!("{name} applies to MDTs, not to {}", t.name)
        }
        (Ost, Some(t)) if t.kind != TargetKind::Ost => format!("{name} applies to OSTs, not to {}", t.name),
        _ => return Ok(()),
    };
    Err(ParamError::WrongTarget {
        key: key.to_owned(),
        reason,
    })
}

/// Splits a stored key into its target and the known parameter it sets,
/// refusing unknown parameters, targets of other file systems, malformed
/// target names and targets of the wrong kind. `fsname` is a valid
/// file-system name (`FsName`).
pub fn lookup(fsname: &str, key: &str) -> Result<Lookup, ParamError> {
    let parsed = parse_key(fsname, key)?;
    let spec = find(parsed.name).ok_or_else(|| ParamError::Unknown { key: key.to_owned() })?;
    check_scope(fsname, key, spec.name, spec.applies_to, parsed.target.as_ref())?;
    Ok(Lookup {
        target: parsed.target,
        spec,
    })
}

/// Checks a parameter before it is stored and applied, and gives back its
/// value as it should be stored. Unknown parameters are refused unless
/// `force`; then the key must still be well formed (its target valid and,
/// for a class in the table, of the kind that class needs) and the value 1
/// to 256 printable ASCII characters without spaces. Known parameters are
/// checked against their kind whatever `force` says.
pub fn validate(fsname: &str, key: &str, value: &str, force: bool) -> Result<Validated, ParamError> {
    let parsed = parse_key(fsname, key)?;
    let (value, spec) = match find(parsed.name) {
        Some(spec) => {
            check_scope(fsname, key, spec.name, spec.applies_to, parsed.target.as_ref())?;
            (check_value(key, spec, value)?, Some(spec))
        }
        None if force => {
            if let Some(scope) = class_scope(parsed.class) {
                check_scope(fsname, key, parsed.name, scope, parsed.target.as_ref())?;
            }
            if value.is_empty() || value.len() > 256 || !value.bytes().all(printable) {
                return Err(bad_value(
                    key,
                    value,
                    "1 to 256 printable ASCII characters without spaces".into(),
                ));
            }
            (value.to_owned(), None)
        }
        None => return Err(ParamError::Unknown { key: key.to_owned() }),
    };
    Ok(Validated {
        key: key.to_owned(),
        value,
        target: parsed.target,
        spec,
    })
}

/// Where `lctl get_param` shows a server-side parameter's live value on the
/// servers that hold it: `sys.timeout` → `timeout`,
/// `fs1-MDT0000.mdt.identity_upcall` → `mdt.fs1-MDT0000.identity_upcall`
/// (`mdt.fs1-MDT*.…` when set on every MDT), `fs1-OST0000.ost.X` →
/// `obdfilter.fs1-OST0000.X`, `fs1-MDT0000.lov.X` → the MDT's LOD,
/// `lod.fs1-MDT0000-mdtlov.X`. `None` for client-side and unknown ones.
pub fn get_param_path(fsname: &str, key: &str) -> Option<String> {
    let Lookup { target, spec } = lookup(fsname, key).ok()?;
    if spec.side != Server {
        return None;
    }
    let (class, name) = spec.name.split_once('.')?;
    match (class, target) {
        ("sys", None) => Some(name.to_owned()),
        ("mdt", None) => Some(format!("mdt.{fsname}-MDT*.{name}")),
        ("mdt", Some(t)) => Some(format!("mdt.{}.{name}", t.name)),
        ("ost", Some(t)) => Some(format!("obdfilter.{}.{name}", t.name)),
        ("lov", Some(t)) => Some(format!("lod.{}-mdtlov.{name}", t.name)),
        _ => None,
    }
}

fn printable(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn bad_value(key: &str, value: &str, expected: String) -> ParamError {
    ParamError::BadValue {
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

/// The value as it should be stored, or what was expected.
fn check_value(key: &str, spec: &ParamSpec, raw: &str) -> Result<String, ParamError> {
    let checked = match spec.kind {
        ValueKind::Integer { min, max } => parse_integer(raw)
            .filter(|n| (i128::from(min)..=i128::from(max)).contains(n))
            .map(|n| n.to_string()),
        ValueKind::Bool => matches!(raw, "0" | "1").then(|| raw.to_owned()),
        ValueKind::Size {
            unit,
            min,
            max,
            multiple_of,
        } => parse_size(raw, unit)
            .filter(|n| (u128::from(min)..=u128::from(max)).contains(n) && n % u128::from(multiple_of) == 0)
            .map(|n| n.to_string()),
        ValueKind::Enum { values } => values.contains(&raw).then(|| raw.to_owned()),
        ValueKind::Text { max_len, format } => check_text(raw, max_len, format),
    };
    checked.ok_or_else(|| bad_value(key, raw, expected(spec)))
}

fn parse_integer(raw: &str) -> Option<i128> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// The number of `unit`s `raw` is, when whole.
fn parse_size(raw: &str, unit: SizeUnit) -> Option<u128> {
    let unit_shift = match unit {
        SizeUnit::Bytes => 0,
        SizeUnit::Mib => 20,
    };
    let (digits, shift) = match raw.as_bytes().last().map(u8::to_ascii_uppercase) {
        Some(b'K') => (&raw[..raw.len() - 1], 10),
        Some(b'M') => (&raw[..raw.len() - 1], 20),
        Some(b'G') => (&raw[..raw.len() - 1], 30),
        Some(b'T') => (&raw[..raw.len() - 1], 40),
        _ => (raw, unit_shift),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = digits.parse::<u128>().ok()? << shift;
    let unit_bytes = 1u128 << unit_shift;
    (bytes % unit_bytes == 0).then_some(bytes / unit_bytes)
}

fn check_text(raw: &str, max_len: usize, format: TextFormat) -> Option<String> {
    if raw.is_empty() || raw.len() > max_len || !raw.bytes().all(printable) {
        return None;
    }
    match format {
        TextFormat::UpcallPath if raw.eq_ignore_ascii_case("none") => Some("NONE".to_owned()),
        TextFormat::UpcallPath => raw.starts_with('/').then(|| raw.to_owned()),
        TextFormat::JobidVar => {
            let mut bytes = raw.bytes();
            let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
            (first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')).then(|| raw.to_owned())
        }
    }
}

/// What a parameter takes, for error messages.
fn expected(spec: &ParamSpec) -> String {
    let unit = spec.unit.unwrap_or_default();
    match spec.kind {
        ValueKind::Integer { min, max } if unit.is_empty() => format!("an integer from {min} to {max}"),
        ValueKind::Integer { min, max } => format!("an integer from {min} to {max} ({unit})"),
        ValueKind::Bool => "0 or 1".to_owned(),
        ValueKind::Size {
            min, max, multiple_of, ..
        } => {
            let multiple = if multiple_of > 1 {
                format!(", a multiple of {multiple_of}")
            } else {
                String::new()
            };
            format!(
                "a size from {min} to {max} {unit}{multiple} (a whole number of {unit}, or with a K, M, G or T suffix)"
            )
        }
        ValueKind::Enum { values } => format!("one of {}", values.join(", ")),
        ValueKind::Text {
            max_len,
            format: TextFormat::UpcallPath,
        } => {
            format!("NONE or an absolute path of at most {max_len} characters without spaces")
        }
        ValueKind::Text {
            max_len,
            format: TextFormat::JobidVar,
        } => format!(
            "disable, procname_uid, nodelocal, session or an environment variable name, at most {max_len} characters"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(key: &str, value: &str) -> String {
        match validate("fs1", key, value, false) {
            Ok(v) => v.value,
            Err(e) => panic!("{key}={value} refused: {e}"),
        }
    }

    fn err(key: &str, value: &str) -> ParamError {
        match validate("fs1", key, value, false) {
            Ok(v) => panic!("{key}={value} accepted as {:?}", v.value),
            Err(e) => e,
        }
    }

    /// A key that puts `spec` where it may go.
    fn key_for(spec: &ParamSpec) -> String {
        match spec.applies_to {
            Filesystem | MdtOrAllMdts => spec.name.to_owned(),
            Mdt => format!("fs1-MDT0000.{}", spec.name),
            Ost => format!("fs1-OST0000.{}", spec.name),
        }
    }

    #[test]
    fn the_table_is_consistent() {
        assert_eq!(known().len(), 28);
        for (i, spec) in known().iter().enumerate() {
            assert!(known()[..i].iter().all(|p| p.name != spec.name), "{} twice", spec.name);
            let (class, name) = spec.name.split_once('.').unwrap_or_default();
            assert!(!name.is_empty() && !name.contains('.'), "{}", spec.name);
            assert_eq!(class_scope(class), Some(spec.applies_to), "{}", spec.name);
            assert!(!spec.description.is_empty());
            match spec.kind {
                ValueKind::Integer { min, max } => assert!(min <= max),
                ValueKind::Size {
                    min, max, multiple_of, ..
                } => {
                    assert!(min <= max && multiple_of > 0 && min % multiple_of == 0 && max % multiple_of == 0)
                }
                _ => {}
            }
            let key = key_for(spec);
            if let Some(default) = spec.default {
                assert_eq!(ok(&key, default), default, "default of {}", spec.name);
            }
            assert_eq!(lookup("fs1", &key).map(|l| l.spec.name), Ok(spec.name));
            assert_eq!(
                get_param_path("fs1", &key).is_some(),
                spec.side == Server,
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn accepts_and_normalises_good_values() {
        assert_eq!(ok("sys.timeout", "40"), "40");
        assert_eq!(ok("sys.timeout", "040"), "40", "the MGS would read 040 as octal");
        assert_eq!(ok("sys.timeout", "4294967295"), "4294967295");
        assert_eq!(ok("sys.at_max", "0"), "0");
        assert_eq!(ok("sys.jobid_var", "procname_uid"), "procname_uid");
        assert_eq!(ok("sys.jobid_var", "SLURM_JOB_ID"), "SLURM_JOB_ID");
        assert_eq!(ok("llite.max_cached_mb", "512"), "512");
        assert_eq!(ok("llite.max_cached_mb", "1G"), "1024");
        assert_eq!(ok("llite.max_read_ahead_mb", "2048k"), "2");
        assert_eq!(ok("llite.max_read_ahead_mb", "0"), "0");
        assert_eq!(ok("llite.statahead_max", "8192"), "8192");
        assert_eq!(ok("fs1-OST0000.osc.max_dirty_mb", "64"), "64");
        assert_eq!(ok("fs1-OST0000.osc.max_dirty_mb", "1G"), "1024");
        assert_eq!(ok("fs1-OST000a.osc.checksums", "0"), "0");
        assert_eq!(ok("fs1-OST0000.osc.max_pages_per_rpc", "1024"), "1024");
        assert_eq!(ok("fs1-MDT0001.mdc.max_rpcs_in_flight", "16"), "16");
        assert_eq!(ok("fs1-MDT0000.lov.stripesize", "4M"), "4194304");
        assert_eq!(ok("fs1-MDT0000.lov.stripesize", "65536"), "65536");
        assert_eq!(ok("fs1-MDT0000.lov.stripecount", "-1"), "-1");
        assert_eq!(ok("fs1-MDT0000.mdt.identity_upcall", "NONE"), "NONE");
        assert_eq!(ok("mdt.identity_upcall", "none"), "NONE");
        assert_eq!(ok("mdt.identity_upcall", "/opt/bin/getid"), "/opt/bin/getid");
        assert_eq!(ok("fs1-MDT0000.mdt.hsm_control", "enabled"), "enabled");
        assert_eq!(ok("fs1-OST0002.ost.sync_journal", "1"), "1");
    }

    #[test]
    fn refuses_values_out_of_range() {
        for (key, value) in [
            ("sys.timeout", "0"),
            ("sys.timeout", "4294967296"),
            ("sys.timeout", "99999999999999999999999"),
            ("sys.at_max", "3601"),
            ("sys.at_history", "3"),
            ("llite.statahead_max", "8193"),
            ("llite.max_cached_mb", "8"),
            ("fs1-OST0000.osc.max_dirty_mb", "2048"),
            ("fs1-OST0000.osc.max_dirty_mb", "0"),
            ("fs1-OST0000.osc.max_rpcs_in_flight", "257"),
            ("fs1-MDT0000.mdc.max_rpcs_in_flight", "1"),
            ("fs1-MDT0000.lov.stripesize", "0"),
            ("fs1-MDT0000.lov.stripesize", "100000"),
            ("fs1-MDT0000.lov.stripesize", "4G"),
            ("fs1-MDT0000.lov.stripecount", "-2"),
            ("mdt.identity_expire", "-1"),
        ] {
            assert_eq!(err(key, value).code(), "invalid_param_value", "{key}={value}");
        }
    }

    #[test]
    fn refuses_values_of_the_wrong_kind() {
        for (key, value) in [
            ("sys.timeout", "abc"),
            ("sys.timeout", ""),
            ("sys.timeout", "4.5"),
            ("sys.timeout", "+5"),
            ("sys.timeout", "0x28"),
            ("sys.timeout", " 40"),
            ("sys.jobid_var", "1abc"),
            ("sys.jobid_var", "A_VERY_LONG_VARIABLE_NAME"),
            ("sys.jobid_var", "JOB-ID"),
            ("llite.max_cached_mb", "512K"),
            ("llite.max_cached_mb", "1.5G"),
            ("llite.max_cached_mb", "G"),
            ("llite.max_cached_mb", "1P"),
            ("llite.checksum_pages", "yes"),
            ("fs1-OST0000.osc.checksums", "true"),
            ("fs1-OST0000.osc.active", "2"),
            ("fs1-MDT0000.mdt.identity_upcall", "l_getidentity"),
            ("fs1-MDT0000.mdt.identity_upcall", "/usr/sbin/l_getidentity -v"),
            ("fs1-MDT0000.mdt.hsm_control", "purge"),
            ("fs1-MDT0000.mdt.hsm_control", "Enabled"),
        ] {
            assert_eq!(err(key, value).code(), "invalid_param_value", "{key}={value}");
        }
    }

    #[test]
    fn errors_name_the_key_the_value_and_what_was_expected() {
        assert_eq!(
            err("sys.timeout", "abc").to_string(),
            "sys.timeout must be an integer from 1 to 4294967295 (seconds): got \"abc\""
        );
        assert_eq!(
            err("llite.checksum_pages", "yes").to_string(),
            "llite.checksum_pages must be 0 or 1: got \"yes\""
        );
        assert_eq!(
            err("fs1-OST0000.osc.max_dirty_mb", "4096").to_string(),
            "fs1-OST0000.osc.max_dirty_mb must be a size from 1 to 2047 MiB (a whole number of MiB, or with a K, M, \
             G or T suffix): got \"4096\""
        );
        assert_eq!(
            err("fs1-MDT0000.mdt.hsm_control", "purge").to_string(),
            "fs1-MDT0000.mdt.hsm_control must be one of enabled, disabled, shutdown: got \"purge\""
        );
        assert_eq!(
            err("fs1-OST0000.mdt.identity_upcall", "NONE").to_string(),
            "fs1-OST0000.mdt.identity_upcall: mdt.identity_upcall applies to MDTs, not to fs1-OST0000"
        );
    }

    #[test]
    fn refuses_targets_of_the_wrong_kind_or_none() {
        for key in [
            "fs1-OST0000.mdt.identity_upcall",
            "fs1-MDT0000.osc.max_dirty_mb",
            "fs1-OST0000.mdc.max_rpcs_in_flight",
            "fs1-OST0000.lov.stripesize",
            "fs1-MDT0000.ost.sync_journal",
            "fs1-MDT0000.sys.timeout",
            "fs1-OST0000.llite.max_cached_mb",
            "osc.max_dirty_mb",
            "mdc.max_rpcs_in_flight",
            "lov.stripesize",
            "ost.sync_journal",
        ] {
            assert_eq!(
                lookup("fs1", key).map_err(|e| e.code()).err(),
                Some("wrong_target"),
                "{key}"
            );
        }
        assert_eq!(
            err("osc.max_dirty_mb", "64").to_string(),
            "osc.max_dirty_mb: osc.max_dirty_mb is set on one OST: give it as fs1-OST0000.osc.max_dirty_mb"
        );
        assert_eq!(
            err("fs1-MDT0000.sys.timeout", "40").to_string(),
            "fs1-MDT0000.sys.timeout: sys.timeout applies to the whole file system, not to fs1-MDT0000: give it as \
             sys.timeout"
        );
    }

    #[test]
    fn refuses_foreign_and_malformed_targets() {
        assert_eq!(
            lookup("fs1", "fs2-OST0000.osc.max_dirty_mb"),
            Err(ParamError::ForeignTarget {
                key: "fs2-OST0000.osc.max_dirty_mb".into(),
                target: "fs2-OST0000".into(),
                fsname: "fs1".into()
            })
        );
        assert_eq!(
            lookup("fs", "fs1-OST0000.osc.max_dirty_mb").map_err(|e| e.code()).err(),
            Some("foreign_target")
        );
        for target in [
            "fs1-OST000A",
            "fs1-OST00000",
            "fs1-OST000",
            "fs1-OSTzzzz",
            "fs1-MGS",
            "fs1-OST0000-osc",
            "fs1-",
        ] {
            let key = format!("{target}.osc.max_dirty_mb");
            assert_eq!(
                lookup("fs1", &key).map_err(|e| e.code()).err(),
                Some("invalid_target_name"),
                "{key}"
            );
        }
        let found = lookup("fs1", "fs1-OST000a.osc.max_dirty_mb")
            .ok()
            .and_then(|l| l.target);
        assert_eq!(
            found,
            Some(ParamTarget {
                name: "fs1-OST000a".into(),
                kind: TargetKind::Ost,
                index: 10
            })
        );
    }

    #[test]
    fn refuses_malformed_keys() {
        for key in [
            "",
            "sys",
            "fs1-OST0000.osc",
            "sys.timeout=40",
            "sys..timeout",
            ".sys.timeout",
            "sys.time out",
            "llite.*.max_cached_mb",
            "llite.max_cached_mb\n",
            "fs1",
            "fs1.timeout",
        ] {
            assert_eq!(
                validate("fs1", key, "1", true).map_err(|e| e.code()).err(),
                Some("invalid_param_key"),
                "{key:?}"
            );
        }
        assert_eq!(
            err("fs1.sys.timeout", "40").to_string(),
            "\"fs1.sys.timeout\" is not a parameter key: keys leave out the file system name (sys.timeout)"
        );
    }

    #[test]
    fn unknown_parameters_need_force() {
        assert_eq!(
            err("llite.new_tunable", "7"),
            ParamError::Unknown {
                key: "llite.new_tunable".into()
            }
        );
        assert_eq!(err("sys.jobid_name", "%e.%u").code(), "unknown_param");
        let forced = validate("fs1", "llite.new_tunable", "7", true);
        assert_eq!(
            forced,
            Ok(Validated {
                key: "llite.new_tunable".into(),
                value: "7".into(),
                target: None,
                spec: None
            })
        );
        let on_target = validate("fs1", "fs1-OST0001.ost.brw_size", "16", true)
            .ok()
            .and_then(|v| v.target);
        assert_eq!(on_target.map(|t| t.index), Some(1));
        assert!(
            validate("fs1", "mdd.some_flag", "1", true).is_ok(),
            "classes outside the table are unchecked"
        );
        // Forcing does not skip the checks of a known parameter or of a known class.
        assert_eq!(
            validate("fs1", "sys.timeout", "abc", true).map_err(|e| e.code()).err(),
            Some("invalid_param_value")
        );
        for key in [
            "fs1-MDT0000.osc.new_tunable",
            "osc.new_tunable",
            "fs1-OST0000.llite.new_tunable",
        ] {
            assert_eq!(
                validate("fs1", key, "1", true).map_err(|e| e.code()).err(),
                Some("wrong_target"),
                "{key}"
            );
        }
        assert_eq!(
            validate("fs1", "fs2-OST0000.ost.x", "1", true)
                .map_err(|e| e.code())
                .err(),
            Some("foreign_target")
        );
    }

    #[test]
    fn forced_values_must_be_one_safe_word() {
        let long = "x".repeat(257);
        for value in ["", "a b", "tab\there", "new\nline", "nul\0", "caf\u{e9}", long.as_str()] {
            let refused = validate("fs1", "llite.new_tunable", value, true)
                .map_err(|e| e.code())
                .err();
            assert_eq!(refused, Some("invalid_param_value"), "{value:?}");
        }
        // Passed as one argv element, never through a shell, so these are only text.
        for value in ["a;b", "$(id)", "x=y", &"x".repeat(256)] {
            assert!(validate("fs1", "llite.new_tunable", value, true).is_ok(), "{value:?}");
        }
    }

    #[test]
    fn servers_show_server_side_parameters() {
        let path = |key: &str| get_param_path("fs1", key);
        assert_eq!(path("sys.timeout").as_deref(), Some("timeout"));
        assert_eq!(path("sys.at_max").as_deref(), Some("at_max"));
        assert_eq!(path("sys.ldlm_timeout").as_deref(), Some("ldlm_timeout"));
        assert_eq!(path("sys.jobid_var").as_deref(), Some("jobid_var"));
        assert_eq!(
            path("fs1-MDT0000.mdt.identity_upcall").as_deref(),
            Some("mdt.fs1-MDT0000.identity_upcall")
        );
        assert_eq!(
            path("mdt.identity_upcall").as_deref(),
            Some("mdt.fs1-MDT*.identity_upcall")
        );
        assert_eq!(
            path("fs1-OST0000.ost.sync_journal").as_deref(),
            Some("obdfilter.fs1-OST0000.sync_journal")
        );
        assert_eq!(
            path("fs1-MDT0001.lov.stripesize").as_deref(),
            Some("lod.fs1-MDT0001-mdtlov.stripesize")
        );
        for key in [
            "llite.max_cached_mb",
            "fs1-OST0000.osc.max_dirty_mb",
            "fs1-MDT0000.mdc.max_rpcs_in_flight",
            "llite.new_tunable",
            "fs1-OST0000.mdt.identity_upcall",
            "fs2-MDT0000.mdt.identity_upcall",
        ] {
            assert_eq!(path(key), None, "{key}");
        }
    }

    #[test]
    fn the_table_serialises_for_the_api() {
        let json = serde_json::to_value(known()).unwrap_or_default();
        assert_eq!(
            json[0],
            serde_json::json!({
                "name": "sys.timeout",
                "kind": {"type": "integer", "min": 1, "max": 4294967295u64},
                "unit": "seconds",
                "default": "100",
                "applies_to": "filesystem",
                "side": "server",
                "description": PARAMS[0].description,
            })
        );
        let stripesize = json
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == "lov.stripesize"));
        assert_eq!(
            stripesize.map(|p| p["kind"].clone()),
            Some(serde_json::json!({
                "type": "size", "unit": "bytes", "min": 65536, "max": 4294901760u64, "multiple_of": 65536
            }))
        );
        let hsm = json
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == "mdt.hsm_control"));
        assert_eq!(
            hsm.map(|p| p["applies_to"].clone()),
            Some(serde_json::json!("mdt_or_all_mdts"))
        );
        assert_eq!(
            hsm.map(|p| p["kind"]["values"].clone()),
            Some(serde_json::json!(["enabled", "disabled", "shutdown"]))
        );
    }
}
