//! The JSON API's shape, written once: the bodies `/api` answers with and
//! accepts. The API serves them, `store` builds the read models among them
//! from the database, and the CLI reads them.
