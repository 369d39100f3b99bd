//! The envelope every answer comes in, `{"success", "errors", "response"}`.
//! It is defined beside the server's wire messages (`common::envelope`);
//! this is where clients find it with the bodies it carries.

pub use common::envelope::{Envelope, ErrorBody};
