//! lustre-sim: simulated Lustre servers behind a real SSH server.
