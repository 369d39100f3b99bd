//! HA clusters: their members and Pacemaker state.
