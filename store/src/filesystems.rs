//! File systems: creation, their targets, states and removal.
