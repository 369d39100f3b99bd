//! `ha_node_fenced`: when a member was fenced, from crm_mon's fencing
//! history or a `pacemaker-fenced` journal line. One alert per fence: the
//! alert keeps the completion time of the fence it reports, and a fence is
//! new when it completed later than that.

use chrono::{DateTime, TimeDelta, Utc};
use lustre::Item;
use serde_json::json;

use super::rules::{Kind, Member, Verdict};
use crate::inventory::Cluster;
use crate::parse::Fence;

/// How old a fence may be and still be reported: crm_mon keeps its history
/// until the cluster restarts, and a monitor meeting a cluster for the
/// first time should not report what happened last month.
pub const HORIZON: TimeDelta = TimeDelta::hours(24);

/// Fences of one node completing this close together are one: crm_mon's
/// completion time and the journal line's time of the same fence differ a
/// little, and each member logs the result.
const SAME_FENCE: TimeDelta = TimeDelta::seconds(60);

/// A fencing action that succeeded against a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub at: DateTime<Utc>,
    pub action: String,
    /// The node that carried it out.
    pub by: Option<String>,
    /// `crm_mon` or `journal`.
    pub source: &'static str,
}

/// A `pacemaker-fenced` line reporting a fencing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged<'a> {
    pub target: &'a str,
    pub action: &'a str,
    pub by: &'a str,
    pub ok: bool,
}

/// Reads a remote fencing result as `pacemaker-fenced` logs it, in
/// Pacemaker 2.0's form (` notice: Operation reboot of oss1 by oss2 for
/// pacemaker-controld.1234@oss2: OK (ref=…)`) or 2.1's (`Operation 'reboot'
/// targeting oss1 by oss2 for pacemaker-controld.1234@oss2: OK`). The
/// executing node's own line (`Operation 'reboot' [1234] targeting oss1
/// using fence-oss1 returned 0`) is left to the result line.
pub fn from_journal(message: &str) -> Option<Logged<'_>> {
    const OPERATION: &str = "Operation ";
    let rest = &message[message.find(OPERATION)? + OPERATION.len()..];
    let (action, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("of ").or_else(|| rest.strip_prefix("targeting "))?;
    let (target, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("by ")?;
    let (by, _) = rest.split_once(' ')?;
    let (_, result) = rest.rsplit_once(": ")?;
    Some(Logged {
        target,
        action: action.trim_matches('\''),
        by,
        ok: result.trim_start().starts_with("OK"),
    })
}

/// Whether an action takes a node down (`on` is unfencing).
fn fences(action: &str) -> bool {
    action != "on"
}

/// The newest successful fence of `node` completed since `since`, from
/// crm_mon's history (`crm`) or `pacemaker-fenced` lines (`journal`: time
/// and message).
pub fn newest(node: &str, crm: &[Fence], journal: &[(DateTime<Utc>, String)], since: DateTime<Utc>) -> Option<Seen> {
    let from_crm = crm
        .iter()
        .filter(|f| f.target == node && f.succeeded && fences(&f.action))
        .filter_map(|f| {
            Some(Seen {
                at: f.completed?,
                action: f.action.clone(),
                by: f.delegate.clone(),
                source: "crm_mon",
            })
        });
    let from_journal = journal.iter().filter_map(|(at, message)| {
        let logged = from_journal(message)?;
        (logged.target == node && logged.ok && fences(logged.action)).then(|| Seen {
            at: *at,
            action: logged.action.to_owned(),
            by: Some(logged.by.to_owned()),
            source: "journal",
        })
    });
    from_crm
        .chain(from_journal)
        .filter(|s| s.at >= since)
        .max_by_key(|s| s.at)
}

/// What to do with a member's `ha_node_fenced` alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A fence not reported yet: raise (or, when one is active, update it).
    Raise(Seen),
    /// The node is an online member again.
    Clear,
    Keep,
}

/// Decides from the newest fence seen, the completion time of the last one
/// reported, and whether the node is an online member now (`None`: no
/// member's crm_mon answered). A new fence is reported even when the node
/// is back already, so that it shows for a round at least.
pub fn decide(newest: Option<Seen>, reported: Option<DateTime<Utc>>, online: Option<bool>) -> Decision {
    match newest {
        Some(seen) if reported.is_none_or(|r| seen.at > r + SAME_FENCE) => Decision::Raise(seen),
        _ if online == Some(true) => Decision::Clear,
        _ => Decision::Keep,
    }
}

