//! Steps: claiming, heartbeats, results and redelivery.
