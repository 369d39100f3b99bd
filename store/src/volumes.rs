//! Volumes and the paths each server sees them by.