/// The alert reporting `seen` against `member`.
pub fn verdict(cluster: &Cluster, member: &Member<'_>, node: &str, seen: &Seen) -> Verdict {
    let by = seen.by.as_deref().unwrap_or("another node");
    Verdict {
        kind: Kind::NodeFenced,
        item: Item::Host(member.host.id),
        active: true,
        message: format!(
            "{} was fenced ({}, carried out by {by}) at {}: HA cluster {} lost it and cut it off \
             to run its resources elsewhere; its journal may say why",
            member.host.name,
            seen.action,
            seen.at.format("%Y-%m-%d %H:%M:%S UTC"),
            cluster.name
        ),
        details: json!({
            "host_id": member.host.id,
            "ha_cluster_id": cluster.id,
            "node": node,
            "action": seen.action,
            "by": seen.by,
            "completed": seen.at.to_rfc3339(),
            "source": seen.source,
        }),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic")]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn fence(target: &str, succeeded: bool, completed: &str) -> Fence {
        Fence {
            target: target.into(),
            action: "reboot".into(),
            succeeded,
            delegate: Some("oss2.ha".into()),
            completed: Some(at(completed)),
        }
    }

    #[test]
    fn fenced_lines_of_both_pacemaker_versions_are_read() {
        let old = " notice: Operation reboot of oss1.ha by oss2.ha for pacemaker-controld.1234@oss2.ha: OK (ref=ab12)";
        assert_eq!(
            from_journal(old),
            Some(Logged {
                target: "oss1.ha",
                action: "reboot",
                by: "oss2.ha",
                ok: true
            })
        );
        let new = "Operation 'off' targeting oss1.ha by oss2.ha for pacemaker-controld.1234@oss2.ha: OK | id=0a1b2c3d";
        let logged = from_journal(new).unwrap();
        assert_eq!((logged.action, logged.target, logged.ok), ("off", "oss1.ha", true));
        let failed =
            " error: Operation reboot of oss1.ha by oss2.ha for pacemaker-controld.1@oss2.ha: Error occurred (ref=x)";
        assert!(!from_journal(failed).unwrap().ok);
        assert_eq!(
            from_journal("Operation 'reboot' [4321] targeting oss1.ha using fence-oss1 returned 0"),
            None
        );
        assert_eq!(from_journal(" notice: Node oss1.ha state is now lost"), None);
    }

    #[test]
    fn the_newest_successful_fence_of_the_node_counts() {
        let since = at("2026-12-06T00:00:00Z");
        let crm = [
            fence("oss1.ha", true, "2026-12-06T05:00:00Z"),
            fence("oss1.ha", false, "2026-12-06T07:00:00Z"),
            fence("oss2.ha", true, "2026-12-06T08:00:00Z"),
            fence("oss1.ha", true, "2026-12-05T05:00:00Z"),
        ];
        let seen = newest("oss1.ha", &crm, &[], since).unwrap();
        assert_eq!((seen.at, seen.source), (at("2026-12-06T05:00:00Z"), "crm_mon"));
        let journal = [(
            at("2026-12-06T06:00:00Z"),
            " notice: Operation reboot of oss1.ha by oss2.ha for pacemaker-controld.1@oss2.ha: OK (ref=1)".to_owned(),
        )];
        let seen = newest("oss1.ha", &crm, &journal, since).unwrap();
        assert_eq!((seen.at, seen.source), (at("2026-12-06T06:00:00Z"), "journal"));
        assert_eq!(newest("oss1.ha", &crm[3..], &[], since), None);
        let mut unfence = fence("oss1.ha", true, "2026-12-06T09:00:00Z");
        unfence.action = "on".into();
        assert_eq!(newest("oss1.ha", &[unfence], &[], since), None);
    }

    #[test]
    fn a_fence_is_raised_once_and_cleared_when_the_node_is_back() {
        let seen = Seen {
            at: at("2026-12-06T05:00:00Z"),
            action: "reboot".into(),
            by: Some("oss2.ha".into()),
            source: "crm_mon",
        };
        // New: raised, whether or not the node is back already.
        assert_eq!(
            decide(Some(seen.clone()), None, Some(true)),
            Decision::Raise(seen.clone())
        );
        let older = Some(at("2026-12-06T04:00:00Z"));
        assert_eq!(
            decide(Some(seen.clone()), older, Some(false)),
            Decision::Raise(seen.clone())
        );
        // Reported already (the journal's time of it differs a little).
        let reported = Some(at("2026-12-06T05:00:02Z"));
        assert_eq!(decide(Some(seen.clone()), reported, Some(false)), Decision::Keep);
        assert_eq!(decide(Some(seen.clone()), reported, None), Decision::Keep);
        assert_eq!(decide(Some(seen), reported, Some(true)), Decision::Clear);
        assert_eq!(decide(None, None, Some(true)), Decision::Clear);
    }
}
