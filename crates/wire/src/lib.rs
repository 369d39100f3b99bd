//! What crosses the broker between Chroma's processes: the message
//! schemas and the names of every exchange and queue. Messages carry ids;
//! PostgreSQL stays the source of truth.

pub mod messages;
pub mod topology;
