//! The event log: who did what, and what the system did on its own.
