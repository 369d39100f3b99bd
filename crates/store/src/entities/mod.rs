//! sea-orm entities of the job tables, used for reads. Writes on hot paths
//! are hand-written statements in the modules that own them.

pub mod command;
pub mod job;
pub mod step;
