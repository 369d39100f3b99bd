//! Jobs: their states, locks and dependencies, and the commands they belong to.
