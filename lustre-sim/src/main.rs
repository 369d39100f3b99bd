//! `lustre-sim`: serves simulated Lustre servers over SSH.

fn main() {}
