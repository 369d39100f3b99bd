//! Targets (MGT, MDT, OST): where they live, their states and Pacemaker resources.
