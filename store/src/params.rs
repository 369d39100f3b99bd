//! Persistent parameters and what the servers were last seen to hold.
