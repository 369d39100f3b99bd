//! What every Chroma service does to its own process at start-up.

use std::sync::OnceLock;

/// Makes this process undumpable (`PR_SET_DUMPABLE` 0), once. Linux then
/// refuses its `/proc/PID/environ`, `/proc/PID/mem` and ptrace to every
/// process without `CAP_SYS_PTRACE`, even one of the same user, so a plugin
/// running as Chroma's user cannot read `DATABASE_URL` or the broker's
/// password out of a service (docs/plugins.md, "What a plugin can reach").
/// It also means no core dumps. Each service's `main` calls it first; the
/// plugin host calls it again before it starts a plugin, for hosts started
/// in-process. A plugin is dumpable again after its `exec`, which is fine:
/// it holds none of Chroma's secrets.
pub fn make_undumpable() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if let Err(e) = nix::sys::prctl::set_dumpable(false) {
            tracing::warn!("cannot make this process undumpable, plugins may read its environment: {e}");
        }
    });
}
