//! What each object can be asked to become next, and a file system's
//! state as its targets make it.

use crate::domain::{FilesystemState, HostState, LnetState, TargetState};

/// States a target can be asked for from `state`.
pub fn target_transitions(state: TargetState, managed: bool) -> Vec<&'static str> {
    use TargetState::*;
    if !managed {
        return Vec::new();
    }
    let forward = [Formatted, Registered, Unmounted, Mounted];
    let mut next: Vec<&'static str> = match state {
        Removed => return Vec::new(),
        Mounted => vec![Unmounted.as_str()],
        _ => forward.iter().filter(|s| **s > state).map(|s| s.as_str()).collect(),
    };
    next.push(Removed.as_str());
    next
}

/// States a host can be asked for.
pub fn host_transitions(state: HostState) -> Vec<&'static str> {
    match state {
        HostState::Managed => vec![HostState::Removed.as_str()],
        HostState::Unconfigured | HostState::Removed => Vec::new(),
    }
}

/// States LNet on a host can be asked for: none unless it is managed and
/// can serve Lustre (it passed its pre-flight checks).
pub fn lnet_transitions(host: HostState, lnet: LnetState, serves_lustre: bool) -> Vec<&'static str> {
    if host != HostState::Managed || !serves_lustre {
        return Vec::new();
    }
    match lnet {
        LnetState::LnetUp => vec![LnetState::LnetDown.as_str()],
        LnetState::LnetDown => vec![LnetState::LnetUp.as_str()],
        LnetState::LnetUnknown => vec![LnetState::LnetUp.as_str(), LnetState::LnetDown.as_str()],
    }
}

/// A file system's state from its targets' states: available when the MGS
/// and every MDT and OST are mounted, stopped when no MDT or OST is.
pub fn filesystem_state(removed: bool, mgs: TargetState, members: &[TargetState]) -> FilesystemState {
    let mounted = members.iter().filter(|s| **s == TargetState::Mounted).count();
    if removed {
        FilesystemState::Removed
    } else if mounted == 0 {
        FilesystemState::Stopped
    } else if mounted == members.len() && mgs == TargetState::Mounted {
        FilesystemState::Available
    } else {
        FilesystemState::Unavailable
    }
}

/// States a file system can be asked for.
pub fn filesystem_transitions(state: FilesystemState, managed: bool) -> Vec<&'static str> {
    use FilesystemState::*;
    if !managed {
        return Vec::new();
    }
    match state {
        Available => vec![Stopped.as_str(), Removed.as_str()],
        Stopped => vec![Available.as_str(), Removed.as_str()],
        Unavailable => vec![Available.as_str(), Stopped.as_str(), Removed.as_str()],
        Removed => Vec::new(),
    }
}
