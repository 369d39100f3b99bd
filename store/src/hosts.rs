//! Servers: adding, probing, their state, LNet and pre-flight results, and removal.
