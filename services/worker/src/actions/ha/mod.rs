//! High availability through Pacemaker: building a cluster
//! ([`cluster`]), targets as its resources ([`resource`]), and asking it
//! what it runs where ([`crm`]). Targets whose HA mode is `none` never
//! come here: Chroma mounts them directly.

pub mod cluster;
mod crm;
pub mod resource;
