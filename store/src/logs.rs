//! Server log lines and the journal cursors they are read from.
